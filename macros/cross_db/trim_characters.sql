{#- `text` with every leading and trailing character that is one of `characters` (a SQL
    string) removed, or only the trailing or leading ones (`side`: both, trailing, leading):
    ANSI trim(both|trailing|leading … from …) (Spark, Postgres); DuckDB's two-argument
    trim / rtrim / ltrim. Spark's own two-argument rtrim takes the characters first. -#}
{% macro trim_characters(text, characters, side='both') -%}
    {%- if side not in ('both', 'trailing', 'leading') -%}
        {{ exceptions.raise_compiler_error("trim_characters: side must be both, trailing or leading, not " ~ side) }}
    {%- endif -%}
    {{ return(adapter.dispatch('trim_characters', 'speccomm')(text, characters, side)) }}
{%- endmacro %}

{% macro default__trim_characters(text, characters, side) -%}
    trim({{ side }} {{ characters }} from {{ text }})
{%- endmacro %}

{% macro duckdb__trim_characters(text, characters, side) -%}
    {{ {'both': 'trim', 'trailing': 'rtrim', 'leading': 'ltrim'}[side] }}({{ text }}, {{ characters }})
{%- endmacro %}
