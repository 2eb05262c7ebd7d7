{#- A clinical code as a data-quality sample shows it: the value as sent (trimmed), cut to its
    first 40 characters with `...` after when longer (a diagnosis field may hold a whole
    letter); '' when blank. -#}
{% macro clinical_code_shown(column) -%}
    coalesce(
        case
            when length({{ column }}) > 40 then left({{ column }}, 40) || '...'
            else {{ column }}
        end,
        ''
    )
{%- endmacro %}
