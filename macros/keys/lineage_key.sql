{#- The key of a fact row that is one landing row: file_id × 10⁹ + source_row, a BIGINT a
    person can read back (2366000012345 = file 2366, row 12345). Far cheaper than an md5 string
    to compute, store and test on 21 M rows. Unique while every row number stays below
    source_row_limit (tests/data_tests/keys checks it). -#}
{% macro lineage_key(file_id, source_row) -%}
    (cast({{ file_id }} as bigint) * {{ source_row_limit() }} + {{ source_row }})
{%- endmacro %}

{% macro source_row_limit() -%}
    1000000000
{%- endmacro %}
