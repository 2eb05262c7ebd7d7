{#- The one home of rounding in the models (tests/python/test_project_policy.py refuses a bare
    round( anywhere else in models/). Half away from zero to `places` decimals, as
    decimal(38, places). The value is first fixed at 6 decimals (places + 2 when `places`
    is more than 6): a double lands a hair either side of an exact half penny
    (24.69 / 2 is 12.3449999…), and DuckDB's round(double) and Spark's disagree there; a decimal
    rounds the same on both. -#}
{% macro round_decimal(expression, places=2) -%}
    {%- set fixed_places = 6 if places <= 6 else places + 2 -%}
    cast(
        round(cast({{ expression }} as decimal(38, {{ fixed_places }})), {{ places }})
        as decimal(38, {{ places }})
    )
{%- endmacro %}

{#- numerator / denominator rounded to `places` decimals, half away from zero, as
    decimal(38, places); NULL when the denominator is 0. Divided as a double (DuckDB divides
    decimals as doubles anyway), then rounded by round_decimal. -#}
{% macro round_quotient(numerator, denominator, places=2) -%}
    {{ round_decimal('cast(' ~ numerator ~ ' as double) / nullif(' ~ denominator ~ ', 0)', places) }}
{%- endmacro %}
