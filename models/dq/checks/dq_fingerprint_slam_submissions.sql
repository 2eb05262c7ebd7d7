{#- What the SLAM submission check of a slice depends on: its expected-submission row, by
    content (the alias is the whole row, cast to text). -#}
with

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        'submission ' || md5(cast(submissions as varchar)) as part,
        1 as row_count
    from {{ ref('dq_slam_submissions') }} as submissions  -- noqa: AL05
)

select * from final
