{#- The contract's plan and actual per provider × ICB × service line × financial year × month,
    like for like: current SLAM Plan rows (the contract plan the provider states) and Actual
    rows, summed per ICB. A Plan row is for the ICB its commissioner code means on the row's
    month (int_icb__codes_in_force: an ICB's code, a sub-ICB location's ICB, a dissolved ICB's
    successor); a commissioner that is not an ICB (a commissioning hub such as 13R, or a code
    not in force) leaves the plan on the patients' ICB the row states (attributed_icb_code).
    An Actual row counts for its patients' ICB (attributed_icb_code), so a plan for QKK is set
    against QKK's patients only. No ICB at all: UNKNOWN. Method:
    docs/marts/contract-plan-vs-actual.md. -#}
with

fct_contract_activity as (
    select
        provider_code,
        commissioner_code,
        attributed_icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        financial_month,
        period_start_date,
        record_type,
        activity,
        price
    from {{ ref('fct_contract_activity') }}
),

placed as (
    select
        fct_contract_activity.provider_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month,
        fct_contract_activity.record_type,
        fct_contract_activity.activity,
        fct_contract_activity.price,
        case
            when fct_contract_activity.record_type = 'Plan'
                then coalesce(commissioner.icb_code, fct_contract_activity.attributed_icb_code, 'UNKNOWN')
            else coalesce(fct_contract_activity.attributed_icb_code, 'UNKNOWN')
        end as icb_code,
        case
            when fct_contract_activity.record_type != 'Plan' then 'attributed_icb'
            when commissioner.icb_code is not null then 'commissioner'
            when fct_contract_activity.attributed_icb_code is not null then 'attributed_icb'
            else 'unknown'
        end as icb_basis
    from fct_contract_activity
    {{ join_icb_in_force('fct_contract_activity.commissioner_code', 'fct_contract_activity.period_start_date',
        'commissioner') }}
),

final as (
    select
        provider_code,
        icb_code,
        coalesce(service_line_code, 'UNKNOWN') as service_line_code,
        financial_year,
        financial_month,
        max(funding_stream) as funding_stream,
        cast(coalesce(sum(activity) filter (where record_type = 'Plan'), 0) as decimal(38, 3)) as plan_activity,
        cast(coalesce(sum(activity) filter (where record_type = 'Actual'), 0) as decimal(38, 3)) as actual_activity,
        cast(coalesce(sum(price) filter (where record_type = 'Plan'), 0) as decimal(38, 2)) as plan_gbp,
        cast(coalesce(sum(price) filter (where record_type = 'Actual'), 0) as decimal(38, 2)) as actual_gbp,
        count(*) filter (where record_type = 'Plan') as plan_rows,
        count(*) filter (where record_type = 'Plan' and icb_basis = 'commissioner') as plan_rows_by_commissioner,
        count(*) filter (where record_type = 'Actual') as actual_rows
    from placed
    group by
        provider_code,
        icb_code,
        coalesce(service_line_code, 'UNKNOWN'),
        financial_year,
        financial_month
)

select * from final
