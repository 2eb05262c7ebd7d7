{#- Every row of every loaded budget file, cleaned, raw text kept: the ICB code resolved like
    the other feeds' (72Q00 -> 72Q; a sub-ICB location becomes its ICB later, against reference
    data), the funding stream lower-case and one of green, amber, red, blue (else NULL), the
    service line and programme of care as codes, the budget line as text (blank = activity),
    the money cleaned. Invalid values are NULL here and counted in dq.quarantined_rows. -#}
with

budget_rows as (
    select
        file_id,
        source_file,
        source_row,
        icb_code,
        financial_year,
        financial_month,
        funding_stream,
        service_line_code,
        npoc_code,
        budget_line,
        budget_gbp
    from {{ source('budget', 'budget_rows') }}
),

final as (
    select
        file_id,
        source_file,
        source_row,
        icb_code as icb_code_raw,
        {{ clean_icb_code('icb_code') }} as icb_code,
        financial_year as financial_year_raw,
        {{ clean_financial_year('financial_year') }} as financial_year,
        financial_month as financial_month_raw,
        {{ clean_financial_month('financial_month') }} as financial_month,
        funding_stream as funding_stream_raw,
        case
            when lower({{ clean_text('funding_stream') }}) in ('green', 'amber', 'red', 'blue')
                then lower({{ clean_text('funding_stream') }})
        end as funding_stream,
        {{ clean_code('service_line_code') }} as service_line_code,
        {{ clean_code('npoc_code') }} as npoc_code,
        lower({{ clean_text('budget_line') }}) as budget_line,
        budget_gbp as budget_gbp_raw,
        {{ clean_money('budget_gbp') }} as budget_gbp
    from budget_rows
)

select * from final
