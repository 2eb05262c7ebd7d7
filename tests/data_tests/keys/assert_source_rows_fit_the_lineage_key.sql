-- The facts' keys are file_id × 10⁹ + source_row (macro lineage_key): unique only while no
-- landing file has a billion rows. Returns the files that break it.
{% for model in ['stg_slam__contract_lines', 'stg_sus__records', 'stg_ledger__postings'] %}
    select
        '{{ model }}' as staged_model,
        file_id,
        max(source_row) as last_row
    from {{ ref(model) }}
    group by file_id
    having max(source_row) >= {{ source_row_limit() }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
