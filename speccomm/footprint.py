"""The footprint: a set of ICBs, read one way wherever a person gives one (docs/footprint.md).

`--footprint` means the same on every command: comma-separated parts, each an ICB code or the
name of a footprint of the reference data (seed `footprints`, e.g. SOUTH_LONDON: its ICBs), or
`national` alone (every ICB). `speccomm nightly --footprint` (or SPECCOMM_FOOTPRINT) sets the
ICBs the warehouse serves, checked against the ICBs tonight's build will read; `extract` and
`export --footprint` take that footprint's extract, checked against the published warehouse.
`--icb` (repeated or comma-separated) names ICB codes only. parse_footprint and icb_codes are
the only readers of such text; an empty `--footprint` is an error everywhere.

One reader of reference files: the ICB codes and named footprints of the nightly come from the
seeds *as tonight will have them*, read by speccomm.load.reference exactly as the night's load
step reads them (encoding, header normalising and aliases, every acceptance check, the version
kept from an earlier night when tonight's file is rejected). A code that only a rejected file
lists is unknown, and an ICB a file dissolves is followed to its successor
(int_reference__footprint does it in SQL; footprint_notes says so in the run's summary).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from speccomm.config import FOOTPRINT_ENV, NATIONAL, PROJECT_ROOT
from speccomm.load.reference import ReferenceFolder, read_reference_folder, seed_values, shipped_rows
from speccomm.load.seed_layout import seed_layouts

ICBS = "icbs"
NAMED = "footprints"  # the seed of named footprints
MAX_CHAIN = 10  # as int_icb__codes_in_force follows mergers
# the form of a footprint, in the words of every command's help and every error
FOOTPRINT_FORM = (
    "comma-separated ICB codes and/or names of footprints of the reference data (seed footprints,"
    " e.g. SOUTH_LONDON: its ICBs), or 'national' (every ICB)"
)
HOW_TO_NAME = f"Give {FOOTPRINT_FORM}, e.g. QKK,QWE."


class UnknownFootprint(ValueError):
    """The footprint names an ICB code or footprint the reference data does not know (or none)."""


def icb_codes(values: Iterable[str]) -> list[str]:
    """Codes as a person gives them (`--icb QKK --icb QWE`, `--icb QKK,QWE`, the parts of a
    `--footprint`): split on commas, trimmed, upper-cased, blanks dropped, each once in the
    order first given. Whether a code is an ICB is for the caller."""
    codes: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                codes.setdefault(part.strip().upper(), None)
    return list(codes)


def parse_footprint(text: str, source: str = "--footprint") -> list[str] | str:
    """A footprint as a person writes it: NATIONAL, or its parts (ICB codes or footprint
    names, upper-case, each once). Blank, or 'national' among other parts, is UnknownFootprint."""
    if text.strip().lower() == NATIONAL:
        return NATIONAL
    parts = icb_codes([text])
    if not parts:
        raise UnknownFootprint(f"{source}={text!r}: no ICB code given. {HOW_TO_NAME}")
    if NATIONAL.upper() in parts:
        raise UnknownFootprint(f"{source}={text!r}: '{NATIONAL}' is every ICB, not one part of a list.")
    return parts


def footprint_icbs(
    parts: Sequence[str], named: Mapping[str, Sequence[str]], known: Collection[str], source: str
) -> list[str]:
    """The ICB codes of a footprint's parts, sorted: a footprint's name gives its ICBs; every other
    part must be a known ICB code (UnknownFootprint names those that are not)."""
    codes = sorted({code for part in parts for code in named.get(part, [part])})
    unknown = [part for part in parts if part not in named and part not in known]
    if unknown:
        names = ", ".join(sorted(named)) or "none"
        raise UnknownFootprint(
            f"{source}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} neither an ICB code nor a"
            f" footprint of the reference data (footprints: {names}). {HOW_TO_NAME}"
        )
    return codes


def resolve_footprint(
    given: str | None = None, landing: Path | None = None, kept: Path | None = None
) -> list[str] | str | None:
    """The nightly's footprint: `--footprint` value, else SPECCOMM_FOOTPRINT, else None
    (dbt_project.yml's default).

    Returns the string 'national' or a sorted list of upper-case ICB codes, a named footprint
    replaced by its ICBs. Every code must be an ICB of tonight's reference data, every name a
    footprint of it; else UnknownFootprint names the part. An option given but empty
    (`--footprint ""`) is an error too: it must not silently fall back to the environment or
    the default."""
    source = "--footprint" if given is not None else FOOTPRINT_ENV
    text = given if given is not None else os.environ.get(FOOTPRINT_ENV, "")
    if given is None and not text.strip():
        return None
    parts = parse_footprint(text, source)
    if parts == NATIONAL:
        return NATIONAL
    folder = tonights_reference(landing, kept)
    known = seed_values(ICBS, "icb_code", folder.updates, seed_layouts())
    try:
        return footprint_icbs(parts, named_footprints(folder), known, f"{source}={text!r}")
    except UnknownFootprint as exc:
        rejected = [why for name, why in folder.rejected if name.lower() == f"{ICBS}.csv"]
        if not rejected:
            raise
        raise UnknownFootprint(
            f"{exc} <landing>/reference/icbs.csv is rejected tonight: {rejected[0]}"
        ) from None


def named_footprints(reference: ReferenceFolder) -> dict[str, list[str]]:
    """The footprints the seed `footprints` names as tonight will have it: upper-case name → its
    ICB codes."""
    columns = seed_layouts()[NAMED].columns
    rows = reference.updates[NAMED].rows if NAMED in reference.updates else shipped_rows(NAMED)
    found: dict[str, list[str]] = {}
    for row in rows:
        value = dict(zip(columns, row, strict=True))
        name, code = value["footprint_code"].strip().upper(), value["icb_code"].strip().upper()
        found.setdefault(name, []).append(code)
    return found


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
