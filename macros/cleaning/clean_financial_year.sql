{#- Financial year in any accepted form (2025/26, 2025-26, 202526, 2025-2026, 25/26, 2526) to
    the canonical 2025/26; NULL when the form is unknown, the second year does not follow
    the first, or the first is not in 1900-2099 (as for dates: `0999/00` is
    invalid, not year 999). -#}
{% macro clean_financial_year(column) -%}
    {%- set text = clean_text(column) -%}
    case
        when regexp_full_match({{ text }}, '(19|20)\d{2}[/-]\d{2}')
            then {{ _financial_year_from_parts(
                "cast(left(" ~ text ~ ", 4) as integer)", "cast(right(" ~ text ~ ", 2) as integer)"
            ) }}
        when regexp_full_match({{ text }}, '(19|20)\d{4}')
            then {{ _financial_year_from_parts(
                "cast(left(" ~ text ~ ", 4) as integer)", "cast(right(" ~ text ~ ", 2) as integer)"
            ) }}
        when regexp_full_match({{ text }}, '(19|20)\d{2}-(19|20)\d{2}')
            and cast(right({{ text }}, 4) as integer) = cast(left({{ text }}, 4) as integer) + 1
            then {{ _financial_year_from_parts(
                "cast(left(" ~ text ~ ", 4) as integer)", "cast(right(" ~ text ~ ", 2) as integer)"
            ) }}
        when regexp_full_match({{ text }}, '\d{2}/?\d{2}')
            then {{ _financial_year_from_parts(
                "2000 + cast(left(" ~ text ~ ", 2) as integer)", "cast(right(" ~ text ~ ", 2) as integer)"
            ) }}
    end
{%- endmacro %}

{% macro _financial_year_from_parts(start_year, end_two_digits) -%}
    case
        when ({{ start_year }} + 1) % 100 = {{ end_two_digits }}
            then cast({{ start_year }} as varchar) || '/' || lpad(cast({{ end_two_digits }} as varchar), 2, '0')
    end
{%- endmacro %}
