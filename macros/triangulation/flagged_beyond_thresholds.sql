{#- The triangulation rule "flagged when beyond both thresholds", in one place for every
    comparison of two feeds: a compared cell is flagged when its absolute variance is at least
    the threshold's min_abs_variance, the larger side is at least min_cell_size, and its
    percentage variance exceeds max_abs_pct_variance. `threshold` is the alias of a row of
    seed triangulation_thresholds. A NULL percentage (nothing on the side it is a percentage
    of) counts as beyond the threshold when missing_pct_is_beyond. -#}
{% macro flagged_beyond_thresholds(
    is_compared, variance, left, right, pct_variance, threshold, missing_pct_is_beyond=true
) -%}
    {{ is_compared }}
    and abs({{ variance }}) >= {{ threshold }}.min_abs_variance
    and greatest(abs({{ left }}), abs({{ right }})) >= {{ threshold }}.min_cell_size
    and coalesce(
        abs({{ pct_variance }}) > {{ threshold }}.max_abs_pct_variance,
        {{ 'true' if missing_pct_is_beyond else 'false' }}
    )
{%- endmacro %}
