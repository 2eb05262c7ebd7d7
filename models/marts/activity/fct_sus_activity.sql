{#- One row per current SUS record (latest extract of its dataset and month, each record id once).
    The identification rules' line (int_sus__ir_assignments) stands beside the supplied one;
    funding_stream follows the line var service_line_basis chooses (docs/identification-rules.md).
    Incremental by slice: see macros/incremental/sus_slices.sql. -#}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
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
        icb_of_registration_code_raw,
        registration_icb_valid,
        icb_of_residence_code_raw,
        residence_icb_valid,
        funding_stream,
        attributed_icb_code,
        attribution_method,
        icb_code_superseded,
        host_icb_valid,
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

dim_service_line as (
    select
        service_line_key,
        service_line_code,
        service_category,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_service_line') }}
    where not is_unknown_member
),

dim_icb as (
    select
        icb_key,
        icb_code,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from {{ ref('dim_icb') }}
    where not is_unknown_member
),

current_boundaries as (
    select
        icb_code,
        current_icb_code
    from {{ ref('int_icb__current_boundaries') }}
),

dim_provider as (
    select
        provider_key,
        provider_code,
        is_nhs_trust
    from {{ ref('dim_provider') }}
),

dim_point_of_delivery as (
    select
        pod_key,
        pod_code,
        is_high_cost_drugs_devices
    from {{ ref('dim_point_of_delivery') }}
),

final as (
    select
        {{ lineage_key('current_records.file_id', 'current_records.source_row') }} as sus_activity_key,
        current_records.sus_record_id,
        current_records.dataset,
        current_records.provider_code_resolved as provider_code,
        current_records.provider_record_ref,
        current_records.activity_date,
        current_records.discharge_date,
        current_records.financial_year,
        current_records.financial_month,
        current_records.nhs_number_status,
        current_records.age_at_activity,
        current_records.gp_practice_code,
        current_records.lsoa_code,
        current_records.commissioner_code,
        current_records.service_line_code,
        ir_assignments.derived_service_line_code,
        ir_assignments.ir_rule_id,
        {{ 'ir_assignments.derived_service_line_code' if paid_on_derived else 'current_records.service_line_code' }}
            as paying_service_line_code,
        current_records.pod_code,
        current_records.hrg_code,
        current_records.treatment_function_code,
        {{ "coalesce(derived_statuses.funding_stream, 'unknown')" if paid_on_derived
            else 'current_records.funding_stream' }} as funding_stream,
        current_records.funding_stream as funding_stream_supplied,
        coalesce(derived_statuses.funding_stream, 'unknown') as funding_stream_derived,
        '{{ service_line_basis() }}' as service_line_basis,
        current_records.registration_icb_valid as icb_of_registration_code,
        current_records.icb_of_registration_code_raw,
        current_records.residence_icb_valid as icb_of_residence_code,
        current_records.icb_of_residence_code_raw,
        current_records.attributed_icb_code,
        current_records.attribution_method,
        current_boundaries.current_icb_code as attributed_current_icb_code,
        current_records.icb_code_superseded,
        current_records.host_icb_valid as provider_host_icb_code,
        {{ is_pathfinder_scope(
            'derived_statuses.funding_stream' if paid_on_derived else 'current_records.funding_stream',
            'dim_provider.is_nhs_trust',
            ('paying_service_line' if paid_on_derived else 'dim_service_line') ~ '.service_category',
            'dim_point_of_delivery.is_high_cost_drugs_devices'
        ) }} as is_pathfinder_scope,
        current_records.tariff_price,
        current_records.tariff_price_raw,
        coalesce(dim_provider.provider_key, {{ unknown_key() }}) as provider_key,
        coalesce(dim_service_line.service_line_key, {{ unknown_key() }}) as service_line_key,
        coalesce(dim_point_of_delivery.pod_key, {{ unknown_key() }}) as pod_key,
        coalesce(dim_icb.icb_key, {{ unknown_key() }}) as attributed_icb_key,
        {{ "coalesce(derived_statuses.funding_stream, 'unknown')" if paid_on_derived
            else 'current_records.funding_stream' }} as funding_stream_key,
        {{ date_key('current_records.activity_date') }} as date_key,
        current_records.file_id,
        current_records.source_file,
        current_records.source_row,
        current_records.file_activity_month as extract_month,
        current_records.slice_file_watermark,
        current_records.reference_fingerprint,
        '{{ invocation_id }}' as build_invocation_id
    from current_records
    left join dim_provider
        on current_records.provider_code_resolved = dim_provider.provider_code
    left join dim_service_line
        on
            current_records.service_line_code = dim_service_line.service_line_code
            and current_records.file_month_start between dim_service_line.valid_from and dim_service_line.valid_to
    left join ir_assignments
        on
            current_records.file_id = ir_assignments.file_id
            and current_records.source_row = ir_assignments.source_row
    left join derived_statuses
        on
            ir_assignments.derived_service_line_code = derived_statuses.service_line_code
            and current_records.financial_year = derived_statuses.financial_year
    {%- if paid_on_derived %}
    left join dim_service_line as paying_service_line
        on
            ir_assignments.derived_service_line_code = paying_service_line.service_line_code
            and current_records.file_month_start between paying_service_line.valid_from and paying_service_line.valid_to
    {%- endif %}
    left join dim_point_of_delivery
        on current_records.pod_code = dim_point_of_delivery.pod_code
    left join current_boundaries
        on current_records.attributed_icb_code = current_boundaries.icb_code
    left join dim_icb
        on
            current_records.attributed_icb_code = dim_icb.icb_code
            and current_records.activity_month_start between dim_icb.valid_from and dim_icb.valid_to
)

select * from final
