{#- Landing files not loaded, with the reason (written by the loader; published here). -#}
with

rejected_files as (
    select
        file_name,
        feed,
        reason,
        seen_at
    from {{ ref('stg_landing__rejected_files') }}
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
