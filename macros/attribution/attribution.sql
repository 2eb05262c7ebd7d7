{#- The contract's attribution rule, shared by SLAM and SUS. Inputs are ICB codes already
    resolved and validated for the row's month (NULL when missing or invalid):
    registration ICB (unless the GP practice is a default code) → residence ICB → provider's
    host ICB → unattributed. -#}
{% macro is_default_gp_practice(gp_practice_code) -%}
    coalesce({{ gp_practice_code }} in ('V81997', 'V81998', 'V81999'), false)
{%- endmacro %}

{% macro attribution_method(registration_icb, gp_practice_code, residence_icb, host_icb) -%}
    case
        when {{ registration_icb }} is not null and not {{ is_default_gp_practice(gp_practice_code) }}
            then 'registration'
        when {{ residence_icb }} is not null then 'residence'
        when {{ host_icb }} is not null then 'provider_host'
        else 'unattributed'
    end
{%- endmacro %}

{% macro attributed_icb_code(registration_icb, gp_practice_code, residence_icb, host_icb) -%}
    case
        when {{ registration_icb }} is not null and not {{ is_default_gp_practice(gp_practice_code) }}
            then {{ registration_icb }}
        else coalesce({{ residence_icb }}, {{ host_icb }})
    end
{%- endmacro %}

{#- The ICB codes a row states (registration, residence, its provider's host), each looked up
    in int_icb__codes_in_force for the row's month: joined as registration, residence and
    provider_host; icbs_in_force_columns selects what they found (NULL when the code is
    missing, unknown or not in force that month; a dissolved ICB's code found as its
    successor) and icb_code_superseded (the registration or residence code stated is a
    dissolved ICB's, mapped to its successor). -#}
{% macro join_icbs_in_force(row_alias, month) -%}
    {%- set stated = [
        ('registration', 'icb_of_registration_code'),
        ('residence', 'icb_of_residence_code'),
        ('provider_host', 'provider_host_icb_code'),
    ] -%}
    {%- for alias, code_column in stated %}
    {{ join_icb_in_force(row_alias ~ '.' ~ code_column, month, alias) }}
    {%- endfor %}
{%- endmacro %}

{#- One stated ICB code looked up in int_icb__codes_in_force for a month, joined as `alias`
    (alias.icb_code is NULL when the code is missing, unknown or not in force that month). -#}
{% macro join_icb_in_force(code, month, alias) -%}
    left join {{ ref('int_icb__codes_in_force') }} as {{ alias }}
        on
            {{ code }} = {{ alias }}.code
            and {{ month }} between {{ alias }}.valid_from and {{ alias }}.valid_to
{%- endmacro %}

{% macro icbs_in_force_columns() -%}
    registration.icb_code as registration_icb_valid,
    residence.icb_code as residence_icb_valid,
    provider_host.icb_code as host_icb_valid,
    coalesce(registration.is_superseded or residence.is_superseded, false) as icb_code_superseded
{%- endmacro %}

{#- attributed_icb_code and attribution_method of a row whose ICBs icbs_in_force_columns found. -#}
{% macro attribution_columns(alias) -%}
    {%- set icbs = [
        alias ~ '.registration_icb_valid', alias ~ '.gp_practice_code',
        alias ~ '.residence_icb_valid', alias ~ '.host_icb_valid',
    ] -%}
    {{ attributed_icb_code(*icbs) }} as attributed_icb_code,
    {{ attribution_method(*icbs) }} as attribution_method
{%- endmacro %}

{#- The checks on a row's stated ICB codes, written once for the SLAM and SUS check models: a
    row (alias `row`) with icb_of_residence_code, icb_of_registration_code (the codes stated,
    cleaned) and what icbs_in_force_columns found for them. -#}
{% macro icb_code_checks(row) -%}
    {{ row }}.icb_of_residence_code is not null and {{ row }}.residence_icb_valid is null
        as fails_icb_of_residence_invalid,
    {{ row }}.icb_of_registration_code is not null and {{ row }}.registration_icb_valid is null
        as fails_icb_of_registration_invalid,
    {{ row }}.icb_code_superseded
        as fails_icb_code_superseded
{%- endmacro %}

{#- A row's funding stream: its service line's delegation status in the row's financial year
    (stg_reference__service_line_statuses), 'unknown' when the line has none that year.
    join_service_line_status joins the statuses as service_line_statuses; funding_stream_column
    selects the result. -#}
{% macro join_service_line_status(service_line_code, financial_year) -%}
    left join {{ ref('stg_reference__service_line_statuses') }} as service_line_statuses
        on
            {{ service_line_code }} = service_line_statuses.service_line_code
            and {{ financial_year }} = service_line_statuses.financial_year
{%- endmacro %}

{% macro funding_stream_column() -%}
    coalesce(service_line_statuses.funding_stream, 'unknown') as funding_stream
{%- endmacro %}
