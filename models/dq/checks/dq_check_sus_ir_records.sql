{#- The rows of the identification-rules check: every current SUS record (each record id once,
    as published in fct_sus_activity) of the slices in dq_check_scope, with its supplied service
    line against the identification rules' line, sliced by the provider (site codes resolved)
    and the financial year and month of the extract's calendar month. A record fails
    service_line_ir_mismatch (a GX column-pair expectation) when the two disagree (the outcomes of
    rpt_service_line_ir_monitoring other than agree; blank and 99999999 both mean "none").
    Records are shown to providers by provider_record_ref only. -#}
with

records as (
    select
        activity.provider_code,
        activity.financial_year,
        activity.financial_month,
        activity.source_file,
        activity.source_row,
        activity.provider_record_ref,
        activity.dataset,
        activity.pod_code,
        activity.service_line_code,
        nullif(activity.service_line_code, '99999999') as supplied_line,
        activity.derived_service_line_code as derived_line,
        activity.ir_rule_id
    from {{ ref('fct_sus_activity') }} as activity
    where {{ in_dq_check_scope('activity.financial_year', 'activity.financial_month') }}
),

final as (
    select
        coalesce(provider_code, {{ unknown_code() }}) as provider_code,
        financial_year,
        financial_month,
        source_file,
        source_row,
        provider_record_ref as record_ref,
        service_line_code,
        pod_code,
        dataset as context,
        'supplied ' || coalesce(supplied_line, 'none') || ', rules derive '
        || coalesce(derived_line, 'none') || coalesce(' (rule ' || ir_rule_id || ')', '') as ir_raw,
        -- Great Expectations states service_line_ir_mismatch: the two equal (both NULL = none = agree)
        supplied_line,
        derived_line
    from records
)

select * from final
