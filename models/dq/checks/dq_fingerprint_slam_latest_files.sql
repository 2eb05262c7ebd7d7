{#- What the SLAM file-row checks of a slice depend on: the latest file of each SLAM file-name
    slice and its row count, with the provider resolved like the rows'. -#}
with

latest_files as (
    select
        file_id,
        provider_code as org_code,
        financial_year,
        financial_month
    from {{ ref('int_slam__latest_files_by_name') }}
),

registry as (
    select
        file_id,
        row_count
    from {{ ref('stg_landing__files') }}
),

provider_codes as (
    select
        code,
        provider_code,
        host_icb_code
    from {{ ref('int_provider__codes') }}
),

final as (
    select
        {{ resolved_provider_code('latest_files.org_code', 'file') }} as provider_code,
        latest_files.financial_year,
        latest_files.financial_month,
        'name-latest ' || latest_files.file_id || ' rows ' || coalesce(registry.row_count, -1) as part,
        coalesce(registry.row_count, 0) as row_count
    from latest_files
    left join registry
        on latest_files.file_id = registry.file_id
    {{ join_provider_codes('latest_files.org_code', 'file') }}
)

select * from final
