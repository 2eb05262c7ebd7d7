with

service_codes as (
    select
        service_code,
        service_description,
        prescribed_service_code,
        prescribed_service_name,
        npoc_code,
        crg_name,
        highly_specialised,
        service_category,
        effective_from,
        effective_to,
        is_illustrative
    from {{ ref('service_codes') }}
),

final as (
    select
        upper(trim(service_code)) as service_line_code,
        service_description,
        prescribed_service_code,
        prescribed_service_name,
        upper(npoc_code) as npoc_code,
        crg_name,
        highly_specialised as is_highly_specialised,
        service_category,
        effective_from,
        effective_to,
        is_illustrative
    from service_codes
)

select * from final
