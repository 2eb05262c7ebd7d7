-- The activity marts built from SLAM Actual rows carry all of them: per financial year and
-- funding stream, rpt_cross_boundary_flows and rpt_provider_out_of_area_share hold the pounds
-- of fct_contract_activity; rpt_pathfinder_scope holds the pounds of its in-scope rows; and
-- rpt_triangulation_activity holds every SLAM Actual pound and rpt_triangulation_spend every
-- delegated (green) one (by year only: they have no stream column).
-- Returns one row per mart, year and stream that differs.
with

slam as (
    select
        financial_year,
        funding_stream,
        coalesce(sum(price), 0) as slam_gbp,
        coalesce(sum(price) filter (where is_pathfinder_scope), 0) as pathfinder_gbp
    from {{ ref('fct_contract_activity') }}
    where record_type = 'Actual'
    group by financial_year, funding_stream
),

flows as (
    select
        financial_year,
        funding_stream,
        sum(price_gbp) as gbp
    from {{ ref('rpt_cross_boundary_flows') }}
    group by financial_year, funding_stream
),

provider_shares as (
    select
        financial_year,
        funding_stream,
        sum(price_gbp) as gbp
    from {{ ref('rpt_provider_out_of_area_share') }}
    group by financial_year, funding_stream
),

pathfinder as (
    select
        financial_year,
        'green' as funding_stream,
        sum(price_gbp) as gbp
    from {{ ref('rpt_pathfinder_scope') }}
    group by financial_year
),

triangulation as (
    select
        financial_year,
        sum(slam_price_gbp) as gbp
    from {{ ref('rpt_triangulation_activity') }}
    group by financial_year
),

triangulation_spend as (
    select
        financial_year,
        sum(slam_gbp) as gbp
    from {{ ref('rpt_triangulation_spend') }}
    group by financial_year
),

slam_by_year as (
    select
        financial_year,
        sum(slam_gbp) as slam_gbp,
        coalesce(sum(slam_gbp) filter (where funding_stream = 'green'), 0) as green_gbp
    from slam
    group by financial_year
),

compared as (
    select
        'rpt_cross_boundary_flows' as mart,
        slam.financial_year,
        slam.funding_stream,
        slam.slam_gbp as expected_gbp,
        flows.gbp as mart_gbp
    from slam
    left join flows
        on slam.financial_year = flows.financial_year and slam.funding_stream = flows.funding_stream
    union all
    select
        'rpt_provider_out_of_area_share' as mart,
        slam.financial_year,
        slam.funding_stream,
        slam.slam_gbp as expected_gbp,
        provider_shares.gbp as mart_gbp
    from slam
    left join provider_shares
        on
            slam.financial_year = provider_shares.financial_year
            and slam.funding_stream = provider_shares.funding_stream
    union all
    select
        'rpt_pathfinder_scope' as mart,
        slam.financial_year,
        slam.funding_stream,
        slam.pathfinder_gbp as expected_gbp,
        coalesce(pathfinder.gbp, 0) as mart_gbp
    from slam
    left join pathfinder
        on slam.financial_year = pathfinder.financial_year and slam.funding_stream = pathfinder.funding_stream
    union all
    select
        'rpt_triangulation_activity' as mart,
        slam_by_year.financial_year,
        'all' as funding_stream,
        slam_by_year.slam_gbp as expected_gbp,
        triangulation.gbp as mart_gbp
    from slam_by_year
    left join triangulation
        on slam_by_year.financial_year = triangulation.financial_year
    union all
    select
        'rpt_triangulation_spend' as mart,
        slam_by_year.financial_year,
        'green' as funding_stream,
        slam_by_year.green_gbp as expected_gbp,
        coalesce(triangulation_spend.gbp, 0) as mart_gbp
    from slam_by_year
    left join triangulation_spend
        on slam_by_year.financial_year = triangulation_spend.financial_year
),

final as (
    select
        mart,
        financial_year,
        funding_stream,
        expected_gbp,
        mart_gbp
    from compared
    where expected_gbp is distinct from mart_gbp
)

select * from final
