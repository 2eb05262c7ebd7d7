"""An independent check that a landing folder follows the landing contract (v1).

Written from ../shared/contracts/landing.md alone: it imports nothing of speccomm (the loader)
nor of the kit's generator (tests/python/test_testkit_boundary.py holds it to that). It reads
every file with the csv module and checks file-name patterns, encodings, headers (after the
contract's normalisation) against the accepted aliases, required columns (except in the files
the manifest says are broken on purpose), and the value formats; a value that does not parse
must be one the manifest lists as planted. It also notes which of the contract's messy forms it
saw, so tests can ask that every one of them is exercised.

Run it by hand: `speccomm-check-landing LANDING_DIR` (or `python -m
speccomm_testkit.contract_validator LANDING_DIR`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "slam": {
        "provider_code": ("code_of_provider", "org_code_provider", "der_provider_code"),
        "commissioner_code": ("code_of_commissioner", "cln_commissioner_code"),
        "financial_year": ("fin_year", "activity_year", "der_activity_year"),
        "financial_month": ("fin_month", "der_activity_month"),
        "record_type": ("der_record_type",),
        "service_line_code": ("nhse_service_line", "service_code", "der_nhse_serviceline"),
        "pod_code": ("national_pod_code", "point_of_delivery"),
        "hrg_code": ("der_hrg_code",),
        "treatment_function_code": ("tfc",),
        "gp_practice_code": ("der_gp_practice_code",),
        "icb_of_registration_code": ("registration_icb", "gp_icb_code"),
        "icb_of_residence_code": ("residence_icb", "residence_icb_code"),
        "activity": ("activity_actual", "cln_activity_actual"),
        "price": ("price_actual", "total_cost", "cln_price_actual"),
    },
    "sus": {
        "sus_record_id": ("record_id",),
        "provider_code": ("der_provider_code",),
        "provider_record_ref": ("local_ref", "hospital_provider_spell_id"),
        "pseudo_patient_id": ("der_pseudo_nhs_number",),
        "nhs_number_status": ("nhs_number_status_indicator",),
        "age_at_activity": ("age",),
        "gp_practice_code": (),
        "icb_of_registration_code": ("registration_icb",),
        "icb_of_residence_code": ("residence_icb",),
        "lsoa_code": ("der_postcode_lsoa_code",),
        "commissioner_code": ("der_commissioner_code",),
        "activity_date": ("admission_date", "appointment_date"),
        "discharge_date": (),
        "pod_code": ("national_pod_code",),
        "hrg_code": (),
        "primary_diagnosis_code": (),
        "primary_procedure_code": (),
        "treatment_function_code": ("tfc",),
        "service_line_code": ("ncbfinal_spell_serviceline", "prescribed_service_line_code"),
        "tariff_price": ("final_price", "grand_total_payment_mff"),
    },
    "ledger": {
        "entity_code": ("entity", "icb_code"),
        "financial_year": ("fin_year",),
        "financial_month": ("period", "fin_month"),
        "journal_id": (),
        "journal_line": ("line",),
        "posting_date": ("gl_date",),
        "cost_centre": (),
        "subjective_code": ("account_code",),
        "analysis_code": ("a1_code",),
        "supplier_code": ("provider_code", "trading_partner"),
        "description": (),
        "amount": ("value",),
    },
    "budget": {
        "icb_code": ("entity_code", "icb"),
        "financial_year": ("fin_year",),
        "financial_month": ("period", "fin_month"),
        "funding_stream": ("stream", "delegation_status"),
        "service_line_code": ("service_code", "nhse_service_line"),
        "npoc_code": ("programme_of_care", "national_programme_of_care"),
        "budget_line": ("description", "cost_category"),
        "budget_gbp": ("budget", "amount", "plan_gbp"),
    },
}
REQUIRED = {
    "slam": {"provider_code", "commissioner_code", "financial_year", "financial_month",
             "service_line_code", "pod_code", "activity", "price"},
    "sus": {"sus_record_id", "provider_code", "activity_date", "pod_code"},
    "ledger": {"entity_code", "financial_year", "financial_month", "journal_id", "journal_line",
               "cost_centre", "subjective_code", "amount"},
    "budget": {"icb_code", "financial_year", "financial_month", "funding_stream", "budget_gbp"},
}
NAME_PATTERNS = {
    "slam": re.compile(r"^[A-Z0-9]{3,5}_ACM_\d{4}_M\d{2}_\d{14}\.CSV$"),
    "sus": re.compile(r"^(APC|OP)_\d{6}_\d{14}\.CSV$"),
    "ledger": re.compile(r"^[A-Z0-9]{3,5}_GL_\d{4}_M\d{2}_\d{14}\.CSV$"),
    "budget": re.compile(r"^[A-Z0-9]{3,5}_BUDGET_\d{4}_V\d+_\d{14}\.CSV$"),
}
FY_FORMS = {
    "2025/26": r"\d{4}/\d{2}", "2025-26": r"\d{4}-\d{2}", "202526": r"\d{6}",
    "2025-2026": r"\d{4}-\d{4}", "25/26": r"\d{2}/\d{2}", "2526": r"\d{4}",
}
MONTH_FORMS = {"5": r"[1-9]", "05": r"0[1-9]", "M5": r"M[1-9]", "M05": r"M0[1-9]", "10-12": r"M?1[0-2]"}
_GROUPS = r"(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?"
MONEY_FORMS = {
    "1234.56": r"\d+\.\d{2}", "1,234.56": r"\d{1,3}(,\d{3})+\.\d{2}",
    "£1,234.56": r"£\d{1,3}(,\d{3})*\.\d{2}", "-1234.56": r"-\d+\.\d{2}",
    "-£1,234.56": r"-£\d{1,3}(,\d{3})*\.\d{2}", "(1,234.56)": r"\(\d{1,3}(,\d{3})*\.\d{2}\)",
}
DATE_FORMS = {
    "YYYY-MM-DD": ("%Y-%m-%d", r"\d{4}-\d{2}-\d{2}"),
    "DD/MM/YYYY": ("%d/%m/%Y", r"\d{2}/\d{2}/\d{4}"),
}
DEFAULT_GP = {"V81997", "V81998", "V81999"}
# column -> kind of value the contract fixes the format of
FORMATTED = {
    "slam": {"financial_year": "fy", "financial_month": "month", "activity": "number",
             "price": "money", "record_type": "record_type"},
    "sus": {"activity_date": "date", "discharge_date": "date_optional", "tariff_price": "money_optional",
            "age_at_activity": "age"},
    "ledger": {"financial_year": "fy", "financial_month": "month", "amount": "money",
               "posting_date": "date_optional", "journal_line": "integer"},
    "budget": {"financial_year": "fy", "financial_month": "month", "budget_gbp": "money",
               "funding_stream": "funding_stream"},
}


def normalise_header(name: str) -> str:
    """The contract: trim, lower-case, runs of spaces, hyphens and dots become one underscore."""
    return re.sub(r"[ .\-]+", "_", name.strip().lower())


def fy_valid(text: str) -> bool:
    """One of the six written forms, and the second year follows the first."""
    value = text.strip()
    for pattern in (r"(\d{4})/(\d{2})", r"(\d{4})-(\d{2})", r"(\d{4})(\d{2})",
                    r"(\d{4})-(\d{4})", r"(\d{2})/(\d{2})", r"(\d{2})(\d{2})"):
        match = re.fullmatch(pattern, value)
        if match:
            first, second = match.groups()
            start = int(first) % 100
            return (start + 1) % 100 == int(second) % 100 and (
                len(second) == 2 or int(second) == int(first) + 1)
    return False


def fy_start(text: str) -> int | None:
    """2025 for any valid form of 2025/26, else None."""
    value = text.strip()
    if not fy_valid(value):
        return None
    digits = re.sub(r"\D", "", value)
    return int(digits[:4]) if len(digits) in (6, 8) else 2000 + int(digits[:2])


def month_number(text: str) -> int | None:
    return int(text.strip().lstrip("M")) if month_valid(text) else None


def money_pence(text: str) -> int | None:
    value = text.strip()
    if not money_valid(value):
        return None
    negative = value.startswith(("-", "("))
    pounds, _, pennies = re.sub(r"[^\d.]", "", value).partition(".")
    pence = int(pounds) * 100 + int((pennies + "00")[:2])
    return -pence if negative else pence


def month_valid(text: str) -> bool:
    match = re.fullmatch(r"M?(\d{1,2})", text.strip())
    return match is not None and 1 <= int(match.group(1)) <= 12


def money_valid(text: str) -> bool:
    value = text.strip()
    return bool(re.fullmatch(rf"-?£?{_GROUPS}", value) or re.fullmatch(rf"\(£?{_GROUPS}\)", value))


def number_valid(text: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?", text.strip()))


def date_valid(text: str) -> bool:
    for fmt, _ in DATE_FORMS.values():
        try:
            datetime.strptime(text.strip(), fmt)
            return True
        except ValueError:
            continue
    return False


VALIDATORS = {
    "fy": fy_valid,
    "month": month_valid,
    "money": money_valid,
    "money_optional": lambda t: t.strip() == "" or money_valid(t),
    "number": number_valid,
    "date": date_valid,
    "date_optional": lambda t: t.strip() == "" or date_valid(t),
    "record_type": lambda t: t.strip().lower() in ("", "actual", "plan"),
    "age": lambda t: t.strip() == "" or (t.strip().isdigit() and int(t) <= 120),
    "integer": lambda t: t.strip().isdigit(),
    "funding_stream": lambda t: t.strip().lower() in ("green", "amber", "red", "blue"),
}


@dataclass
class ParsedFile:
    """One landing file read back: feed, name, encoding, canonical header map and rows."""

    relative: str
    feed: str
    encoding: str
    header: list[str]
    columns: dict[str, int]  # canonical -> position
    extras: list[str]
    rows: list[list[str]]
    zero_byte: bool

    def value(self, row: list[str], column: str) -> str:
        position = self.columns.get(column)
        return row[position] if position is not None else ""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    invalid: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    providers: set[str] = field(default_factory=set)
    files: dict[str, ParsedFile] = field(default_factory=dict)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else Windows-1252."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def read_file(root: Path, relative: str) -> ParsedFile:
    feed = relative.split("/")[0]
    data = (root / relative).read_bytes()
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    table = list(csv.reader(io.StringIO(text, newline="")))
    header, rows = (table[0], table[1:]) if table else ([], [])
    columns, extras = {}, []
    for position, name in enumerate(header):
        canonical = _canonical(feed, normalise_header(name))
        if canonical is None:
            extras.append(name)
        elif canonical not in columns:
            columns[canonical] = position
    return ParsedFile(relative, feed, encoding, header, columns, extras, rows, not data)


def _canonical(feed: str, normalised: str) -> str | None:
    for name, aliases in ALIASES[feed].items():
        if normalised == name or normalised in aliases:
            return name
    return None


def validate_landing(root: Path, manifest: dict) -> Report:
    report = Report()
    listed = {f["name"]: f for f in manifest["files"]}
    on_disk = sorted(p.relative_to(root).as_posix() for feed in ALIASES
                     for p in (root / feed).glob("*") if p.is_file())
    for missing in sorted(set(listed) - set(on_disk)):
        report.problems.append(f"{missing}: in the manifest, not on disk")
    for relative in on_disk:
        if relative not in listed:
            report.problems.append(f"{relative}: on disk, not in the manifest")
            continue
        _check_file(root, relative, listed[relative], report)
    _check_invalid_listed(manifest, report)
    _check_budgets(manifest, report)
    if any(len(p) == 5 and p[:3] in report.providers for p in report.providers):
        report.seen.add("code:site_code_for_trust")  # RJ121 beside RJ1
    return report


def _check_file(root: Path, relative: str, entry: dict, report: Report) -> None:
    feed, name = relative.split("/", 1)
    problems = report.problems
    good_name = bool(NAME_PATTERNS[feed].match(name.upper()))
    if good_name == (entry.get("reason") == "bad_name"):
        problems.append(f"{relative}: name pattern {'matches' if good_name else 'fails'} "
                        f"but the manifest says reason={entry.get('reason')}")
    if not good_name:
        report.seen.add("file:bad_name")
    if name != name.upper() and name.lower() == name:
        report.seen.add("file:lower_case_name")
    if name.endswith(".CSV"):
        report.seen.add("file:upper_case_extension")
    parsed = read_file(root, relative)
    report.files[relative] = parsed
    _check_encoding(root, relative, entry, parsed, report)
    if parsed.zero_byte:
        report.seen.add("file:zero_byte")
    elif not parsed.rows:
        report.seen.add("file:header_only")
    if len(parsed.rows) != entry["rows"]:
        problems.append(f"{relative}: {len(parsed.rows)} data rows, manifest says {entry['rows']}")
    if not parsed.zero_byte:
        _check_header(relative, parsed, entry, report)
    width = len(parsed.header)
    for number, row in enumerate(parsed.rows, start=1):
        if len(row) != width:
            problems.append(f"{relative}: row {number} has {len(row)} fields, header has {width}")
            break
        _check_values(parsed, row, report)


def _check_encoding(root: Path, relative: str, entry: dict, parsed: ParsedFile, report: Report) -> None:
    data = (root / relative).read_bytes()
    if parsed.zero_byte:
        return
    expected = entry["encoding"]
    if parsed.encoding != expected:
        report.problems.append(f"{relative}: reads as {parsed.encoding}, manifest says {expected}")
    report.seen.add(f"encoding:{parsed.encoding}")
    if parsed.encoding == "cp1252" and b"\xa3" in data:
        report.seen.add("encoding:cp1252_pound_byte_A3")
    if parsed.encoding == "cp1252" and b"\xa3" not in data:
        report.problems.append(f"{relative}: Windows-1252 without a pound sign to prove it")


def _check_header(relative: str, parsed: ParsedFile, entry: dict, report: Report) -> None:
    missing = sorted(REQUIRED[parsed.feed] - set(parsed.columns))
    reason = entry.get("reason") or ""
    expected = sorted(r.split(":", 1)[1] for r in [reason] if r.startswith("missing_column:"))
    if missing != expected:
        report.problems.append(f"{relative}: missing required {missing}, manifest expects {expected}")
    if missing:
        report.seen.add("file:missing_required_column")
    if parsed.extras:
        report.seen.add("header:extra_columns")
    for name in parsed.header:
        if " " in name.strip():
            report.seen.add("header:spaces")
        if "-" in name:
            report.seen.add("header:hyphens")
        if "." in name:
            report.seen.add("header:dots")
        if name != name.strip():
            report.seen.add("header:padding")
        if name.strip() != name.strip().lower():
            report.seen.add("header:odd_case")
    for canonical in parsed.columns:
        for alias in ALIASES[parsed.feed][canonical]:
            if any(normalise_header(n) == alias for n in parsed.header):
                report.seen.add("header:alias")


def _check_values(parsed: ParsedFile, row: list[str], report: Report) -> None:
    feed = parsed.feed
    for column, kind in FORMATTED[feed].items():
        if column not in parsed.columns:
            continue
        value = parsed.value(row, column)
        if not VALIDATORS[kind](value):
            report.invalid[(feed, column, value)] += 1
        else:
            _note_form(report, kind, value)
    for value in row:
        if "\n" in value:
            report.seen.add("csv:quoted_line_break")
        if "," in value:
            report.seen.add("csv:quoted_comma")
    _note_codes(parsed, row, report)


def _note_form(report: Report, kind: str, value: str) -> None:
    value = value.strip()
    forms = {"fy": FY_FORMS, "month": MONTH_FORMS, "money": MONEY_FORMS, "money_optional": MONEY_FORMS}
    if kind in forms:
        for form, pattern in forms[kind].items():
            if re.fullmatch(pattern, value):
                report.seen.add(f"{kind.split('_')[0]}:{form}")
    if kind.startswith("date") and value:
        for form, (_, pattern) in DATE_FORMS.items():
            if re.fullmatch(pattern, value):
                report.seen.add(f"date:{form}")


def _note_codes(parsed: ParsedFile, row: list[str], report: Report) -> None:
    provider = parsed.value(row, "provider_code").strip().upper()
    if parsed.feed != "ledger" and len(provider) in (3, 5):
        report.providers.add(provider)
    commissioner = parsed.value(row, "commissioner_code").strip().upper()
    if len(commissioner) == 5 and commissioner.endswith("00"):
        report.seen.add("code:commissioner_00_suffix")
    for column in ("icb_of_registration_code", "icb_of_residence_code", "entity_code"):
        code = parsed.value(row, column).strip().upper()
        if re.fullmatch(r"\d{2}[A-Z]", code):
            report.seen.add("code:sub_icb_as_icb")
        if len(code) == 5 and code.endswith("00"):
            report.seen.add("code:icb_00_suffix")
    if parsed.value(row, "gp_practice_code").strip().upper() in DEFAULT_GP:
        report.seen.add("code:default_gp_practice")


def _check_invalid_listed(manifest: dict, report: Report) -> None:
    """Every value that fails its format must be a planted invalid value, as often as listed."""
    planted = manifest.get("planted_invalid_values", {})
    seen: dict[tuple[str, str], Counter[str]] = {}
    for (feed, column, value), count in report.invalid.items():
        seen.setdefault((feed, column), Counter())[value] += count
        if value.strip().upper() in ("TBC", "N/A"):
            report.seen.add(f"money_invalid:{value.strip()}")
    for (feed, column), counter in sorted(seen.items()):
        listed = planted.get(feed, {}).get(column, {})
        for value, count in sorted(counter.items()):
            if listed.get(value) != count:
                report.problems.append(f"{feed}.{column}: {value!r} invalid {count} times, "
                                       f"manifest lists {listed.get(value)}")
    for feed, columns in planted.items():
        for column, values in columns.items():
            for value in values:
                if (feed, column, value) not in report.invalid:
                    report.problems.append(f"{feed}.{column}: planted {value!r} not found in the files")


def _check_budgets(manifest: dict, report: Report) -> None:
    """The contract's rule for budgets, applied to the files: for each ICB × financial year the
    file with the latest <RECEIVED> is in force; the manifest's in_force and plans must say so."""
    latest: dict[tuple[str, str], tuple[str, str]] = {}
    for relative in report.files:
        feed, name = relative.split("/", 1)
        match = re.match(r"^([A-Z0-9]{3,5})_BUDGET_(\d{4})_V\d+_(\d{14})\.CSV$", name.upper())
        if feed != "budget" or not match:
            continue
        icb, fy, received = match.groups()
        key = (icb, f"20{fy[:2]}/{fy[2:]}")
        if key not in latest or received > latest[key][0]:
            latest[key] = (received, relative)
    listed = {(b["icb_code"], b["financial_year"]): b["file"]
              for b in manifest.get("budget", {}).get("in_force", [])}
    if listed != {key: relative for key, (_, relative) in latest.items()}:
        report.problems.append(f"budget: in force by the contract {sorted(latest.items())}, "
                               f"manifest {listed}")
    plans: Counter[tuple[str, str, str]] = Counter()
    for (icb, fy), (_, relative) in latest.items():
        parsed = report.files[relative]
        for row in parsed.rows:
            stream = parsed.value(row, "funding_stream").strip().lower()
            plans[(icb, fy, stream)] += money_pence(parsed.value(row, "budget_gbp")) or 0
    stated = {(p["icb_code"], p["financial_year"], p["funding_stream"]): round(p["annual_plan_gbp"] * 100)
              for p in manifest.get("budget", {}).get("plans", [])}
    if stated != dict(plans):
        report.problems.append(f"budget: plans in the files {dict(plans)}, manifest {stated}")
    if latest:
        report.seen.add("budget:versions" if len(latest) < sum(
            1 for r in report.files if r.startswith("budget/")) else "budget:single_version")


def main(argv: list[str] | None = None) -> int:
    """`speccomm-check-landing LANDING_DIR`: every problem on a line, then a summary; exit 1 on problems."""
    parser = argparse.ArgumentParser(
        prog="speccomm-check-landing",
        description="Check a landing folder written by `speccomm generate` against the landing contract "
                    "(its manifest.json says which defects were planted).")
    parser.add_argument("landing", type=Path, help="the landing folder (with manifest.json)")
    root = parser.parse_args(argv).landing
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        parser.error(f"{manifest_path}: no manifest.json (write the folder with `speccomm generate`)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    report = validate_landing(root, manifest)
    for problem in report.problems:
        print(problem)
    print(f"{len(report.files)} files, {len(report.problems)} problems; seen: {sorted(report.seen)}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
