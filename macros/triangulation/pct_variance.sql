{#- The percentage variance of a comparison, in one place for every mart that compares two
    figures: 100 × (value − base) / base, rounded to 2 places half away from zero, decimal(38,2);
    NULL when the base is 0 (nothing to be a percentage of: flagged_beyond_thresholds decides
    what that means). A quotient, so through round_quotient: the same figure on every engine. -#}
{% macro pct_variance(value, base) -%}
    {{ round_quotient('100.0 * (' ~ value ~ ' - ' ~ base ~ ')', base) }}
{%- endmacro %}
