{#- The percentage variance of a comparison, in one place for every mart that compares two
    figures: 100 × (value − base) / base, rounded to 2 places, decimal(38,2); NULL when the base
    is 0 (nothing to be a percentage of: flagged_beyond_thresholds decides what that means).
    Divided as a double, as DuckDB divides decimals, so Spark gives the same figure. -#}
{% macro pct_variance(value, base) -%}
    cast(round(cast(100.0 * ({{ value }} - {{ base }}) as double) / nullif({{ base }}, 0), 2) as decimal(38, 2))
{%- endmacro %}
