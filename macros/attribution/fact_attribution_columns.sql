{#- The attribution columns of the activity facts (fct_contract_activity, fct_sus_activity),
    written once: both publish the same set, in this order and these names. The ICB codes the
    row states as found in force (NULL when missing, unknown or not in force) beside the raw
    text, the attributed ICB and the rule's step that found it (macros/attribution/), the ICB
    holding its population today, whether a stated code was a dissolved ICB's, the provider's
    host ICB, and is_pathfinder_scope. `rows` is the fact's with_dimension_keys CTE (which adds
    attributed_current_icb_code and is_pathfinder_scope); fact_attribution_inputs are the rest,
    the columns the fact reads for them from its intermediate model. -#}
{% macro fact_attribution_columns(rows) -%}
    {{ rows }}.registration_icb_valid as icb_of_registration_code,
    {{ rows }}.icb_of_registration_code_raw,
    {{ rows }}.residence_icb_valid as icb_of_residence_code,
    {{ rows }}.icb_of_residence_code_raw,
    {{ rows }}.attributed_icb_code,
    {{ rows }}.attribution_method,
    {{ rows }}.attributed_current_icb_code,
    {{ rows }}.icb_code_superseded,
    {{ rows }}.host_icb_valid as provider_host_icb_code,
    {{ rows }}.is_pathfinder_scope
{%- endmacro %}

{% macro fact_attribution_inputs() -%}
    icb_of_registration_code_raw,
    registration_icb_valid,
    icb_of_residence_code_raw,
    residence_icb_valid,
    attributed_icb_code,
    attribution_method,
    icb_code_superseded,
    host_icb_valid
{%- endmacro %}
