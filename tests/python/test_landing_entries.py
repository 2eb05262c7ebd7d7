"""The landing folder entry by entry (speccomm.load.entries): every entry type has its rule and
ends loaded or rejected with a reason; no link is followed out of the landing folder; a file
that changes while or after it is read is detected; reasons never quote a file's values."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import yaml

from landing_files import SLAM_HEADER, SUS_HEADER, slam_row, sus_row, write_csv
from speccomm.config import PROJECT_ROOT
from speccomm.load import load_landing
from speccomm.load import loader as loader_module
from speccomm.load.entries import FEEDS, ROOT_FEED, LandingUnavailable, list_landing
from speccomm.load.filenames import BadFileName, parse_landing_name
from speccomm.load.reference import FOLDER as REFERENCE_FOLDER
from speccomm.pending import PublishedState, new_files

GOOD = "RJ1_ACM_2526_M01_20250510090000.csv"
PSEUDONYM = "PSEUDO-Ünïcødé-7f3a9c"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield connection
    connection.close()


def _reasons(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select feed || '/' || file_name, reason from raw.rejected_files").fetchall())


def _loaded(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute("select feed || '/' || file_name, row_count from raw.file_registry").fetchall())


def test_every_entry_type_is_loaded_or_rejected_with_its_reason(con, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    slam = landing / "slam"
    write_csv(slam / GOOD, SLAM_HEADER, [slam_row("1")])
    outside = write_csv(
        tmp_path / "elsewhere" / "RJZ_ACM_2526_M01_20250510090000.csv",
        SLAM_HEADER,
        [slam_row("1", provider="RJZ")],
    )
    inside_target = write_csv(
        landing / "spare" / "RJ7_ACM_2526_M01_20250510090000.csv",
        SLAM_HEADER,
        [slam_row("1", provider="RJ7"), slam_row("1", provider="RJ7")],
    )
    (slam / "RJ7_ACM_2526_M01_20250510090000.csv").symlink_to(inside_target)
    (slam / "RJZ_ACM_2526_M01_20250510090000.csv").symlink_to(outside)
    (slam / "RAX_ACM_2526_M01_20250510090000.csv").symlink_to(tmp_path / "missing.csv")
    (slam / "RVR_ACM_2526_M01_20250510090000.csv").symlink_to(slam / "RVR_ACM_2526_M01_20250510090000.csv")
    os.mkfifo(slam / "RJ2_ACM_2526_M01_20250510090000.csv")
    write_csv(slam / ".RJ6_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [slam_row("1", provider="RJ6")])
    (slam / "x.csv").mkdir()
    write_csv(
        slam / "archive" / "RPY_ACM_2526_M01_20250510090000.csv", SLAM_HEADER, [slam_row("1", provider="RPY")]
    )
    write_csv(landing / "RJ1_ACM_2526_M02_20250610090000.csv", SLAM_HEADER, [slam_row("2")])
    write_csv(landing / "reference" / "icbs.csv", ["icb_code"], [["QKK"]])  # issue 14's loader reads it
    (landing / "manifest.json").write_text("{}")

    summary = load_landing(con, landing)  # returns: the pipe is never opened

    loaded, reasons = _loaded(con), _reasons(con)
    assert loaded == {f"slam/{GOOD}": 1, "slam/RJ7_ACM_2526_M01_20250510090000.csv": 2}
    assert "outside the landing folder" in reasons["slam/RJZ_ACM_2526_M01_20250510090000.csv"]
    assert "does not exist" in reasons["slam/RAX_ACM_2526_M01_20250510090000.csv"]
    assert "cannot be resolved" in reasons["slam/RVR_ACM_2526_M01_20250510090000.csv"]
    assert "named pipe" in reasons["slam/RJ2_ACM_2526_M01_20250510090000.csv"]
    assert "hidden" in reasons["slam/.RJ6_ACM_2526_M01_20250510090000.csv"]
    assert "a folder, not a file" in reasons["slam/x.csv"]
    assert "a folder, not a file" in reasons["slam/archive"]
    assert "subfolder" in reasons["slam/archive/RPY_ACM_2526_M01_20250510090000.csv"]
    assert "not in a feed folder" in reasons["landing/RJ1_ACM_2526_M02_20250610090000.csv"]
    assert "landing/spare" in reasons  # a stray folder of the root is named too
    assert (
        "not a feed folder" in reasons["landing/spare/RJ7_ACM_2526_M01_20250510090000.csv"]
    )  # and its entries
    assert not any("reference" in name or "manifest" in name for name in reasons)
    assert summary.files_rejected == len(reasons)
    # nothing of the file outside the root was read
    assert con.execute("select count(*) from raw.slam_rows where provider_code = 'RJZ'").fetchone() == (0,)
    # a second night reports nothing again, and pending sees nothing new
    again = load_landing(con, landing)
    assert again.files_loaded == 0 and len(_reasons(con)) == len(reasons)


def test_hidden_and_stray_entries_of_the_root_are_reported_under_a_feed_the_warehouse_accepts(
    con, tmp_path: Path
) -> None:
    """A `.complete` marker, a `.DS_Store`, an upload tool's temporary name and a stray folder:
    each reported under feed `landing`, which dq.rejected_files' accepted_values test must
    allow (issue 25: it did not, and every night failed at build with exit 12)."""
    landing = tmp_path / "landing"
    write_csv(landing / "slam" / GOOD, SLAM_HEADER, [slam_row("1")])
    for name in (".complete", ".DS_Store", ".~lock.RJ1.csv#", "upload.csv.filepart"):
        (landing / name).write_text("x")
    (landing / "old" / "deep").mkdir(parents=True)
    (landing / "old" / "deep" / GOOD).write_text("x")
    load_landing(con, landing)
    feeds = dict(con.execute("select file_name, feed from raw.rejected_files").fetchall())
    assert feeds == {
        ".complete": "landing",
        ".DS_Store": "landing",
        ".~lock.RJ1.csv#": "landing",
        "upload.csv.filepart": "landing",
        "old": "landing",
        "old/deep": "landing",
        f"old/deep/{GOOD}": "landing",
    }
    assert set(feeds.values()) <= _accepted_feeds()


def _accepted_feeds() -> set[str]:
    """The feeds dq.rejected_files' accepted_values test allows (models/dq/_dq__models.yml)."""
    models = yaml.safe_load((PROJECT_ROOT / "models" / "dq" / "_dq__models.yml").read_text(encoding="utf-8"))
    [rejected] = [m for m in models["models"] if m["name"] == "rejected_files"]
    [feed] = [c for c in rejected["columns"] if c["name"] == "feed"]
    [accepted] = [
        t["accepted_values"] for t in feed["data_tests"] if isinstance(t, dict) and "accepted_values" in t
    ]
    return set(accepted["arguments"]["values"])


def test_every_feed_the_loaders_write_is_accepted_by_the_published_table() -> None:
    """One list pinned to the other: a feed the loaders record (each feed folder, `landing` for
    the root, `reference`) that the dbt test does not allow would fail every night's build."""
    assert {*FEEDS, ROOT_FEED, REFERENCE_FOLDER} == _accepted_feeds()


def test_a_missing_or_unreadable_landing_root_is_not_an_empty_landing(tmp_path: Path) -> None:
    with pytest.raises(LandingUnavailable, match="does not exist"):
        list_landing(tmp_path / "unmounted")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(LandingUnavailable, match="not a folder"):
        list_landing(tmp_path / "a-file")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert list_landing(empty) == []  # an empty landing folder is valid


def test_names_with_unicode_digits_years_out_of_range_or_line_breaks_are_rejected() -> None:
    for name, why in [
        ("APC_２０２８０５_20280615060000.csv", "non-ASCII"),
        ("APC_099905_20250615060000.csv", "year 0999"),
        ("RJ1_ACM_2526_M01_09990510090000.csv", "year 999"),
        ("RJ1_ACM_2526_M0１_20250510090000.csv", "non-ASCII"),
        (f"{GOOD}\n", "does not match"),
    ]:
        feed = "sus" if name.startswith("APC") else "slam"
        with pytest.raises(BadFileName, match=why):
            parse_landing_name(feed, name)


def test_duplicate_columns_after_normalisation_reject_the_file_naming_both(con, tmp_path: Path) -> None:
    header = [*SLAM_HEADER, "Price Actual"]
    write_csv(tmp_path / "landing" / "slam" / GOOD, header, [[*slam_row("1"), "5.00"]])
    load_landing(con, tmp_path / "landing")
    reason = _reasons(con)[f"slam/{GOOD}"]
    assert '"price"' in reason and '"Price Actual"' in reason and "duplicate column" in reason


def test_a_reason_never_quotes_the_files_values(con, tmp_path: Path) -> None:
    name = "APC_202505_20250615060000.csv"
    path = write_csv(tmp_path / "landing" / "sus" / name, SUS_HEADER, [sus_row("S1", "2025-05-01")])
    with path.open("a", encoding="utf-8", newline="") as handle:  # a short row holding a pseudonym
        handle.write(f"S2,RJ1,LOCAL-S2,{PSEUDONYM}\r\n")
    load_landing(con, tmp_path / "landing")
    reason = _reasons(con)[f"sus/{name}"]
    assert "Line: 3" in reason and "values not shown" in reason
    assert PSEUDONYM not in reason and "PSEUDO" not in reason and "LOCAL-S2" not in reason


def test_a_file_that_changes_while_it_is_read_is_not_loaded_and_is_read_again(
    con, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    path = write_csv(landing / "slam" / GOOD, SLAM_HEADER, [slam_row("1")])
    real_insert = loader_module._write_partial_rows

    def insert_then_append(*args, **kwargs):  # the upload goes on while DuckDB reads
        rows = real_insert(*args, **kwargs)
        with path.open("a", newline="") as handle:
            handle.write(",".join(slam_row("1", price="7.00")) + "\r\n")
        return rows

    monkeypatch.setattr(loader_module, "_write_partial_rows", insert_then_append)
    load_landing(con, landing)
    assert "changed while it was being read" in _reasons(con)[f"slam/{GOOD}"]
    assert con.execute("select count(*) from raw.slam_rows").fetchone() == (0,)
    # and nothing of it is in the raw layer's folder, not even under a hidden name
    folder = tmp_path / "wh-raw" / "slam_rows"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "file_id=999999999999", "file_id=999999999999/_schema.parquet"
    ]
    monkeypatch.setattr(loader_module, "_write_partial_rows", real_insert)
    # the rejection recorded the file as listed: now it has changed, so it is new again ...
    state = PublishedState(_known(con), None)
    assert new_files(landing, state) == [f"slam/{GOOD}"]
    # ... and the next night loads all of it
    load_landing(con, landing)
    assert _loaded(con) == {f"slam/{GOOD}": 2}


def test_a_later_longer_version_of_a_loaded_file_replaces_it(con, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_csv(landing / "slam" / GOOD, SLAM_HEADER, [])  # header only: the upload has just begun
    first = load_landing(con, landing)
    assert first.files_loaded == 1 and _loaded(con) == {f"slam/{GOOD}": 0}
    write_csv(path, SLAM_HEADER, [slam_row("1"), slam_row("1", price="5.00")])  # completed later
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert new_files(landing, PublishedState(_known(con), None)) == [f"slam/{GOOD}"]
    second = load_landing(con, landing)
    assert second.replaced and second.replaced[0][0] == f"slam/{GOOD}"
    assert _loaded(con) == {f"slam/{GOOD}": 2}
    assert con.execute("select count(*) from raw.slam_rows").fetchone() == (2,)
    # touched without a change of bytes: nothing is loaded again
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    third = load_landing(con, landing)
    assert (third.files_loaded, third.replaced) == (0, [])
    assert new_files(landing, PublishedState(_known(con), None)) == []


def _known(con: duckdb.DuckDBPyConnection) -> dict:
    from speccomm.load.entries import Seen

    known = {}
    for table in ("raw.rejected_files", "raw.file_registry"):
        for feed, name, size, mtime in con.execute(
            f"select feed, file_name, file_size, file_mtime_ns from {table}"
        ).fetchall():
            known[(feed, name)] = Seen(size, mtime) if size is not None else None
    return known
