"""Great Expectations on pandas batches read from DuckDB.

GX's SQL datasource does not work on DuckDB, so each batch of rows is read into a pandas
DataFrame (the slice number, the row id, the context columns, the raw values and the columns the
checks' expectations read) and validated against an ExpectationSuite built from the check
registry: one expectation per check, the rule itself where the registry states it on real
columns of the check model (not null, between, in a set, a pattern, a pair of columns equal,
uniqueness), else the model's flag (`expect_column_values_to_be_in_set(fails_<id>, [false])`,
where the registry's flag_reason says why GX cannot state the rule), with
`mostly = 1 - max_failure_rate`. GX's result format names the failing rows by their index
columns — slice number, row id, the context columns and the raw values the registry names —
so the runner counts failures per slice and keeps samples from GX's answer alone: nothing
re-checks it and nothing joins back to find a failing row's context.
Importing Great Expectations takes seconds, so the runner imports this module only when
some slice has changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import deserialize_row_condition

from speccomm.quality.suites import CONTEXT_COLUMNS, Batch, Check
from speccomm.quality.thresholds import Threshold

# The columns naming a failing row in GX's answer: where it is (slice, row) and what a provider
# is shown about it (the context columns, the raw values of the batch's checks). They are also
# the frame's index levels, under INDEX_PREFIX: GX then reads a failing row's names from its
# index tuple (its named-column path reads every value with .at, cell by cell: 5 times slower
# on the demo) and returns them as one list per column.
INDEX_COLUMNS = ("slice_no", "row_id", *CONTEXT_COLUMNS)
INDEX_PREFIX = "index."


def index_columns(checks: list[Check]) -> list[str]:
    """INDEX_COLUMNS and the raw-value columns the registry names for the checks (once each)."""
    return list(dict.fromkeys([*INDEX_COLUMNS, *(check.raw_value for check in checks)]))


@dataclass(frozen=True)
class BatchOutcome:
    """What GX found in one pandas batch: per check, its failing rows (GX's index columns)."""

    element_count: int
    unexpected_rows: dict[str, pd.DataFrame]
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
        """Validate `frame`: the index columns (index_columns) and every column the checks'
        expectations read."""
        definition, suite = self._prepare(batch, checks)
        names = index_columns(checks)
        indexed = frame.set_index([frame[name].rename(INDEX_PREFIX + name) for name in names])
        gx_batch = definition.get_batch(batch_parameters={"dataframe": indexed})  # type: ignore[attr-defined]
        result_format = _result_format([INDEX_PREFIX + name for name in names])
        result = gx_batch.validate(suite, result_format=result_format)
        unexpected: dict[str, pd.DataFrame] = {}
        success: dict[str, bool] = {}
        for expectation_result in result.results:
            check_id = expectation_result.expectation_config.meta["check_id"]
            if expectation_result.exception_info.get("raised_exception"):
                message = expectation_result.exception_info.get("exception_message")
                raise RuntimeError(f"GX could not evaluate {batch.key} {check_id}: {message}")
            found = expectation_result.result.get("unexpected_index_list")
            unexpected[check_id] = _failing_rows(found, names)
            success[check_id] = bool(expectation_result.success)
        return BatchOutcome(len(frame), unexpected, success)

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
                    **_gx_kwargs(check),
                    mostly=1.0 - threshold.max_failure_rate,
                    meta={"check_id": check.check_id, "severity": threshold.severity},
                    description=check.fails_when,
                )
            )
        return suite


def _gx_kwargs(check: Check) -> dict[str, object]:
    """The registry's kwargs, a row_condition given as a mapping made GX's Condition object."""
    kwargs = dict(check.kwargs)
    if isinstance(kwargs.get("row_condition"), dict):
        kwargs["row_condition"] = deserialize_row_condition(kwargs["row_condition"])
    return kwargs


def _result_format(index_names: list[str]) -> dict[str, object]:
    """COMPLETE: every failing row, named by the index levels, as one list per level (no list
    of the failing values of its own, no query to find them again)."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": index_names,
        "exclude_unexpected_values": True,
        "return_unexpected_index_query": False,
    }


def _failing_rows(found: object, names: list[str]) -> pd.DataFrame:
    """GX's unexpected_index_list ([{index level: [values]}], or [] when no row fails) as a frame
    of the index columns."""
    if not found:
        return pd.DataFrame({name: [] for name in names})
    if not (isinstance(found, list) and len(found) == 1 and isinstance(found[0], dict)):
        raise RuntimeError(f"GX named the failing rows in an unexpected shape: {str(found)[:200]}")
    return pd.DataFrame({name: found[0][INDEX_PREFIX + name] for name in names})


def _class_name(expectation: str) -> str:
    """expect_column_pair_values_a_to_be_greater_than_b -> ExpectColumnPairValuesAToBeGreaterThanB."""
    return "".join(part.capitalize() for part in expectation.split("_"))
