with

icbs as (
    select
        icb_code,
        icb_name,
        region_code,
        valid_from,
        valid_to,
        successor_icb_code
    from {{ ref('icbs') }}
),

final as (
    select
        upper(trim(icb_code)) as icb_code,
        icb_name,
        upper(trim(region_code)) as region_code,
        valid_from,
        valid_to,
        upper(nullif(trim(successor_icb_code), '')) as successor_icb_code
    from icbs
)

select * from final
