{#- The footprint: the ICBs this warehouse serves (dbt var footprint; docs/footprint.md). One row
    per ICB code of the reference data, plus any code the footprint lists that the reference
    does not know (is_known_icb false: a data test fails the build on it). Every mart that names
    ICBs reads is_in_footprint here; no ICB list is written in SQL. -#}
{%- set codes = footprint_codes() -%}
{%- set is_national = codes is none -%}
{%- set listed_values = "(cast(null as " ~ type_text() ~ "))" if is_national
    else "('" ~ (codes | map('replace', "'", "''") | join("'), ('")) ~ "')" -%}
with

icbs as (
    select
        icb_code,
        icb_name,
        valid_from
    from {{ ref('stg_reference__icbs') }}
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

-- The codes the footprint lists (none when it is national).
listed as (
    select upper(trim(listed_codes.icb_code)) as icb_code
    from (values {{ listed_values }}) as listed_codes (icb_code)
    where listed_codes.icb_code is not null
),

named as (
    select
        icb_code,
        icb_name,
        row_number() over (partition by icb_code order by valid_from desc nulls last) as name_rank
    from icbs
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
        (named.icb_code is not null and {{ is_national }})
        or all_codes.icb_code in (select listed.icb_code from listed) as is_in_footprint,
        named.icb_code is not null as is_known_icb,
        '{{ "national" if is_national else codes | join(",") }}' as footprint_setting
    from all_codes
    left join named
        on
            all_codes.icb_code = named.icb_code
            and named.name_rank = 1
    left join current_boundaries
        on all_codes.icb_code = current_boundaries.icb_code
)

select * from final
