{#- The contract's provider-code rule, in one place for SLAM, SUS, the ledger and the
    quarantine: a code in the provider reference (a trust, or one of its sites) resolves to its
    trust; an unlisted 5-character code to the trust of its first three characters; any other
    code stays as stated.
    join_provider_codes adds the two lookups of `code` in the model's `provider_codes` CTE
    (columns of int_provider__codes) as <alias>_known and <alias>_trust; the macros below read
    them. -#}
{% macro join_provider_codes(code, alias) -%}
    left join provider_codes as {{ alias }}_known
        on {{ code }} = {{ alias }}_known.code
    left join provider_codes as {{ alias }}_trust
        on
            length({{ code }}) = 5
            and left({{ code }}, 3) = {{ alias }}_trust.code
{%- endmacro %}

{% macro resolved_provider_code(code, alias) -%}
    coalesce({{ alias }}_known.provider_code, {{ alias }}_trust.provider_code, {{ code }})
{%- endmacro %}

{% macro resolved_provider_host_icb_code(alias) -%}
    coalesce({{ alias }}_known.host_icb_code, {{ alias }}_trust.host_icb_code)
{%- endmacro %}
