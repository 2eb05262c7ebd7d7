{#- The SUS rows of the current extracts that are not in a fact, each with its reason: a
    repeat of a sus_record_id within the extract (the first is kept; sus_record_duplicate) and
    every row whose sus_record_id is blank (it identifies no record; sus_record_id_missing).
    One row per such row (file_id × source_row), in the layout of quarantined_rows. A step of
    quarantined_rows. -#}
with

sus_repeats as (
    select
        file_id,
        source_row,
        repeat_sus_record_id as sus_record_id,
        repeat_provider_code as provider_code,
        repeat_tariff_price as tariff_price,
        repeat_tariff_price_raw as tariff_price_raw,
        occurrence_in_extract
    from {{ ref('int_sus__record_occurrences') }}
    where occurrence_in_extract != 1
),

sus_current_files as (
    select
        file_id,
        file_name as source_file,
        financial_year,
        financial_month
    from {{ ref('int_sus__extract_files') }}
    where is_current_extract
),

provider_codes as (
    select
        code,
        provider_code
    from {{ ref('int_provider__codes') }}
),

sus_records as (
    select
        sus_repeats.file_id,
        sus_current_files.source_file,
        sus_repeats.source_row,
        sus_repeats.sus_record_id,
        {{ resolved_provider_code('sus_repeats.provider_code', 'row') }} as provider_code_resolved,
        sus_current_files.financial_year,
        sus_current_files.financial_month,
        sus_repeats.tariff_price,
        sus_repeats.tariff_price_raw,
        true as is_current_extract,
        sus_repeats.occurrence_in_extract
    from sus_repeats
    inner join sus_current_files
        on sus_repeats.file_id = sus_current_files.file_id
    {{ join_provider_codes('sus_repeats.provider_code', 'row') }}
),

final as (
    select
        'sus' as feed,
        file_id,
        source_file,
        source_row,
        case when occurrence_in_extract = 0 then 'sus_record_id_missing' else 'sus_record_duplicate' end
            as reason,
        -- names the field and the copy, never the id itself (identifiers stay out of messages)
        case
            when occurrence_in_extract = 0 then 'sus_record_id is blank'
            else 'sus_record_id repeats an earlier row of the extract (copy ' || occurrence_in_extract || ')'
        end as detail,
        provider_code_resolved as provider_code,
        financial_year,
        financial_month,
        cast(1 as decimal(18, 3)) as activity,
        tariff_price as amount,
        tariff_price_raw as amount_raw
    from sus_records
    where is_current_extract and occurrence_in_extract != 1
)

select * from final
