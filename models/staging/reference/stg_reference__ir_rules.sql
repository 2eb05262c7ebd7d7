{#- The identification rules (seed ir_rules), codes upper-cased, blanks as NULL, the open end
    of a rule's validity as 9999-12-31 so that a record's date can be compared directly. -#}
with

ir_rules as (
    select
        rule_id,
        service_line_code,
        dataset,
        code_set_id,
        code_position,
        age_from,
        age_to,
        requires_designation,
        precedence,
        valid_from,
        valid_to,
        description,
        is_illustrative
    from {{ ref('ir_rules') }}
),

final as (
    select
        upper(trim(rule_id)) as rule_id,
        upper(trim(service_line_code)) as service_line_code,
        nullif(upper(trim(dataset)), '') as dataset,
        upper(trim(code_set_id)) as code_set_id,
        lower(trim(code_position)) as code_position,
        age_from,
        age_to,
        coalesce(requires_designation, false) as requires_designation,
        precedence,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        description,
        is_illustrative
    from ir_rules
)

select * from final
