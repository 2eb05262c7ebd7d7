"""The footprint (the ICBs a deployment serves): configuration, the dbt var and the model every
mart that names ICBs reads (docs/footprint.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from speccomm.cli import main
from speccomm.config import FOOTPRINT_ENV, NATIONAL, icb_codes
from speccomm.dbt_runner import build_fingerprint, code_fingerprint, run_dbt
from speccomm.footprint import UnknownFootprint, known_icb_codes, resolve_footprint

ROOT = Path(__file__).resolve().parents[2]
SELECT = ["--select", "+int_reference__footprint", "--indirect-selection", "cautious"]


def test_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FOOTPRINT_ENV, "QKS")
    assert resolve_footprint(" qwe, QKK ,qkk") == ["QKK", "QWE"]
    assert resolve_footprint(None) == ["QKS"]
    monkeypatch.setenv(FOOTPRINT_ENV, "National")
    assert resolve_footprint(None) == NATIONAL
    monkeypatch.delenv(FOOTPRINT_ENV)
    assert resolve_footprint(None) is None  # dbt_project.yml's default


@pytest.mark.parametrize("text", ["QKK,QZZ", " , ", ""])
def test_unknown_or_empty_footprint_is_refused_with_the_code(text: str) -> None:
    with pytest.raises(UnknownFootprint, match="QZZ" if "QZZ" in text else "no ICB code"):
        resolve_footprint(text)


def test_a_reference_update_in_the_landing_folder_adds_codes(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    shipped = (ROOT / "seeds" / "reference" / "icbs.csv").read_text(encoding="utf-8")
    added = "QZ1,Fixture merged ICB,Y56,2026-04-01,,\n"
    (reference / "icbs.csv").write_text(shipped + added, encoding="utf-8")
    assert "QZ1" in known_icb_codes(tmp_path) and "QZ1" not in known_icb_codes()
    assert resolve_footprint("QZ1,QKK", tmp_path) == ["QKK", "QZ1"]


def test_nightly_fails_early_on_an_unknown_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["nightly", "--landing", str(tmp_path / "landing"), "--warehouse",
                 str(tmp_path / "w" / "speccomm.duckdb"), "--footprint", "QKK,XX9"])
    assert code == 2
    assert "unknown ICB code(s) XX9" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()  # nothing started


def test_a_footprint_change_is_a_change_of_build() -> None:
    assert build_fingerprint(None) == code_fingerprint()
    assert build_fingerprint(["QKK", "QWE"]) != build_fingerprint(NATIONAL) != code_fingerprint()


def _footprint_rows(tmp_path: Path, footprint: object | None) -> tuple[int, list[tuple]]:
    database = tmp_path / "warehouse.duckdb"
    dbt_vars = [] if footprint is None else ["--vars", json.dumps({"footprint": footprint})]
    result = run_dbt(["build", *SELECT, *dbt_vars], database, target="test", echo=False)
    if result.returncode != 0:
        return result.returncode, []
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select icb_code, is_in_footprint, is_known_icb, footprint_setting "
                           "from intermediate.int_reference__footprint order by icb_code").fetchall()
    return 0, rows


def test_default_footprint_is_south_east_and_south_west_london(tmp_path: Path) -> None:
    code, rows = _footprint_rows(tmp_path, None)
    assert code == 0
    assert [r[0] for r in rows if r[1]] == ["QKK", "QWE"]
    assert len(rows) == len(known_icb_codes()) and all(r[2] for r in rows)
    assert {r[3] for r in rows} == {"QKK,QWE"}


def test_national_footprint_is_every_icb(tmp_path: Path) -> None:
    code, rows = _footprint_rows(tmp_path, NATIONAL)
    assert code == 0 and all(r[1] for r in rows) and len(rows) == len(known_icb_codes())
    assert {r[3] for r in rows} == {NATIONAL}


def test_an_unknown_code_given_to_dbt_directly_fails_the_build(tmp_path: Path) -> None:
    """The var as a string (SPECCOMM_FOOTPRINT's form) with a code the reference lacks."""
    code, _ = _footprint_rows(tmp_path, "qkk, QZZ")
    assert code != 0
    log = (tmp_path / "logs" / "dbt-console.log").read_text(encoding="utf-8")
    assert "int_reference__footprint_is_known_icb" in log


def test_no_icb_code_is_written_in_mart_sql() -> None:
    """Marts take the footprint from configuration, never from SQL (the contract)."""
    codes = known_icb_codes()
    for path in sorted((ROOT / "models" / "marts").rglob("*.sql")):
        sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", path.read_text(encoding="utf-8"), flags=re.S)
        literals = set(re.findall(r"'([A-Z0-9]{3})'", sql)) & codes
        assert not literals, f"{path.name} names ICB codes in SQL: {sorted(literals)}"


def test_icb_codes_are_parsed_one_way_everywhere() -> None:
    """`--footprint`, SPECCOMM_FOOTPRINT and `--icb` (repeated or comma-separated) read alike."""
    assert icb_codes([" qkk, QWE ,,qkk"]) == ["QKK", "QWE"]
    assert icb_codes(["QWE", "qkk,QWE", " "]) == ["QWE", "QKK"]
    assert icb_codes([]) == []
