"""A reference file is checked for what makes it true, not only its types (issue 25): ICB
periods (no successor cycle, valid_to on or after valid_from, one period in force per code at a
time, a successor in force from the day after its predecessor closes), a column named twice
once headers are normalised, and a file cut mid-row, each rejected with row (or line) and
field while the shipped seed stays. Fast: no dbt; the night itself is in
test_reference_truth_night.py."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_reference_files import ICBS_HEADER, merged_icbs

from speccomm.load.reference import read_reference_folder, shipped_rows
from speccomm.load.seed_layout import seed_layouts


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _icbs(changes: dict[str, tuple[str, str]], extra: list[list[str]] | None = None) -> list[list[str]]:
    """The shipped ICBs with (valid_to, successor) changed for some codes, and extra rows."""
    rows = [ICBS_HEADER]
    for row in shipped_rows("icbs"):
        row = list(row)
        if row[0] in changes:
            row[4], row[5] = changes[row[0]]
        rows.append(row)
    return rows + (extra or [])


def _row(rows: list[list[str]], code: str) -> int:
    """The row number of a code's first row (1 = the first row after the header)."""
    return next(i for i, row in enumerate(rows) if row[0] == code)


def _rejection(tmp_path: Path, rows: list[list[str]], seed: str = "icbs") -> str:
    _write(tmp_path / "reference" / f"{seed}.csv", rows)
    folder = read_reference_folder(tmp_path)
    assert seed not in folder.updates, "the file must not replace the seed"
    [(name, reason)] = folder.rejected
    assert name == f"{seed}.csv" and f"the shipped seed {seed} stays" in reason
    return reason


def test_a_successor_cycle_is_rejected_with_row_and_field(tmp_path: Path) -> None:
    rows = _icbs({"QKK": ("2025-03-31", "QWE"), "QWE": ("2025-03-31", "QKK")})
    reason = _rejection(tmp_path, rows)
    assert (
        f"row {_row(rows, 'QKK')}, field successor_icb_code: 'QWE' leads back to QKK (QKK → QWE → QKK)"
        in reason
    )
    assert f"row {_row(rows, 'QWE')}, field successor_icb_code: 'QKK' leads back to QWE" in reason


def test_a_longer_cycle_through_periods_in_force_is_found(tmp_path: Path) -> None:
    # QKK closes into QWE; QWE closes a year later into ZZ1; ZZ1 closes into QKK's second period
    rows = _icbs(
        {"QKK": ("2025-03-31", "QWE"), "QWE": ("2026-03-31", "ZZ1")},
        [["ZZ1", "Fixture ZZ1", "Y56", "2026-04-01", "2026-06-30", "QKK"]],
    )
    reason = _rejection(tmp_path, rows)
    assert "(QKK → QWE → ZZ1 → QKK)" in reason


def test_a_period_ending_before_it_starts_is_rejected(tmp_path: Path) -> None:
    rows = _icbs({"QKK": ("2021-03-31", "")})
    reason = _rejection(tmp_path, rows)
    assert (
        f"row {_row(rows, 'QKK')}, field valid_to: '2021-03-31' is before valid_from '2022-07-01'" in reason
    )


def test_an_icb_in_force_twice_at_once_is_rejected(tmp_path: Path) -> None:
    rows = _icbs({}, [["QKK", "NHS South East London ICB (again)", "Y56", "2024-04-01", "", ""]])
    reason = _rejection(tmp_path, rows)
    assert (
        f"row {len(rows) - 1}, field valid_from: icb_code 'QKK' from 2024-04-01 overlaps its period of "
        f"row {_row(rows, 'QKK')} (2022-07-01 to open)" in reason
    )


def test_a_successor_must_be_in_force_the_day_after_its_predecessor_closes(tmp_path: Path) -> None:
    gap = _icbs({"QKK": ("2025-03-31", "ZZ1")}, [["ZZ1", "Fixture ZZ1", "Y56", "2025-05-01", "", ""]])
    reason = _rejection(tmp_path, gap)
    assert (
        f"row {_row(gap, 'QKK')}, field successor_icb_code: successor 'ZZ1' is not in force on 2025-04-01,"
        " the day after QKK closes (2025-03-31)" in reason
    )
    still_open = _icbs({"QKK": ("", "QWE")})
    reason = _rejection(tmp_path, still_open)
    assert f"row {_row(still_open, 'QKK')}, field successor_icb_code: QKK names successor 'QWE' but" in reason


def test_a_true_merger_and_a_reopened_code_are_accepted(tmp_path: Path) -> None:
    _write(tmp_path / "reference" / "icbs.csv", merged_icbs())
    assert read_reference_folder(tmp_path).rejected == []
    # a code may hold two periods one after the other
    rows = _icbs(
        {"QKK": ("2025-03-31", "")}, [["QKK", "NHS South East London ICB", "Y56", "2025-04-01", "", ""]]
    )
    _write(tmp_path / "reference" / "icbs.csv", rows)
    folder = read_reference_folder(tmp_path)
    assert folder.rejected == [] and len(folder.updates["icbs"].rows) == 43


def test_periods_of_other_effective_dated_seeds_are_checked_too(tmp_path: Path) -> None:
    rows = [
        list(seed_layouts()["sub_icb_locations"].columns),
        *[list(r) for r in shipped_rows("sub_icb_locations")],
    ]
    first = rows[1]
    rows.append([first[0], first[1], first[2], "2023-01-01", "2023-12-31"])  # inside the open period
    reason = _rejection(tmp_path, rows, "sub_icb_locations")
    assert (
        f"row {len(rows) - 1}, field valid_from: sub_icb_code '{first[0]}' from 2023-01-01 overlaps" in reason
    )


@pytest.mark.parametrize("second", ["Valid To", "valid-to", " VALID.TO "])
def test_a_column_named_twice_after_normalising_is_rejected(tmp_path: Path, second: str) -> None:
    rows = [[*ICBS_HEADER, second]] + [[*r, "2020-01-01"] for r in _icbs({})[1:]]
    reason = _rejection(tmp_path, rows)
    assert (
        f"header, field valid_to: column 5 'valid_to', column 7 {second.strip()!r} all mean valid_to"
        in reason
    )


def test_a_file_cut_mid_row_is_rejected_with_its_line(tmp_path: Path) -> None:
    good = _write(tmp_path / "good.csv", _icbs({})).read_text(encoding="utf-8")
    cut = good[: good.index("QMJ") + 10] + '"NHS North Central' + " London" * 30000  # > csv's field limit
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "icbs.csv").write_text(cut, encoding="utf-8")
    folder = read_reference_folder(tmp_path)
    [(_, reason)] = folder.rejected
    assert "field larger than field limit" not in reason
    assert "line 4: a quoted field opened on this line is never closed" in reason and "cut mid-row" in reason
    # cut inside a quoted field near the end: the same words, not a silently shorter last row
    (tmp_path / "reference" / "icbs.csv").write_text(good + 'QZZ,"NHS Cut', encoding="utf-8")
    [(_, reason)] = read_reference_folder(tmp_path).rejected
    assert f"line {len(good.splitlines()) + 1}: a quoted field opened on this line is never closed" in reason


def test_a_row_cut_short_is_rejected_not_padded(tmp_path: Path) -> None:
    rows = _icbs({})
    rows[5] = rows[5][:4]  # ends after valid_from: valid_to and successor would read as blank
    reason = _rejection(tmp_path, rows)
    assert "row 5, field icb_code: 4 fields where the header has 6" in reason


def test_a_file_leaving_out_a_code_a_shipped_seed_needs_is_rejected(tmp_path: Path) -> None:
    """icbs.csv without QKK while the shipped providers are hosted there: dbt's relationship
    test on providers would stop the build, so the file is rejected instead."""
    rows = [row for row in _icbs({}) if row[0] != "QKK"]
    reason = _rejection(tmp_path, rows)
    assert "the shipped seed providers stays and needs it: row " in reason
    assert "field host_icb_code: 'QKK' is not a icb_code in icbs" in reason
