{#- The South London Pathfinder's scope: SLAM Actual pounds on rows inside the Pathfinder's
    definition (fct_contract_activity.is_pathfinder_scope: green line, NHS trust, standard
    service category, no high-cost drugs or devices POD), one row per provider × financial
    year × month × attributed ICB × attribution method. In-scope spend = the rows of the
    footprint's patients (int_reference__footprint; SEL QKK and SWL QWE by default); the other
    rows show how the provider's pounds were attributed (coverage). Method:
    docs/marts/pathfinder-scope.md. -#}
with

fct_contract_activity as (
    select
        provider_code,
        attributed_icb_code,
        attribution_method,
        financial_year,
        financial_month,
        period_start_date,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual' and is_pathfinder_scope
),

dim_provider as (
    select
        provider_code,
        provider_name,
        host_icb_code
    from {{ ref('dim_provider') }}
    where not is_unknown_member
),

dim_icb as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        valid_from
    from {{ ref('dim_icb') }}
),

icb_names as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from dim_icb
),

footprint as (
    select
        icb_code,
        current_icb_code,
        is_in_footprint
    from {{ ref('int_reference__footprint') }}
),

-- The ICBs that hold the footprint's populations today (themselves until they merge).
pathfinder_current_icbs as (
    select distinct current_icb_code
    from footprint
    where is_in_footprint
),

grouped as (
    select
        provider_code,
        coalesce(attributed_icb_code, {{ unknown_code() }}) as icb_code,
        attribution_method,
        financial_year,
        financial_month,
        period_start_date,
        coalesce(sum(activity), 0) as activity,
        cast(coalesce(sum(price), 0) as decimal(38, 2)) as price_gbp
    from fct_contract_activity
    group by
        provider_code,
        coalesce(attributed_icb_code, {{ unknown_code() }}),
        attribution_method,
        financial_year,
        financial_month,
        period_start_date
),

with_shares as (
    select
        provider_code,
        icb_code,
        attribution_method,
        financial_year,
        financial_month,
        period_start_date,
        activity,
        price_gbp,
        sum(price_gbp) over provider_month as provider_month_gbp
    from grouped
    window provider_month as (partition by provider_code, financial_year, financial_month)
),

final as (
    select
        {{ surrogate_key([
            'with_shares.provider_code', 'with_shares.financial_year', 'with_shares.financial_month',
            'with_shares.icb_code', 'with_shares.attribution_method'
        ]) }} as pathfinder_scope_key,
        with_shares.provider_code,
        dim_provider.provider_name,
        dim_provider.host_icb_code as provider_host_icb_code,
        with_shares.financial_year,
        with_shares.financial_month,
        with_shares.period_start_date,
        with_shares.icb_code,
        coalesce(icb_names.icb_name, 'Unattributed / unknown ICB') as icb_name,
        coalesce(icb_names.current_icb_code, with_shares.icb_code) as current_icb_code,
        with_shares.attribution_method,
        coalesce(footprint.is_in_footprint, false) as is_pathfinder_icb,
        coalesce(icb_names.current_icb_code, with_shares.icb_code) in (
            select pathfinder_current_icbs.current_icb_code from pathfinder_current_icbs
        ) as is_pathfinder_icb_current,
        cast(with_shares.activity as decimal(38, 3)) as activity,
        with_shares.price_gbp,
        cast(
            with_shares.price_gbp / nullif(with_shares.provider_month_gbp, 0) as decimal(18, 6)
        ) as share_of_provider_month_gbp
    from with_shares
    left join dim_provider
        on with_shares.provider_code = dim_provider.provider_code
    left join icb_names
        on
            with_shares.icb_code = icb_names.icb_code
            and icb_names.name_rank = 1
    left join footprint
        on with_shares.icb_code = footprint.icb_code
)

select * from final
