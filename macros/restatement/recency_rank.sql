{#- The contract's "latest received file wins" rule, in one place for SLAM, SUS and the ledger:
    1 for the most recently received file of each group (a later file_id breaks a tie of
    received_at), 2 for the one before, and so on. -#}
{% macro recency_rank(partition_by) -%}
    row_number() over (
        partition by {{ partition_by | join(', ') }}
        order by received_at desc, file_id desc
    )
{%- endmacro %}
