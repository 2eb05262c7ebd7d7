{#- ICB spend against plan, month by month: one row per ICB × financial year × financial month ×
    funding stream. Plan = the ICB's allocation phased by month; actuals from SLAM (priced
    activity attributed to the ICB) and from the ICB's own ledger; variances, year to date and
    two forecast outturns. Method and worked example: docs/marts/icb-spend-against-plan.md. -#}
with

icb_allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp
    from {{ ref('icb_allocations') }}
),

plan_phasing as (
    select
        financial_month,
        phase_weight
    from {{ ref('plan_phasing') }}
),

fct_contract_activity as (
    select
        attributed_icb_code,
        financial_year,
        financial_month,
        funding_stream,
        price
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
),

fct_ledger_posting as (
    select
        entity_code,
        financial_year,
        financial_month,
        funding_stream,
        amount
    from {{ ref('fct_ledger_posting') }}
),

dim_icb as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        valid_from
    from {{ ref('dim_icb') }}
),

cumulative_phasing as (
    select
        financial_month,
        phase_weight,
        sum(phase_weight) over (order by financial_month) as cumulative_weight,
        coalesce(
            sum(phase_weight) over (
                order by financial_month rows between unbounded preceding and 1 preceding
            ),
            0
        ) as previous_cumulative_weight
    from plan_phasing
),

-- Phase by cumulative difference so the twelve months add back to the allocation to the penny.
monthly_plan as (
    select
        upper(trim(icb_allocations.icb_code)) as icb_code,
        icb_allocations.financial_year,
        lower(trim(icb_allocations.funding_stream)) as funding_stream,
        icb_allocations.allocation_basis,
        cumulative_phasing.financial_month,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight,
        icb_allocations.allocation_gbp as annual_plan_gbp,
        cast(
            round(icb_allocations.allocation_gbp * cumulative_phasing.cumulative_weight, 2)
            - round(icb_allocations.allocation_gbp * cumulative_phasing.previous_cumulative_weight, 2)
            as decimal(38, 2)
        ) as plan_gbp
    from icb_allocations
    cross join cumulative_phasing
),

slam_actuals as (
    select
        coalesce(attributed_icb_code, 'UNKNOWN') as icb_code,
        financial_year,
        financial_month,
        funding_stream,
        cast(coalesce(sum(price), 0) as decimal(38, 2)) as slam_actual_gbp
    from fct_contract_activity
    group by coalesce(attributed_icb_code, 'UNKNOWN'), financial_year, financial_month, funding_stream
),

-- Only postings on specialised cost centres: place and suspense cost centres map to the unknown
-- stream and are not specialised spend.
ledger_actuals as (
    select
        entity_code as icb_code,
        financial_year,
        financial_month,
        funding_stream,
        cast(coalesce(sum(amount), 0) as decimal(38, 2)) as ledger_actual_gbp
    from fct_ledger_posting
    where funding_stream != 'unknown'
    group by entity_code, financial_year, financial_month, funding_stream
),

-- The latest month SLAM states in each year (any provider): later months are not yet reported.
slam_reported_to as (
    select
        financial_year,
        max(financial_month) as slam_reported_to_month
    from fct_contract_activity
    group by financial_year
),

-- The latest period of each ICB's own ledger in each year (any posting); an ICB without a ledger
-- feed has none.
ledger_reported_to as (
    select
        entity_code as icb_code,
        financial_year,
        max(financial_month) as ledger_reported_to_month
    from fct_ledger_posting
    group by entity_code, financial_year
),

icb_year_streams as (
    select
        icb_code,
        financial_year,
        funding_stream
    from monthly_plan
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from slam_actuals
    union
    select
        icb_code,
        financial_year,
        funding_stream
    from ledger_actuals
),

spine as (
    select
        icb_year_streams.icb_code,
        icb_year_streams.financial_year,
        cumulative_phasing.financial_month,
        icb_year_streams.funding_stream,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight
    from icb_year_streams
    cross join cumulative_phasing
),

icb_names as (
    select
        icb_code,
        icb_name,
        current_icb_code,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from dim_icb
),

monthly as (
    select
        spine.icb_code,
        spine.financial_year,
        spine.financial_month,
        spine.funding_stream,
        monthly_plan.allocation_basis,
        spine.phase_weight,
        spine.cumulative_weight,
        coalesce(monthly_plan.annual_plan_gbp, 0) as annual_plan_gbp,
        coalesce(monthly_plan.plan_gbp, 0) as plan_gbp,
        coalesce(spine.financial_month <= slam_reported_to.slam_reported_to_month, false)
            as is_slam_reported,
        coalesce(spine.financial_month <= ledger_reported_to.ledger_reported_to_month, false)
            as is_ledger_reported,
        case
            when spine.financial_month <= slam_reported_to.slam_reported_to_month
                then coalesce(slam_actuals.slam_actual_gbp, 0)
        end as slam_actual_gbp,
        case
            when spine.financial_month <= ledger_reported_to.ledger_reported_to_month
                then coalesce(ledger_actuals.ledger_actual_gbp, 0)
        end as ledger_actual_gbp
    from spine
    left join monthly_plan
        on
            spine.icb_code = monthly_plan.icb_code
            and spine.financial_year = monthly_plan.financial_year
            and spine.funding_stream = monthly_plan.funding_stream
            and spine.financial_month = monthly_plan.financial_month
    left join slam_actuals
        on
            spine.icb_code = slam_actuals.icb_code
            and spine.financial_year = slam_actuals.financial_year
            and spine.funding_stream = slam_actuals.funding_stream
            and spine.financial_month = slam_actuals.financial_month
    left join ledger_actuals
        on
            spine.icb_code = ledger_actuals.icb_code
            and spine.financial_year = ledger_actuals.financial_year
            and spine.funding_stream = ledger_actuals.funding_stream
            and spine.financial_month = ledger_actuals.financial_month
    left join slam_reported_to
        on spine.financial_year = slam_reported_to.financial_year
    left join ledger_reported_to
        on
            spine.icb_code = ledger_reported_to.icb_code
            and spine.financial_year = ledger_reported_to.financial_year
),

year_to_date as (
    select
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        allocation_basis,
        phase_weight,
        cumulative_weight,
        annual_plan_gbp,
        plan_gbp,
        is_slam_reported,
        is_ledger_reported,
        slam_actual_gbp,
        ledger_actual_gbp,
        sum(plan_gbp) over year_so_far as ytd_plan_gbp,
        case
            when is_slam_reported then sum(slam_actual_gbp) over year_so_far
        end as ytd_slam_actual_gbp,
        case
            when is_ledger_reported then sum(ledger_actual_gbp) over year_so_far
        end as ytd_ledger_actual_gbp
    from monthly
    window year_so_far as (
        partition by icb_code, financial_year, funding_stream
        order by financial_month
        rows between unbounded preceding and current row
    )
),

forecasts as (
    select
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        allocation_basis,
        phase_weight,
        annual_plan_gbp,
        plan_gbp,
        is_slam_reported,
        is_ledger_reported,
        slam_actual_gbp,
        ledger_actual_gbp,
        ytd_plan_gbp,
        ytd_slam_actual_gbp,
        ytd_ledger_actual_gbp,
        cast(round(ytd_slam_actual_gbp * 12.0 / financial_month, 2) as decimal(38, 2))
            as slam_forecast_run_rate_gbp,
        cast(round(ytd_slam_actual_gbp / cumulative_weight, 2) as decimal(38, 2))
            as slam_forecast_phased_gbp,
        cast(round(ytd_ledger_actual_gbp * 12.0 / financial_month, 2) as decimal(38, 2))
            as ledger_forecast_run_rate_gbp,
        cast(round(ytd_ledger_actual_gbp / cumulative_weight, 2) as decimal(38, 2))
            as ledger_forecast_phased_gbp
    from year_to_date
),

final as (
    select
        {{ surrogate_key([
            'forecasts.icb_code', 'forecasts.financial_year', 'forecasts.financial_month',
            'forecasts.funding_stream'
        ]) }} as icb_spend_monthly_key,
        forecasts.icb_code,
        coalesce(icb_names.icb_name, 'Unattributed / unknown ICB') as icb_name,
        coalesce(icb_names.current_icb_code, forecasts.icb_code) as current_icb_code,
        coalesce(current_names.icb_name, icb_names.icb_name, 'Unattributed / unknown ICB')
            as current_icb_name,
        forecasts.financial_year,
        forecasts.financial_month,
        {{ date_of_financial_period('forecasts.financial_year', 'forecasts.financial_month') }}
            as period_start_date,
        forecasts.funding_stream,
        forecasts.allocation_basis,
        forecasts.phase_weight,
        forecasts.annual_plan_gbp,
        forecasts.plan_gbp,
        forecasts.slam_actual_gbp,
        forecasts.ledger_actual_gbp,
        forecasts.slam_actual_gbp - forecasts.plan_gbp as slam_variance_gbp,
        forecasts.ledger_actual_gbp - forecasts.plan_gbp as ledger_variance_gbp,
        forecasts.ytd_plan_gbp,
        forecasts.ytd_slam_actual_gbp,
        forecasts.ytd_ledger_actual_gbp,
        forecasts.ytd_slam_actual_gbp - forecasts.ytd_plan_gbp as ytd_slam_variance_gbp,
        forecasts.ytd_ledger_actual_gbp - forecasts.ytd_plan_gbp as ytd_ledger_variance_gbp,
        forecasts.slam_forecast_run_rate_gbp,
        forecasts.slam_forecast_phased_gbp,
        forecasts.slam_forecast_phased_gbp - forecasts.annual_plan_gbp as slam_forecast_variance_gbp,
        forecasts.ledger_forecast_run_rate_gbp,
        forecasts.ledger_forecast_phased_gbp,
        forecasts.ledger_forecast_phased_gbp - forecasts.annual_plan_gbp as ledger_forecast_variance_gbp,
        forecasts.is_slam_reported,
        forecasts.is_ledger_reported
    from forecasts
    left join icb_names
        on
            forecasts.icb_code = icb_names.icb_code
            and icb_names.name_rank = 1
    left join icb_names as current_names
        on
            icb_names.current_icb_code = current_names.icb_code
            and current_names.name_rank = 1
)

select * from final
