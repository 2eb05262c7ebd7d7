{#- Every code that may stand for an ICB, with the ICB it means and when: an ICB's own code,
    and each sub-ICB location code (72Q) resolving to its ICB (QKK) while both are in force.
    After a dissolved ICB's valid_to, its code (and the codes of its sub-ICB locations) mean
    its successor, followed along a chain of mergers (at most chain_depth 10): those periods
    have is_superseded = true (check icb_code_superseded counts rows that state such a code). -#}
with recursive

icbs as (
    select
        icb_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to,
        successor_icb_code
    from {{ ref('stg_reference__icbs') }}
),

sub_icb_locations as (
    select
        sub_icb_code,
        icb_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('stg_reference__sub_icb_locations') }}
),

icb_meanings as (
    select
        icb_code as code,
        icb_code,
        valid_from,
        valid_to,
        successor_icb_code,
        false as is_superseded,
        0 as chain_depth
    from icbs
    union all
    select
        icb_meanings.code,
        successors.icb_code,
        greatest(successors.valid_from, icb_meanings.valid_to + 1) as valid_from,
        successors.valid_to,
        successors.successor_icb_code,
        true as is_superseded,
        icb_meanings.chain_depth + 1 as chain_depth
    from icb_meanings
    inner join icbs as successors
        on
            icb_meanings.successor_icb_code = successors.icb_code
            and icb_meanings.valid_to < successors.valid_to
    where icb_meanings.valid_to < date '9999-12-31' and icb_meanings.chain_depth < 10
),

icb_codes as (
    select
        code,
        icb_code,
        'icb' as code_type,
        valid_from,
        valid_to,
        is_superseded
    from icb_meanings
),

sub_icb_codes as (
    select
        sub_icb_locations.sub_icb_code as code,
        icb_meanings.icb_code,
        'sub_icb_location' as code_type,
        greatest(sub_icb_locations.valid_from, icb_meanings.valid_from) as valid_from,
        least(sub_icb_locations.valid_to, icb_meanings.valid_to) as valid_to,
        icb_meanings.is_superseded
    from sub_icb_locations
    inner join icb_meanings
        on sub_icb_locations.icb_code = icb_meanings.code
),

final as (
    select
        code,
        icb_code,
        code_type,
        valid_from,
        valid_to,
        is_superseded
    from icb_codes
    where valid_to >= valid_from
    union all
    select
        code,
        icb_code,
        code_type,
        valid_from,
        valid_to,
        is_superseded
    from sub_icb_codes
    where valid_to >= valid_from
)

select * from final
