{#- dbt calls get_where_subquery for the relation every generic data test reads. This version
    adds one rule to dbt's own (the `where` config): a model whose config has
    `meta: {tests_cover: rows_built_in_this_run}` is tested on the rows this dbt invocation
    wrote (its build_invocation_id). Such a model is incremental by slice and its keys cannot
    collide across slices, so the rows of untouched slices, tested when they were built, need
    no second pass every night; a full build writes, and so tests, every row. A `dbt test` run
    on its own writes nothing, so it would test nothing of them: give it
    `--vars '{test_every_row: true}'` (an audit of every row). A run that compiles the tests
    of another invocation's build (a Spark night on the cluster compiles its data tests after
    its build and runs them batched, speccomm.spark.data_tests) names that build's invocation
    in env var SPECCOMM_ROWS_BUILT_BY. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if execute and not var('test_every_row', false)
        and relation.identifier in models_tested_on_rows_built_in_this_run() -%}
        {%- set built_by = env_var('SPECCOMM_ROWS_BUILT_BY', '') or invocation_id -%}
        {%- set built = "build_invocation_id = '" ~ built_by ~ "'" -%}
        {%- set where = built ~ (" and (" ~ where ~ ")" if where else "") -%}
    {%- endif -%}
    {%- if where -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{% macro models_tested_on_rows_built_in_this_run() -%}
    {%- set names = [] -%}
    {%- for node in graph.get('nodes', {}).values() -%}
        {%- if node.resource_type == 'model' and node.config.meta.get('tests_cover') == 'rows_built_in_this_run' -%}
            {%- do names.append(node.alias or node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(names) -%}
{%- endmacro %}
