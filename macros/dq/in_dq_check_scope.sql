{#- True when a row's financial year and month is one of the slices the data-quality runner
    is validating now (source dq_runner.dq_check_scope, which the runner fills). A check model applies it where it reads the big
    tables, so that only the scope's periods are read. With var dq_check_scope 'every_slice'
    (a night on Spark, docs/decisions/0015) every row is in scope: the check models are tables
    of every slice, and the runner keeps the changed slices' rows when it reads them. -#}
{% macro in_dq_check_scope(financial_year, financial_month) -%}
    {%- if var('dq_check_scope') == 'every_slice' -%}
        true
    {%- else -%}
        exists (
            select 1 from {{ source('dq_runner', 'dq_check_scope') }} as dq_check_scope
            where
                dq_check_scope.financial_year = {{ financial_year }}
                and dq_check_scope.financial_month = {{ financial_month }}
        )
    {%- endif -%}
{%- endmacro %}
