{#- The one home of how the SLAM forecast's error is scaled by the share of the year still to
    come (docs/marts/icb-spend-against-plan.md, "Forecast range"): sqrt((1 − w) ÷ w) for the
    phasing's cumulative weight w, the months to come over the months seen.
    int_finance__slam_forecast_errors divides a past error by it (standardises);
    int_finance__slam_forecast_ranges multiplies a quantile of those by it (scales back).
    1 − w is held at 0 or above (w may reach 1 at month 12). A double. -#}
{% macro forecast_error_scale(cumulative_weight) -%}
    sqrt(greatest(1 - {{ cumulative_weight }}, 0) / {{ cumulative_weight }})
{%- endmacro %}
