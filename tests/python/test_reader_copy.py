"""The published file of a night that follows a published one starts as a copy of it and is
brought up to date (speccomm.publish.storage.write_reader_copy, docs/decisions/0046): it must
hold exactly what a copy written whole would hold — every table's CREATE statement and rows,
every view, every comment — whatever changed, and fall back to writing the copy whole whenever
starting from the last one could be wrong or wasteful.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from speccomm.publish.storage import BUILD_COLUMN, MOST_FREE, READER_SCHEMAS, ReaderCopy, write_reader_copy

NIGHT_1, NIGHT_2, NIGHT_3 = "11111111-night-1", "22222222-night-2", "33333333-night-3"


def build(path: Path, *statements: str) -> Path:
    """A closed build file: marts.fct (rows naming their build), a small mart, a view, a raw
    table readers may not see, comments; then `statements`."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""
            create schema raw; create schema marts; create schema dq;
            create table raw.rows as select 1 as secret;
            create table marts.fct (
                activity_key bigint primary key, extract_month date not null, cost decimal(12, 2),
                build_invocation_id varchar not null
            );
            insert into marts.fct
                select i, date '2025-04-01', i * 1.5, '{NIGHT_1}' from range(1, 1001) as t(i);
            create table marts.rpt_small as select 'a' as line, 10 as n;
            create table dq.results as select 1 as check_no;
            create view marts.v_fct_cost as select sum(cost) as cost from marts.fct;
            comment on table marts.fct is 'one row per activity';
            comment on column marts.fct.cost is 'the tariff price';
            """
        )
        for statement in statements:
            con.execute(statement)
    return path


def month_night(path: Path, *statements: str) -> Path:
    """Night 1's build and a new month's rows written by night 2."""
    return build(path, f"""
        insert into marts.fct
            select i, date '2025-05-01', i * 2.5, '{NIGHT_2}' from range(1001, 1201) as t(i)
        """, *statements)


def reader_content(path: Path) -> dict[str, object]:
    """Everything a reader sees: schemas, CREATE statements, rows (sorted), views, comments."""
    with duckdb.connect(str(path), read_only=True) as con:
        readers = f"list_contains({list(READER_SCHEMAS)!r}, schema_name)"
        tables = con.execute(
            f"select schema_name, table_name, sql, comment from duckdb_tables() where {readers} order by all"
        ).fetchall()
        return {
            "schemas": con.execute("select schema_name from duckdb_schemas() where not internal"
                                   " order by all").fetchall(),
            "tables": tables,
            "rows": {f"{s}.{t}": con.execute(f'select * from "{s}"."{t}" order by all').fetchall()
                     for s, t, _, _ in tables},
            "views": con.execute(f"select schema_name, view_name, sql, comment from duckdb_views()"
                                 f" where {readers} and not internal order by all").fetchall(),
            "columns": con.execute(f"select schema_name, table_name, column_name, comment"
                                   f" from duckdb_columns() where {readers} order by all").fetchall(),
            "version": con.execute("select tags['storage_version'] from duckdb_databases()"
                                   " where database_name = current_database()").fetchone(),
        }


def publish(source: Path, target: Path, previous: Path | None) -> tuple[ReaderCopy, dict[str, object]]:
    """The copy started from `previous`, checked against the copy written whole."""
    copy = write_reader_copy(source, target, previous=previous)
    whole = target.with_name(target.stem + "-whole.duckdb")
    assert write_reader_copy(source, whole).previous is None
    content = reader_content(target)
    assert content == reader_content(whole)
    return copy, content


@pytest.fixture
def night_1(tmp_path: Path) -> Path:
    published = tmp_path / "published-1.duckdb"
    copy = write_reader_copy(build(tmp_path / "build-1.duckdb"), published, previous=None)
    assert copy.previous is None and copy.why_whole == "no published file before it"
    return published


def test_a_month_night_keeps_the_fact_and_adds_its_new_build(tmp_path: Path, night_1: Path) -> None:
    copy, content = publish(month_night(tmp_path / "build-2.duckdb"), tmp_path / "p2.duckdb", night_1)
    assert copy.previous == night_1
    assert copy.added == {"marts.fct": 200} and copy.removed == {"marts.fct": 0}
    assert "marts.fct +200/-0 rows" in copy.describe()
    assert sorted(copy.written) == ["dq.results", "marts.fct", "marts.rpt_small", "marts.v_fct_cost"]
    assert len(content["rows"]["marts.fct"]) == 1200  # type: ignore[index]
    assert content["version"] == ("v1.0.0+",)  # still what DuckDB 1.x clients open
    assert not any(schema == "raw" for (schema,) in content["schemas"])  # type: ignore[union-attr]


def test_a_build_gone_from_the_source_leaves_the_copy(tmp_path: Path, night_1: Path) -> None:
    """Night 3 rebuilt every row night 1 wrote (as a reference change does) and kept night 2's,
    the larger part: night 1's rows leave the copy, night 3's join it."""
    big_month = f"""insert into marts.fct select i, date '2025-05-01', 1, '{NIGHT_2}'
                    from range(5001, 7001) as t(i)"""
    second = tmp_path / "p2.duckdb"
    mostly_new, _ = publish(build(tmp_path / "build-2.duckdb", big_month), second, night_1)
    assert mostly_new.added == {}
    source = build(tmp_path / "build-3.duckdb", big_month,
                   f"update marts.fct set build_invocation_id = '{NIGHT_3}', cost = cost + 1"
                   f" where build_invocation_id = '{NIGHT_1}'")
    copy, content = publish(source, tmp_path / "p3.duckdb", second)
    assert copy.added == {"marts.fct": 1000} and copy.removed == {"marts.fct": 1000}
    assert len(content["rows"]["marts.fct"]) == 3000  # type: ignore[index]


def test_rows_of_a_build_deleted_in_part_write_the_table_whole(tmp_path: Path, night_1: Path) -> None:
    """One slice of night 1's rows rebuilt by night 2: night 1's row count differs, so its
    remaining rows cannot be told apart from the deleted ones by build alone."""
    rebuilt = f"update marts.fct set build_invocation_id = '{NIGHT_2}', cost = 0 where activity_key <= 10"
    source = month_night(tmp_path / "build-2.duckdb", rebuilt)
    copy, content = publish(source, tmp_path / "p2.duckdb", night_1)
    assert copy.previous == night_1 and copy.added == {}
    assert content["rows"]["marts.fct"][0] == (1, date(2025, 4, 1), 0, NIGHT_2)  # type: ignore[index]


def test_mostly_new_rows_write_the_table_whole(tmp_path: Path, night_1: Path) -> None:
    big = f"insert into marts.fct select i, date '2025-05-01', 1, '{NIGHT_2}' from range(2001, 3002) as t(i)"
    copy, _ = publish(build(tmp_path / "build-2.duckdb", big), tmp_path / "p2.duckdb", night_1)
    assert copy.added == {}  # 1,000 kept rows are less than half of 2,001


@pytest.mark.parametrize("change", [
    "alter table marts.fct add column icb_code varchar",  # dbt's append_new_columns
    "comment on column marts.fct.cost is 'the price paid'",
    "comment on column marts.fct.cost is null",
    "comment on table marts.fct is null",
    "drop table marts.rpt_small",
    "drop table dq.results; drop schema dq",
    "create schema reference; create table reference.codes as select 'x' as code",
    "drop view marts.v_fct_cost; create view marts.v_fct_cost as select count(*) as n from marts.fct",
])
def test_whatever_else_changed_the_copy_holds_what_a_whole_copy_holds(
    tmp_path: Path, night_1: Path, change: str
) -> None:
    publish(month_night(tmp_path / "build-2.duckdb", change), tmp_path / "p2.duckdb", night_1)


def test_a_previous_file_that_may_not_be_reused_is_not(tmp_path: Path, night_1: Path) -> None:
    source = month_night(tmp_path / "build-2.duckdb")
    newer = tmp_path / "published-v1.5.duckdb"
    write_reader_copy(build(tmp_path / "build-1b.duckdb"), newer, version="v1.5.0")
    copy, content = publish(source, tmp_path / "p2.duckdb", newer)
    assert copy.previous is None and "storage version v1.5.0+, not v1.0.0" in copy.why_whole
    assert content["version"] == ("v1.0.0+",)

    whole_build = tmp_path / "whole-build.duckdb"  # published before decision 0016: every schema
    with duckdb.connect(str(whole_build), config={"storage_compatibility_version": "v1.0.0"}) as con:
        con.execute("create schema raw; create table raw.rows as select 1 as secret")
    copy, content = publish(source, tmp_path / "p3.duckdb", whole_build)
    assert copy.previous is None and "holds more than the reader schemas (schema raw)" in copy.why_whole

    holed = tmp_path / "holed.duckdb"
    padding = "md5(range::varchar) || md5((range + 1)::varchar)"
    big = f"create table marts.big as select {padding} as padding from range(300000)"
    write_reader_copy(build(tmp_path / "build-1c.duckdb", big), holed)
    with duckdb.connect(str(holed)) as con:
        con.execute("drop table marts.big; checkpoint")
        total, free = con.execute("select total_blocks, free_blocks from pragma_database_size()").fetchone()
    assert free / total > MOST_FREE
    copy, _ = publish(source, tmp_path / "p4.duckdb", holed)
    assert copy.previous is None and "free space" in copy.why_whole
    assert not (tmp_path / "p4.duckdb").with_suffix(".duckdb.wal").exists()


def test_night_after_night_the_file_stays_as_small_as_a_whole_copy(tmp_path: Path) -> None:
    """The tables written again reuse the space of those they replace (dropped, then
    checkpointed, before they are written), so the nights leave no growing free space. The
    fact is most of the file, as at national scale; the other marts change every night."""
    history = f"""insert into marts.fct select i, date '2024-04-01' + (i // 10000)::integer, i, '{NIGHT_1}'
                  from range(100000, 400000) as t(i)"""
    previous = tmp_path / "p1.duckdb"
    write_reader_copy(build(tmp_path / "build-1.duckdb", history), previous)
    months = [history]
    for night in range(2, 7):
        months.append(f"""insert into marts.fct select i, date '2025-0{night}-01', 1, 'night-{night}'
                          from range({night * 1000}, {night * 1000 + 300}) as t(i)""")
        small = f"create table marts.rpt_many as select md5((range * {night})::varchar) from range(50000)"
        published = tmp_path / f"p{night}.duckdb"
        copy, _ = publish(build(tmp_path / f"build-{night}.duckdb", *months, small), published, previous)
        assert copy.previous == previous and copy.added == {"marts.fct": 300}, copy
        previous = published
    with duckdb.connect(str(previous), read_only=True) as con:
        total, free = con.execute("select total_blocks, free_blocks from pragma_database_size()").fetchone()
    with duckdb.connect(str(previous.with_name("p6-whole.duckdb")), read_only=True) as con:
        (whole,) = con.execute("select total_blocks from pragma_database_size()").fetchone()
    assert free / total <= MOST_FREE and total <= whole + 2, (total, free, whole)


def test_the_published_models_that_name_their_build_only_ever_append_and_delete() -> None:
    """What keeps a table's rows between two published files is that a build's rows are
    written once, together, and only deleted after: a published model that names its build
    (BUILD_COLUMN) must append (whole slices deleted before, by its pre-hook) and never update."""
    models = Path(__file__).resolve().parents[2] / "models"
    published = [path for folder in ("marts", "dq") for path in sorted((models / folder).rglob("*.sql"))]
    naming = [path for path in published if re.search(rf"\bas {BUILD_COLUMN}\b", path.read_text())]
    assert [path.stem for path in naming] == ["fct_sus_activity"]  # a new one: read decision 0046
    for path in naming:
        sql = path.read_text()
        assert "incremental_strategy=incremental_strategy_for('append')" in sql, path
        assert not re.search(r"\b(update|merge)\b\s+\S+\s+(set|using)\b", sql, re.IGNORECASE), path
