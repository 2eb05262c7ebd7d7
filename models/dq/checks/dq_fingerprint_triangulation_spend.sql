{#- What the spend triangulation check of a slice depends on: the slice's cells of
    rpt_triangulation_spend, by content (macros/dq/cells_fingerprint.sql). -#}
{{ cells_fingerprint('rpt_triangulation_spend', 'spend-cells') }}
