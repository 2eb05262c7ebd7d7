{#- Which checks measure which DQMI data item, and how (incomplete, invalid or default), per
    dataset: the registry's dqmi_item and dqmi_role (seeds/reference/dq_checks.csv).
    is_primary: the check belongs to the dataset's primary batch (dq_check_batches), whose rows
    make a slice a submission. -#}
with

registry as (
    select
        check_id,
        dataset,
        batch,
        dqmi_item,
        dqmi_role
    from {{ ref('dq_checks') }}
    where dqmi_item is not null
),

batches as (
    select
        dataset,
        batch,
        is_primary
    from {{ ref('dq_check_batches') }}
),

final as (
    select
        registry.dataset,
        registry.check_id,
        registry.dqmi_item as data_item,
        registry.dqmi_role,
        batches.is_primary
    from registry
    inner join batches
        on
            registry.dataset = batches.dataset
            and registry.batch = batches.batch
)

select * from final
