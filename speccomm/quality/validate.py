"""Great Expectations on pandas batches read from DuckDB.

GX's SQL datasource does not work on DuckDB, so each batch of rows is read into a pandas
DataFrame (the slice number, the row id and the columns the checks' expectations read) and
validated against an ExpectationSuite built from the check registry: one expectation per check,
the rule itself where the registry states it on a column of the check model (not null, between,
in a set, a pattern), else the model's flag (`expect_column_values_to_be_in_set(fails_<id>,
[false])`, where the rule needs joins to reference data in force or to other rows), with
`mostly = 1 - max_failure_rate`. GX returns, per expectation, the positions of the unexpected
(failing) rows; the runner turns them into per-slice counts and samples. GX's count is the
only one: nothing re-checks it.
Importing Great Expectations takes seconds, so the runner imports this module only when
some slice has changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from speccomm.quality.suites import Batch, Check
from speccomm.quality.thresholds import Threshold

RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


@dataclass(frozen=True)
class BatchOutcome:
    """What GX found in one pandas batch: per check, the positions of the failing rows."""

    element_count: int
    unexpected_positions: dict[str, np.ndarray]
    success: dict[str, bool]


class GxValidator:
    """One ephemeral GX context with a pandas datasource; one suite and asset per batch."""

    def __init__(self, thresholds: dict[str, Threshold]) -> None:
        self._thresholds = thresholds
        self._context = gx.get_context(mode="ephemeral")
        self._context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self._datasource = self._context.data_sources.add_pandas(name="speccomm_dq")
        self._prepared: dict[str, tuple[object, object]] = {}

    def validate(self, batch: Batch, checks: list[Check], frame: pd.DataFrame) -> BatchOutcome:
        """Validate `frame` (default RangeIndex, one `fails_<check_id>` column per check)."""
        definition, suite = self._prepare(batch, checks)
        gx_batch = definition.get_batch(batch_parameters={"dataframe": frame})  # type: ignore[attr-defined]
        result = gx_batch.validate(suite, result_format=RESULT_FORMAT)
        positions: dict[str, np.ndarray] = {}
        success: dict[str, bool] = {}
        for expectation_result in result.results:
            check_id = expectation_result.expectation_config.meta["check_id"]
            if expectation_result.exception_info.get("raised_exception"):
                message = expectation_result.exception_info.get("exception_message")
                raise RuntimeError(f"GX could not evaluate {batch.key} {check_id}: {message}")
            found = expectation_result.result.get("unexpected_index_list") or []
            positions[check_id] = np.asarray(found, dtype=np.int64)
            success[check_id] = bool(expectation_result.success)
        return BatchOutcome(len(frame), positions, success)

    def _prepare(self, batch: Batch, checks: list[Check]) -> tuple[object, object]:
        if batch.key not in self._prepared:
            asset = self._datasource.add_dataframe_asset(name=batch.key)
            definition = asset.add_batch_definition_whole_dataframe(f"{batch.key}.changed_slices")
            suite = self._context.suites.add(self._suite(batch, checks))
            self._prepared[batch.key] = (definition, suite)
        return self._prepared[batch.key]

    def _suite(self, batch: Batch, checks: list[Check]) -> gx.ExpectationSuite:
        suite = gx.ExpectationSuite(name=batch.key, meta={"description": batch.description})
        for check in checks:
            threshold = self._thresholds[check.check_id]
            expectation_class = getattr(gxe, _class_name(check.expectation))
            suite.add_expectation(
                expectation_class(
                    **check.kwargs,
                    mostly=1.0 - threshold.max_failure_rate,
                    meta={"check_id": check.check_id, "severity": threshold.severity},
                    description=check.fails_when,
                )
            )
        return suite


def _class_name(expectation: str) -> str:
    """expect_column_values_to_not_be_null -> ExpectColumnValuesToNotBeNull."""
    return "".join(part.capitalize() for part in expectation.split("_"))
