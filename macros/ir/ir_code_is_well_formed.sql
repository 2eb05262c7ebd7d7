{#- Whether a clinical code, as ir_code gives it (trimmed, upper-cased, dots and spaces
    removed), is a well-formed code of its type: a value that is not (free text, a code with
    words after it, a 10,000-character field beginning `C10.6 `) matches no identification
    rule and is counted by the check ir_code_invalid (docs/identification-rules.md).
    diagnosis: ICD-10, a letter, two digits, then up to three more characters (the fourth
    character a digit or the filler X; a fifth or sixth for dagger/asterisk or extensions):
    C50, C50.9, C50X, M06.90, A17.0D. procedure: OPCS-4, a letter and two or three digits:
    W37, W37.1. Only these two code types are judged. -#}
{% macro ir_code_is_well_formed(code_type, code) -%}
    {%- set patterns = {
        'diagnosis': '[A-Z][0-9]{2}([0-9X][0-9A-Z]{0,2})?',
        'procedure': '[A-Z][0-9]{2}[0-9]?',
    } -%}
    {%- if code_type not in patterns -%}
        {{ exceptions.raise_compiler_error("ir_code_is_well_formed: no rule for code type '" ~ code_type ~ "'") }}
    {%- endif -%}
    {{ regexp_full_match(code, patterns[code_type]) }}
{%- endmacro %}
