{#- The ERF baselines on the ICB in force: one row per provider × ICB × financial year ×
    financial month, each stated baseline (seed erf_baselines) read onto the ICB its code means
    in that month (int_icb__years_in_force: a dissolved ICB's baseline after its valid_to is its
    successor's; a code that is no ICB stays as it is), the ICB's own baseline when the
    reference gives one, else its predecessors' added up (macros/mergers/). A step of
    rpt_erf_performance. -#}
with

erf_baselines_stated as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        baseline_value_gbp,
        is_illustrative
    from {{ ref('stg_reference__erf_baselines') }}
),

years_in_force as (
    select
        code,
        financial_year,
        icb_code,
        is_superseded,
        from_financial_month,
        to_financial_month
    from {{ ref('int_icb__years_in_force') }}
),

-- Each stated baseline read onto the ICB its code means in that month: a dissolved ICB's
-- baseline after its valid_to is its successor's (a code that is no ICB stays as it is).
baseline_contributions as (
    select
        erf_baselines_stated.provider_code,
        coalesce(years_in_force.icb_code, erf_baselines_stated.icb_code) as icb_code,
        erf_baselines_stated.financial_year,
        erf_baselines_stated.financial_month,
        coalesce(years_in_force.is_superseded, false) as is_superseded,
        erf_baselines_stated.baseline_value_gbp,
        erf_baselines_stated.is_illustrative
    from erf_baselines_stated
    left join years_in_force
        on
            erf_baselines_stated.icb_code = years_in_force.code
            and erf_baselines_stated.financial_year = years_in_force.financial_year
            and erf_baselines_stated.financial_month
            between years_in_force.from_financial_month and years_in_force.to_financial_month
),

-- The ICB's own baseline when the reference gives one, else its predecessors'
-- (macros/mergers/reference_rows_in_force.sql), added up.
baselines_used as (
    {{ own_rows_else_predecessors(
        'baseline_contributions', ['provider_code', 'icb_code', 'financial_year', 'financial_month']
    ) }}
),

final as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        cast(sum(baseline_value_gbp) as decimal(18, 2)) as baseline_value_gbp,
        max(case when is_illustrative then 1 else 0 end) = 1 as is_illustrative
    from baselines_used
    group by
        provider_code,
        icb_code,
        financial_year,
        financial_month
)

select * from final
