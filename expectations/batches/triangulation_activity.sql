-- One row per provider × service line × POD × month compared in
-- marts.rpt_triangulation_activity (cells that cannot be compared are left to other checks).
with

cells as (
    select
        provider_code,
        financial_year,
        financial_month,
        service_line_code,
        pod_code,
        slam_activity,
        sus_activity,
        slam_price_gbp,
        sus_tariff_gbp,
        is_compared,
        is_flagged
    from marts.rpt_triangulation_activity
    where
        is_compared
        and exists (
            select 1 from dq_scope
            where dq_scope.financial_year = rpt_triangulation_activity.financial_year
                and dq_scope.financial_month = rpt_triangulation_activity.financial_month
        )
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
