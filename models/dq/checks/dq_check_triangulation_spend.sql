{#- The rows of the SLAM-against-ledger spend check: one row per provider × ICB × month
    compared in rpt_triangulation_spend (SLAM money attributed to the ICB against the ICB's
    ledger payments to the provider), for the slices in dq_check_scope
    (macros/dq/triangulation_check_rows.sql). -#}
{{ triangulation_check_rows(
    'rpt_triangulation_spend',
    'slam_ledger_spend_variance',
    columns=['icb_code', 'slam_gbp', 'ledger_gbp'],
    context="'ICB ' || icb_code",
    variance_raw="'SLAM £' || cast(slam_gbp as " ~ type_text() ~ ") || ' vs ledger £' || cast(ledger_gbp as " ~ type_text() ~ ")",
) }}
