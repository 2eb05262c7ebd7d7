"""Data quality of what providers sent: Great Expectations on the slices whose data changed.

Start at `speccomm.quality.runner.run_quality_checks`: it reads as the pipeline (registry →
slices → suites → validate → results → dqmi), one module a step. The checks are defined in the
check registry (`seeds/reference/dq_checks.csv`); results go to schema `dq`
(docs/data-quality.md).
"""
