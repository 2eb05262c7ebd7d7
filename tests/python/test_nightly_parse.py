"""The month night's bookkeeping, without dbt: the kept parse (speccomm.dbt_runner.KeptParse)
and the seed digest that decides whether a night loads the seeds (docs/decisions/0026)."""

from __future__ import annotations

from pathlib import Path

from speccomm.dbt_runner import KeptParse, seed_digest


def test_the_link_names_the_copy_by_a_fixed_name_and_drops_a_killed_runs_wal(tmp_path: Path) -> None:
    kept = KeptParse(tmp_path / "dbt-parse")
    copies = []
    for night in ("night1", "night2"):
        copy = tmp_path / "work" / night / "speccomm.duckdb"
        copy.parent.mkdir(parents=True)
        copy.write_bytes(night.encode())
        copies.append(copy)
    first = kept.link(copies[0])
    (tmp_path / "dbt-parse" / "speccomm.duckdb.wal").write_text("a killed dbt's log of night 1")
    (tmp_path / "dbt-parse" / "speccomm.duckdb.tmp").mkdir()
    second = kept.link(copies[1])
    assert first == second == tmp_path / "dbt-parse" / "speccomm.duckdb"
    assert second.read_bytes() == b"night2"
    assert not (tmp_path / "dbt-parse" / "speccomm.duckdb.wal").exists()
    assert not (tmp_path / "dbt-parse" / "speccomm.duckdb.tmp").exists()
    kept.unlink(copies[1])
    assert not second.is_symlink() and copies[1].exists()


def test_the_parse_goes_into_each_runs_target_and_comes_back(tmp_path: Path) -> None:
    kept = KeptParse(tmp_path / "dbt-parse")
    night1, night2 = tmp_path / "night1-target", tmp_path / "night2-target"
    kept.lend(night1)  # nothing kept yet: dbt parses afresh
    assert not (night1 / "partial_parse.msgpack").exists()
    night1.mkdir()
    (night1 / "partial_parse.msgpack").write_bytes(b"parse 1")
    kept.keep(night1)
    kept.lend(night2)
    assert (night2 / "partial_parse.msgpack").read_bytes() == b"parse 1"
    assert not list((tmp_path / "dbt-parse").glob("*.tmp"))


def test_the_night_says_whether_dbt_reused_the_parse(tmp_path: Path) -> None:
    kept = KeptParse(tmp_path / "dbt-parse")
    log = tmp_path / "dbt-console.log"
    assert kept.how_parsed(log, had_parse=True) == ""  # dbt never ran
    log.write_text("\x1b[0m02:25:31  Unable to do partial parsing because profile has changed\n")
    assert kept.how_parsed(log, had_parse=True) == "dbt parsed the whole project: profile has changed"
    assert kept.how_parsed(log, had_parse=False) == "dbt parsed the whole project (no parse kept yet)"
    log.write_text("\x1b[0m02:26:51  Registered adapter: duckdb=1.11.1\n")
    assert kept.how_parsed(log, had_parse=True).startswith("dbt reused the kept parse")


def test_the_seed_digest_follows_every_byte_and_name_of_the_seed_files(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    (seeds / "reference").mkdir(parents=True)
    (seeds / "reference" / "icbs.csv").write_text("icb_code\nQKK\n")
    (seeds / "reference" / "_seeds.yml").write_text("seeds: []\n")
    before = seed_digest(seeds)
    assert seed_digest(seeds) == before
    (seeds / "reference" / "icbs.csv").write_text("icb_code\nQKL\n")
    changed_row = seed_digest(seeds)
    (seeds / "reference" / "_seeds.yml").write_text("seeds: [{name: icbs}]\n")
    changed_yaml = seed_digest(seeds)
    (seeds / "reference" / "icbs.csv").rename(seeds / "reference" / "icb.csv")
    renamed = seed_digest(seeds)
    assert len({before, changed_row, changed_yaml, renamed}) == 4
    assert seed_digest(None) == seed_digest(None) != before  # the project's own seeds
