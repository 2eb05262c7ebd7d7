{#- The ICB's plan by month, from the best source there is for each ICB × financial year ×
    funding stream (plan_source; docs/decisions/0019-plan-sources-budget-published-illustrative.md):
    1. icb_budget: the ICB's own budget in force (the latest received budget/ file of the ICB
       and year, int_budget__lines_in_force) when it has a line for the stream; its months as
       the ICB phased them; lines with a budget_line (`drugs and devices`, `block`) are money
       the feeds do not report (plan_not_covered_by_feeds_gbp);
    2. published_allocation: NHS England's published allocation (seed published_allocations,
       a reference update), phased with seed plan_phasing;
    3. illustrative: the shipped seed icb_allocations, phased likewise (no variance is
       published against it).
    Phasing is by cumulative difference, so the twelve months add back to the annual figure
    to the penny. Allocations are on the boundaries in force that year
    (int_reference__icb_allocations_in_force: a successor's own allocation, else its
    predecessors' added up) and phased over the months the ICB is in force only (all twelve
    but for a merger within the year), so a dissolved ICB has no plan after its valid_to. Sources 2 and 3:
    int_reference__plan_allocations. -#}
with

budget_lines as (
    select
        plan_icb_code as icb_code,
        financial_year,
        financial_month,
        funding_stream,
        file_version,
        source_file,
        is_beyond_feeds,
        budget_gbp
    from {{ ref('int_budget__lines_in_force') }}
),

-- one annual figure per ICB × year × stream: published first, else illustrative
allocations as (
    select
        icb_code,
        financial_year,
        funding_stream,
        allocation_basis,
        allocation_gbp,
        plan_source,
        is_derived_from_predecessors,
        in_force_from_month,
        in_force_to_month
    from {{ ref('int_reference__plan_allocations') }}
),

cumulative_phasing as (
    select
        financial_month,
        phase_weight,
        cumulative_weight,
        previous_cumulative_weight
    from {{ ref('stg_reference__plan_phasing') }}
),

budget_streams as (
    select
        icb_code,
        financial_year,
        funding_stream,
        max(file_version) as budget_version,
        max(source_file) as budget_file,
        sum(budget_gbp) as annual_plan_gbp,
        sum(case when is_beyond_feeds then budget_gbp else 0 end) as annual_plan_not_covered_by_feeds_gbp
    from budget_lines
    group by icb_code, financial_year, funding_stream
),

budget_months as (
    select
        icb_code,
        financial_year,
        funding_stream,
        financial_month,
        sum(budget_gbp) as plan_gbp,
        sum(case when is_beyond_feeds then budget_gbp else 0 end) as plan_not_covered_by_feeds_gbp
    from budget_lines
    group by icb_code, financial_year, funding_stream, financial_month
),

allocations_not_budgeted as (
    select allocations.*
    from allocations
    left join budget_streams
        on
            allocations.icb_code = budget_streams.icb_code
            and allocations.financial_year = budget_streams.financial_year
            and allocations.funding_stream = budget_streams.funding_stream
    where budget_streams.icb_code is null
),

budgeted as (
    select
        budget_streams.icb_code,
        budget_streams.financial_year,
        budget_streams.funding_stream,
        'population' as allocation_basis,
        'icb_budget' as plan_source,
        false as is_derived_from_predecessors,
        budget_streams.budget_version,
        budget_streams.budget_file,
        cumulative_phasing.financial_month,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight,
        cast(budget_streams.annual_plan_gbp as decimal(18, 2)) as annual_plan_gbp,
        cast(budget_streams.annual_plan_not_covered_by_feeds_gbp as decimal(18, 2))
            as annual_plan_not_covered_by_feeds_gbp,
        cast(coalesce(budget_months.plan_gbp, 0) as decimal(38, 2)) as plan_gbp,
        cast(coalesce(budget_months.plan_not_covered_by_feeds_gbp, 0) as decimal(38, 2))
            as plan_not_covered_by_feeds_gbp
    from budget_streams
    cross join cumulative_phasing
    left join budget_months
        on
            budget_streams.icb_code = budget_months.icb_code
            and budget_streams.financial_year = budget_months.financial_year
            and budget_streams.funding_stream = budget_months.funding_stream
            and cumulative_phasing.financial_month = budget_months.financial_month
),

phased as (
    select
        allocations_not_budgeted.icb_code,
        allocations_not_budgeted.financial_year,
        allocations_not_budgeted.funding_stream,
        allocations_not_budgeted.allocation_basis,
        allocations_not_budgeted.plan_source,
        allocations_not_budgeted.is_derived_from_predecessors,
        cast(null as integer) as budget_version,
        cast(null as {{ type_text() }}) as budget_file,
        cumulative_phasing.financial_month,
        cumulative_phasing.phase_weight,
        cumulative_phasing.cumulative_weight,
        cast(allocations_not_budgeted.allocation_gbp as decimal(18, 2)) as annual_plan_gbp,
        cast(0 as decimal(18, 2)) as annual_plan_not_covered_by_feeds_gbp,
        {{ round_decimal('allocations_not_budgeted.allocation_gbp * cumulative_phasing.cumulative_weight') }}
        - {{ round_decimal('allocations_not_budgeted.allocation_gbp * cumulative_phasing.previous_cumulative_weight') }}
            as plan_gbp,
        cast(0 as decimal(38, 2)) as plan_not_covered_by_feeds_gbp
    from allocations_not_budgeted
    inner join cumulative_phasing
        on
            cumulative_phasing.financial_month
            between allocations_not_budgeted.in_force_from_month and allocations_not_budgeted.in_force_to_month
),

final as (
    select * from budgeted
    union all
    select * from phased
)

select * from final
