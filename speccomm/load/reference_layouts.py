"""The official layouts a reference update may come in, turned into the seed's layout.

- `service_codes.csv` in NHS England's service-code table layout (its sheet saved as CSV):
  recognised by its `YYYY/YY ICB Delegation Status` columns.
- `providers.csv` / `icbs.csv` as ODS organisation files (headerless CSV, e.g. `etr.csv` for
  NHS trusts): recognised by a first row that is not the seed's header, with at least 12
  fields. Successors of ICBs come from the ODS successor file `succ.csv` beside it.

Which columns are taken is documented in docs/reference-data.md ("Updating reference data").
Columns an official file does not carry are taken from the shipped seed for known codes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from speccomm.load.columns import normalise_header
from speccomm.load.seed_layout import BadReferenceFile, BadValue, SeedLayout, normalise_value, shipped_rows

COMPANION_FILES = ("succ.csv",)
ODS_MIN_FIELDS = 12
_STATUS_HEADER = re.compile(r"^(\d{4})/(\d{2})_icb_delegation_status$")
_STATUSES = {"green": "Green", "amber": "Amber", "red": "Red", "blue": "Blue"}
_NPOC_NAMES = {
    "internal_medicine": "IM",
    "cancer": "CA",
    "mental_health": "MH",
    "trauma": "TR",
    "women_and_children": "WC",
    "blood_and_infection": "BI",
}
# NHSE header (normalised like landing headers) -> our column
_NHSE_HEADERS = {
    "service_code": ("service_code", "service_line_code"),
    "service_description": ("service_description", "service_line", "service_line_description"),
    "prescribed_service_code": ("prescribed_service_number", "prescribed_service_code"),
    "prescribed_service_name": ("prescribed_service", "prescribed_service_name"),
    "npoc_code": ("npoc", "national_programme_of_care", "npoc_code"),
    "crg_name": ("crg", "clinical_reference_group", "crg_name"),
    "highly_specialised": ("highly_specialised", "highly_specialised_(y/n)"),
    "effective_from": ("effective_from",),
    "effective_to": ("effective_to",),
}

Rows = list[tuple[str, ...]]


def read_official_layout(
    layout: SeedLayout, records: list[list[str]], companions: dict[str, Path]
) -> tuple[str, Rows] | None:
    """(layout name, rows in the seed's layout) when the file is in an official layout, else
    None (then it must be in the seed's own layout)."""
    if not records:
        return None
    header = [normalise_header(name) for name in records[0]]
    if layout.name == "service_codes" and any(_STATUS_HEADER.match(h) for h in header):
        return "nhse_service_codes", _nhse_service_codes(layout, header, records[1:])
    is_seed_header = layout.columns[0] in header
    if layout.name in _ODS and not is_seed_header and len(records[0]) >= ODS_MIN_FIELDS:
        return "ods", _ODS[layout.name](layout, records, companions)
    return None


# --- NHS England's service-code table ----------------------------------------------------------


def _nhse_service_codes(layout: SeedLayout, header: list[str], records: list[list[str]]) -> Rows:
    position = {ours: _find(header, names) for ours, names in _NHSE_HEADERS.items()}
    if position["service_code"] is None:
        raise BadReferenceFile("NHSE service-code table without a 'Service Code' column")
    statuses = {
        f"icb_delegation_status_{m.group(1)}_{m.group(2)}": i
        for i, h in enumerate(header)
        if (m := _STATUS_HEADER.match(h))
    }
    shipped = {row[0]: dict(zip(layout.columns, row, strict=True)) for row in shipped_rows("service_codes")}
    rows, errors = [], []
    for number, record in enumerate(records, start=1):
        cell = _cells(record)
        code = cell(position["service_code"]).upper()
        known = shipped.get(code, {})
        values: dict[str, str] = {"service_code": code, "is_illustrative": "false"}
        for ours in ("service_description", "prescribed_service_code", "prescribed_service_name", "crg_name"):
            values[ours] = cell(position[ours]) if position[ours] is not None else known.get(ours, "")
        npoc = (
            cell(position["npoc_code"]) if position["npoc_code"] is not None else known.get("npoc_code", "")
        )
        values["npoc_code"] = _NPOC_NAMES.get(normalise_header(npoc), npoc.upper())
        flag = (
            cell(position["highly_specialised"]).lower() if position["highly_specialised"] is not None else ""
        )
        values["highly_specialised"] = (
            ("true" if flag in ("y", "yes", "true") else "false")
            if flag or not known
            else known["highly_specialised"]
        )
        for ours in ("effective_from", "effective_to"):
            text = cell(position[ours]) if position[ours] is not None else known.get(ours, "")
            try:
                values[ours] = normalise_value(text, "date")
            except BadValue as exc:
                errors.append(f"row {number}, field {ours}: {exc}")
                values[ours] = ""
        for column in (c for c in layout.columns if c.startswith("icb_delegation_status_")):
            if column in statuses:
                values[column] = _STATUSES.get(cell(statuses[column]).lower(), "")
            else:  # a year this edition does not state: as shipped for a known line
                values[column] = known.get(column, "")
        values["service_category"] = known.get("service_category") or _category(code, values["npoc_code"])
        rows.append(tuple(values[c] for c in layout.columns))
    if errors:
        raise BadReferenceFile("; ".join(errors[:5]))
    return rows


def _category(code: str, npoc_code: str) -> str:
    if code == "99999999":
        return "not_specialised"
    if code == "NCBPSXXX":
        return "unattributable"
    return "mental_health" if npoc_code == "MH" else "standard"


# --- ODS organisation files ---------------------------------------------------------------------
# Headerless, one organisation per row. Fields taken (1-based): 1 organisation code, 2 name,
# 3 national grouping (NHS England region), 4 high level health geography (ICB), 11 open
# date, 12 close date (both YYYYMMDD). succ.csv: 1 predecessor code, 2 successor code.


def _ods_providers(layout: SeedLayout, records: list[list[str]], companions: dict[str, Path]) -> Rows:
    shipped = {row[0]: dict(zip(layout.columns, row, strict=True)) for row in shipped_rows("providers")}
    listed: dict[str, dict[str, str]] = {}
    for record in records:
        cell = _cells(record)
        code = cell(0).upper()
        known = shipped.get(code, {})
        listed[code] = {
            "provider_code": code,
            "provider_name": cell(1),
            "provider_type": known.get("provider_type", "district_general"),
            "is_nhs_trust": known.get("is_nhs_trust", "true"),
            "host_icb_code": cell(3).upper(),
            "region_code": cell(2).upper(),
            "is_illustrative": "false",
        }
    # providers ODS does not list (independent sector, the illustrative trusts) stay as shipped
    merged = [listed.pop(code, values) for code, values in shipped.items()] + list(listed.values())
    return [tuple(values[c] for c in layout.columns) for values in merged]


def _ods_icbs(layout: SeedLayout, records: list[list[str]], companions: dict[str, Path]) -> Rows:
    successors = _ods_successors(companions.get("succ.csv"))
    rows, errors = [], []
    for number, record in enumerate(records, start=1):
        cell = _cells(record)
        code = cell(0).upper()
        dates = {}
        for column, position in (("valid_from", 10), ("valid_to", 11)):
            try:
                dates[column] = _ods_date(cell(position))
            except BadValue as exc:
                errors.append(f"row {number}, field {column} (ODS field {position + 1}): {exc}")
        values = {
            "icb_code": code,
            "icb_name": cell(1),
            "region_code": cell(2).upper(),
            "valid_from": dates.get("valid_from", ""),
            "valid_to": dates.get("valid_to", ""),
            "successor_icb_code": successors.get(code, ""),
        }
        rows.append(tuple(values[c] for c in layout.columns))
    if errors:
        raise BadReferenceFile("; ".join(errors[:5]))
    return rows


def _ods_successors(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            r[0].strip().upper(): r[1].strip().upper()
            for r in csv.reader(handle)
            if len(r) >= 2 and r[0].strip()
        }


def _ods_date(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        return datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return normalise_value(text, "date")


_ODS: dict[str, Callable[[SeedLayout, list[list[str]], dict[str, Path]], Rows]] = {
    "providers": _ods_providers,
    "icbs": _ods_icbs,
}


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _cells(record: list[str]) -> Callable[[int | None], str]:
    def cell(position: int | None) -> str:
        if position is None or position >= len(record):
            return ""
        return record[position].strip()

    return cell
