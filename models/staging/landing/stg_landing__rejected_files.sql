with

rejected_files as (
    select
        file_name,
        feed,
        reason,
        seen_at
    from {{ source('landing', 'rejected_files') }}
),

final as (
    select
        file_name,
        feed,
        reason,
        seen_at
    from rejected_files
)

select * from final
