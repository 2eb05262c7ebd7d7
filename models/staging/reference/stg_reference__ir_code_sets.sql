{#- The identification rules' code sets (seed ir_code_sets), each pattern turned into a range
    on the code's first match_length characters: one code `C50.1` (exact: the whole code must
    equal it), a prefix `C50*` (from = to = C50), a range `C500-C509` (the record code's first
    four characters between the two ends). Dots and spaces are ignored. -#}
with

ir_code_sets as (
    select
        code_set_id,
        code_type,
        code_pattern,
        description,
        is_illustrative
    from {{ ref('ir_code_sets') }}
),

normalised as (
    select
        upper(trim(code_set_id)) as code_set_id,
        lower(trim(code_type)) as code_type,
        code_pattern,
        {{ ir_code('code_pattern') }} as pattern,
        description,
        is_illustrative
    from ir_code_sets
),

parsed as (
    select
        code_set_id,
        code_type,
        code_pattern,
        case
            when pattern like '%*' then 'prefix'
            when pattern like '%-%' then 'range'
            else 'exact'
        end as match_kind,
        case
            when pattern like '%*' then {{ trim_characters('pattern', "'*'", side='trailing') }}
            when pattern like '%-%' then split_part(pattern, '-', 1)
            else pattern
        end as code_from,
        case
            when pattern like '%*' then {{ trim_characters('pattern', "'*'", side='trailing') }}
            when pattern like '%-%' then split_part(pattern, '-', 2)
            else pattern
        end as code_to,
        description,
        is_illustrative
    from normalised
),

final as (
    select
        code_set_id,
        code_type,
        code_pattern,
        match_kind,
        code_from,
        code_to,
        length(code_from) as match_length,
        description,
        is_illustrative
    from parsed
)

select * from final
