{#- Every staged SLAM row with its file's name, received time and provider, the provider codes
    resolved (site code → trust), and the period the row is placed in: the year and month
    stated in the row, the file name's year when the row's year is invalid. A row whose month
    is invalid cannot be placed (placed_financial_month is NULL).
    Incremental by file: a row's placement depends only on its file and the reference data,
    so a night adds the rows of the files loaded since; when the reference data or the code
    changes (int_reference__fingerprint) the pre-hook empties the table and every file is
    placed again. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for('append'),
    partition_by=incremental_partition_by(['file_id']),
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_rows_built_with_other_reference() }}",
    meta={'tests_cover': 'rows_built_in_this_run'},
) }}

-- depends_on: {{ ref('int_reference__fingerprint') }}

with

contract_lines as (
    select {{ star(ref('stg_slam__contract_lines')) }}
    from {{ ref('stg_slam__contract_lines') }}
    {%- if is_incremental() %}
    -- the new files as a semi-join on the small registry: DuckDB then filters the raw scan by
    -- their id range (a `not in` over this table cleaned every staged row before filtering)
    where file_id in (
        select new_files.file_id
        from {{ ref('stg_landing__files') }} as new_files
        where
            new_files.feed = 'slam'
            and new_files.file_id not in (
                -- the files placed with tonight's reference data (on DuckDB the pre-hook has
                -- deleted the others; Spark, which cannot, overwrites their partitions)
                select placed.file_id
                from {{ this }} as placed
                where placed.reference_fingerprint = (
                    select fingerprint.reference_fingerprint
                    from {{ ref('int_reference__fingerprint') }} as fingerprint
                )
            )
    )
    {%- endif %}
),

fingerprint as (
    select reference_fingerprint
    from {{ ref('int_reference__fingerprint') }}
),

files as (
    select
        file_id,
        org_code,
        name_financial_year,
        name_financial_month,
        received_at
    from {{ ref('stg_landing__files') }}
    where feed = 'slam'
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
        {{ star(ref('stg_slam__contract_lines'), 'contract_lines') }},
        files.name_financial_year as file_financial_year,
        files.name_financial_month as file_financial_month,
        files.received_at as file_received_at,
        {{ resolved_provider_code('files.org_code', 'file') }} as file_provider_code
    from contract_lines
    inner join files
        on contract_lines.file_id = files.file_id
    {{ join_provider_codes('files.org_code', 'file') }}
),

final as (
    select
        {{ star(ref('stg_slam__contract_lines'), 'with_file') }},
        with_file.file_financial_year,
        with_file.file_financial_month,
        with_file.file_received_at,
        with_file.file_provider_code,
        {{ resolved_provider_code('with_file.provider_code', 'row') }} as provider_code_resolved,
        {{ resolved_provider_host_icb_code('row') }} as provider_host_icb_code,
        coalesce(with_file.financial_year, with_file.file_financial_year) as placed_financial_year,
        with_file.financial_month as placed_financial_month,
        fingerprint.reference_fingerprint,
        '{{ invocation_id }}' as build_invocation_id
    from with_file
    cross join fingerprint
    {{ join_provider_codes('with_file.provider_code', 'row') }}
)

select * from final
