{#- Cross-boundary flows: one row per patient ICB × provider host ICB × financial year × funding
    stream, with the SLAM activity and pounds (Actual rows) of patients of one ICB treated at
    providers hosted by another (or the same). The per-provider view is
    rpt_provider_out_of_area_share. Method: docs/marts/cross-boundary-flows.md. -#}
with

fct_contract_activity as (
    select
        provider_code,
        provider_host_icb_code,
        attributed_icb_code,
        attribution_method,
        financial_year,
        funding_stream,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

dim_icb as (
    select
        icb_code,
        icb_name,
        region_code,
        current_icb_code,
        valid_from
    from {{ ref('dim_icb') }}
),

flows as (
    select
        coalesce(fct_contract_activity.attributed_icb_code, {{ unknown_code() }}) as patient_icb_code,
        coalesce(fct_contract_activity.provider_host_icb_code, {{ unknown_code() }}) as provider_host_icb_code,
        fct_contract_activity.financial_year,
        fct_contract_activity.funding_stream,
        count(distinct fct_contract_activity.provider_code) as providers,
        coalesce(sum(fct_contract_activity.activity), 0) as activity,
        cast(coalesce(sum(fct_contract_activity.price), 0) as decimal(38, 2)) as price_gbp,
        coalesce(
            sum(fct_contract_activity.activity) filter (
                where fct_contract_activity.attribution_method = 'provider_host'
            ),
            0
        ) as host_fallback_activity,
        cast(
            coalesce(
                sum(fct_contract_activity.price) filter (
                    where fct_contract_activity.attribution_method = 'provider_host'
                ),
                0
            ) as decimal(38, 2)
        ) as host_fallback_gbp
    from fct_contract_activity
    group by
        coalesce(fct_contract_activity.attributed_icb_code, {{ unknown_code() }}),
        coalesce(fct_contract_activity.provider_host_icb_code, {{ unknown_code() }}),
        fct_contract_activity.financial_year,
        fct_contract_activity.funding_stream
),

icb_names as (
    select
        icb_code,
        icb_name,
        region_code,
        current_icb_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from dim_icb
),

final as (
    select
        {{ surrogate_key([
            'flows.patient_icb_code', 'flows.provider_host_icb_code', 'flows.financial_year',
            'flows.funding_stream'
        ]) }} as cross_boundary_flow_key,
        flows.patient_icb_code,
        coalesce(patient_icb.icb_name, 'Unattributed / unknown ICB') as patient_icb_name,
        patient_icb.region_code as patient_region_code,
        coalesce(patient_icb.current_icb_code, flows.patient_icb_code) as patient_current_icb_code,
        flows.provider_host_icb_code,
        coalesce(host_icb.icb_name, 'Unattributed / unknown ICB') as provider_host_icb_name,
        host_icb.region_code as provider_host_region_code,
        coalesce(host_icb.current_icb_code, flows.provider_host_icb_code) as provider_host_current_icb_code,
        flows.financial_year,
        flows.funding_stream,
        flows.patient_icb_code != flows.provider_host_icb_code
        and flows.patient_icb_code != {{ unknown_code() }}
        and flows.provider_host_icb_code != {{ unknown_code() }} as is_cross_boundary,
        coalesce(patient_icb.current_icb_code, flows.patient_icb_code)
        != coalesce(host_icb.current_icb_code, flows.provider_host_icb_code)
        and flows.patient_icb_code != {{ unknown_code() }}
        and flows.provider_host_icb_code != {{ unknown_code() }} as is_cross_boundary_current,
        flows.providers,
        cast(flows.activity as decimal(38, 3)) as activity,
        flows.price_gbp,
        cast(flows.host_fallback_activity as decimal(38, 3)) as host_fallback_activity,
        flows.host_fallback_gbp
    from flows
    left join icb_names as patient_icb
        on
            flows.patient_icb_code = patient_icb.icb_code
            and patient_icb.name_rank = 1
    left join icb_names as host_icb
        on
            flows.provider_host_icb_code = host_icb.icb_code
            and host_icb.name_rank = 1
)

select * from final
