with

points_of_delivery as (
    select
        pod_code,
        pod_name,
        unit_of_activity,
        setting,
        is_high_cost_drugs_devices
    from {{ ref('stg_reference__points_of_delivery') }}
),

known_pods as (
    select
        {{ surrogate_key(['pod_code']) }} as pod_key,
        pod_code,
        pod_name,
        unit_of_activity,
        setting,
        is_high_cost_drugs_devices,
        false as is_unknown_member
    from points_of_delivery
),

unknown_member as (
    select
        {{ unknown_key() }} as pod_key,
        {{ unknown_code() }} as pod_code,
        'Unknown point of delivery' as pod_name,
        cast(null as {{ type_text() }}) as unit_of_activity,
        'unknown' as setting,
        false as is_high_cost_drugs_devices,
        true as is_unknown_member
),

final as (
    select * from known_pods
    union all
    select * from unknown_member
)

select * from final
