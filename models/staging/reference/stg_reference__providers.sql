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
    from {{ ref('providers') }}
),

final as (
    select
        upper(trim(provider_code)) as provider_code,
        provider_name,
        provider_type,
        is_nhs_trust,
        upper(trim(host_icb_code)) as host_icb_code,
        upper(trim(region_code)) as region_code,
        is_illustrative
    from providers
)

select * from final
