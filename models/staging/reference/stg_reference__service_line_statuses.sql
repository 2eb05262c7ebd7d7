{#- One row per service line per financial year with a delegation status, unpivoted from the
    NHSE layout's one-column-per-year. Years are read from the seed's columns, so a newer
    service-code file with another year's column needs no change here. -#}
{%- set status_prefix = 'icb_delegation_status_' -%}
{%- set status_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('service_codes')) -%}
        {%- if column.name.lower().startswith(status_prefix) -%}
            {%- do status_columns.append(column.name.lower()) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- if status_columns | length == 0 -%}
    {%- set status_columns = ['icb_delegation_status_2023_24', 'icb_delegation_status_2024_25',
                              'icb_delegation_status_2025_26', 'icb_delegation_status_2026_27'] -%}
{%- endif -%}

with

service_codes as (
    select
        service_code,
        {{ status_columns | join(',\n        ') }}
    from {{ ref('service_codes') }}
),

statuses as (
    {%- for column in status_columns %}
        {%- set years = column[status_prefix | length:] %}
        select
            service_code,
            '{{ years[:4] }}/{{ years[-2:] }}' as financial_year,
            lower(trim({{ column }})) as funding_stream
        from service_codes
        where nullif(trim({{ column }}), '') is not null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        upper(trim(service_code)) as service_line_code,
        financial_year,
        funding_stream,
        make_date(cast(left(financial_year, 4) as integer), 4, 1) as financial_year_start,
        make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) as financial_year_end
    from statuses
)

select * from final
