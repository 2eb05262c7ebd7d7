{#- A triangulation cell flagged against its measure's thresholds, in one place for the
    triangulation marts: a select of every column of `cells` plus `flag_as`, the rule
    flagged_beyond_thresholds against the row `measure` of seed triangulation_thresholds
    (false, never NULL, when a figure it needs is missing). The other arguments are columns
    of `cells`, as flagged_beyond_thresholds takes them; is_compared is the cell's. -#}
{% macro with_threshold_flag(
    cells, measure, flag_as, variance, left, right, pct_variance, missing_pct_is_beyond=true
) -%}
    select
        {{ cells }}.*,
        coalesce(
            {{ flagged_beyond_thresholds(
                cells ~ '.is_compared', cells ~ '.' ~ variance, cells ~ '.' ~ left, cells ~ '.' ~ right,
                cells ~ '.' ~ pct_variance, 'threshold', missing_pct_is_beyond=missing_pct_is_beyond
            ) }},
            false
        ) as {{ flag_as }}
    from {{ cells }}
    inner join {{ ref('triangulation_thresholds') }} as threshold
        on threshold.measure = '{{ measure }}'
{%- endmacro %}
