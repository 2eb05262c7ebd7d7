{#- Incremental SUS: the unit of work is a slice, one dataset (APC/OP) × extract month, because
    a later extract replaces a month wholesale. An incremental model's rows carry the newest
    file id of their slice (slice_file_watermark) and the reference fingerprint they were built
    with. A slice is rebuilt when the registry has a newer file for it, or when the reference
    data changed (then every slice is). The pre-hook deletes those slices; the model body
    selects the same slices again (once deleted they are absent, so the two agree). -#}

{% macro sus_slices_to_rebuild(month_column) -%}
    select
        registry.dataset as slice_dataset,
        registry.extract_month as slice_month
    from (
        select
            dataset,
            name_activity_month as extract_month,
            max(file_id) as slice_file_watermark
        from {{ ref('stg_landing__files') }}
        where feed = 'sus'
        group by dataset, name_activity_month
    ) as registry
    left join (
        select distinct
            dataset,
            {{ month_column }} as extract_month,
            slice_file_watermark,
            reference_fingerprint
        from {{ this }}
    ) as built
        on
            registry.dataset = built.dataset
            and registry.extract_month = built.extract_month
            and registry.slice_file_watermark = built.slice_file_watermark
            and built.reference_fingerprint = (
                select fingerprint.reference_fingerprint
                from {{ ref('int_reference__fingerprint') }} as fingerprint
            )
    where built.dataset is null
{%- endmacro %}

{#- The pre-hook of a model incremental by SUS slice: deletes the slices to rebuild from its
    table. Not on Spark, where the slices are the table's partitions and insert_overwrite
    replaces those the body writes (the same slices, the body's filter reading the table
    as it was: docs/decisions/0036). -#}
{% macro delete_sus_slices_to_rebuild(month_column) -%}
    {{ return(adapter.dispatch('delete_sus_slices_to_rebuild', 'speccomm')(month_column)) }}
{%- endmacro %}

{% macro spark__delete_sus_slices_to_rebuild(month_column) -%}
    select 1
{%- endmacro %}

{% macro default__delete_sus_slices_to_rebuild(month_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as target
        where exists (
            select 1
            from ({{ sus_slices_to_rebuild(month_column) }}) as rebuild
            where rebuild.slice_dataset = target.dataset and rebuild.slice_month = target.{{ month_column }}
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The filter a model body puts on its SUS rows: `dataset_expr` and `month_expr` are the
    slice columns of the rows being selected, `target_month_column` the month column of the
    model's own table. Empty on a full build. The slices come out as slice_dataset and
    slice_month, names no model uses, so an unqualified outer column is never captured. -#}
{% macro only_sus_slices_to_rebuild(dataset_expr, month_expr, target_month_column) -%}
    {%- if is_incremental() %}
        and exists (
            select 1
            from ({{ sus_slices_to_rebuild(target_month_column) }}) as rebuild
            where rebuild.slice_dataset = {{ dataset_expr }} and rebuild.slice_month = {{ month_expr }}
        )
    {%- endif -%}
{%- endmacro %}
