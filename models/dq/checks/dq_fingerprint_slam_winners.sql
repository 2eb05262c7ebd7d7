{#- What the SLAM current-row checks of a slice depend on: the winning file of the slice and
    its rows (current rows change only when the winner changes). -#}
with

final as (
    select
        provider_code,
        financial_year,
        financial_month,
        'winner ' || winning_file_id || ' rows ' || winning_rows as part,
        winning_rows as row_count
    from {{ ref('int_slam__slice_winners') }}
)

select * from final
