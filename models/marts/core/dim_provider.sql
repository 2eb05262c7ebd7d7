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

known_providers as (
    select
        {{ surrogate_key(['provider_code']) }} as provider_key,
        provider_code,
        provider_name,
        provider_type,
        is_nhs_trust,
        host_icb_code,
        region_code,
        is_illustrative,
        false as is_unknown_member
    from providers
),

unknown_member as (
    select
        {{ unknown_key() }} as provider_key,
        'UNKNOWN' as provider_code,
        'Unknown provider' as provider_name,
        'unknown' as provider_type,
        false as is_nhs_trust,
        cast(null as varchar) as host_icb_code,
        cast(null as varchar) as region_code,
        false as is_illustrative,
        true as is_unknown_member
),

final as (
    select * from known_providers
    union all
    select * from unknown_member
)

select * from final
