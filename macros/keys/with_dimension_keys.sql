{#- The facts' dimension lookups, written once for fct_contract_activity, fct_sus_activity and
    fct_ledger_posting: a select of every column of `fact` (a CTE of the fact's rows) plus the
    key of each dimension it names, the unknown member's key when the lookup fails (a fact
    never drops or repeats a row on a lookup). Each argument names a column of `fact`; a
    lookup whose column is not given is left out.
    - provider_code → `provider_key_as` (dim_provider.provider_key)
    - service_line_code, in force on service_line_on → service_line_key (dim_service_line)
    - pod_code → pod_key (dim_point_of_delivery)
    - icb_code, in force on icb_on → `icb_key_as` (dim_icb); with current_icb_code_as, also
      the ICB holding that ICB's population today (int_icb__current_boundaries)
    - pathfinder_funding_stream (needs the provider, service line and POD lookups) →
      is_pathfinder_scope (macros/scope/is_pathfinder_scope.sql, the rule itself), on the
      category of the service line, or of pathfinder_service_line_code when given (the line
      that pays, where it is not the one keyed: fct_sus_activity on the derived basis). -#}
{% macro with_dimension_keys(
    fact,
    provider_code=none,
    provider_key_as='provider_key',
    service_line_code=none,
    service_line_on=none,
    pod_code=none,
    icb_code=none,
    icb_on=none,
    icb_key_as='attributed_icb_key',
    current_icb_code_as=none,
    pathfinder_funding_stream=none,
    pathfinder_service_line_code=none
) -%}
    {%- if pathfinder_funding_stream and not (provider_code and service_line_code and pod_code) -%}
        {{ exceptions.raise_compiler_error(
            "with_dimension_keys: is_pathfinder_scope needs the provider, service line and POD lookups"
        ) }}
    {%- endif -%}
    {%- if (service_line_code and not service_line_on) or (icb_code and not icb_on) -%}
        {{ exceptions.raise_compiler_error(
            "with_dimension_keys: an effective-dated lookup needs the date it is in force on"
        ) }}
    {%- endif -%}
    select
        {{ fact }}.*
        {%- if provider_code %},
        coalesce(dim_provider.provider_key, {{ unknown_key() }}) as {{ provider_key_as }}
        {%- endif %}
        {%- if service_line_code %},
        coalesce(dim_service_line.service_line_key, {{ unknown_key() }}) as service_line_key
        {%- endif %}
        {%- if pod_code %},
        coalesce(dim_point_of_delivery.pod_key, {{ unknown_key() }}) as pod_key
        {%- endif %}
        {%- if icb_code %},
        coalesce(dim_icb.icb_key, {{ unknown_key() }}) as {{ icb_key_as }}
        {%- endif %}
        {%- if icb_code and current_icb_code_as %},
        current_boundaries.current_icb_code as {{ current_icb_code_as }}
        {%- endif %}
        {%- if pathfinder_funding_stream %},
        {{ is_pathfinder_scope(
            fact ~ '.' ~ pathfinder_funding_stream,
            'dim_provider.is_nhs_trust',
            ('paying_service_line' if pathfinder_service_line_code else 'dim_service_line') ~ '.service_category',
            'dim_point_of_delivery.is_high_cost_drugs_devices'
        ) }} as is_pathfinder_scope
        {%- endif %}
    from {{ fact }}
    {%- if provider_code %}
    left join {{ ref('dim_provider') }} as dim_provider
        on {{ fact }}.{{ provider_code }} = dim_provider.provider_code
    {%- endif %}
    {%- if service_line_code %}
    {{ _join_in_force('dim_service_line', 'dim_service_line', 'service_line_code', fact, service_line_code, service_line_on) }}
    {%- endif %}
    {%- if pathfinder_funding_stream and pathfinder_service_line_code %}
    {{ _join_in_force(
        'dim_service_line', 'paying_service_line', 'service_line_code', fact, pathfinder_service_line_code, service_line_on
    ) }}
    {%- endif %}
    {%- if pod_code %}
    left join {{ ref('dim_point_of_delivery') }} as dim_point_of_delivery
        on {{ fact }}.{{ pod_code }} = dim_point_of_delivery.pod_code
    {%- endif %}
    {%- if icb_code and current_icb_code_as %}
    left join {{ ref('int_icb__current_boundaries') }} as current_boundaries
        on {{ fact }}.{{ icb_code }} = current_boundaries.icb_code
    {%- endif %}
    {%- if icb_code %}
    {{ _join_in_force('dim_icb', 'dim_icb', 'icb_code', fact, icb_code, icb_on) }}
    {%- endif %}
{%- endmacro %}


{#- A left join of an effective-dated dimension (`dimension`, as `alias`) on the code of
    `fact`.`code_column` in force on `fact`.`on_column`; the unknown member never matches. -#}
{% macro _join_in_force(dimension, alias, dimension_code, fact, code_column, on_column) -%}
    left join {{ ref(dimension) }} as {{ alias }}
        on
            {{ fact }}.{{ code_column }} = {{ alias }}.{{ dimension_code }}
            and not {{ alias }}.is_unknown_member
            and {{ fact }}.{{ on_column }}
            between {{ alias }}.valid_from and coalesce({{ alias }}.valid_to, date '9999-12-31')
{%- endmacro %}
