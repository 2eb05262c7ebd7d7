{#- Every code that may stand for an ICB, with the ICB it means and when: an ICB's own code,
    and each sub-ICB location code (72Q) resolving to its ICB (QKK) while both are in force. -#}
with

icbs as (
    select
        icb_code,
        valid_from,
        valid_to
    from {{ ref('stg_reference__icbs') }}
),

sub_icb_locations as (
    select
        sub_icb_code,
        icb_code,
        valid_from,
        valid_to
    from {{ ref('stg_reference__sub_icb_locations') }}
),

icb_codes as (
    select
        icb_code as code,
        icb_code,
        'icb' as code_type,
        valid_from,
        valid_to
    from icbs
),

sub_icb_codes as (
    select
        sub_icb_locations.sub_icb_code as code,
        sub_icb_locations.icb_code,
        'sub_icb_location' as code_type,
        greatest(sub_icb_locations.valid_from, icbs.valid_from) as valid_from,
        case
            when sub_icb_locations.valid_to is null then icbs.valid_to
            when icbs.valid_to is null then sub_icb_locations.valid_to
            else least(sub_icb_locations.valid_to, icbs.valid_to)
        end as valid_to
    from sub_icb_locations
    inner join icbs
        on sub_icb_locations.icb_code = icbs.icb_code
),

final as (
    select
        code,
        icb_code,
        code_type,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from icb_codes
    union all
    select
        code,
        icb_code,
        code_type,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from sub_icb_codes
    where valid_to is null or valid_to >= valid_from
)

select * from final
