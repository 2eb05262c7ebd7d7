{#- numerator / denominator rounded to `places` decimals, half away from zero, as
    decimal(38, places); NULL when the denominator is 0. Divided as a double (DuckDB divides
    decimals as doubles anyway), then fixed at 6 decimals before rounding: a double lands a
    hair either side of an exact half penny (24.69 / 2 is 12.3449999…), and DuckDB's
    round(double) and Spark's disagree there; a decimal rounds the same on both. -#}
{% macro round_quotient(numerator, denominator, places=2) -%}
    cast(
        round(cast(cast({{ numerator }} as double) / nullif({{ denominator }}, 0) as decimal(38, 6)), {{ places }})
        as decimal(38, {{ places }})
    )
{%- endmacro %}
