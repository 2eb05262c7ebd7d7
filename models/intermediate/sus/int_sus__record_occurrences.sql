{#- The repeat number of every staged SUS row's record id within its extract (1 = the first
    row with that sus_record_id; 0 = a blank id, which identifies no record and is
    quarantined as sus_record_id_missing however many there are), narrow so that it is cheap
    to keep: int_sus__records_placed joins it back to the staged rows. Only ids that repeat are
    numbered by a window; the rest are 1 without sorting 21 M rows. A repeat (2 and up) or a
    blank id (0) also keeps what dq.quarantined_rows shows of it, so that the quarantine, rebuilt every night,
    need not clean every staged row again.
    Incremental by slice (dataset × extract month): see macros/incremental/sus_slices.sql. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for('append'),
    partition_by=incremental_partition_by(['dataset', 'file_activity_month']),
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_sus_slices_to_rebuild('file_activity_month') }}",
    meta={'tests_cover': 'rows_built_in_this_run'},
) }}

-- depends_on: {{ ref('stg_landing__files') }}

with

files as (
    select
        file_id,
        dataset,
        name_activity_month,
        slice_file_watermark
    from {{ ref('int_sus__extract_files') }}
),

files_to_build as (
    select
        file_id,
        dataset,
        name_activity_month,
        slice_file_watermark
    from files
    where
        true
        {{ only_sus_slices_to_rebuild('files.dataset', 'files.name_activity_month', 'file_activity_month') }}  -- noqa
),

fingerprint as (
    select reference_fingerprint
    from {{ ref('int_reference__fingerprint') }}
),

record_ids as (
    select
        file_id,
        source_row,
        sus_record_id,
        provider_code,
        tariff_price,
        tariff_price_raw
    from {{ ref('stg_sus__records') }}
    where file_id in (select files_to_build.file_id from files_to_build)
),

repeated_ids as (
    select
        file_id,
        sus_record_id
    from record_ids
    where sus_record_id is not null
    group by file_id, sus_record_id
    having count(*) > 1
),

repeats as (
    select
        record_ids.file_id,
        record_ids.source_row,
        row_number() over (
            partition by record_ids.file_id, record_ids.sus_record_id
            order by record_ids.source_row
        ) as occurrence_in_extract
    from record_ids
    inner join repeated_ids
        on
            record_ids.file_id = repeated_ids.file_id
            and record_ids.sus_record_id = repeated_ids.sus_record_id
),

numbered as (
    select
        record_ids.file_id,
        record_ids.source_row,
        record_ids.sus_record_id,
        record_ids.provider_code,
        record_ids.tariff_price,
        record_ids.tariff_price_raw,
        case
            when record_ids.sus_record_id is null then 0
            else coalesce(repeats.occurrence_in_extract, 1)
        end as occurrence_in_extract
    from record_ids
    left join repeats
        on
            record_ids.file_id = repeats.file_id
            and record_ids.source_row = repeats.source_row
),

final as (
    select
        numbered.file_id,
        numbered.source_row,
        numbered.occurrence_in_extract,
        case when numbered.occurrence_in_extract != 1 then numbered.sus_record_id end as repeat_sus_record_id,
        case when numbered.occurrence_in_extract != 1 then numbered.provider_code end as repeat_provider_code,
        case when numbered.occurrence_in_extract != 1 then numbered.tariff_price end as repeat_tariff_price,
        case when numbered.occurrence_in_extract != 1 then numbered.tariff_price_raw end
            as repeat_tariff_price_raw,
        files_to_build.dataset,
        files_to_build.name_activity_month as file_activity_month,
        files_to_build.slice_file_watermark,
        fingerprint.reference_fingerprint,
        '{{ invocation_id }}' as build_invocation_id
    from numbered
    inner join files_to_build
        on numbered.file_id = files_to_build.file_id
    cross join fingerprint
)

select * from final
