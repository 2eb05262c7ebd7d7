{#- SLAM record type: Actual or Plan in any case; blank means Actual; anything else is NULL. -#}
{% macro clean_record_type(column) -%}
    case lower(coalesce({{ clean_text(column) }}, 'actual'))
        when 'actual' then 'Actual'
        when 'plan' then 'Plan'
    end
{%- endmacro %}
