{#- How much of each financial year the SLAM figures cover: per financial year of
    int_slam__expected_submissions, the latest expected month (months_covered) and the plan
    phasing's cumulative weight to it (year_fraction). A step of int_finance__icb_line_rates. -#}
with

submissions as (
    select
        financial_year,
        financial_month
    from {{ ref('int_slam__expected_submissions') }}
),

plan_phasing as (
    select
        financial_month,
        cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

years as (
    select
        financial_year,
        max(financial_month) as months_covered
    from submissions
    group by financial_year
),

final as (
    select
        years.financial_year,
        years.months_covered,
        plan_phasing.cumulative_weight as year_fraction
    from years
    left join plan_phasing
        on years.months_covered = plan_phasing.financial_month
)

select * from final
