{#- The dim_date key for a date: the date itself when dim_date covers it, else the unknown
    member (1900-01-01), so a fact row never fails the join. -#}
{% macro date_key(date_column) -%}
    case
        when {{ date_column }} between date '2013-04-01' and date '2031-03-31' then {{ date_column }}
        else date '1900-01-01'
    end
{%- endmacro %}
