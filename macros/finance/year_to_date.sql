{#- The one home of the financial year to date (tests/python/test_project_policy.py refuses a
    running sum written by hand anywhere else in models/): the sum of `expression` from April
    (financial month 1) to the row's month, per `partition_by` within each financial year.
    Rows the window sums: the partition's months of the same financial year up to and
    including the row's, in month order (one row per partition × year × month; a month with
    no row adds nothing, a NULL adds nothing). financial_year=none for rows that are one year
    already (the plan phasing's twelve months). ANSI: alike on DuckDB and Spark. -#}
{% macro year_to_date(expression, partition_by=[], financial_year='financial_year', financial_month='financial_month') -%}
    {%- set keys = ([partition_by] if partition_by is string else partition_by | list) -%}
    {%- set keys = keys + ([financial_year] if financial_year else []) -%}
    sum({{ expression }}) over (
        {%- if keys %}partition by {{ keys | join(', ') }} {% endif -%}
        order by {{ financial_month }} rows between unbounded preceding and current row)
{%- endmacro %}
