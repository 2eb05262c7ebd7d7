"""One reader of reference files (issue 25): the footprint's pre-check reads `icbs` as the
night's load step does (Windows-1252, header normalising, acceptance, the version kept when
tonight's file is rejected); `--footprint ""` is an error; a footprint naming a dissolved ICB
says in the run's summary that it follows the successor. Fast: no dbt."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from test_reference_files import ICBS_HEADER, merged_icbs

from speccomm.cli import main
from speccomm.config import FOOTPRINT_ENV
from speccomm.footprint import UnknownFootprint, footprint_notes, known_icb_codes, resolve_footprint
from speccomm.load.reference import keep_accepted, read_reference_folder


def _write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _with_new_icb(header: list[str], name: str = "Fixture ICB ZZ2") -> list[list[str]]:
    rows = merged_icbs()
    return [header, *rows[1:], ["ZZ2", name, "Y56", "2025-04-01", "", ""]]


def test_a_windows_1252_icbs_file_is_read_as_the_loader_reads_it(tmp_path: Path) -> None:
    _write(
        tmp_path / "reference" / "icbs.csv", _with_new_icb(ICBS_HEADER, "Fixture ICB ZZ2 £ café"), "cp1252"
    )
    assert read_reference_folder(tmp_path).rejected == []  # the loader takes it
    assert resolve_footprint("ZZ2,QKK", tmp_path) == ["QKK", "ZZ2"]  # and so does the pre-check


def test_header_names_are_matched_as_the_loader_matches_them(tmp_path: Path) -> None:
    header = ["ICB Code", "ICB Name", "Region-Code", "Valid From", "Valid.To", "Successor ICB Code"]
    _write(tmp_path / "reference" / "icbs.csv", _with_new_icb(header))
    assert read_reference_folder(tmp_path).rejected == []
    assert "ZZ2" in known_icb_codes(tmp_path)
    assert resolve_footprint("zz2", tmp_path) == ["ZZ2"]


def test_an_icb_only_in_a_rejected_file_is_unknown(tmp_path: Path) -> None:
    rows = _with_new_icb(ICBS_HEADER)
    rows[1][3] = "1 July 2022"  # not a date: the file is rejected, the shipped seed stays
    _write(tmp_path / "reference" / "icbs.csv", rows)
    assert read_reference_folder(tmp_path).rejected
    assert "ZZ2" not in known_icb_codes(tmp_path)
    with pytest.raises(UnknownFootprint, match=r"ZZ2 is neither an ICB code nor a footprint") as refused:
        resolve_footprint("QKK,ZZ2", tmp_path)
    why = "icbs.csv is rejected tonight: not used, the shipped seed icbs stays: row 1, field valid_from"
    assert why in str(refused.value)


def test_a_rejected_file_keeps_the_version_used_until_now(tmp_path: Path) -> None:
    """A merger accepted on an earlier night stays when tonight's icbs.csv is rejected: the
    shipped seed does not come back and take the merger away."""
    landing, kept = tmp_path / "landing", tmp_path / "state" / "reference-in-force"
    _write(landing / "reference" / "icbs.csv", merged_icbs())
    accepted = read_reference_folder(landing, kept)
    keep_accepted(accepted, kept)  # as a published night does
    cycle = [ICBS_HEADER] + [
        [*row[:4], "2025-03-31", "QWE" if row[0] == "QKK" else "QKK"] if row[0] in ("QKK", "QWE") else row
        for row in merged_icbs()[1:]
    ]
    _write(landing / "reference" / "icbs.csv", cycle)
    tonight = read_reference_folder(landing, kept)
    [(_, reason)] = tonight.rejected
    assert "leads back to QKK" in reason
    assert (
        f"the version of icbs used until now (icbs.csv sha256 {accepted.updates['icbs'].checksum[:12]})"
        in reason
    )
    assert tonight.updates["icbs"].rows == accepted.updates["icbs"].rows
    assert tonight.version == accepted.version
    assert "ZZ1" in known_icb_codes(landing, kept) and "ZZ1" not in known_icb_codes(landing)
    # the file taken out: the shipped seed again, and nothing kept after that night
    (landing / "reference" / "icbs.csv").unlink()
    keep_accepted(read_reference_folder(landing, kept), kept)
    assert list(kept.iterdir()) == []


def test_an_empty_footprint_option_is_an_error_not_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(FOOTPRINT_ENV, "QKS")
    with pytest.raises(UnknownFootprint, match="--footprint='': no ICB code given"):
        resolve_footprint("")
    code = main(
        [
            "nightly",
            "--landing",
            str(tmp_path / "landing"),
            "--warehouse",
            str(tmp_path / "w" / "speccomm.duckdb"),
            "--footprint",
            "",
        ]
    )
    assert code == 2 and "no ICB code given" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()


def test_a_footprint_naming_a_dissolved_icb_says_it_follows_the_successor(tmp_path: Path) -> None:
    _write(tmp_path / "reference" / "icbs.csv", merged_icbs())
    folder = read_reference_folder(tmp_path)
    notes = footprint_notes(["QKK", "QKS"], folder, today=date(2025, 6, 1))
    assert notes == [
        "Footprint: QKK closed on 2025-03-31 (QKK → ZZ1 in the reference data): the footprint follows"
        " ZZ1, which holds QKK's population and history"
    ]
    assert footprint_notes(["QKK"], folder, today=date(2025, 3, 31)) == []  # not yet closed
    assert footprint_notes(["ZZ1", "QKS"], folder, today=date(2025, 6, 1)) == []
    assert footprint_notes("national", folder) == []
    assert footprint_notes(None, folder, today=date(2025, 6, 1)) == [  # dbt_project.yml's QKK, QWE
        f"Footprint: {code} closed on 2025-03-31 ({code} → ZZ1 in the reference data): the footprint"
        f" follows ZZ1, which holds {code}'s population and history"
        for code in ("QKK", "QWE")
    ]
