-- The latest file of each SLAM file-name slice, with the provider resolved like the rows'.
with

latest_files as (
    select
        file_id,
        provider_code as org_code,
        financial_year,
        financial_month
    from intermediate.int_slam__latest_files_by_name
),

registry as (
    select
        file_id,
        row_count
    from staging.stg_landing__files
),

provider_codes as (
    select
        code,
        provider_code
    from intermediate.int_provider__codes
)

select
    coalesce(known.provider_code, trust.provider_code, latest_files.org_code) as provider_code,
    latest_files.financial_year,
    latest_files.financial_month,
    'name-latest ' || latest_files.file_id || ' rows ' || coalesce(registry.row_count, -1) as part,
    coalesce(registry.row_count, 0) as row_count
from latest_files
left join registry
    on latest_files.file_id = registry.file_id
left join provider_codes as known
    on latest_files.org_code = known.code
left join provider_codes as trust
    on length(latest_files.org_code) = 5 and left(latest_files.org_code, 3) = trust.code
