{#- Whether both feeds reported a triangulation cell's period, in one place for the
    triangulation marts: a select of every column of `cells` (provider_code, financial_year,
    financial_month, and icb_code for the ledger) plus
    - is_slam_submitted: the provider submitted SLAM for the month (rpt_slam_slice_winners);
    - with sus_rows (the CTE of SUS records the mart reads): is_sus_extracted, the month is
      in those records (a SUS extract for the month);
    - with ledger_rows (the CTE of ledger postings the mart reads): is_ledger_period_covered,
      the ICB has a posting for the month in them (any posting, specialised or not).
    A cell whose period one feed did not report is not compared (the mart's
    not_compared_reason). -#}
{% macro with_periods_reported(cells, sus_rows=none, ledger_rows=none) -%}
    {%- set month = [('financial_year', 'financial_year'), ('financial_month', 'financial_month')] -%}
    select
        {{ cells }}.*,
        slam_submitted.provider_code is not null as is_slam_submitted
        {%- if sus_rows %},
        sus_months.financial_month is not null as is_sus_extracted
        {%- endif %}
        {%- if ledger_rows %},
        ledger_periods.icb_code is not null as is_ledger_period_covered
        {%- endif %}
    from {{ cells }}
    {{ _join_periods_reported(
        cells, ref('rpt_slam_slice_winners'), 'slam_submitted', [('provider_code', 'provider_code')] + month
    ) }}
    {%- if sus_rows %}
    {{ _join_periods_reported(cells, sus_rows, 'sus_months', month) }}
    {%- endif %}
    {%- if ledger_rows %}
    {{ _join_periods_reported(cells, ledger_rows, 'ledger_periods', [('icb_code', 'entity_code')] + month) }}
    {%- endif %}
{%- endmacro %}


{#- with_periods_reported's left join of the periods a feed reports (the distinct `keys` of
    relation `feed`, as `alias`) on the cell's: `keys` are (cell column, feed column) pairs. -#}
{% macro _join_periods_reported(cells, feed, alias, keys) -%}
    left join (
        select distinct
            {%- for cell_column, feed_column in keys %}
            {{ feed_column }}{{ ' as ' ~ cell_column if feed_column != cell_column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ feed }}
    ) as {{ alias }}
        on
            {%- for cell_column, feed_column in keys %}
            {{ 'and ' if not loop.first }}{{ cells }}.{{ cell_column }} = {{ alias }}.{{ cell_column }}
            {%- endfor %}
{%- endmacro %}
