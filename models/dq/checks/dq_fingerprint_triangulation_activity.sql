{#- What the activity triangulation check of a slice depends on: the slice's cells of
    rpt_triangulation_activity, by content (macros/dq/cells_fingerprint.sql). -#}
{{ cells_fingerprint('rpt_triangulation_activity', 'activity-cells') }}
