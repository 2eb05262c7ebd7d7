{#- Every staged SUS record with its extract's dataset, month and received time; whether its
    file is the latest extract of that dataset and month (a later extract replaces an earlier
    one wholesale, a re-sent identical file included); its repeat number within the
    extract (1 = first occurrence of the sus_record_id); provider codes resolved.
    Incremental by slice (dataset × extract month): see macros/incremental/sus_slices.sql. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_sus_slices_to_rebuild('file_activity_month') }}",
) }}

with

files as (
    select
        file_id,
        dataset,
        name_activity_month,
        received_at,
        row_number() over (
            partition by dataset, name_activity_month
            order by received_at desc, file_id desc
        ) as recency_rank,
        max(file_id) over (partition by dataset, name_activity_month) as slice_file_watermark
    from {{ ref('stg_landing__files') }}
    where feed = 'sus'
),

files_to_build as (
    select
        file_id,
        dataset,
        name_activity_month,
        received_at,
        recency_rank,
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

records as (
    select {{ star(ref('stg_sus__records')) }}
    from {{ ref('stg_sus__records') }}
    where file_id in (select files_to_build.file_id from files_to_build)
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
        files.recency_rank = 1 as is_current_extract,
        files.slice_file_watermark,
        make_date(
            cast(left(files.name_activity_month, 4) as integer),
            cast(right(files.name_activity_month, 2) as integer),
            1
        ) as file_month_start,
        case
            when records.sus_record_id is null then 1
            else row_number() over (
                partition by records.file_id, records.sus_record_id
                order by records.source_row
            )
        end as occurrence_in_extract
    from records
    inner join files_to_build as files
        on records.file_id = files.file_id
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
        {{ financial_year_of_date('with_file.file_month_start') }} as financial_year,
        {{ financial_month_of_date('with_file.file_month_start') }} as financial_month,
        with_file.occurrence_in_extract,
        coalesce(row_known.provider_code, row_trust.provider_code, with_file.provider_code)
            as provider_code_resolved,
        coalesce(row_known.host_icb_code, row_trust.host_icb_code) as provider_host_icb_code
    from with_file
    cross join fingerprint
    left join provider_codes as row_known
        on with_file.provider_code = row_known.code
    left join provider_codes as row_trust
        on
            length(with_file.provider_code) = 5
            and left(with_file.provider_code, 3) = row_trust.code
)

select * from final
