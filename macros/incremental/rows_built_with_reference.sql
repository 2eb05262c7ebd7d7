{#- Pre-hook of a model incremental by file (int_slam__rows_placed): its rows carry the
    reference fingerprint they were built with; when the reference data or the code has
    changed since, every row goes, and the model body, which adds the rows of files not yet
    in the table, places every file again. -#}
{% macro delete_rows_built_with_other_reference() -%}
    {{ return(adapter.dispatch('delete_rows_built_with_other_reference', 'speccomm')()) }}
{%- endmacro %}

{#- Not on Spark, where the model is partitioned by file: its body places every file not
    placed with the current fingerprint, and insert_overwrite replaces those files'
    partitions (docs/decisions/0036). -#}
{% macro spark__delete_rows_built_with_other_reference() -%}
    select 1
{%- endmacro %}

{% macro default__delete_rows_built_with_other_reference() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where reference_fingerprint is distinct from (
            select fingerprint.reference_fingerprint
            from {{ ref('int_reference__fingerprint') }} as fingerprint
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
