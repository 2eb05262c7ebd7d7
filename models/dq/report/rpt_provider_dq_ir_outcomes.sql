{#- The provider's disagreements with the identification rules over its window
    (rpt_provider_dq_windows), by outcome, with the tariff at stake and the part that would
    change funding stream (marts.rpt_service_line_ir_monitoring; docs/identification-rules.md):
    the breakdown a provider's email gives under the check the registry shows that way
    (dq_checks.report_as = 'problem_by_ir_outcome'), in words for the provider. -#}
{{ config(materialized='view', schema='dq_checks', enabled=target.type != 'spark', tags=['dq_dqmi']) }}

with

checks_by_outcome as (
    select
        check_id,
        dataset
    from {{ ref('dq_checks') }}
    where report_as = 'problem_by_ir_outcome'
),

windows as (
    select
        run_id,
        dataset,
        provider_code,
        window_start_date
    from {{ ref('rpt_provider_dq_windows') }}
),

monitoring as (
    select
        provider_code,
        period_start_date,
        outcome,
        records,
        tariff_gbp,
        tariff_gbp_stream_changed
    from {{ ref('rpt_service_line_ir_monitoring') }}
    where is_disagreement
),

final as (
    select
        windows.run_id,
        windows.dataset,
        windows.provider_code,
        checks_by_outcome.check_id,
        monitoring.outcome,
        case monitoring.outcome
            when 'supplied_not_derived' then 'a service line sent that the rules do not find'
            when 'derived_not_supplied' then 'specialised by the rules but sent without a service line'
            when 'different_line' then 'the rules find a different service line'
            else monitoring.outcome
        end as outcome_description,
        cast(sum(monitoring.records) as bigint) as records,
        cast(sum(monitoring.tariff_gbp) as decimal(38, 2)) as tariff_gbp,
        cast(sum(monitoring.tariff_gbp_stream_changed) as decimal(38, 2)) as tariff_gbp_stream_changed
    from checks_by_outcome
    inner join windows
        on checks_by_outcome.dataset = windows.dataset
    inner join monitoring
        on
            windows.provider_code = monitoring.provider_code
            and windows.window_start_date <= monitoring.period_start_date
    group by windows.run_id, windows.dataset, windows.provider_code, checks_by_outcome.check_id, monitoring.outcome
)

select * from final
