"""The contract's columns for each feed: canonical name, accepted aliases, required or not."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def _cols(*specs: tuple[str, tuple[str, ...], bool]) -> tuple[Column, ...]:
    return tuple(Column(name, aliases, required) for name, aliases, required in specs)


SLAM_COLUMNS = _cols(
    ("provider_code", ("code_of_provider", "org_code_provider", "der_provider_code"), True),
    ("commissioner_code", ("code_of_commissioner", "cln_commissioner_code"), True),
    ("financial_year", ("fin_year", "activity_year", "der_activity_year"), True),
    ("financial_month", ("fin_month", "der_activity_month"), True),
    ("record_type", ("der_record_type",), False),
    ("service_line_code", ("nhse_service_line", "service_code", "der_nhse_serviceline"), True),
    ("pod_code", ("national_pod_code", "point_of_delivery"), True),
    ("hrg_code", ("der_hrg_code",), False),
    ("treatment_function_code", ("tfc",), False),
    ("gp_practice_code", ("der_gp_practice_code",), False),
    ("icb_of_registration_code", ("registration_icb", "gp_icb_code"), False),
    ("icb_of_residence_code", ("residence_icb", "residence_icb_code"), False),
    ("activity", ("activity_actual", "cln_activity_actual"), True),
    ("price", ("price_actual", "total_cost", "cln_price_actual"), True),
)

SUS_COLUMNS = _cols(
    ("sus_record_id", ("record_id",), True),
    ("provider_code", ("der_provider_code",), True),
    ("provider_record_ref", ("local_ref", "hospital_provider_spell_id"), False),
    ("pseudo_patient_id", ("der_pseudo_nhs_number",), False),
    ("nhs_number_status", ("nhs_number_status_indicator",), False),
    ("age_at_activity", ("age",), False),
    ("gp_practice_code", (), False),
    ("icb_of_registration_code", ("registration_icb",), False),
    ("icb_of_residence_code", ("residence_icb",), False),
    ("lsoa_code", ("der_postcode_lsoa_code",), False),
    ("commissioner_code", ("der_commissioner_code",), False),
    ("activity_date", ("admission_date", "appointment_date"), True),
    ("discharge_date", (), False),
    ("pod_code", ("national_pod_code",), True),
    ("hrg_code", (), False),
    ("primary_diagnosis_code", (), False),
    ("primary_procedure_code", (), False),
    ("treatment_function_code", ("tfc",), False),
    ("service_line_code", ("ncbfinal_spell_serviceline", "prescribed_service_line_code"), False),
    ("tariff_price", ("final_price", "grand_total_payment_mff"), False),
)

LEDGER_COLUMNS = _cols(
    ("entity_code", ("entity", "icb_code"), True),
    ("financial_year", ("fin_year",), True),
    ("financial_month", ("period", "fin_month"), True),
    ("journal_id", (), True),
    ("journal_line", ("line",), True),
    ("posting_date", ("gl_date",), False),
    ("cost_centre", (), True),
    ("subjective_code", ("account_code",), True),
    ("analysis_code", ("a1_code",), False),
    ("supplier_code", ("provider_code", "trading_partner"), False),
    ("description", (), False),
    ("amount", ("value",), True),
)

BUDGET_COLUMNS = _cols(
    ("icb_code", ("entity_code", "icb"), True),
    ("financial_year", ("fin_year",), True),
    ("financial_month", ("period", "fin_month"), True),
    ("funding_stream", ("stream", "delegation_status"), True),
    ("service_line_code", ("service_code", "nhse_service_line"), False),
    ("npoc_code", ("programme_of_care", "national_programme_of_care"), False),
    ("budget_line", ("description", "cost_category"), False),
    ("budget_gbp", ("budget", "amount", "plan_gbp"), True),
)

COLUMNS_BY_FEED: dict[str, tuple[Column, ...]] = {
    "slam": SLAM_COLUMNS,
    "sus": SUS_COLUMNS,
    "ledger": LEDGER_COLUMNS,
    "budget": BUDGET_COLUMNS,
}

_SEPARATOR_RUNS = re.compile(r"[\s.\-]+")


def normalise_header(name: str) -> str:
    """Trim, lower-case, and turn runs of spaces, hyphens and dots into one underscore."""
    return _SEPARATOR_RUNS.sub("_", name.strip().lstrip("\ufeff").strip().lower())


@dataclass(frozen=True)
class HeaderMatch:
    positions: dict[str, int]  # canonical column -> 0-based position in the file
    missing_required: tuple[str, ...]
    # (canonical column, first header, second header): two headers of the file mean the same
    # contract column (`Price` and `price_actual`): the file is rejected, naming both
    duplicates: tuple[tuple[str, str, str], ...] = ()


def match_header(feed: str, header: list[str]) -> HeaderMatch:
    """Map the file's header onto the contract's columns."""
    normalised = [normalise_header(h) for h in header]
    positions: dict[str, int] = {}
    duplicates: list[tuple[str, str, str]] = []
    for column in COLUMNS_BY_FEED[feed]:
        matches = [index for index, name in enumerate(normalised) if name in column.accepted]
        if matches:
            positions[column.name] = matches[0]
        duplicates += [(column.name, header[matches[0]].strip(), header[i].strip()) for i in matches[1:]]
    missing = tuple(c.name for c in COLUMNS_BY_FEED[feed] if c.required and c.name not in positions)
    return HeaderMatch(positions, missing, tuple(duplicates))
