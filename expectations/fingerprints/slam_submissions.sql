-- The expected-submission row of the slice, by content.
select
    provider_code,
    financial_year,
    financial_month,
    'submission ' || md5(cast(submissions as varchar)) as part,
    1 as row_count
from dq.dq_slam_submissions as submissions
