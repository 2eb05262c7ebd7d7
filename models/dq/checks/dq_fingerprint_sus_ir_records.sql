{#- What the identification-rules check of a slice depends on: the rules' output depends only on
    the slice's extract files and the reference fingerprint (rules, code sets and designations
    included), both carried by every row of fct_sus_activity. One part per provider x financial
    year x month x dataset x extract month. -#}
with

final as (
    select
        coalesce(provider_code, {{ unknown_code() }}) as provider_code,
        financial_year,
        financial_month,
        'ir ' || dataset || ' ' || extract_month || ' file ' || slice_file_watermark || ' ref '
        || reference_fingerprint as part,
        count(*) as row_count
    from {{ ref('fct_sus_activity') }}
    group by
        coalesce(provider_code, {{ unknown_code() }}),
        financial_year,
        financial_month,
        dataset,
        extract_month,
        slice_file_watermark,
        reference_fingerprint
)

select * from final
