{#- Each check's words and numbers, one row per check: the check registry
    (seeds/reference/dq_checks.csv, one row per check x dataset) with its datasets folded into
    one, `cross` when the check runs on more than one. A check states the same words and
    numbers on each of its rows (speccomm.quality.registry refuses a difference, and the unique
    test on check_id fails on one). -#}
{{ config(schema='reference') }}

with

registry as (
    select
        check_id,
        dataset,
        title,
        severity,
        max_failure_rate,
        default_threshold,
        meaning,
        how_to_fix
    from {{ ref('dq_checks') }}
),

final as (
    select
        check_id,
        case when count(distinct dataset) > 1 then 'cross' else min(dataset) end as dataset,
        title,
        severity,
        max_failure_rate,
        default_threshold,
        meaning,
        how_to_fix
    from registry
    group by check_id, title, severity, max_failure_rate, default_threshold, meaning, how_to_fix
)

select * from final
