with

sub_icb_locations as (
    select
        sub_icb_code,
        sub_icb_name,
        icb_code,
        valid_from,
        valid_to
    from {{ ref('sub_icb_locations') }}
),

final as (
    select
        upper(trim(sub_icb_code)) as sub_icb_code,
        sub_icb_name,
        upper(trim(icb_code)) as icb_code,
        valid_from,
        valid_to
    from sub_icb_locations
)

select * from final
