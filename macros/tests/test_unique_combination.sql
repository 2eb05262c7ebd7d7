{#-
    Generic data test: the combination of the given columns is unique in the model
    (the compound-key test dbt_utils offers, written here because the package hub is
    unreachable). Nulls group together here, so two rows whose keys are equal apart
    from matching nulls count as duplicates; test the key columns not_null as well.

    usage in a properties file:
        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [icb_code, valid_from]

    Returns one row per duplicated key with the number of copies; the test fails
    when any row comes back.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set column_list = combination_of_columns | join(', ') %}

    with keyed as (
        select
            {{ column_list }},
            count(*) as n_copies
        from {{ model }}
        group by {{ column_list }}
    ),

    final as (
        select
            {{ column_list }},
            n_copies
        from keyed
        where n_copies > 1
    )

    select * from final

{% endtest %}
