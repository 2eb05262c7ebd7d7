{#- The contract's attribution rule, shared by SLAM and SUS. Inputs are ICB codes already
    resolved and validated for the row's month (NULL when missing or invalid):
    registration ICB (unless the GP practice is a default code) → residence ICB → provider's
    host ICB → unattributed. -#}
{% macro is_default_gp_practice(gp_practice_code) -%}
    coalesce({{ gp_practice_code }} in ('V81997', 'V81998', 'V81999'), false)
{%- endmacro %}

{% macro attribution_method(registration_icb, gp_practice_code, residence_icb, host_icb) -%}
    case
        when {{ registration_icb }} is not null and not {{ is_default_gp_practice(gp_practice_code) }}
            then 'registration'
        when {{ residence_icb }} is not null then 'residence'
        when {{ host_icb }} is not null then 'provider_host'
        else 'unattributed'
    end
{%- endmacro %}

{% macro attributed_icb_code(registration_icb, gp_practice_code, residence_icb, host_icb) -%}
    case
        when {{ registration_icb }} is not null and not {{ is_default_gp_practice(gp_practice_code) }}
            then {{ registration_icb }}
        else coalesce({{ residence_icb }}, {{ host_icb }})
    end
{%- endmacro %}
