{#- The share of a year's plan that falls in each financial month (seed plan_phasing), with
    the cumulative shares every phased figure is built from, written once: cumulative_weight
    up to and including the month, previous_cumulative_weight up to the month before (a plan
    phased by cumulative difference sums to the annual figure to the penny). -#}
with

plan_phasing as (
    select
        financial_month,
        phase_weight
    from {{ ref('plan_phasing') }}
),

final as (
    select
        financial_month,
        phase_weight,
        {{ year_to_date('phase_weight', financial_year=none) }} as cumulative_weight,
        {{ year_to_date('phase_weight', financial_year=none) }} - phase_weight as previous_cumulative_weight
    from plan_phasing
)

select * from final
