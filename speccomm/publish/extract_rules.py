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

Fail closed: a table of schema `marts` with no rule here is not exported, and neither is a
table whose rule names a column the table does not have. So a new mart never leaks: it stays
out of the extracts until someone decides its rule here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROW = "extracted_row"  # the alias of the table being extracted in IcbRows' SQL


@dataclass(frozen=True)
class Shared:
    """Reference data every ICB may hold whole."""

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return "shared dimension: every row"


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


Rule = Shared | IcbRows

_FACT_ICBS = ("attributed_icb_code", "attributed_current_icb_code")
POPULATION_OR_PROVIDER = IcbRows(icb_columns=_FACT_ICBS, provider_columns=("provider_code",), row_level=True)

# schema `marts`: table name -> rule. Keep in step with models/marts/ (a new mart needs a line).
MARTS_RULES: dict[str, Rule] = {
    # shared dimensions
    "dim_date": Shared(),
    "dim_funding_stream": Shared(),
    "dim_icb": Shared(),
    "dim_point_of_delivery": Shared(),
    "dim_provider": Shared(),
    "dim_provider_host": Shared(),
    "dim_service_line": Shared(),
    # facts: the row's population, or its provider
    "fct_contract_activity": POPULATION_OR_PROVIDER,
    "fct_sus_activity": POPULATION_OR_PROVIDER,
    # the ICB's own ledger, and other ledgers' lines paying a provider it hosts
    "fct_ledger_posting": IcbRows(icb_columns=("entity_code",), provider_columns=("supplier_code",)),
    # ICB-level marts: the ICB's own rows only (no other ICB's, no national rows); money only
    "fct_icb_spend_monthly": IcbRows(icb_columns=("icb_code",)),
    "rpt_allocation_impact": IcbRows(icb_columns=("icb_code",)),
    "rpt_pathfinder_scope": IcbRows(
        icb_columns=("icb_code",),
        provider_columns=("provider_code",),
        counts={"activity": ("price_gbp", "share_of_provider_month_gbp")},
    ),
    "rpt_cross_boundary_flows": IcbRows(
        icb_columns=("patient_icb_code", "provider_host_icb_code"),
        counts={"activity": ("price_gbp",), "host_fallback_activity": ("host_fallback_gbp",)},
    ),
    # provider-level marts: the providers the ICB hosts
    "rpt_provider_out_of_area_share": IcbRows(
        provider_columns=("provider_code",),
        counts={
            "activity": ("price_gbp",),
            "host_icb_activity": ("host_icb_gbp",),
            "outside_host_activity": (
                "outside_host_gbp",
                "outside_host_activity_pct",
                "outside_host_gbp_pct",
                "outside_current_host_activity_pct",
                "outside_current_host_gbp_pct",
            ),
            "unattributed_activity": ("unattributed_gbp",),
            "host_fallback_activity": ("host_fallback_gbp",),
        },
    ),
    "rpt_slam_slice_winners": IcbRows(provider_columns=("provider_code",)),
    "rpt_triangulation_activity": IcbRows(
        provider_columns=("provider_code",),
        counts={
            "slam_activity": (
                "slam_price_gbp",
                "slam_unit_price_gbp",
                "activity_variance",
                "activity_pct_variance",
            ),
            "sus_activity": (
                "sus_tariff_gbp",
                "sus_unit_tariff_gbp",
                "activity_variance",
                "activity_pct_variance",
            ),
        },
    ),
    # provider x ICB marts: the ICB's own rows, and its providers' rows
    "rpt_triangulation_spend": IcbRows(
        icb_columns=("icb_code", "current_icb_code"), provider_columns=("provider_code",)
    ),
}

# schema `dq`: the data-quality results of the footprint's providers (and ICB ledgers), by the
# provider_code column; row samples of failures (raw values, record references) are not shared.
DQ_TABLES: tuple[str, ...] = ("dq_check_results", "dqmi_scores", "dqmi_item_scores", "dq_slam_submissions")
