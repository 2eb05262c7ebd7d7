{#- The identification rules' part of the reference fingerprint: one line of text per row of
    the rules, their code sets and the designated providers (stg_reference__ir_*), each
    prefixed with its table's name. A step of int_reference__fingerprint. -#}
with

ir_rules as (
    select
        concat_ws(
            ',', rule_id, service_line_code, dataset, code_set_id, age_from, age_to,
            requires_designation, precedence, valid_from, valid_to
        ) as fingerprint_line
    from {{ ref('stg_reference__ir_rules') }}
),

ir_code_sets as (
    select concat_ws(',', code_set_id, code_type, match_kind, code_from, code_to) as fingerprint_line
    from {{ ref('stg_reference__ir_code_sets') }}
),

ir_designated_providers as (
    select concat_ws(',', service_line_code, provider_code, valid_from, valid_to) as fingerprint_line
    from {{ ref('stg_reference__ir_designated_providers') }}
),

final as (
    select 'ir_rules,' || fingerprint_line as fingerprint_line from ir_rules
    union all
    select 'ir_code_sets,' || fingerprint_line as fingerprint_line from ir_code_sets
    union all
    select 'ir_designated_providers,' || fingerprint_line as fingerprint_line from ir_designated_providers
)

select * from final
