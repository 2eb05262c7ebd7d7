{#- The host ICB of every provider over time: the host stated in the provider reference while
    that ICB is in force, then its successor (chains followed, int_icb__codes_in_force), so a
    row dated after a merger falls back to the ICB that holds the host's population then. -#}
with

providers as (
    select
        provider_code,
        host_icb_code
    from {{ ref('stg_reference__providers') }}
),

icb_codes as (
    select
        code,
        icb_code,
        valid_from,
        valid_to,
        is_superseded
    from {{ ref('int_icb__codes_in_force') }}
    where code_type = 'icb'
),

final as (
    select
        providers.provider_code,
        providers.host_icb_code as stated_host_icb_code,
        icb_codes.icb_code as host_icb_code,
        icb_codes.valid_from,
        icb_codes.valid_to,
        icb_codes.is_superseded
    from providers
    inner join icb_codes
        on providers.host_icb_code = icb_codes.code
)

select * from final
