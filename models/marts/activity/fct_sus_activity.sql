{#- One row per current SUS record (latest extract of its dataset and month, each record id once).
    The identification rules' line (int_sus__ir_assignments) stands beside the supplied one;
    funding_stream follows the line var service_line_basis chooses (docs/identification-rules.md).
    Incremental by slice: see macros/incremental/sus_slices.sql. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy_for('append'),
    partition_by=incremental_partition_by(['dataset', 'extract_month']),
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_sus_slices_to_rebuild('extract_month') }}",
    meta={'tests_cover': 'rows_built_in_this_run'},
) }}

-- depends_on: {{ ref('stg_landing__files') }}
-- depends_on: {{ ref('int_sus__current_records') }}
-- depends_on: {{ ref('int_reference__fingerprint') }}
-- depends_on: {{ ref('int_sus__ir_assignments') }}
{%- set paid_on_derived = service_line_basis() == 'derived' %}

with

current_records as (
    select
        file_id,
        source_file,
        source_row,
        sus_record_id,
        dataset,
        provider_code_resolved,
        provider_record_ref,
        nhs_number_status,
        age_at_activity,
        gp_practice_code,
        lsoa_code,
        commissioner_code,
        activity_date,
        discharge_date,
        activity_month_start,
        file_month_start,
        financial_year,
        financial_month,
        service_line_code,
        pod_code,
        hrg_code,
        treatment_function_code,
        funding_stream,
        {{ fact_attribution_inputs() }},
        tariff_price_raw,
        tariff_price,
        file_activity_month,
        slice_file_watermark,
        reference_fingerprint
    -- the slices to rebuild are chosen where the staged rows are read (see the macro)
    {%- set rebuilt_month_column = 'extract_month' if is_incremental() else none %}
    from ({{ sus_current_records(only_slices_to_rebuild_in=rebuilt_month_column) }}) as current_source  -- noqa: AL05
),

-- the identification rules' line of the slices being built, and its funding stream
ir_assignments as (
    select
        file_id,
        source_row,
        derived_service_line_code,
        ir_rule_id
    from {{ ref('int_sus__ir_assignments') }} as ir  -- noqa: AL05
    where
        true
        {{ only_sus_slices_to_rebuild('ir.dataset', 'ir.file_activity_month', 'extract_month') }}  -- noqa
),

derived_statuses as (
    select
        service_line_code,
        financial_year,
        funding_stream
    from {{ ref('stg_reference__service_line_statuses') }}
),

-- each record with its identification-rules line and the line and funding stream that pay
sus_rows as (
    select
        current_records.*,
        ir_assignments.derived_service_line_code,
        ir_assignments.ir_rule_id,
        {{ 'ir_assignments.derived_service_line_code' if paid_on_derived else 'current_records.service_line_code' }}
            as paying_service_line_code,
        {{ "coalesce(derived_statuses.funding_stream, 'unknown')" if paid_on_derived
            else 'current_records.funding_stream' }} as paying_funding_stream,
        coalesce(derived_statuses.funding_stream, 'unknown') as funding_stream_derived
    from current_records
    left join ir_assignments
        on
            current_records.file_id = ir_assignments.file_id
            and current_records.source_row = ir_assignments.source_row
    left join derived_statuses
        on
            ir_assignments.derived_service_line_code = derived_statuses.service_line_code
            and current_records.financial_year = derived_statuses.financial_year
),

with_keys as (
    {{ with_dimension_keys(
        'sus_rows',
        provider_code='provider_code_resolved',
        service_line_code='service_line_code', service_line_on='file_month_start',
        pod_code='pod_code',
        icb_code='attributed_icb_code', icb_on='activity_month_start',
        current_icb_code_as='attributed_current_icb_code',
        pathfinder_funding_stream='paying_funding_stream',
        pathfinder_service_line_code='paying_service_line_code' if paid_on_derived else none,
    ) }}
),

final as (
    select
        {{ lineage_key('with_keys.file_id', 'with_keys.source_row') }} as sus_activity_key,
        with_keys.sus_record_id,
        with_keys.dataset,
        with_keys.provider_code_resolved as provider_code,
        with_keys.provider_record_ref,
        with_keys.activity_date,
        with_keys.discharge_date,
        with_keys.financial_year,
        with_keys.financial_month,
        with_keys.nhs_number_status,
        with_keys.age_at_activity,
        with_keys.gp_practice_code,
        with_keys.lsoa_code,
        with_keys.commissioner_code,
        with_keys.service_line_code,
        with_keys.derived_service_line_code,
        with_keys.ir_rule_id,
        with_keys.paying_service_line_code,
        with_keys.pod_code,
        with_keys.hrg_code,
        with_keys.treatment_function_code,
        with_keys.paying_funding_stream as funding_stream,
        with_keys.funding_stream as funding_stream_supplied,
        with_keys.funding_stream_derived,
        '{{ service_line_basis() }}' as service_line_basis,
        {{ fact_attribution_columns('with_keys') }},
        with_keys.tariff_price,
        with_keys.tariff_price_raw,
        with_keys.provider_key,
        with_keys.service_line_key,
        with_keys.pod_key,
        with_keys.attributed_icb_key,
        with_keys.paying_funding_stream as funding_stream_key,
        {{ date_key('with_keys.activity_date') }} as date_key,
        with_keys.file_id,
        with_keys.source_file,
        with_keys.source_row,
        with_keys.file_activity_month as extract_month,
        with_keys.slice_file_watermark,
        with_keys.reference_fingerprint,
        '{{ invocation_id }}' as build_invocation_id
    from with_keys
)

select * from final
