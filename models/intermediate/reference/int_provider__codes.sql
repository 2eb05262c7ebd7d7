{#- Every code that may stand for a provider: its own ODS code and its 5-character site codes.
    (A 5-character code not listed here still resolves to its first three characters when
    those are a known provider: see macro resolve_provider_code.) -#}
with

providers as (
    select
        provider_code,
        host_icb_code,
        is_nhs_trust
    from {{ ref('stg_reference__providers') }}
),

provider_sites as (
    select
        site_code,
        provider_code
    from {{ ref('stg_reference__provider_sites') }}
),

final as (
    select
        provider_code as code,
        provider_code,
        host_icb_code,
        is_nhs_trust
    from providers
    union all
    select
        provider_sites.site_code as code,
        providers.provider_code,
        providers.host_icb_code,
        providers.is_nhs_trust
    from provider_sites
    inner join providers
        on provider_sites.provider_code = providers.provider_code
    where provider_sites.site_code not in (select providers_inner.provider_code from providers as providers_inner)
)

select * from final
