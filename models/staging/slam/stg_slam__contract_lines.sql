with

slam_rows as (
    select
        file_id,
        source_file,
        source_row,
        provider_code,
        commissioner_code,
        financial_year,
        financial_month,
        record_type,
        service_line_code,
        pod_code,
        hrg_code,
        treatment_function_code,
        gp_practice_code,
        icb_of_registration_code,
        icb_of_residence_code,
        activity,
        price
    from {{ source('slam', 'slam_rows') }}
),

final as (
    select
        file_id,
        source_file,
        source_row,
        provider_code as provider_code_raw,
        {{ clean_code('provider_code') }} as provider_code,
        commissioner_code as commissioner_code_raw,
        {{ clean_icb_code('commissioner_code') }} as commissioner_code,
        financial_year as financial_year_raw,
        {{ clean_financial_year('financial_year') }} as financial_year,
        financial_month as financial_month_raw,
        {{ clean_financial_month('financial_month') }} as financial_month,
        record_type as record_type_raw,
        {{ clean_record_type('record_type') }} as record_type,
        service_line_code as service_line_code_raw,
        {{ clean_code('service_line_code') }} as service_line_code,
        pod_code as pod_code_raw,
        {{ clean_code('pod_code') }} as pod_code,
        hrg_code as hrg_code_raw,
        {{ clean_code('hrg_code') }} as hrg_code,
        treatment_function_code as treatment_function_code_raw,
        {{ clean_code('treatment_function_code') }} as treatment_function_code,
        gp_practice_code as gp_practice_code_raw,
        {{ clean_code('gp_practice_code') }} as gp_practice_code,
        icb_of_registration_code as icb_of_registration_code_raw,
        {{ clean_icb_code('icb_of_registration_code') }} as icb_of_registration_code,
        icb_of_residence_code as icb_of_residence_code_raw,
        {{ clean_icb_code('icb_of_residence_code') }} as icb_of_residence_code,
        activity as activity_raw,
        {{ clean_number('activity') }} as activity,
        price as price_raw,
        {{ clean_money('price') }} as price
    from slam_rows
)

select * from final
