{#- One hash of every piece of reference data that the incremental SUS models bake into their
    rows (codes in force with successors, today's boundaries, provider codes and hosts,
    service-line statuses and categories, PODs, dimension keys, identification rules), of the
    service-line basis (var service_line_basis: which line pays), and of the project's code
    (var code_fingerprint, set by speccomm.dbt_runner).
    When it changes, those models rebuild every slice. The identification rules' lines:
    int_reference__ir_fingerprint_lines. -#}
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

ir_lines as (
    select fingerprint_line
    from {{ ref('int_reference__ir_fingerprint_lines') }}
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
    select fingerprint_line from ir_lines
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
