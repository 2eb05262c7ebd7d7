{#- Whether a code is in the reference lists (in any of its versions): the service-code table
    and the points of delivery. The code-list checks of the SLAM and SUS check models
    (service_line_unknown, pod_unknown) ask these, so the lists are read in one place. -#}
{% macro is_known_service_line(service_line_code) -%}
    exists (
        select 1 from {{ ref('stg_reference__service_lines') }} as known_service_lines
        where known_service_lines.service_line_code = {{ service_line_code }}
    )
{%- endmacro %}

{% macro is_known_pod(pod_code) -%}
    exists (
        select 1 from {{ ref('stg_reference__points_of_delivery') }} as known_pods
        where known_pods.pod_code = {{ pod_code }}
    )
{%- endmacro %}
