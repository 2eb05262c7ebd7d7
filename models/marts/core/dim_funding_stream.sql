with

funding_streams as (
    select
        funding_stream,
        funding_stream_name,
        who_pays,
        is_delegated
    from {{ ref('funding_streams') }}
),

final as (
    select
        lower(trim(funding_stream)) as funding_stream,
        funding_stream_name,
        who_pays,
        is_delegated
    from funding_streams
)

select * from final
