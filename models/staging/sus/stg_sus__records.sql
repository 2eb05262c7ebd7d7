with

sus_rows as (
    select
        file_id,
        source_file,
        source_row,
        sus_record_id,
        provider_code,
        provider_record_ref,
        pseudo_patient_id,
        nhs_number_status,
        age_at_activity,
        gp_practice_code,
        icb_of_registration_code,
        icb_of_residence_code,
        lsoa_code,
        commissioner_code,
        activity_date,
        discharge_date,
        pod_code,
        hrg_code,
        primary_diagnosis_code,
        primary_procedure_code,
        treatment_function_code,
        service_line_code,
        tariff_price
    from {{ source('sus', 'sus_rows') }}
),

final as (
    select
        file_id,
        source_file,
        source_row,
        sus_record_id as sus_record_id_raw,
        {{ clean_text('sus_record_id') }} as sus_record_id,
        provider_code as provider_code_raw,
        {{ clean_code('provider_code') }} as provider_code,
        {{ clean_text('provider_record_ref') }} as provider_record_ref,
        {{ clean_text('pseudo_patient_id') }} as pseudo_patient_id,
        nhs_number_status as nhs_number_status_raw,
        {{ clean_text('nhs_number_status') }} as nhs_number_status,
        age_at_activity as age_at_activity_raw,
        case
            when
                {{ regexp_full_match(clean_text('age_at_activity'), '\d{1,3}') }}
                and cast({{ clean_text('age_at_activity') }} as integer) <= 120
                then cast({{ clean_text('age_at_activity') }} as integer)
        end as age_at_activity,
        gp_practice_code as gp_practice_code_raw,
        {{ clean_code('gp_practice_code') }} as gp_practice_code,
        icb_of_registration_code as icb_of_registration_code_raw,
        {{ clean_icb_code('icb_of_registration_code') }} as icb_of_registration_code,
        icb_of_residence_code as icb_of_residence_code_raw,
        {{ clean_icb_code('icb_of_residence_code') }} as icb_of_residence_code,
        lsoa_code as lsoa_code_raw,
        {{ clean_code('lsoa_code') }} as lsoa_code,
        commissioner_code as commissioner_code_raw,
        {{ clean_icb_code('commissioner_code') }} as commissioner_code,
        activity_date as activity_date_raw,
        {{ clean_date('activity_date') }} as activity_date,
        discharge_date as discharge_date_raw,
        {{ clean_date('discharge_date') }} as discharge_date,
        pod_code as pod_code_raw,
        {{ clean_code('pod_code') }} as pod_code,
        {{ clean_code('hrg_code') }} as hrg_code,
        {{ clean_code('primary_diagnosis_code') }} as primary_diagnosis_code,
        {{ clean_code('primary_procedure_code') }} as primary_procedure_code,
        {{ clean_code('treatment_function_code') }} as treatment_function_code,
        service_line_code as service_line_code_raw,
        {{ clean_code('service_line_code') }} as service_line_code,
        tariff_price as tariff_price_raw,
        {{ clean_money('tariff_price') }} as tariff_price
    from sus_rows
)

select * from final
