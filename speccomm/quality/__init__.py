"""Data quality of what providers sent: Great Expectations suites run on the changed slices.

Entry point: `run_quality_checks(con, run_id, run_at, revalidate_all=False)`. The suites are
built from the check registry (`seeds/reference/dq_checks.csv`); results go to schema `dq`
(see docs/data-quality.md).
"""

from speccomm.quality.runner import QualitySummary, run_quality_checks

__all__ = ["QualitySummary", "run_quality_checks"]
