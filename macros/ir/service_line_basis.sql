{#- Which SUS service line decides the funding stream (var service_line_basis, set by
    speccomm.dbt_runner from SPECCOMM_SERVICE_LINE_BASIS): 'supplied' (default) or 'derived'.
    Anything else stops the build. -#}
{% macro service_line_basis() -%}
    {%- set basis = var('service_line_basis', 'supplied') | string | lower -%}
    {%- if basis not in ('supplied', 'derived') -%}
        {{ exceptions.raise_compiler_error(
            "var service_line_basis = '" ~ basis ~ "': use 'supplied' or 'derived'") }}
    {%- endif -%}
    {{ return(basis) }}
{%- endmacro %}
