{#- The contract's plan and actual per provider × ICB × service line × financial year × month,
    like for like: current SLAM Plan rows (the contract plan the provider states) and Actual
    rows, summed per ICB. A Plan row is for the ICB its commissioner code means on the row's
    month (int_icb__codes_in_force: an ICB's code, a sub-ICB location's ICB, a dissolved ICB's
    successor); a commissioner that is not an ICB (a commissioning hub such as 13R, or a code
    not in force) leaves the plan on the patients' ICB the row states (attributed_icb_code).
    An Actual row counts for its patients' ICB (attributed_icb_code), so a plan for QKK is set
    against QKK's patients only. No ICB at all: UNKNOWN.
    After a merger (decision 0018, ICB in force) a row stating a dissolved ICB's code is the
    successor's, but the plan was made for the dissolved ICB's population only: stated_icb_code
    is the ICB the row's code meant when it was in force (the supplied code; its last own
    meaning in int_icb__codes_in_force). The like-for-like actual of a line × year with a plan
    counts the Actual rows whose stated ICB is one the plan was stated for (plan_icb_codes);
    without a plan, every actual. Without a merger the stated ICB is the ICB in force and the
    like-for-like actual is the actual. Method: docs/marts/contract-plan-vs-actual.md. -#}
with

fct_contract_activity as (
    select
        provider_code,
        commissioner_code,
        attributed_icb_code,
        service_line_code,
        funding_stream,
        financial_year,
        financial_month,
        period_start_date,
        record_type,
        activity,
        price,
        attribution_method,
        icb_code_superseded,
        {{ clean_icb_code('icb_of_registration_code_raw') }} as registration_code_stated,
        {{ clean_icb_code('icb_of_residence_code_raw') }} as residence_code_stated
    from {{ ref('fct_contract_activity') }}
),

providers as (
    select
        provider_code,
        host_icb_code
    from {{ ref('stg_reference__providers') }}
),

own_meanings as (
    select
        code,
        icb_code,
        row_number() over (partition by code order by valid_to desc) as recency
    from {{ ref('int_icb__codes_in_force') }}
    where not is_superseded
),

-- What each code meant while it was in force: its last own (not superseded) meaning.
last_own_meanings as (
    select
        code,
        icb_code
    from own_meanings
    where recency = 1
),

placed as (
    select
        fct_contract_activity.provider_code,
        fct_contract_activity.service_line_code,
        fct_contract_activity.funding_stream,
        fct_contract_activity.financial_year,
        fct_contract_activity.financial_month,
        fct_contract_activity.record_type,
        fct_contract_activity.activity,
        fct_contract_activity.price,
        case
            when fct_contract_activity.record_type = 'Plan'
                then coalesce(commissioner.icb_code, fct_contract_activity.attributed_icb_code, {{ unknown_code() }})
            else coalesce(fct_contract_activity.attributed_icb_code, {{ unknown_code() }})
        end as icb_code,
        case
            when fct_contract_activity.record_type != 'Plan' then 'attributed_icb'
            when commissioner.icb_code is not null then 'commissioner'
            when fct_contract_activity.attributed_icb_code is not null then 'attributed_icb'
            else 'unknown'
        end as icb_basis,
        -- the ICB the row's own code meant when stated (differs from icb_code after a merger only)
        case
            when fct_contract_activity.record_type = 'Plan' and commissioner.is_superseded
                then commissioner_meant.icb_code
            when fct_contract_activity.record_type = 'Plan' and commissioner.icb_code is not null
                then commissioner.icb_code
            when fct_contract_activity.icb_code_superseded and fct_contract_activity.attribution_method = 'registration'
                then coalesce(registration_meant.icb_code, fct_contract_activity.attributed_icb_code)
            when fct_contract_activity.icb_code_superseded and fct_contract_activity.attribution_method = 'residence'
                then coalesce(residence_meant.icb_code, fct_contract_activity.attributed_icb_code)
            when fct_contract_activity.attribution_method = 'provider_host' and host_now.is_superseded
                then coalesce(host_meant.icb_code, fct_contract_activity.attributed_icb_code)
            else fct_contract_activity.attributed_icb_code
        end as stated_icb_code
    from fct_contract_activity
    {{ join_icb_in_force('fct_contract_activity.commissioner_code', 'fct_contract_activity.period_start_date',
        'commissioner') }}
    left join last_own_meanings as commissioner_meant
        on fct_contract_activity.commissioner_code = commissioner_meant.code
    left join last_own_meanings as registration_meant
        on fct_contract_activity.registration_code_stated = registration_meant.code
    left join last_own_meanings as residence_meant
        on fct_contract_activity.residence_code_stated = residence_meant.code
    left join providers
        on fct_contract_activity.provider_code = providers.provider_code
    {{ join_icb_in_force('providers.host_icb_code', 'fct_contract_activity.period_start_date', 'host_now') }}
    left join last_own_meanings as host_meant
        on providers.host_icb_code = host_meant.code
),

-- The ICBs (as stated) each line's plan was made for in the year.
plan_icbs as (
    select distinct
        provider_code,
        icb_code,
        coalesce(service_line_code, {{ unknown_code() }}) as service_line_code,
        financial_year,
        coalesce(stated_icb_code, icb_code) as stated_icb_code
    from placed
    where record_type = 'Plan'
),

plan_icb_lists as (
    select
        provider_code,
        icb_code,
        service_line_code,
        financial_year,
        {{ ordered_string_agg('stated_icb_code', ',', 'stated_icb_code') }} as plan_icb_codes
    from plan_icbs
    group by provider_code, icb_code, service_line_code, financial_year
),

compared as (
    select
        placed.*,
        plan_icb_lists.plan_icb_codes,
        placed.record_type = 'Actual'
        and (plan_icb_lists.plan_icb_codes is null or plan_icbs.stated_icb_code is not null) as is_like_for_like
    from placed
    left join plan_icb_lists
        on
            placed.provider_code = plan_icb_lists.provider_code
            and placed.icb_code = plan_icb_lists.icb_code
            and coalesce(placed.service_line_code, {{ unknown_code() }}) = plan_icb_lists.service_line_code
            and placed.financial_year = plan_icb_lists.financial_year
    left join plan_icbs
        on
            placed.provider_code = plan_icbs.provider_code
            and placed.icb_code = plan_icbs.icb_code
            and coalesce(placed.service_line_code, {{ unknown_code() }}) = plan_icbs.service_line_code
            and placed.financial_year = plan_icbs.financial_year
            and coalesce(placed.stated_icb_code, placed.icb_code) = plan_icbs.stated_icb_code
),

final as (
    select
        provider_code,
        icb_code,
        coalesce(service_line_code, {{ unknown_code() }}) as service_line_code,
        financial_year,
        financial_month,
        max(funding_stream) as funding_stream,
        cast(coalesce(sum(activity) filter (where record_type = 'Plan'), 0) as decimal(38, 3)) as plan_activity,
        cast(coalesce(sum(activity) filter (where record_type = 'Actual'), 0) as decimal(38, 3)) as actual_activity,
        cast(coalesce(sum(price) filter (where record_type = 'Plan'), 0) as decimal(38, 2)) as plan_gbp,
        cast(coalesce(sum(price) filter (where record_type = 'Actual'), 0) as decimal(38, 2)) as actual_gbp,
        cast(coalesce(sum(activity) filter (where is_like_for_like), 0) as decimal(38, 3))
            as like_for_like_actual_activity,
        cast(coalesce(sum(price) filter (where is_like_for_like), 0) as decimal(38, 2)) as like_for_like_actual_gbp,
        max(plan_icb_codes) as plan_icb_codes,
        count(*) filter (where record_type = 'Plan') as plan_rows,
        count(*) filter (where record_type = 'Plan' and icb_basis = 'commissioner') as plan_rows_by_commissioner,
        count(*) filter (where record_type = 'Actual') as actual_rows
    from compared
    group by
        provider_code,
        icb_code,
        coalesce(service_line_code, {{ unknown_code() }}),
        financial_year,
        financial_month
)

select * from final
