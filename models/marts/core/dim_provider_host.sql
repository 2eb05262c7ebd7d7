{#- Effective-dated host ICB of each provider: which ICB hosted it on a date (boundaries in
    force then) and which holds that host's population today. -#}
with

host_periods as (
    select
        provider_code,
        stated_host_icb_code,
        host_icb_code,
        valid_from,
        valid_to,
        is_superseded
    from {{ ref('int_provider__host_periods') }}
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

final as (
    select
        {{ surrogate_key(['host_periods.provider_code', 'host_periods.valid_from']) }} as provider_host_key,
        host_periods.provider_code,
        host_periods.host_icb_code,
        host_periods.stated_host_icb_code,
        host_periods.valid_from,
        nullif(host_periods.valid_to, date '9999-12-31') as valid_to,
        host_periods.is_superseded,
        current_boundaries.current_icb_code as current_host_icb_code
    from host_periods
    left join current_boundaries
        on host_periods.host_icb_code = current_boundaries.icb_code
)

select * from final
