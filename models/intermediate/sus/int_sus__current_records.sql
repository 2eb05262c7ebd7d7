{#- The current SUS records: the latest extract of each dataset and month, each sus_record_id
    once (its first row), with ICB codes validated for the activity month, the attribution and
    the funding stream. A view (SQL in macros/sus/sus_current_records.sql): fct_sus_activity
    stores these rows, slice by slice. -#}
{{ config(materialized='view') }}

{{ sus_current_records() }}
