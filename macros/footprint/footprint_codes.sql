{#- The footprint (dbt var `footprint`, docs/footprint.md) as a list of upper-case ICB codes,
    or none when it is 'national' (every ICB). The var is a list of ICB codes (['QKK', 'QWE'],
    as dbt_project.yml and speccomm nightly set it: speccomm.footprint is the one reader of the
    comma-separated form and of footprint names) or 'national'; any other string, or an empty
    list, is an error at compile time. Only int_reference__footprint calls it: marts read that
    model. -#}
{% macro footprint_codes() %}
    {%- set setting = var('footprint') -%}
    {%- if setting is string -%}
        {%- if setting | trim | lower == 'national' -%}
            {{ return(none) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "dbt var footprint = '" ~ setting ~ "': give a list of ICB codes (e.g. [QKK, QWE]) or 'national';"
            ~ " speccomm nightly --footprint reads comma-separated codes and footprint names"
        ) }}
    {%- endif -%}
    {%- set codes = [] -%}
    {%- for part in setting -%}
        {%- set code = (part | string | trim | upper) -%}
        {%- if code and code not in codes -%}
            {%- do codes.append(code) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if codes | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "dbt var footprint = " ~ setting ~ ": name at least one ICB code, or 'national'"
        ) }}
    {%- endif -%}
    {{ return(codes | sort) }}
{% endmacro %}
