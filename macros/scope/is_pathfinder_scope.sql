{#- The Pathfinder's definition of "in scope", in one place for every fact: a green service
    line at an NHS trust, a standard service (not high-cost drugs or devices, clinical
    networks, mental health, transformation …) on a POD that is not high-cost drugs or
    devices. False when any part is unknown. -#}
{% macro is_pathfinder_scope(funding_stream, is_nhs_trust, service_category, is_high_cost_drugs_devices) -%}
    coalesce(
        {{ funding_stream }} = 'green'
        and {{ is_nhs_trust }}
        and {{ service_category }} = 'standard'
        and not {{ is_high_cost_drugs_devices }},
        false
    )
{%- endmacro %}
