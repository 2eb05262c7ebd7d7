{#- Which checks measure which DQMI data item, and how (incomplete, invalid or default), per
    dataset: the `dqmi:` entries of the expectation suites (expectations/*.yml), which the
    data-quality runner writes here before it scores a run (speccomm.quality.dqmi). dbt builds
    it empty, like dq_check_scope. is_primary: the check belongs to the dataset's primary batch,
    whose rows make a slice a submission. -#}
{{ config(materialized='table') }}

with

final as (
    select
        cast(null as {{ type_text() }}) as dataset,
        cast(null as {{ type_text() }}) as check_id,
        cast(null as {{ type_text() }}) as data_item,
        cast(null as {{ type_text() }}) as dqmi_role,
        cast(null as boolean) as is_primary
    where false
)

select * from final
