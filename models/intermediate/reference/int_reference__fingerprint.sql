{#- One hash of every piece of reference data that the incremental SUS models bake into their
    rows (codes in force with successors, today's boundaries, provider codes and hosts,
    service-line statuses and categories, PODs, dimension keys, identification rules), of the
    service-line basis (var service_line_basis: which line pays), and of the project's code
    (var code_fingerprint, set by speccomm.dbt_runner).
    When it changes, those models rebuild every slice. -#}
with

icb_codes as (
    select concat_ws(',', code, icb_code, valid_from, valid_to, is_superseded) as fingerprint_line
    from {{ ref('int_icb__codes_in_force') }}
),

current_boundaries as (
    select concat_ws(',', icb_code, current_icb_code) as fingerprint_line
    from {{ ref('int_icb__current_boundaries') }}
),

provider_codes as (
    select concat_ws(',', code, provider_code, host_icb_code, is_nhs_trust) as fingerprint_line
    from {{ ref('int_provider__codes') }}
),

statuses as (
    select concat_ws(',', service_line_code, valid_from, valid_to, funding_stream) as fingerprint_line
    from {{ ref('int_service_line__status_periods') }}
),

service_lines as (
    select concat_ws(',', service_line_code, service_category) as fingerprint_line
    from {{ ref('stg_reference__service_lines') }}
),

points_of_delivery as (
    select concat_ws(',', pod_code, is_high_cost_drugs_devices) as fingerprint_line
    from {{ ref('stg_reference__points_of_delivery') }}
),

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

all_lines as (
    select fingerprint_line from icb_codes
    union all
    select fingerprint_line from current_boundaries
    union all
    select fingerprint_line from provider_codes
    union all
    select fingerprint_line from statuses
    union all
    select fingerprint_line from service_lines
    union all
    select fingerprint_line from points_of_delivery
    union all
    select 'ir_rules,' || fingerprint_line as fingerprint_line from ir_rules
    union all
    select 'ir_code_sets,' || fingerprint_line as fingerprint_line from ir_code_sets
    union all
    select 'ir_designated_providers,' || fingerprint_line as fingerprint_line from ir_designated_providers
),

final as (
    select
        md5(
            {{ ordered_string_agg('fingerprint_line', '|', 'fingerprint_line') }}
            || '{{ var("code_fingerprint", "") }}'
            || '{{ service_line_basis() }}'
        ) as reference_fingerprint
    from all_lines
)

select * from final
