{#- The rows of the SLAM-against-SUS activity check: one row per provider × service line ×
    POD × month compared in rpt_triangulation_activity, for the slices in dq_check_scope
    (macros/dq/triangulation_check_rows.sql). -#}
{{ triangulation_check_rows(
    'rpt_triangulation_activity',
    'slam_sus_activity_variance',
    columns=['service_line_code', 'pod_code', 'slam_activity', 'sus_activity', 'slam_price_gbp', 'sus_tariff_gbp'],
    context="'SLAM against SUS'",
    variance_raw="'activity SLAM ' || cast(slam_activity as " ~ type_text() ~ ") || ' vs SUS ' || cast(sus_activity as " ~ type_text() ~ ")
        || '; price SLAM ' || cast(slam_price_gbp as " ~ type_text() ~ ") || ' vs SUS tariff '
        || cast(sus_tariff_gbp as " ~ type_text() ~ ")",
    service_line_code='service_line_code',
    pod_code='pod_code',
) }}
