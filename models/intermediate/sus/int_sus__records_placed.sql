{#- Every staged SUS record with its extract's dataset, month and received time; whether its
    file is the latest extract of that dataset and month (a later extract replaces an earlier
    one wholesale, a re-sent identical file included); its repeat number within the extract
    (1 = first occurrence of the sus_record_id); provider codes resolved.
    A view: the staged rows are cleaned as they are read, and only the narrow repeat numbers
    are stored (int_sus__record_occurrences), because writing 21 M wide rows again costs more
    than reading them. The SQL is macros/sus/sus_records_placed.sql, which fct_sus_activity
    also calls for the slices it rebuilds. -#}
{{ config(materialized='view') }}

{{ sus_records_placed() }}
