{#- The rows of the SLAM-against-SUS activity check: one row per provider × service line ×
    POD × month compared in rpt_triangulation_activity, for the slices in dq_check_scope
    (cells that cannot be compared are left to other checks). -#}
with

cells as (
    select
        cells.provider_code,
        cells.financial_year,
        cells.financial_month,
        cells.service_line_code,
        cells.pod_code,
        cells.slam_activity,
        cells.sus_activity,
        cells.slam_price_gbp,
        cells.sus_tariff_gbp,
        cells.is_compared,
        cells.is_flagged
    from {{ ref('rpt_triangulation_activity') }} as cells
    where
        cells.is_compared
        and {{ in_dq_check_scope('cells.financial_year', 'cells.financial_month') }}
),

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        cast(null as varchar) as source_file,
        cast(null as integer) as source_row,
        cast(null as varchar) as record_ref,
        service_line_code,
        pod_code,
        'SLAM against SUS' as context,
        'activity SLAM ' || cast(slam_activity as varchar) || ' vs SUS ' || cast(sus_activity as varchar)
        || '; price SLAM ' || cast(slam_price_gbp as varchar) || ' vs SUS tariff '
        || cast(sus_tariff_gbp as varchar) as variance_raw,
        coalesce(is_flagged, false) as fails_slam_sus_activity_variance
    from cells
)

select * from final
