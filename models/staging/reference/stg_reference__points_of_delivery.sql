with

points_of_delivery as (
    select
        pod_code,
        pod_name,
        unit_of_activity,
        setting,
        is_high_cost_drugs_devices
    from {{ ref('points_of_delivery') }}
),

final as (
    select
        upper(trim(pod_code)) as pod_code,
        pod_name,
        unit_of_activity,
        setting,
        is_high_cost_drugs_devices
    from points_of_delivery
)

select * from final
