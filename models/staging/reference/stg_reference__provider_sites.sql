with

provider_sites as (
    select
        site_code,
        site_name,
        provider_code
    from {{ ref('provider_sites') }}
),

final as (
    select
        upper(trim(site_code)) as site_code,
        site_name,
        upper(trim(provider_code)) as provider_code
    from provider_sites
)

select * from final
