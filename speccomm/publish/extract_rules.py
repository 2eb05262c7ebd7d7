"""Which rows of each published table an extract may take away, and how: one declared rule
per table.

The Pathfinder's rule: an ICB sees the data on **its own patients and its own providers** —
a row is in the extract of a footprint (one ICB, or several under a data-sharing agreement)
when one of its ICB columns is a footprint ICB, or names an ICB whose population a footprint
ICB holds today (`dim_icb.current_icb_code`: history on today's boundaries), or its provider
is hosted by a footprint ICB (`dim_provider_host`, at any time, or `dim_provider`). Shared
dimensions (reference data) go whole.

Aggregate marts have their small numbers suppressed (`Aggregate.counts`, see
speccomm.publish.suppression). Row-level facts (`row_level=True`) go to one ICB about its own
data, and to a footprint of several ICBs only under a sharing agreement that allows row-level
data (seed `data_sharing_agreements`).

The rules live with each mart, in its YAML's `config.meta.extract` (one home: the model's
metadata, beside its grain and key; docs/architecture.md, "Where does my change go"):

    extract: shared                                   # reference data, every row
    extract: {withheld: "why it never leaves"}        # decided: not in extracts
    extract:
      icb_columns: [icb_code]                         # any of them a footprint ICB
      provider_columns: [provider_code]               # or a provider a footprint ICB hosts
      counts: {activity: [price_gbp]}                 # suppressed, with what goes with them
      row_level: true                                 # one row per record

Fail closed: a table of schema `marts` whose model states no rule is not exported, and neither
is a table whose rule names a column the table does not have. So a new mart never leaks: it
stays out of the extracts until someone decides its rule. A rule that does not parse stops the
extract, naming the file, the model and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from speccomm.config import PROJECT_ROOT

MARTS_MODELS = PROJECT_ROOT / "models" / "marts"

ROW = "extracted_row"  # the alias of the table being extracted in IcbRows' SQL


@dataclass(frozen=True)
class Shared:
    """Reference data every ICB may hold whole."""

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return "shared dimension: every row"


@dataclass(frozen=True)
class NotExtracted:
    """A mart decided to stay out of every extract, with the reason."""

    reason: str

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return f"not extracted: {self.reason}"


@dataclass(frozen=True)
class IcbRows:
    """Rows where any `icb_columns` is a footprint ICB (or an ICB whose population a footprint
    ICB holds today), or any `provider_columns` is a provider a footprint ICB hosts. NULLs
    match nothing, so national or unattributed rows stay out.

    `counts`: count columns suppressed in the extract (1-7 withheld, the rest rounded), each
    with the columns withheld along with it when it is (money or shares derived from it).
    `row_level`: one row per record; shared across ICBs only under a sharing agreement."""

    icb_columns: tuple[str, ...] = ()
    provider_columns: tuple[str, ...] = ()
    counts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    row_level: bool = False

    def columns(self) -> tuple[str, ...]:
        linked = tuple(c for values in self.counts.values() for c in values)
        return self.icb_columns + self.provider_columns + tuple(self.counts) + linked

    def describe(self) -> str:
        parts = [f"{c} = ICB" for c in self.icb_columns]
        parts += [f"{c} hosted by ICB" for c in self.provider_columns]
        kind = "row-level; " if self.row_level else ""
        return kind + " or ".join(parts)

    def where(self) -> str:
        """Needs the extract's temp tables footprint_icbs(icb_code, footprint_icb_code) and
        footprint_providers(provider_code, footprint_icb_code)."""
        parts = [f'{ROW}."{c}" in (select icb_code from footprint_icbs)' for c in self.icb_columns]
        parts += [
            f'{ROW}."{c}" in (select provider_code from footprint_providers)' for c in self.provider_columns
        ]
        return " or ".join(parts)

    def extract_icb(self) -> str:
        """The footprint ICB a row is in the extract for: its first ICB column that is (or is
        held today by) a footprint ICB, else the ICB hosting its provider."""
        lookups = [
            f'(select f.footprint_icb_code from footprint_icbs as f where f.icb_code = {ROW}."{c}")'
            for c in self.icb_columns
        ]
        lookups += [
            "(select min(f.footprint_icb_code) from footprint_providers as f"
            f' where f.provider_code = {ROW}."{c}")'
            for c in self.provider_columns
        ]
        return lookups[0] if len(lookups) == 1 else f"coalesce({', '.join(lookups)})"


Rule = Shared | NotExtracted | IcbRows

# schema `dq`: the data-quality results of the footprint's providers (and ICB ledgers), by the
# provider_code column; row samples of failures (raw values, record references) are not shared.
DQ_TABLES: tuple[str, ...] = ("dq_check_results", "dqmi_scores", "dqmi_item_scores", "dq_slam_submissions")

_ICB_ROWS_FIELDS = {"icb_columns", "provider_columns", "counts", "row_level"}


class ExtractRuleError(ValueError):
    """A mart's `config.meta.extract` that does not parse: names the file, model and field."""


def parse_rule(value: Any, where: str) -> Rule:
    """One mart's `extract` metadata as a rule; `where` is "<file>: <model>" for the error."""
    if value == "shared":
        return Shared()
    if not isinstance(value, dict):
        raise ExtractRuleError(f"{where}: config.meta.extract must be 'shared' or a mapping, not {value!r}")
    if "withheld" in value:
        reason = value["withheld"]
        if set(value) != {"withheld"} or not isinstance(reason, str) or not reason.strip():
            raise ExtractRuleError(f"{where}: config.meta.extract.withheld must be the only field, a reason")
        return NotExtracted(reason.strip())
    unknown = sorted(set(value) - _ICB_ROWS_FIELDS)
    if unknown:
        raise ExtractRuleError(f"{where}: config.meta.extract has unknown fields {unknown}")
    icbs = _names(value.get("icb_columns", []), f"{where}: config.meta.extract.icb_columns")
    providers = _names(value.get("provider_columns", []), f"{where}: config.meta.extract.provider_columns")
    if not icbs and not providers:
        raise ExtractRuleError(f"{where}: config.meta.extract names no icb_columns or provider_columns")
    counts = value.get("counts", {})
    if not isinstance(counts, dict):
        raise ExtractRuleError(f"{where}: config.meta.extract.counts must map a count column to a list")
    linked = {
        str(count): _names(columns, f"{where}: config.meta.extract.counts.{count}")
        for count, columns in counts.items()
    }
    row_level = value.get("row_level", False)
    if not isinstance(row_level, bool):
        raise ExtractRuleError(f"{where}: config.meta.extract.row_level must be true or false")
    return IcbRows(icb_columns=icbs, provider_columns=providers, counts=linked, row_level=row_level)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ExtractRuleError(f"{where} must be a list of column names")
    return tuple(value)


def rules_in(folder: Path) -> dict[str, Rule]:
    """Model name -> rule, for every model in `folder`'s YAML files that states one."""
    rules: dict[str, Rule] = {}
    for path in sorted(folder.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            meta = (model.get("config") or {}).get("meta") or {}
            if "extract" in meta:
                rules[model["name"]] = parse_rule(meta["extract"], f"{path.name}: {model['name']}")
    return rules


@cache
def marts_rules() -> dict[str, Rule]:
    """The published marts' rules (schema `marts`), from their models' metadata."""
    return rules_in(MARTS_MODELS)
