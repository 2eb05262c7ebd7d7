with

icbs as (
    select
        icb_code,
        icb_name,
        region_code,
        valid_from,
        valid_to,
        successor_icb_code
    from {{ ref('stg_reference__icbs') }}
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

regions as (
    select
        upper(trim(region_code)) as region_code,
        region_name
    from {{ ref('regions') }}
),

known_icbs as (
    select
        {{ surrogate_key(['icbs.icb_code', 'icbs.valid_from']) }} as icb_key,
        icbs.icb_code,
        icbs.icb_name,
        icbs.region_code,
        regions.region_name,
        icbs.valid_from,
        icbs.valid_to,
        icbs.successor_icb_code,
        current_boundaries.current_icb_code,
        false as is_unknown_member
    from icbs
    left join current_boundaries
        on icbs.icb_code = current_boundaries.icb_code
    left join regions
        on icbs.region_code = regions.region_code
),

unknown_member as (
    select
        {{ unknown_key() }} as icb_key,
        {{ unknown_code() }} as icb_code,
        'Unattributed / unknown ICB' as icb_name,
        cast(null as {{ type_text() }}) as region_code,
        cast(null as {{ type_text() }}) as region_name,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        cast(null as {{ type_text() }}) as successor_icb_code,
        {{ unknown_code() }} as current_icb_code,
        true as is_unknown_member
),

final as (
    select * from known_icbs
    union all
    select * from unknown_member
)

select * from final
