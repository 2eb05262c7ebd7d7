"""Which rows of each published table an ICB may take away: one declared rule per table.

The Pathfinder's rule: an ICB sees the data on **its own patients and its own providers** —
a row is in ICB X's extract when one of its ICB columns is X (the ICB the row's population
belongs to, or the host ICB of its provider) or its provider is hosted by X
(`dim_provider.host_icb_code`). Shared dimensions (reference data) go whole.

Fail closed: a table of schema `marts` with no rule here is not exported, and neither is a
table whose rule names a column the table does not have. So a new mart never leaks: it stays
out of the extracts until someone decides its rule here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shared:
    """Reference data every ICB may hold whole."""

    def columns(self) -> tuple[str, ...]:
        return ()

    def describe(self) -> str:
        return "shared dimension: every row"


@dataclass(frozen=True)
class IcbRows:
    """Rows where any `icb_columns` is the ICB, or any `provider_columns` is a provider the
    ICB hosts. NULLs match nothing, so national or unattributed rows stay out."""

    icb_columns: tuple[str, ...] = ()
    provider_columns: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        return self.icb_columns + self.provider_columns

    def describe(self) -> str:
        parts = [f"{c} = ICB" for c in self.icb_columns]
        parts += [f"{c} hosted by ICB" for c in self.provider_columns]
        return " or ".join(parts)

    def where(self, icb_literal: str, hosted_providers_sql: str) -> str:
        parts = [f'"{c}" = {icb_literal}' for c in self.icb_columns]
        parts += [f'"{c}" in ({hosted_providers_sql})' for c in self.provider_columns]
        return " or ".join(parts)


Rule = Shared | IcbRows

POPULATION_OR_PROVIDER = IcbRows(icb_columns=("attributed_icb_code",), provider_columns=("provider_code",))

# schema `marts`: table name -> rule. Keep in step with models/marts/ (a new mart needs a line).
MARTS_RULES: dict[str, Rule] = {
    # shared dimensions
    "dim_date": Shared(),
    "dim_funding_stream": Shared(),
    "dim_icb": Shared(),
    "dim_point_of_delivery": Shared(),
    "dim_provider": Shared(),
    "dim_service_line": Shared(),
    # facts: the row's population, or its provider
    "fct_contract_activity": POPULATION_OR_PROVIDER,
    "fct_sus_activity": POPULATION_OR_PROVIDER,
    # the ICB's own ledger, and other ledgers' lines paying a provider it hosts
    "fct_ledger_posting": IcbRows(icb_columns=("entity_code",), provider_columns=("supplier_code",)),
    # ICB-level marts: the ICB's own rows only (no other ICB's, no national rows)
    "fct_icb_spend_monthly": IcbRows(icb_columns=("icb_code",)),
    "rpt_allocation_impact": IcbRows(icb_columns=("icb_code",)),
    "rpt_pathfinder_scope": IcbRows(icb_columns=("icb_code",), provider_columns=("provider_code",)),
    "rpt_cross_boundary_flows": IcbRows(icb_columns=("patient_icb_code", "provider_host_icb_code")),
    # provider-level marts: the providers the ICB hosts
    "rpt_provider_out_of_area_share": IcbRows(provider_columns=("provider_code",)),
    "rpt_slam_slice_winners": IcbRows(provider_columns=("provider_code",)),
    "rpt_triangulation_activity": IcbRows(provider_columns=("provider_code",)),
    # provider x ICB marts: the ICB's own rows, and its providers' rows
    "rpt_triangulation_spend": IcbRows(icb_columns=("icb_code",), provider_columns=("provider_code",)),
}

HOSTED_PROVIDERS_SQL = "select provider_code from src.marts.dim_provider where host_icb_code = {icb}"
