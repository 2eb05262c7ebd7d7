{#- The footprint (dbt var `footprint`, docs/footprint.md) as a list of upper-case ICB codes,
    or none when it is 'national' (every ICB). The var may be a list (['QKK', 'QWE']) or a
    comma-separated string ('QKK,QWE', as SPECCOMM_FOOTPRINT gives it); an empty footprint is
    an error at compile time. Only int_reference__footprint calls it: marts read that model. -#}
{% macro footprint_codes() %}
    {%- set setting = var('footprint') -%}
    {%- if setting is string and setting | trim | lower == 'national' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parts = setting.split(',') if setting is string else setting -%}
    {%- set codes = [] -%}
    {%- for part in parts -%}
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
