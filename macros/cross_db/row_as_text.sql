{#- A whole row (`alias`, a table alias) as one text value, for fingerprints of a slice's
    content. DuckDB and Postgres cast the row itself; Spark has no row cast, so it writes the
    row's columns as JSON. The texts differ between engines; a fingerprint is compared only
    with fingerprints built by the same engine. -#}
{% macro row_as_text(alias) -%}
    {{ return(adapter.dispatch('row_as_text', 'speccomm')(alias)) }}
{%- endmacro %}

{% macro default__row_as_text(alias) -%}
    cast({{ alias }} as {{ type_text() }})
{%- endmacro %}

{% macro spark__row_as_text(alias) -%}
    to_json(struct({{ alias }}.*))
{%- endmacro %}
