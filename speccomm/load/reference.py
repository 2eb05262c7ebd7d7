"""Reference updates: `<landing>/reference/<seed>.csv` replaces the shipped seed of that name
from the next night (landing contract, "Reference updates"; docs/reference-data.md).

Each night the folder is read whole. A file is checked against its seed's declared layout
(speccomm.load.seed_layout: columns, types, and the tests dbt runs on the seed, relationships
to other seeds included); a file that does not fit is listed in raw.rejected_files (feed
`reference`) with file, row and field, and the shipped seed stays. The accepted files are
written over a copy of `seeds/` (write_seed_overlay) that tonight's `dbt seed` reads, so
everything built on that seed is rebuilt the same night (the incremental models through
int_reference__fingerprint). Taking a file out of the folder brings the shipped seed back.

Besides the seed layouts, two official layouts are read (speccomm.load.reference_layouts):
NHS England's service-code table for `service_codes`, and the ODS organisation files
(headerless) for `providers` and `icbs`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from speccomm.config import SEEDS_DIR
from speccomm.dbt_runner.ir_rules import RULE_FILES, RuleFileInvalid, validate_rule_seeds
from speccomm.load.columns import normalise_header
from speccomm.load.csvfile import UnreadableFile, sniff
from speccomm.load.reference_layouts import COMPANION_FILES, read_official_layout
from speccomm.load.reference_periods import period_errors
from speccomm.load.seed_layout import (
    BadReferenceFile,
    BadValue,
    SeedLayout,
    normalise_value,
    seed_layouts,
    shipped_rows,
)

FOLDER = "reference"
SHIPPED = "shipped"
MAX_ERRORS = 5  # per file, in the rejection reason


@dataclass(frozen=True)
class ReferenceUpdate:
    """An accepted file: its rows in the seed's layout (column order, normalised values)."""

    seed: str
    file_name: str
    layout: str  # "seed", "nhse_service_codes" or "ods"
    checksum: str
    rows: tuple[tuple[str, ...], ...]


@dataclass
class ReferenceFolder:
    updates: dict[str, ReferenceUpdate] = field(default_factory=dict)  # by seed
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    digest: str = SHIPPED  # of every file in the folder, accepted or not

    @property
    def version(self) -> str:
        """The reference version tonight builds with: `shipped`, or each replaced seed with
        the first 12 hex digits of its file's sha256."""
        if not self.updates:
            return SHIPPED
        return " ".join(
            f"{u.seed}@{u.checksum[:12]}" for u in sorted(self.updates.values(), key=lambda u: u.seed)
        )


def reference_files(landing: Path) -> list[Path]:
    folder = landing / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def folder_digest(landing: Path) -> str:
    """One hash of the reference folder's file names and contents (`shipped` when empty):
    a change means tonight must build."""
    paths = reference_files(landing)
    folder = landing / FOLDER
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not paths and not subfolders:
        return SHIPPED
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + sniff(path).checksum.encode() + b"\0")
    for name in subfolders:
        digest.update(name.encode() + b"/\0")
    return digest.hexdigest()[:16]


def read_reference_folder(landing: Path, kept: Path | None = None) -> ReferenceFolder:
    """Every file of `<landing>/reference/`, accepted or rejected with its reason. `kept` is
    the folder of the updates the last published night used (keep_accepted): when tonight's
    file for a seed is rejected, that version stays instead of the shipped seed, so a bad file
    never takes back a merger the warehouse already holds."""
    result = ReferenceFolder(digest=folder_digest(landing))
    layouts = seed_layouts()
    paths = reference_files(landing)
    companions = {p.name.lower(): p for p in paths if p.name.lower() in COMPANION_FILES}
    folder = landing / FOLDER
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    for sub in subfolders:
        result.rejected.append((sub.name + "/", "a folder: reference updates are files reference/<seed>.csv"
                                " directly in the reference folder; nothing in it is read"))
        result.rejected += [
            (inside.relative_to(folder).as_posix(), f"in the folder {sub.name}/ of the reference folder: "
             "not read")
            for inside in _below(sub)
        ]
    result.rejected += [(p.name, _HIDDEN) for p in _hidden_files(folder)]
    for path in paths:
        if path.name.lower() in companions:
            continue
        seed = path.name[:-4].lower() if path.name.lower().endswith(".csv") else None
        if seed not in layouts:
            result.rejected.append((path.name, _unknown_name(path.name, layouts)))
            continue
        try:
            sniffed = sniff(path)
            records = _records(path, sniffed.encoding)
            official = read_official_layout(layouts[seed], records, companions)
            if official:
                layout_name, rows, errors = official[0], official[1], []
            else:
                layout_name, (rows, errors) = "seed", _seed_rows(layouts[seed], records)
            _raise_if(errors + _check_rows(layouts[seed], rows) + period_errors(layouts[seed], rows))
        except (UnreadableFile, BadReferenceFile, csv.Error) as exc:
            earlier = kept_update(kept, seed)
            result.rejected.append((path.name, f"not used, {_what_stays(seed, earlier)} stays: {exc}"))
            if earlier is not None:
                result.updates[seed] = earlier
            continue
        result.updates[seed] = ReferenceUpdate(seed, path.name, layout_name, sniffed.checksum, tuple(rows))
    _check_relationships(result, layouts)
    _check_rule_files(result, layouts)
    return result


def _check_rule_files(result: ReferenceFolder, layouts: dict[str, SeedLayout]) -> None:
    """The identification-rule files (ir_rules, ir_code_sets, ir_designated_providers) are
    checked together by speccomm.dbt_runner.ir_rules.validate_rule_seeds, as tonight's build
    would read them (with tonight's service_codes). When they do not fit, every rule file of
    the folder is rejected and the shipped rule seeds stay, instead of the build stopping."""
    updated = [seed for seed in RULE_FILES if seed in result.updates]
    if not updated:
        return
    with tempfile.TemporaryDirectory(prefix="speccomm-ir-rules-") as tmp:
        folder = Path(tmp)
        for seed in (*RULE_FILES, "service_codes"):
            if seed in result.updates:
                _write_seed(result.updates[seed], layouts, folder / f"{seed}.csv")
            else:
                shutil.copyfile(SEEDS_DIR / f"{seed}.csv", folder / f"{seed}.csv")
        try:
            validate_rule_seeds(folder, most=MAX_ERRORS)
        except RuleFileInvalid as exc:
            lines = str(exc).replace(f"{folder}{os.sep}", "").splitlines()
            reason = "; ".join(line.strip() for line in lines[1:] if line.strip())
            for seed in updated:
                update = result.updates.pop(seed)
                why = f"not used, the shipped seed {seed} stays: identification rules: {reason}"
                result.rejected.append((update.file_name, why))


_HIDDEN = (
    "hidden (its name starts with a dot): not read; upload tools write unfinished files under hidden "
    "names, so give the finished file its name reference/<seed>.csv"
)


def _below(folder: Path) -> list[Path]:
    """Every entry below a folder, links not followed."""
    found = []
    for directory, subfolders, files in os.walk(folder, followlinks=False):
        found += [Path(directory) / name for name in subfolders + files]
    return sorted(found)


def _hidden_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and not p.is_dir())


def _what_stays(seed: str, earlier: ReferenceUpdate | None) -> str:
    if earlier is None:
        return f"the shipped seed {seed}"
    return f"the version of {seed} used until now ({earlier.file_name} sha256 {earlier.checksum[:12]})"


def _unknown_name(name: str, layouts: dict[str, SeedLayout]) -> str:
    return (
        f"not a reference seed: name the file <seed>.csv after the seed it replaces "
        f"({', '.join(sorted(layouts))}); see docs/reference-data.md"
    )


def _records(path: Path, encoding: str) -> list[list[str]]:
    """The file's non-blank records. A break in the CSV itself (a quote that is never closed,
    as in a file cut mid-row, or text after a closing quote) is BadReferenceFile naming the
    line its record starts on."""
    records = []
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, strict=True)
        while True:
            starts_on = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return records
            except csv.Error as exc:
                raise BadReferenceFile(_csv_break(starts_on, reader.line_num, exc)) from None
            if any(cell.strip() for cell in record):
                records.append(record)


def _csv_break(starts_on: int, reached: int, exc: csv.Error) -> str:
    if "field limit" in str(exc) or "unexpected end of data" in str(exc):
        return (
            f"line {starts_on}: a quoted field opened on this line is never closed (read to line "
            f"{reached}): the file is cut mid-row or a quote is missing"
        )
    return (
        f"line {starts_on}: the row cannot be read as CSV ({exc}): put a field in double quotes "
        "when it holds a comma, a quote or a line break, and double each quote inside it"
    )


def _seed_rows(layout: SeedLayout, records: list[list[str]]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows of a file in the seed's own layout (header matched like landing headers; extra
    columns ignored), values normalised to the column types; and the values that do not fit."""
    if not records:
        raise BadReferenceFile("the file is empty: a seed needs its header row")
    header = [normalise_header(name) for name in records[0]]
    missing = [c for c in layout.columns if c not in header]
    if missing:
        raise BadReferenceFile(
            f"missing column {', '.join(missing)} (the seed's columns: {', '.join(layout.columns)})"
        )
    _raise_if(_duplicated_columns(layout, records[0], header))
    positions = [header.index(c) for c in layout.columns]
    rows, errors = [], []
    for number, record in enumerate(records[1:], start=1):
        if len(record) != len(header):
            errors.append(
                f"row {number}, field {layout.columns[0]}: {len(record)} fields where the header has "
                f"{len(header)} (a row cut short, or a comma too many)"
            )
        row = []
        for column, position in zip(layout.columns, positions, strict=True):
            text = record[position] if position < len(record) else ""
            try:
                row.append(normalise_value(text, layout.types.get(column, "string")))
            except BadValue as exc:
                errors.append(f"row {number}, field {column}: {exc}")
                row.append(text.strip() or "?")  # not blank: the not_null check must not repeat it
        rows.append(tuple(row))
    return rows, errors


def _duplicated_columns(layout: SeedLayout, names: list[str], header: list[str]) -> list[str]:
    """A seed column that two header names both mean once normalised ('Valid To', 'valid-to'):
    which one holds the values cannot be told."""
    errors = []
    for column in layout.columns:
        places = [i for i, name in enumerate(header) if name == column]
        if len(places) > 1:
            spelled = ", ".join(f"column {i + 1} {names[i].strip()!r}" for i in places)
            errors.append(f"header, field {column}: {spelled} all mean {column}: keep one")
    return errors


def _check_rows(layout: SeedLayout, rows: list[tuple[str, ...]]) -> list[str]:
    """What breaks the seed's own tests: not_null, accepted_values, unique (and combinations)."""
    index = {c: i for i, c in enumerate(layout.columns)}
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        for column in layout.columns:
            value = row[index[column]]
            if column in layout.not_null and value == "":
                errors.append(f"row {number}, field {column}: must not be blank")
            elif value and column in layout.accepted and value not in layout.accepted[column]:
                allowed = ", ".join(sorted(layout.accepted[column]))
                errors.append(f"row {number}, field {column}: {value!r} is not one of {allowed}")
    for key in layout.unique:
        first_row: dict[tuple[str, ...], int] = {}
        for number, row in enumerate(rows, start=1):
            value = tuple(row[index[c]] for c in key)
            if value in first_row:
                errors.append(
                    f"row {number}, field {'+'.join(key)}: {'/'.join(value)!r} repeats row {first_row[value]}"
                )
            else:
                first_row.setdefault(value, number)
    return errors


def _check_relationships(result: ReferenceFolder, layouts: dict[str, SeedLayout]) -> None:
    """A code that must be in another seed (a provider's host ICB in icbs …), checked against
    that seed as it will be tonight; rejecting one file can break another, so repeat."""
    changed = True
    while changed:
        changed = False
        for seed, update in list(result.updates.items()):
            errors = _relationship_errors(layouts[seed], update.rows, result.updates, layouts)
            errors += _shipped_seeds_broken_by(seed, result.updates, layouts)
            if errors:
                del result.updates[seed]
                result.rejected.append(
                    (update.file_name, f"not used, the shipped seed {seed} stays: " + _joined(errors))
                )
                changed = True


def _shipped_seeds_broken_by(
    seed: str, updates: dict[str, ReferenceUpdate], layouts: dict[str, SeedLayout]
) -> list[str]:
    """A shipped seed that staying as it is tonight needs a code the update of `seed` takes away
    (a provider's host ICB left out of icbs.csv): dbt's relationship test would fail the build."""
    errors = []
    for other, layout in layouts.items():
        if other in updates or not any(r.seed == seed for r in layout.relationships):
            continue
        relations = tuple(r for r in layout.relationships if r.seed == seed)
        only = SeedLayout(layout.name, layout.columns, layout.types, relationships=relations)
        errors += [
            f"the shipped seed {other} stays and needs it: {error}"
            for error in _relationship_errors(only, shipped_rows(other), updates, layouts)
        ]
    return errors


def _relationship_errors(
    layout: SeedLayout,
    rows: Iterable[tuple[str, ...]],
    updates: dict[str, ReferenceUpdate],
    layouts: dict[str, SeedLayout],
) -> list[str]:
    errors = []
    index = {c: i for i, c in enumerate(layout.columns)}
    for relation in layout.relationships:
        known = seed_values(relation.seed, relation.field, updates, layouts)
        for number, row in enumerate(rows, start=1):
            value = row[index[relation.column]]
            if value and value not in known:
                errors.append(
                    f"row {number}, field {relation.column}: {value!r} is not a "
                    f"{relation.field} in {relation.seed}"
                )
    return errors


def seed_values(
    seed: str, column: str, updates: dict[str, ReferenceUpdate], layouts: dict[str, SeedLayout]
) -> set[str]:
    """The values of one column of a seed as tonight will have it (update, else shipped)."""
    rows = updates[seed].rows if seed in updates else shipped_rows(seed)
    position = layouts[seed].columns.index(column)
    return {row[position] for row in rows}


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise BadReferenceFile(_joined(errors))


def _joined(errors: list[str]) -> str:
    more = f"; and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    return "; ".join(errors[:MAX_ERRORS]) + more


# --- tonight's seeds ---------------------------------------------------------------------------


def write_seed_overlay(folder: ReferenceFolder, target: Path) -> Path | None:
    """A copy of the project's `seeds/` with the accepted updates written over their seeds;
    None when nothing replaces a shipped seed (dbt then reads `seeds/` itself)."""
    if not folder.updates:
        return None
    seeds = target / "seeds"
    if seeds.exists():
        shutil.rmtree(seeds)
    shutil.copytree(SEEDS_DIR.parent, seeds)
    layouts = seed_layouts()
    for update in folder.updates.values():
        _write_seed(update, layouts, seeds / SEEDS_DIR.name / f"{update.seed}.csv")
    return seeds


def _write_seed(update: ReferenceUpdate, layouts: dict[str, SeedLayout], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(layouts[update.seed].columns)
    writer.writerows(update.rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def keep_accepted(folder: ReferenceFolder, kept: Path) -> None:
    """After a night is published: `kept` holds exactly the updates it used (each seed's rows
    in its layout, with the file name, checksum and layout beside them), for a later night
    whose file is rejected. A seed back to its shipped version leaves nothing behind."""
    kept.mkdir(parents=True, exist_ok=True)
    layouts = seed_layouts()
    for update in folder.updates.values():
        _write_seed(update, layouts, kept / f"{update.seed}.csv.tmp")
        about = {"file_name": update.file_name, "checksum": update.checksum, "layout": update.layout}
        (kept / f"{update.seed}.json.tmp").write_text(json.dumps(about), encoding="utf-8")
        os.replace(kept / f"{update.seed}.csv.tmp", kept / f"{update.seed}.csv")
        os.replace(kept / f"{update.seed}.json.tmp", kept / f"{update.seed}.json")
    for path in kept.iterdir():
        if path.name.split(".", 1)[0] not in folder.updates:
            path.unlink()


def kept_update(kept: Path | None, seed: str) -> ReferenceUpdate | None:
    """The version of a seed the last published night used, when it used an update."""
    if kept is None or not (kept / f"{seed}.csv").is_file() or not (kept / f"{seed}.json").is_file():
        return None
    about = json.loads((kept / f"{seed}.json").read_text(encoding="utf-8"))
    with (kept / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
        header, *records = list(csv.reader(handle))
    if tuple(header) != seed_layouts()[seed].columns:
        return None  # kept by a version of the project whose seed had other columns
    rows = tuple(tuple(record) for record in records)
    return ReferenceUpdate(seed, about["file_name"], about["layout"], about["checksum"], rows)


def record_reference_folder(con: duckdb.DuckDBPyConnection, folder: ReferenceFolder) -> list[tuple[str, str]]:
    """raw.reference_updates gains each accepted file version once; rejected files go to
    raw.rejected_files (once per file and reason). Returns the rejections new tonight."""
    con.execute(
        "create table if not exists raw.reference_updates (seed varchar not null, file_name varchar not null,"
        " layout varchar not null, checksum varchar not null, row_count bigint not null,"
        " first_used_at timestamp not null)"
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    for update in folder.updates.values():
        seen = con.execute(
            "select count(*) from raw.reference_updates where seed = ? and checksum = ?",
            [update.seed, update.checksum],
        ).fetchone()[0]
        if not seen:
            con.execute(
                "insert into raw.reference_updates values (?, ?, ?, ?, ?, ?)",
                [update.seed, update.file_name, update.layout, update.checksum, len(update.rows), now],
            )
    new = []
    for file_name, reason in folder.rejected:
        known = con.execute(
            "select count(*) from raw.rejected_files where feed = ? and file_name = ? and reason = ?",
            [FOLDER, file_name, reason],
        ).fetchone()[0]
        if not known:
            con.execute(
                "insert into raw.rejected_files (file_name, feed, reason, seen_at) values (?, ?, ?, ?)",
                [file_name, FOLDER, reason, now],
            )
            new.append((f"{FOLDER}/{file_name}", reason))
    return new
