"""The footprint a night is given (`--footprint`, SPECCOMM_FOOTPRINT), checked against the ICBs
tonight's build will read (docs/footprint.md).

One reader of reference files: the ICB codes come from the `icbs` seed *as tonight will have
it*, read by speccomm.load.reference exactly as the night's load step reads it (encoding,
header normalising and aliases, every acceptance check, the version kept from an earlier
night when tonight's file is rejected). A code that only a rejected file lists is unknown, and
an ICB a file dissolves is followed to its successor (int_reference__footprint does it in SQL;
footprint_notes says so in the run's summary).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from speccomm.config import FOOTPRINT_ENV, NATIONAL, PROJECT_ROOT, icb_codes
from speccomm.load.reference import ReferenceFolder, read_reference_folder, seed_values, shipped_rows
from speccomm.load.seed_layout import seed_layouts

ICBS = "icbs"
MAX_CHAIN = 10  # as int_icb__codes_in_force follows mergers


class UnknownFootprint(ValueError):
    """The footprint names an ICB code the reference data does not know (or names none)."""


def resolve_footprint(
    given: str | None = None, landing: Path | None = None, kept: Path | None = None
) -> list[str] | str | None:
    """`--footprint` value, else SPECCOMM_FOOTPRINT, else None (dbt_project.yml's default).

    Returns the string 'national' or a sorted list of upper-case ICB codes. Every code must be
    an ICB of tonight's reference data (known_icb_codes); an unknown code raises
    UnknownFootprint naming it. An option given but empty (`--footprint ""`) is an error too:
    it must not silently fall back to the environment or the default."""
    source = "--footprint" if given is not None else FOOTPRINT_ENV
    text = given if given is not None else os.environ.get(FOOTPRINT_ENV, "")
    if given is None and not text.strip():
        return None
    if text.strip().lower() == NATIONAL:
        return NATIONAL
    codes = sorted(icb_codes([text]))
    folder = tonights_reference(landing, kept) if codes else ReferenceFolder()
    known = seed_values(ICBS, "icb_code", folder.updates, seed_layouts())
    unknown = [code for code in codes if code not in known]
    if not codes or unknown:
        rejected = [why for name, why in folder.rejected if name.lower() == f"{ICBS}.csv"]
        raise UnknownFootprint(
            f"{source}={text!r}: "
            + (f"unknown ICB code(s) {', '.join(unknown)}" if unknown else "no ICB code given")
            + ". Give comma-separated ICB codes of the reference data (seeds/reference/icbs.csv, or"
            + " <landing>/reference/icbs.csv when accepted; e.g. QKK,QWE)"
            + f" or '{NATIONAL}'."
            + (f" <landing>/reference/icbs.csv is rejected tonight: {rejected[0]}" if rejected else "")
        )
    return codes


def known_icb_codes(landing: Path | None = None, kept: Path | None = None) -> set[str]:
    """The ICB codes tonight's build will have: the accepted `<landing>/reference/icbs.csv`
    (else the version kept from an earlier night, else the shipped seed)."""
    return seed_values(ICBS, "icb_code", tonights_reference(landing, kept).updates, seed_layouts())


def tonights_reference(landing: Path | None, kept: Path | None = None) -> ReferenceFolder:
    return read_reference_folder(landing, kept) if landing is not None else ReferenceFolder()


# --- a footprint naming a dissolved ICB -------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    start: date
    end: date | None
    successor: str


def footprint_notes(
    footprint: Sequence[str] | str | None, reference: ReferenceFolder, today: date | None = None
) -> list[str]:
    """One line per footprint code whose ICB the reference data has closed (by `today`), naming
    the successor the footprint follows from then, as int_reference__footprint does. None is
    dbt_project.yml's default footprint."""
    if footprint is None:
        footprint = default_footprint()
    if isinstance(footprint, str):
        return []  # national: every ICB, nothing to follow
    today = today or date.today()
    periods = _icb_periods(reference)
    notes = []
    for code in footprint:
        chain = _successors(code, periods, today)
        if len(chain) > 1:
            closed = max(p.end for p in periods[code] if p.end is not None)
            notes.append(
                f"Footprint: {code} closed on {closed.isoformat()} ({' → '.join(chain)} in the reference "
                f"data): the footprint follows {chain[-1]}, which holds {code}'s population and history"
            )
    return notes


def default_footprint() -> list[str] | str:
    """The footprint dbt_project.yml sets (var `footprint`), as resolve_footprint returns one."""
    with (PROJECT_ROOT / "dbt_project.yml").open(encoding="utf-8") as handle:
        value = yaml.safe_load(handle)["vars"]["footprint"]
    return NATIONAL if str(value).lower() == NATIONAL else sorted(icb_codes(str(code) for code in value))


def _icb_periods(reference: ReferenceFolder) -> dict[str, list[_Period]]:
    columns = seed_layouts()[ICBS].columns
    rows = reference.updates[ICBS].rows if ICBS in reference.updates else shipped_rows(ICBS)
    periods: dict[str, list[_Period]] = {}
    for row in rows:
        value = dict(zip(columns, row, strict=True))
        periods.setdefault(value["icb_code"], []).append(
            _Period(
                date.fromisoformat(value["valid_from"]),
                date.fromisoformat(value["valid_to"]) if value["valid_to"] else None,
                value["successor_icb_code"],
            )
        )
    return periods


def _successors(code: str, periods: dict[str, list[_Period]], today: date) -> list[str]:
    """[code, its successor, …, the ICB in force today]; [code] when it is in force today (or
    closed without a successor: nothing to follow)."""
    chain = [code]
    while len(chain) <= MAX_CHAIN:
        mine = periods.get(chain[-1], [])
        if not mine or any(p.start <= today and (p.end is None or today <= p.end) for p in mine):
            return chain
        last = max(mine, key=lambda p: p.start)
        if last.end is None or last.end >= today or not last.successor or last.successor in chain:
            return chain
        chain.append(last.successor)
    return chain
