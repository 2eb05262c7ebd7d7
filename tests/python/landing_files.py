"""Writing small landing files by hand for tests: exact names, encodings and rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

SLAM_HEADER = [
    "provider_code",
    "commissioner_code",
    "financial_year",
    "financial_month",
    "record_type",
    "service_line_code",
    "pod_code",
    "hrg_code",
    "gp_practice_code",
    "icb_of_registration_code",
    "icb_of_residence_code",
    "activity",
    "price",
]
SUS_HEADER = [
    "sus_record_id",
    "provider_code",
    "provider_record_ref",
    "pseudo_patient_id",
    "nhs_number_status",
    "gp_practice_code",
    "icb_of_registration_code",
    "icb_of_residence_code",
    "activity_date",
    "discharge_date",
    "pod_code",
    "service_line_code",
    "tariff_price",
]
LEDGER_HEADER = [
    "entity_code",
    "financial_year",
    "financial_month",
    "journal_id",
    "journal_line",
    "cost_centre",
    "subjective_code",
    "analysis_code",
    "supplier_code",
    "amount",
]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> Path:
    """Write a CSV exactly: the encoding may be utf-8, utf-8-sig or cp1252."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def slam_row(
    month: str,
    *,
    provider: str = "RJ1",
    year: str = "2025/26",
    service_line: str = "NCBPS01A",
    pod: str = "EL",
    gp: str = "G85001",
    registration: str = "QKK",
    residence: str = "QKK",
    activity: str = "1",
    price: str = "100.00",
    record_type: str = "Actual",
    commissioner: str = "13R",
) -> list[str]:
    return [
        provider,
        commissioner,
        year,
        month,
        record_type,
        service_line,
        pod,
        "EB01A",
        gp,
        registration,
        residence,
        activity,
        price,
    ]


def sus_row(
    record_id: str,
    date: str,
    *,
    provider: str = "RJ1",
    gp: str = "G85001",
    registration: str = "QKK",
    residence: str = "QKK",
    pod: str = "EL",
    service_line: str = "NCBPS01A",
    price: str = "1000.00",
    discharge: str = "",
    nhs_status: str = "01",
) -> list[str]:
    return [
        record_id,
        provider,
        f"LOCAL-{record_id}",
        f"PSEUDO-{record_id}",
        nhs_status,
        gp,
        registration,
        residence,
        date,
        discharge,
        pod,
        service_line,
        price,
    ]


def ledger_row(
    journal: str,
    line: str,
    amount: str,
    *,
    entity: str = "QKK",
    year: str = "2025/26",
    month: str = "5",
    cost_centre: str = "",
    supplier: str = "RJ1",
) -> list[str]:
    return [entity, year, month, journal, line, cost_centre, "52110", "SPEC", supplier, amount]
