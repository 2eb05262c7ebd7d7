{#- The footprint: the ICBs this warehouse serves (dbt var footprint; docs/footprint.md), a set
    of ICBs as at a date. One row per ICB code of the reference data, plus any code the
    footprint lists that the reference does not know (is_known_icb false: a data test fails the
    build on it). A footprint named by codes follows them through mergers: a listed ICB's
    successors are in it from their valid_from (QKK,QWE covers ZZ1), and naming a successor
    covers its predecessors' history (ZZ1 covers QKK and QWE before the merger). Every mart
    that names ICBs reads is_in_footprint here, or int_reference__footprint_years for the ICBs
    in force in a year; no ICB list is written in SQL. -#}
{%- set codes = footprint_codes() -%}
{%- set is_national = codes is none -%}
{%- set listed_values = "(cast(null as " ~ type_text() ~ "))" if is_national
    else "('" ~ (codes | map('replace', "'", "''") | join("'), ('")) ~ "')" -%}
with

icbs as (
    select
        icb_code,
        icb_name,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('stg_reference__icbs') }}
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

icb_codes as (
    select
        code,
        icb_code
    from {{ ref('int_icb__codes_in_force') }}
    where code_type = 'icb'
),

-- The codes the footprint lists (none when it is national).
listed as (
    select upper(trim(listed_codes.icb_code)) as icb_code
    from (values {{ listed_values }}) as listed_codes (icb_code)
    where listed_codes.icb_code is not null
),

-- The ICBs a listed code means after a merger (its successors, chains followed) ...
successors as (
    select distinct icb_codes.icb_code
    from icb_codes
    inner join listed
        on icb_codes.code = listed.icb_code
    where icb_codes.icb_code != icb_codes.code
),

-- ... and the ICBs whose code means a listed ICB after they were dissolved (its predecessors).
predecessors as (
    select distinct icb_codes.code as icb_code
    from icb_codes
    inner join listed
        on icb_codes.icb_code = listed.icb_code
    where icb_codes.icb_code != icb_codes.code
),

named as (
    select
        icb_code,
        icb_name,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from icbs
),

periods as (
    select
        icb_code,
        min(valid_from) as valid_from,
        max(valid_to) as valid_to
    from icbs
    group by icb_code
),

all_codes as (
    select icb_code
    from named
    where name_rank = 1
    union
    select icb_code
    from listed
),

final as (
    select
        all_codes.icb_code,
        named.icb_name,
        coalesce(current_boundaries.current_icb_code, all_codes.icb_code) as current_icb_code,
        periods.valid_from,
        case when periods.valid_to < date '9999-12-31' then periods.valid_to end as valid_to,
        case
            when {{ is_national }} and named.icb_code is not null then 'national'
            when all_codes.icb_code in (select listed.icb_code from listed) then 'listed'
            when all_codes.icb_code in (select successors.icb_code from successors) then 'successor_of_listed'
            when all_codes.icb_code in (select predecessors.icb_code from predecessors) then 'predecessor_of_listed'
        end as footprint_basis,
        (named.icb_code is not null and {{ is_national }})
        or all_codes.icb_code in (select listed.icb_code from listed)
        or all_codes.icb_code in (select successors.icb_code from successors)
        or all_codes.icb_code in (select predecessors.icb_code from predecessors) as is_in_footprint,
        named.icb_code is not null as is_known_icb,
        '{{ "national" if is_national else codes | join(",") }}' as footprint_setting
    from all_codes
    left join named
        on
            all_codes.icb_code = named.icb_code
            and named.name_rank = 1
    left join current_boundaries
        on all_codes.icb_code = current_boundaries.icb_code
    left join periods
        on all_codes.icb_code = periods.icb_code
)

select * from final
