{#- The identification rules applied to every current SUS record (latest extract, first
    occurrence of each record id): the derived service line (NULL = not specialised by the
    rules), the rule that decided it, and why the other rules that matched the record's codes
    lost (a higher precedence number) or did not fire (dataset, age, date, designation). A
    diagnosis or procedure that is not a well-formed code (macros/ir/ir_code_is_well_formed.sql)
    matches no rule.
    A rule applies on the record's activity date (the extract month's first day when the
    activity date is blank or invalid). Rules: docs/identification-rules.md.
    The codes are matched once per distinct code against the rules' code patterns
    (int_reference__ir_rule_code_patterns), then joined back to the records, so the cost is one
    pass over the slice's records whatever the size of the rule tables.
    Incremental by slice (dataset × extract month): see macros/incremental/sus_slices.sql. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for('append'),
    partition_by=incremental_partition_by(['dataset', 'file_activity_month']),
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_sus_slices_to_rebuild('file_activity_month') }}",
    meta={'tests_cover': 'rows_built_in_this_run'},
) }}

-- depends_on: {{ ref('stg_landing__files') }}
-- depends_on: {{ ref('int_reference__fingerprint') }}

with

current_records as {{ streamed_cte() }} (
    select
        placed.file_id,
        placed.source_row,
        placed.dataset,
        placed.file_activity_month,
        placed.slice_file_watermark,
        placed.reference_fingerprint,
        placed.financial_year,
        placed.financial_month,
        placed.provider_code_resolved as provider_code,
        placed.age_at_activity,
        coalesce(placed.activity_date, placed.file_month_start) as ir_date,
        {{ ir_code('placed.primary_diagnosis_code') }} as diagnosis_code,
        {{ ir_code('placed.primary_procedure_code') }} as procedure_code,
        {{ ir_code('placed.hrg_code') }} as hrg_code,
        {{ ir_code('placed.treatment_function_code') }} as treatment_function_code
    -- the slices to rebuild are chosen where the staged rows are read (see the macro)
    {%- set rebuilt_month_column = 'file_activity_month' if is_incremental() else none %}
    from ({{ sus_records_placed(only_slices_to_rebuild_in=rebuilt_month_column) }}) as placed  -- noqa: AL05
    where
        placed.is_current_extract
        and placed.occurrence_in_extract = 1
),

rule_patterns as (
    select
        rule_id,
        service_line_code,
        dataset,
        age_from,
        age_to,
        requires_designation,
        precedence,
        valid_from,
        valid_to,
        code_type,
        match_kind,
        code_from,
        code_to,
        match_length
    from {{ ref('int_reference__ir_rule_code_patterns') }}
),

ir_designated_providers as (
    select
        service_line_code,
        provider_code,
        valid_from,
        valid_to
    from {{ ref('stg_reference__ir_designated_providers') }}
),

-- one row per record and code it carries (primary diagnosis, primary procedure, HRG, TFC);
-- a diagnosis or procedure that is not a well-formed code matches no rule (check ir_code_invalid)
record_codes as (
    select
        file_id,
        source_row,
        'diagnosis' as code_type,
        diagnosis_code as code
    from current_records
    where {{ ir_code_is_well_formed('diagnosis', 'diagnosis_code') }}
    union all
    select
        file_id,
        source_row,
        'procedure' as code_type,
        procedure_code as code
    from current_records
    where {{ ir_code_is_well_formed('procedure', 'procedure_code') }}
    union all
    select
        file_id,
        source_row,
        'hrg' as code_type,
        hrg_code as code
    from current_records
    where hrg_code is not null
    union all
    select
        file_id,
        source_row,
        'treatment_function' as code_type,
        treatment_function_code as code
    from current_records
    where treatment_function_code is not null
),

distinct_codes as (
    select distinct
        code_type,
        code
    from record_codes
),

-- each distinct code matched once against the rules' patterns: the rules it can fire
code_matches as (
    select distinct
        distinct_codes.code_type,
        distinct_codes.code,
        rule_patterns.rule_id,
        rule_patterns.service_line_code,
        rule_patterns.dataset,
        rule_patterns.age_from,
        rule_patterns.age_to,
        rule_patterns.requires_designation,
        rule_patterns.precedence,
        rule_patterns.valid_from,
        rule_patterns.valid_to
    from distinct_codes
    inner join rule_patterns
        on
            distinct_codes.code_type = rule_patterns.code_type
            and left(distinct_codes.code, rule_patterns.match_length)
            between rule_patterns.code_from and rule_patterns.code_to
            and (rule_patterns.match_kind <> 'exact' or distinct_codes.code = rule_patterns.code_from)
),

-- every rule whose code set holds one of the record's codes, and whether it fires
candidates as (
    select distinct
        record_codes.file_id,
        record_codes.source_row,
        code_matches.rule_id,
        code_matches.service_line_code,
        code_matches.precedence,
        case
            when code_matches.dataset is not null and code_matches.dataset <> current_records.dataset
                then 'dataset'
            when current_records.ir_date not between code_matches.valid_from and code_matches.valid_to
                then 'not in force on the activity date'
            when
                (code_matches.age_from is not null or code_matches.age_to is not null)
                and current_records.age_at_activity is null
                then 'age unknown'
            when
                current_records.age_at_activity < code_matches.age_from
                or current_records.age_at_activity > code_matches.age_to
                then 'age outside the band'
            when code_matches.requires_designation and designated.provider_code is null
                then 'provider not designated'
        end as not_fired_reason
    from record_codes
    inner join code_matches
        on
            record_codes.code_type = code_matches.code_type
            and record_codes.code = code_matches.code
    inner join current_records
        on
            record_codes.file_id = current_records.file_id
            and record_codes.source_row = current_records.source_row
    left join ir_designated_providers as designated
        on
            code_matches.requires_designation
            and code_matches.service_line_code = designated.service_line_code
            and current_records.provider_code = designated.provider_code
            and current_records.ir_date between designated.valid_from and designated.valid_to
),

-- the rules that fired first (by precedence, then rule id), then the ones that did not fire
ranked as (
    select
        file_id,
        source_row,
        rule_id,
        service_line_code,
        precedence,
        not_fired_reason,
        case
            when not_fired_reason is null
                then row_number() over (
                    partition by file_id, source_row
                    order by case when not_fired_reason is null then 0 else 1 end, precedence, rule_id
                )
        end as fired_rank
    from candidates
),

-- the rule that decided, the fired rules that lost, and the matched rules that did not fire
decisions as (
    select
        file_id,
        source_row,
        max(case when fired_rank = 1 then rule_id end) as ir_rule_id,
        max(case when fired_rank = 1 then service_line_code end) as derived_service_line_code,
        max(case when fired_rank = 1 then precedence end) as ir_rule_precedence,
        count(fired_rank) as ir_rules_fired,
        {{ ordered_string_agg(
            "rule_id || ' (' || service_line_code || ', precedence ' || cast(precedence as " ~ type_text() ~ ") || ')'",
            '; ', 'fired_rank', filter='fired_rank > 1'
        ) }} as ir_rules_lost,
        {{ ordered_string_agg(
            "rule_id || ': ' || not_fired_reason", '; ', 'rule_id', filter='not_fired_reason is not null'
        ) }} as ir_rules_not_fired
    from ranked
    group by file_id, source_row
),

final as (
    select
        current_records.file_id,
        current_records.source_row,
        current_records.provider_code,
        current_records.financial_year,
        current_records.financial_month,
        current_records.ir_date,
        decisions.derived_service_line_code,
        decisions.ir_rule_id,
        decisions.ir_rule_precedence,
        coalesce(decisions.ir_rules_fired, 0) as ir_rules_fired,
        decisions.ir_rules_lost,
        decisions.ir_rules_not_fired,
        case
            when decisions.ir_rule_id is not null then 'rule_fired'
            when decisions.ir_rules_not_fired is not null then 'codes_matched_no_rule_fired'
            else 'no_rule_matched'
        end as ir_decision,
        current_records.dataset,
        current_records.file_activity_month,
        current_records.slice_file_watermark,
        current_records.reference_fingerprint,
        '{{ invocation_id }}' as build_invocation_id
    from current_records
    left join decisions
        on
            current_records.file_id = decisions.file_id
            and current_records.source_row = decisions.source_row
)

select * from final
