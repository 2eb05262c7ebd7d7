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
        sum(phase_weight) over (order by financial_month) as cumulative_weight,
        coalesce(
            sum(phase_weight) over (
                order by financial_month rows between unbounded preceding and 1 preceding
            ),
            0
        ) as previous_cumulative_weight
    from plan_phasing
)

select * from final
