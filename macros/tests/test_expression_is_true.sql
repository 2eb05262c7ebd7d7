{#-
    Generic data test: a boolean SQL expression holds on every row of the model (the test
    dbt_utils offers, written here because the package hub is unreachable). Use it for a
    model's invariants, stated in the model's own words.

    usage in a properties file:
        data_tests:
          - expression_is_true:
              arguments:
                expression: "not is_flagged or is_compared"

    Returns the rows where the expression is false or NULL; the test fails when any comes back.
-#}
{% test expression_is_true(model, expression) %}

    with checked as (
        select
            *,
            coalesce({{ expression }}, false) as expression_holds
        from {{ model }}
    ),

    final as (
        select *
        from checked
        where not expression_holds
    )

    select * from final

{% endtest %}
