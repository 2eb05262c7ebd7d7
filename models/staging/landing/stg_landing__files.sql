with

file_registry as (
    select
        file_id,
        file_name,
        feed,
        dataset,
        org_code,
        name_financial_year,
        name_financial_month,
        name_activity_month,
        name_version,
        received_at,
        encoding,
        row_count,
        checksum,
        duplicate_of_file_id,
        loaded_at
    from {{ source('landing', 'file_registry') }}
),

final as (
    select
        file_id,
        file_name,
        feed,
        dataset,
        org_code,
        name_financial_year,
        name_financial_month,
        name_activity_month,
        name_version,
        received_at,
        encoding,
        row_count,
        checksum,
        duplicate_of_file_id,
        duplicate_of_file_id is not null as is_duplicate,
        loaded_at
    from file_registry
)

select * from final
