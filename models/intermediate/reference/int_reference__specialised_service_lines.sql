{#- The specialised service lines, with their NPoC's name and CRG: the reference's lines whose
    service_category is neither not_specialised (99999999) nor unattributable (NCBPSXXX). A step
    of the ICB variation's rates (int_finance__icb_line_rates and its stages), which count
    these lines only. -#}
with

service_lines as (
    select
        service_line_code,
        npoc_code,
        crg_name
    from {{ ref('stg_reference__service_lines') }}
    where service_category not in ('not_specialised', 'unattributable')
),

npoc as (
    select
        upper(trim(npoc_code)) as npoc_code,
        npoc_name
    from {{ ref('npoc') }}
),

final as (
    select
        service_lines.service_line_code,
        service_lines.npoc_code,
        npoc.npoc_name,
        service_lines.crg_name
    from service_lines
    left join npoc
        on service_lines.npoc_code = npoc.npoc_code
)

select * from final
