{#- The identification rules with the code patterns of their code sets: one row per rule ×
    pattern of the rule's code set (stg_reference__ir_rules × stg_reference__ir_code_sets on
    code_set_id; a rule whose code set has no pattern matches nothing and is left out). A code
    matches a pattern when its first match_length characters lie between code_from and
    code_to (and equal code_from for an exact pattern). A step of int_sus__ir_assignments,
    which matches each distinct code of a slice against these rows once. -#}
with

ir_rules as (
    select
        rule_id,
        service_line_code,
        dataset,
        code_set_id,
        age_from,
        age_to,
        requires_designation,
        precedence,
        valid_from,
        valid_to
    from {{ ref('stg_reference__ir_rules') }}
),

ir_code_sets as (
    select
        code_set_id,
        code_type,
        match_kind,
        code_from,
        code_to,
        match_length
    from {{ ref('stg_reference__ir_code_sets') }}
),

final as (
    select
        ir_rules.rule_id,
        ir_rules.service_line_code,
        ir_rules.dataset,
        ir_rules.code_set_id,
        ir_rules.age_from,
        ir_rules.age_to,
        ir_rules.requires_designation,
        ir_rules.precedence,
        ir_rules.valid_from,
        ir_rules.valid_to,
        ir_code_sets.code_type,
        ir_code_sets.match_kind,
        ir_code_sets.code_from,
        ir_code_sets.code_to,
        ir_code_sets.match_length
    from ir_rules
    inner join ir_code_sets
        on ir_rules.code_set_id = ir_code_sets.code_set_id
)

select * from final
