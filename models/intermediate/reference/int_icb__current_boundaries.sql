{#- For every ICB code, the ICB that holds its population today: follow successor codes until
    an ICB without a successor (itself when unchanged). Chains are followed to chain_depth 10. -#}
with recursive

icbs as (
    select distinct
        icb_code,
        successor_icb_code
    from {{ ref('stg_reference__icbs') }}
),

chain as (
    select
        icb_code,
        icb_code as current_icb_code,
        0 as chain_depth
    from icbs
    union all
    select
        chain.icb_code,
        icbs.successor_icb_code as current_icb_code,
        chain.chain_depth + 1 as chain_depth
    from chain
    inner join icbs
        on chain.current_icb_code = icbs.icb_code
    where icbs.successor_icb_code is not null and chain.chain_depth < 10
),

ranked as (
    select
        icb_code,
        current_icb_code,
        row_number() over (partition by icb_code order by chain_depth desc) as chain_depth_rank
    from chain
),

final as (
    select
        icb_code,
        current_icb_code
    from ranked
    where chain_depth_rank = 1
)

select * from final
