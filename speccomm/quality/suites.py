"""Step 2 of the runner: build the Great Expectations suites from the registry.

One ephemeral GX context with a pandas datasource (GX's SQL datasource does not work on DuckDB:
the rows are given to GX as pandas frames, speccomm.quality.validate); per batch a dataframe
asset and one ExpectationSuite, one expectation per check: the rule
itself where the registry states it on real columns of the check model (not null, between, in
a set, a pattern, a pair of columns equal, uniqueness), else the model's flag
(`expect_column_values_to_be_in_set(fails_<id>, [false])`, where the registry's flag_reason says
why GX cannot state the rule), with `mostly = 1 - max_failure_rate`, the check's id and
severity in its meta and the registry's `fails_when` as its description. Nothing here reads
the warehouse: the suites are the registry's rows in GX's terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.row_conditions import deserialize_row_condition

from speccomm.quality.registry import Batch, Check


@dataclass(frozen=True)
class BatchSuite:
    """A batch, its checks, the GX suite stating them and the whole-dataframe batch definition
    its rows are given to GX through (a pandas asset named after the batch)."""

    batch: Batch
    checks: tuple[Check, ...]
    suite: gx.ExpectationSuite
    definition: BatchDefinition


@dataclass(frozen=True)
class Suites:
    """The GX context the suites live in, and one suite per batch that has checks."""

    context: AbstractDataContext
    batches: tuple[BatchSuite, ...]


def build_suites(batches: tuple[tuple[Batch, tuple[Check, ...]], ...]) -> Suites:
    """A GX suite for each batch with checks, in the registry's order."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas(name="speccomm_dq")
    built = []
    for batch, checks in batches:
        if not checks:
            continue
        asset = datasource.add_dataframe_asset(name=batch.key)
        definition = asset.add_batch_definition_whole_dataframe(f"{batch.key}.changed_slices")
        built.append(BatchSuite(batch, checks, context.suites.add(_suite(batch, checks)), definition))
    return Suites(context, tuple(built))


def _suite(batch: Batch, checks: tuple[Check, ...]) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=batch.key, meta={"description": batch.description})
    for check in checks:
        expectation_class = getattr(gxe, _class_name(check.expectation))
        suite.add_expectation(
            expectation_class(
                **_gx_kwargs(check),
                mostly=1.0 - check.max_failure_rate,
                meta={"check_id": check.check_id, "severity": check.severity},
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


def _class_name(expectation: str) -> str:
    """expect_column_pair_values_a_to_be_greater_than_b -> ExpectColumnPairValuesAToBeGreaterThanB."""
    return "".join(part.capitalize() for part in expectation.split("_"))
