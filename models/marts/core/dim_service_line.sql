with

status_periods as (
    select
        service_line_code,
        funding_stream,
        valid_from,
        valid_to
    from {{ ref('int_service_line__status_periods') }}
),

service_lines as (
    select
        service_line_code,
        service_description,
        prescribed_service_code,
        prescribed_service_name,
        npoc_code,
        crg_name,
        is_highly_specialised,
        service_category,
        is_illustrative
    from {{ ref('stg_reference__service_lines') }}
),

npoc as (
    select
        upper(trim(npoc_code)) as npoc_code,
        npoc_name
    from {{ ref('npoc') }}
),

known_lines as (
    select
        {{ surrogate_key(['status_periods.service_line_code', 'status_periods.valid_from']) }}
            as service_line_key,
        status_periods.service_line_code,
        status_periods.funding_stream,
        status_periods.valid_from,
        status_periods.valid_to,
        service_lines.service_description,
        service_lines.prescribed_service_code,
        service_lines.prescribed_service_name,
        service_lines.npoc_code,
        npoc.npoc_name,
        service_lines.crg_name,
        service_lines.is_highly_specialised,
        service_lines.service_category,
        service_lines.is_illustrative,
        false as is_unknown_member
    from status_periods
    inner join service_lines
        on status_periods.service_line_code = service_lines.service_line_code
    left join npoc
        on service_lines.npoc_code = npoc.npoc_code
),

unknown_member as (
    select
        {{ unknown_key() }} as service_line_key,
        {{ unknown_code() }} as service_line_code,
        'unknown' as funding_stream,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        'Unknown or missing service line' as service_description,
        cast(null as {{ type_text() }}) as prescribed_service_code,
        cast(null as {{ type_text() }}) as prescribed_service_name,
        cast(null as {{ type_text() }}) as npoc_code,
        cast(null as {{ type_text() }}) as npoc_name,
        cast(null as {{ type_text() }}) as crg_name,
        false as is_highly_specialised,
        'unknown' as service_category,
        false as is_illustrative,
        true as is_unknown_member
),

final as (
    select * from known_lines
    union all
    select * from unknown_member
)

select * from final
