-- Every current SUS record (each record id once, as published in marts.fct_sus_activity) with its
-- supplied service line against the identification rules' line, sliced by the provider (site
-- codes resolved) and the financial year and month of the extract's calendar month. A record
-- fails service_line_ir_mismatch when the two disagree (the outcomes of
-- marts.rpt_service_line_ir_monitoring other than agree; blank and 99999999 both mean "none").
-- Records are shown to providers by provider_record_ref only.
with

records as (
    select
        provider_code,
        financial_year,
        financial_month,
        source_file,
        source_row,
        provider_record_ref,
        dataset,
        pod_code,
        service_line_code,
        nullif(service_line_code, '99999999') as supplied_line,
        derived_service_line_code as derived_line,
        ir_rule_id
    from marts.fct_sus_activity
    where
        exists (
            select 1 from dq_scope
            where dq_scope.financial_year = fct_sus_activity.financial_year
                and dq_scope.financial_month = fct_sus_activity.financial_month
        )
),

final as (
    select
        coalesce(provider_code, 'UNKNOWN') as provider_code,
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
        supplied_line is distinct from derived_line as fails_service_line_ir_mismatch
    from records
)

select * from final
