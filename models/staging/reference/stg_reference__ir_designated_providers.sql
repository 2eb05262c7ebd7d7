{#- Providers designated for a service line (seed ir_designated_providers), codes upper-cased,
    the open end of a designation as 9999-12-31. -#}
with

ir_designated_providers as (
    select
        service_line_code,
        provider_code,
        valid_from,
        valid_to,
        is_illustrative
    from {{ ref('ir_designated_providers') }}
),

final as (
    select
        upper(trim(service_line_code)) as service_line_code,
        upper(trim(provider_code)) as provider_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        is_illustrative
    from ir_designated_providers
)

select * from final
