with

providers as (
    select
        provider_code,
        provider_name,
        provider_type,
        is_nhs_trust,
        host_icb_code,
        region_code,
        is_illustrative
    from {{ ref('stg_reference__providers') }}
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

known_providers as (
    select
        {{ surrogate_key(['providers.provider_code']) }} as provider_key,
        providers.provider_code,
        providers.provider_name,
        providers.provider_type,
        providers.is_nhs_trust,
        providers.host_icb_code,
        current_boundaries.current_icb_code as current_host_icb_code,
        providers.region_code,
        providers.is_illustrative,
        false as is_unknown_member
    from providers
    left join current_boundaries
        on providers.host_icb_code = current_boundaries.icb_code
),

unknown_member as (
    select
        {{ unknown_key() }} as provider_key,
        {{ unknown_code() }} as provider_code,
        'Unknown provider' as provider_name,
        'unknown' as provider_type,
        false as is_nhs_trust,
        cast(null as {{ type_text() }}) as host_icb_code,
        cast(null as {{ type_text() }}) as current_host_icb_code,
        cast(null as {{ type_text() }}) as region_code,
        false as is_illustrative,
        true as is_unknown_member
),

final as (
    select * from known_providers
    union all
    select * from unknown_member
)

select * from final
