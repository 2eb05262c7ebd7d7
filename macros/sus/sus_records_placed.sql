{#- The SQL of int_sus__records_placed, shared with fct_sus_activity: every staged SUS row
    with its extract file's slice, whether the file is the slice's current extract, the repeat
    number of its record id, and provider codes resolved.
    only_slices_to_rebuild_in: the month column of the incremental model being built; the rows
    are then those of the slices it rebuilds (macros/incremental/sus_slices.sql), filtered where
    the staged rows are read. A filter on the view's output would not reach that far: DuckDB
    would clean and join all 21 M national rows first.
    only_files_where: a condition on the extract files (alias extract_files, columns of
    int_sus__extract_files); the rows are then those of the files it keeps, filtered in the
    same place (the data-quality check models read the slices being validated this way). -#}
{% macro sus_records_placed(only_slices_to_rebuild_in=none, only_files_where=none) -%}
{%- set only_some_files = only_slices_to_rebuild_in or only_files_where -%}
with

files as (
    select
        file_id,
        dataset,
        name_activity_month,
        received_at,
        is_current_extract,
        slice_file_watermark,
        file_month_start,
        financial_year,
        financial_month
    from {{ ref('int_sus__extract_files') }} as extract_files
    where
        true
        {%- if only_slices_to_rebuild_in %}
        {{ only_sus_slices_to_rebuild(
            'extract_files.dataset', 'extract_files.name_activity_month', only_slices_to_rebuild_in
        ) }}
        {%- endif %}
        {%- if only_files_where %}
        and {{ only_files_where }}
        {%- endif %}
),

fingerprint as (
    select reference_fingerprint
    from {{ ref('int_reference__fingerprint') }}
),

records as (
    select {{ star(ref('stg_sus__records')) }}
    from {{ ref('stg_sus__records') }}
    {%- if only_some_files %}
    where file_id in (select files.file_id from files)
    {%- endif %}
),

occurrences as (
    select
        file_id,
        source_row,
        occurrence_in_extract
    from {{ ref('int_sus__record_occurrences') }}
    {%- if only_some_files %}
    where file_id in (select files.file_id from files)
    {%- endif %}
),

provider_codes as (
    select
        code,
        provider_code,
        host_icb_code
    from {{ ref('int_provider__codes') }}
),

with_file as (
    select
        {{ star(ref('stg_sus__records'), 'records') }},
        files.dataset,
        files.name_activity_month as file_activity_month,
        files.received_at as file_received_at,
        files.is_current_extract,
        files.slice_file_watermark,
        files.file_month_start,
        files.financial_year,
        files.financial_month,
        occurrences.occurrence_in_extract
    from records
    inner join files
        on records.file_id = files.file_id
    inner join occurrences
        on
            records.file_id = occurrences.file_id
            and records.source_row = occurrences.source_row
),

final as (
    select
        {{ star(ref('stg_sus__records'), 'with_file') }},
        with_file.dataset,
        with_file.file_activity_month,
        with_file.file_received_at,
        with_file.is_current_extract,
        with_file.slice_file_watermark,
        fingerprint.reference_fingerprint,
        with_file.file_month_start,
        with_file.financial_year,
        with_file.financial_month,
        with_file.occurrence_in_extract,
        {{ resolved_provider_code('with_file.provider_code', 'row') }} as provider_code_resolved,
        {{ resolved_provider_host_icb_code('row') }} as provider_host_icb_code
    from with_file
    cross join fingerprint
    {{ join_provider_codes('with_file.provider_code', 'row') }}
)

select * from final
{%- endmacro %}

{#- The columns int_sus__records_placed adds to the staged SUS columns, prefixed by `alias`. -#}
{% macro sus_placement_columns(alias) -%}
    {%- set columns = [
        'dataset', 'file_activity_month', 'file_received_at', 'is_current_extract',
        'slice_file_watermark', 'reference_fingerprint', 'file_month_start', 'financial_year',
        'financial_month', 'occurrence_in_extract', 'provider_code_resolved', 'provider_host_icb_code',
    ] -%}
    {%- for column in columns %}
        {{ alias }}.{{ column }}{{ ',' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
