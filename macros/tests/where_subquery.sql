{#- dbt calls get_where_subquery for the relation every generic data test reads. This version
    adds one rule to dbt's own (the `where` config): a model whose config has
    `meta: {tests_cover: rows_built_in_this_run}` is tested on the rows this dbt invocation
    wrote (its build_invocation_id). Such a model is incremental by slice and its keys cannot
    collide across slices, so the rows of untouched slices, tested when they were built, need
    no second pass every night; a full build writes, and so tests, every row. A `dbt test` run
    on its own writes nothing, so it would test nothing of them: give it
    `--vars '{test_every_row: true}'` (an audit of every row). A run that compiles the tests
    of another invocation's build (a night compiles its data tests after its build and runs
    them itself, speccomm.dbt_runner.data_tests) names that build's invocation in env var
    SPECCOMM_ROWS_BUILT_BY: rows_built_by(), which a singular test that reads only the rows
    built in this run uses too. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if execute and not var('test_every_row', false)
        and relation.identifier in models_tested_on_rows_built_in_this_run() -%}
        {%- set built = "build_invocation_id = '" ~ rows_built_by() ~ "'" -%}
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

{#- The dbt invocation whose rows a test reads as "built in this run": this one, or the build
    named by SPECCOMM_ROWS_BUILT_BY when the tests are compiled after it, in an invocation of
    their own (speccomm.dbt_runner.data_tests). Read only when executing: a variable read while
    dbt parses is recorded with the parse, and its change would have the kept parse redone. -#}
{% macro rows_built_by() -%}
    {{- return((env_var('SPECCOMM_ROWS_BUILT_BY', '') if execute else '') or invocation_id) -}}
{%- endmacro %}
