with

ledger_cost_centres as (
    select
        cost_centre,
        cost_centre_name,
        funding_stream
    from {{ ref('ledger_cost_centres') }}
),

final as (
    select
        upper(trim(cost_centre)) as cost_centre,
        cost_centre_name,
        lower(trim(funding_stream)) as funding_stream
    from ledger_cost_centres
)

select * from final
