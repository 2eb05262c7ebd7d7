{#- The Elective Recovery Fund's baseline value per provider × ICB × year × month (seed
    erf_baselines), codes cleaned once: the denominator of rpt_erf_performance. -#}
with

erf_baselines as (
    select
        provider_code,
        icb_code,
        financial_year,
        financial_month,
        baseline_value_gbp,
        baseline_basis,
        is_illustrative
    from {{ ref('erf_baselines') }}
),

final as (
    select
        upper(trim(provider_code)) as provider_code,
        upper(trim(icb_code)) as icb_code,
        trim(financial_year) as financial_year,
        financial_month,
        baseline_value_gbp,
        baseline_basis,
        is_illustrative
    from erf_baselines
)

select * from final
