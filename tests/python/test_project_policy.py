"""Cheap policy checks on the dbt project, read from the files (no dbt run needed)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from speccomm.publish.extract_rules import marts_rules

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
PUBLISHED_FOLDERS = ("marts", "dq")
# models/dq/checks/ and models/dq/dqmi/: the data-quality runner's views (schema dq_checks), read by the
# runner only; described with grain and key like every model, their columns are the suites'.
RUNNER_ONLY_FOLDERS = (("dq", "checks"), ("dq", "dqmi"))
SCHEMA_NAMES = ("raw", "staging", "intermediate", "marts", "dq", "dq_checks", "reference")


def _model_files() -> list[Path]:
    return sorted(MODELS.rglob("*.sql"))


@cache
def _model_entries() -> dict[str, dict]:
    entries: dict[str, dict] = {}
    for path in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            entries[model["name"]] = model
    return entries


def _is_ephemeral(path: Path) -> bool:
    """A named step dbt inlines into the model that reads it (decision 0032): no relation."""
    config = (_model_entries().get(path.stem) or {}).get("config") or {}
    return config.get("materialized") == "ephemeral" or "materialized='ephemeral'" in path.read_text()


def _is_published(path: Path) -> bool:
    parts = path.relative_to(MODELS).parts
    return (parts[0] in PUBLISHED_FOLDERS and not any(parts[: len(f)] == f for f in RUNNER_ONLY_FOLDERS)
            and not _is_ephemeral(path))


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.stem)
def test_every_model_is_described_with_its_grain(path: Path) -> None:
    entry = _model_entries().get(path.stem)
    assert entry is not None, f"{path.stem} has no YAML entry"
    description = " ".join((entry.get("description") or "").split()).lower()
    assert "grain" in description, f"{path.stem}: the description must state the grain"


@pytest.mark.parametrize("path", [p for p in _model_files() if _is_published(p)], ids=lambda p: p.stem)
def test_every_published_column_is_described(path: Path) -> None:
    entry = _model_entries()[path.stem]
    columns = entry.get("columns") or []
    assert columns, f"{path.stem}: published models list their columns"
    undescribed = [c["name"] for c in columns if not (c.get("description") or "").strip()]
    assert not undescribed, f"{path.stem}: columns without a description: {undescribed}"


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.stem)
def test_source_only_in_staging_and_no_hard_coded_relations(path: Path) -> None:
    sql = path.read_text()
    if "source(" in sql:
        assert path.relative_to(MODELS).parts[0] == "staging", f"{path.stem} uses source() outside staging"
    hard_coded = re.findall(rf"\b(?:from|join)\s+(?:{'|'.join(SCHEMA_NAMES)})\.\w+", sql, flags=re.I)
    assert not hard_coded, f"{path.stem} names relations directly: {hard_coded}"


# DuckDB spellings with no Spark equivalent, and the macro in macros/cross_db/ that says it portably
ENGINE_SPECIFIC_SQL = {
    r"\bqualify\b": "a window in a CTE and a where",
    r"\bstring_agg\s*\(": "ordered_string_agg",
    r"\blistagg\s*\(": "ordered_string_agg",
    r"\bregexp_full_match\s*\(": "regexp_full_match",
    r"\bregexp_replace\s*\(": "regexp_replace_all",
    # two-argument trim: DuckDB trims the second argument's characters, Spark's rtrim the first's
    r"\b[lr]?trim\s*\([^()]*,": "trim_characters",
    r"\btry_strptime\s*\(": "try_parse_date",
    r"\b(?:generate_series|range)\s*\(": "day_series / integer_series",
    r"\bvarchar\b": "type_text",
}


@pytest.mark.parametrize(
    "path", _model_files() + sorted((ROOT / "macros").rglob("*.sql")), ids=lambda p: p.stem
)
def test_engine_specific_sql_goes_through_the_cross_database_macros(path: Path) -> None:
    if path.parent.name == "cross_db":
        return
    sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", path.read_text(), flags=re.S)  # comments may name them
    sql = re.sub(r"\{\{-?\s*\w+\s*\(", "{{ macro(", sql)  # a macro of the same name is the portable way
    found = {
        pattern: use for pattern, use in ENGINE_SPECIFIC_SQL.items() if re.search(pattern, sql, flags=re.I)
    }
    assert not found, f"{path.relative_to(ROOT)}: not portable to Spark; use {sorted(found.values())}"


# SQL's round( (not Jinja's `| round(`), outside comments
BARE_ROUND = re.compile(r"(?<![|\w.])\s*\bround\s*\(", flags=re.I)


def _bare_rounds(sql: str) -> list[str]:
    sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", sql, flags=re.S)
    sql = re.sub(r"\|\s*round\s*\(", "| jinja_round(", sql)
    return [line.strip() for line in sql.splitlines() if BARE_ROUND.search(line)]


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.stem)
def test_money_is_rounded_through_the_rounding_macros(path: Path) -> None:
    """One home for rounding: round_decimal / round_quotient (macros/numbers/) round half away
    from zero alike on DuckDB and Spark; a bare round( on a double does not."""
    found = _bare_rounds(path.read_text())
    assert not found, f"{path.relative_to(ROOT)}: use round_decimal or round_quotient, not round(: {found}"


def test_the_bare_round_policy_sees_a_bare_round() -> None:
    assert _bare_rounds("select cast(round(a / b, 2) as decimal(38, 2)) as x")
    assert _bare_rounds("select\n    round(\n        a, 2)")
    assert not _bare_rounds("{{ round_quotient('a', 'b') }} -- round(a / b, 2) in a comment")
    assert not _bare_rounds("{%- set p = (x / 2) | round(6) -%}")


# A running sum or count: sum( / count( over a window that orders its rows and frames them from
# the partition's start to the current row (the frame written out, or an order by alone, whose
# default frame is that). The financial year to date has one home, macros/finance/year_to_date.sql.
RUNNING_AGGREGATE = re.compile(r"\b(?:sum|count)\s*\(", flags=re.I)
RUNNING_FRAME = re.compile(r"\bunbounded\s+preceding\s+and\s+current\s+row\b", flags=re.I)


def _closing(sql: str, opening: int) -> int:
    """The index just past the parenthesis that closes the one at `opening`."""
    depth = 0
    for index in range(opening, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        if depth == 0:
            return index + 1
    return len(sql)


def _named_windows(sql: str) -> dict[str, str]:
    """`window a as (...), b as (...)`: each name's specification."""
    windows: dict[str, str] = {}
    for clause in re.finditer(r"\bwindow\b", sql, flags=re.I):
        at = clause.end()
        while named := re.match(r"\s*,?\s*(\w+)\s+as\s*\(", sql[at:], flags=re.I):
            opening = at + named.end() - 1
            at = _closing(sql, opening)
            windows[named.group(1).lower()] = sql[opening:at]
    return windows


def _is_running(spec: str) -> bool:
    if not re.search(r"\border\s+by\b", spec, flags=re.I):
        return False
    has_frame = re.search(r"\b(?:rows|range|groups)\s+between\b", spec, flags=re.I)
    return not has_frame or bool(RUNNING_FRAME.search(spec))


def _running_sums(sql: str) -> list[str]:
    """The running sums and counts written by hand in `sql` (comments aside)."""
    sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", sql, flags=re.S)
    windows = _named_windows(sql)
    found = []
    for aggregate in RUNNING_AGGREGATE.finditer(sql):
        at = _closing(sql, aggregate.end() - 1)
        if aggregate_filter := re.match(r"\s*filter\s*\(", sql[at:], flags=re.I):
            at = _closing(sql, at + aggregate_filter.end() - 1)
        over = re.match(r"\s*over\s*(?:(\()|(\w+))", sql[at:], flags=re.I)
        if over is None:
            continue
        spec = (sql[at + over.start(1):_closing(sql, at + over.start(1))] if over.group(1)
                else windows.get(over.group(2).lower(), ""))
        if _is_running(spec):
            found.append(" ".join(sql[aggregate.start():at + over.end()].split()))
    return found


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.stem)
def test_the_year_to_date_is_summed_through_its_macro(path: Path) -> None:
    """One home for the financial year to date: the year_to_date macro (macros/finance/), not a
    running window written again in a model."""
    found = _running_sums(path.read_text())
    where = path.relative_to(ROOT)
    assert not found, f"{where}: use {{{{ year_to_date(...) }}}}, not a running window: {found}"


def test_the_year_to_date_policy_sees_a_running_window() -> None:
    framed = "sum(x) over (partition by a order by m rows between unbounded preceding and current row)"
    assert _running_sums(f"select {framed} as y")
    assert _running_sums("select sum(x) over (order by m) as y")  # the default frame runs too
    assert _running_sums("select count(*) over (\n  partition by a\n  order by m\n  rows between"
                         " unbounded preceding and current row\n) as y")
    assert _running_sums("select sum(x) over w as y from t window w as (partition by a order by m)")
    assert _running_sums("select sum(x) filter (where f) over w as y from t\n"
                         "window v as (partition by a), w as (partition by a order by m)")
    assert not _running_sums("select sum(x) over (partition by a) as total")
    assert not _running_sums("select sum(x) over w as t from t window w as (partition by a)")
    assert not _running_sums("select lag(x) over w as p, row_number() over (order by m) as n"
                             " from t window w as (partition by a order by m)")
    assert not _running_sums("select sum(x) over (order by m rows between unbounded preceding"
                             " and 1 preceding) as before")
    assert not _running_sums("select {{ year_to_date('x', ['a']) }} as y -- sum(x) over (order by m)")
    assert not _running_sums("select sum(x) as total from t group by a order by a")


# The unknown member's code, 'UNKNOWN' as SQL text, outside comments: one home,
# macros/keys/unknown_code.sql.
UNKNOWN_LITERAL = re.compile(r"'UNKNOWN'")


def _unknown_literals(sql: str) -> list[str]:
    sql = re.sub(r"\{#.*?#\}|--[^\n]*", "", sql, flags=re.S)
    return [line.strip() for line in sql.splitlines() if UNKNOWN_LITERAL.search(line)]


def test_the_unknown_members_code_is_written_through_its_macro() -> None:
    """One home for the unknown member's code: models write {{ unknown_code() }}, so the dimensions'
    unknown rows, the facts' failed lookups and the reports' groups cannot drift apart."""
    found = {}
    for path in _model_files():
        if lines := _unknown_literals(path.read_text()):
            found[str(path.relative_to(ROOT))] = lines
    assert not found, f"use {{{{ unknown_code() }}}}, not the literal: {found}"


def test_the_unknown_code_policy_sees_the_literal() -> None:
    assert _unknown_literals("select coalesce(icb_code, 'UNKNOWN') as icb_code")
    assert not _unknown_literals("select coalesce(icb_code, {{ unknown_code() }}) as icb_code")
    assert not _unknown_literals("select 1 -- coalesce(icb_code, 'UNKNOWN')")


REF = re.compile(r"\bref\(\s*'([a-z0-9_]+)'\s*\)")
# the tiers, lowest first: a model reads its own tier or a lower one (dbt's guide: intermediate
# models sit below the marts; a stage that needs a mart is in the tier after the marts)
TIERS = {"staging": 0, "intermediate": 1, "marts": 2, "dq": 2, "after_marts": 3}


def _tier(path: Path) -> str:
    return path.relative_to(MODELS).parts[0]


@cache
def _model_paths() -> dict[str, Path]:
    return {path.stem: path for path in _model_files()}


def _model_refs(path: Path) -> set[str]:
    return {name for name in REF.findall(path.read_text()) if name in _model_paths()}


@pytest.mark.parametrize(
    "path", [p for p in _model_files() if _tier(p) in ("staging", "intermediate")], ids=lambda p: p.stem
)
def test_layers_read_one_way(path: Path) -> None:
    """Staging and intermediate models read no mart, no dq model and nothing after the marts."""
    upward = sorted(
        name for name in _model_refs(path) if TIERS[_tier(_model_paths()[name])] > TIERS[_tier(path)]
    )
    where = path.relative_to(ROOT)
    assert not upward, f"{where} reads {upward}: move it to models/after_marts/, or its inputs down"


@pytest.mark.parametrize(
    "path", [p for p in _model_files() if _tier(p) == "after_marts"], ids=lambda p: p.stem
)
def test_the_tier_after_the_marts_holds_only_what_needs_a_mart(path: Path) -> None:
    seen: set[str] = set()
    todo = list(_model_refs(path))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if _tier(_model_paths()[name]) == "after_marts":
                todo += _model_refs(_model_paths()[name])
    marts = sorted(name for name in seen if _tier(_model_paths()[name]) in ("marts", "dq"))
    assert marts, f"{path.stem} reads no mart: it belongs in models/intermediate/"


@cache
def _project_model_configs() -> dict:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    return project["models"]["speccomm"]


def _model_config(path: Path, key: str) -> dict:
    """config.<key> from the model's YAML, with what dbt_project.yml sets on its path (+<key>)."""
    value = dict(((_model_entries().get(path.stem) or {}).get("config") or {}).get(key) or {})
    node = _project_model_configs()
    for part in [*path.relative_to(MODELS).parent.parts, path.stem]:
        node = (node or {}).get(part) or {}
        value.update(node.get(f"+{key}") or {})
    return value


def _model_meta(path: Path) -> dict:
    return _model_config(path, "meta")


MART_FILES = sorted((MODELS / "marts").rglob("*.sql"))


@pytest.mark.parametrize("path", MART_FILES, ids=lambda p: p.stem)
def test_every_mart_states_grain_and_key_in_its_metadata(path: Path) -> None:
    """A mart's grain and primary key are metadata on the model (config.meta)."""
    meta = _model_meta(path)
    assert str(meta.get("grain") or "").strip(), f"{path.stem}: meta.grain"
    key = meta.get("primary_key")
    assert isinstance(key, list) and key, f"{path.stem}: meta.primary_key (a list of columns)"
    described = {c["name"] for c in (_model_entries()[path.stem].get("columns") or [])}
    assert set(key) <= described, f"{path.stem}: primary key {key} not among its columns"


@pytest.mark.parametrize("path", MART_FILES, ids=lambda p: p.stem)
def test_every_mart_decides_its_extract_rule_in_its_metadata(path: Path) -> None:
    """Who may take a mart's rows away is decided beside its grain (config.meta.extract), and
    the rule names columns the mart has: the extract would otherwise withhold it (fail closed)."""
    assert "extract" in _model_meta(path), f"{path.stem}: meta.extract (shared, withheld or a rule)"
    rule = marts_rules()[path.stem]
    described = {c["name"] for c in (_model_entries()[path.stem].get("columns") or [])}
    missing = sorted(set(rule.columns()) - described)
    assert not missing, f"{path.stem}: its extract rule names columns it does not have: {missing}"


@pytest.mark.parametrize("path", [p for p in _model_files() if _is_published(p)], ids=lambda p: p.stem)
def test_every_published_model_has_an_enforced_contract(path: Path) -> None:
    """A published model's columns and types are a contract dbt checks at build time: every
    column listed with its data_type (money decimal(18,2), or decimal(38,2) for sums)."""
    enforced = _model_config(path, "contract").get("enforced")
    assert enforced is True, f"{path.stem}: config.contract: {{enforced: true}}"
    columns = _model_entries()[path.stem].get("columns") or []
    untyped = [c["name"] for c in columns if not str(c.get("data_type") or "").strip()]
    assert not untyped, f"{path.stem}: columns without a data_type: {untyped}"
    money = [c for c in columns if c["name"].endswith("_gbp")]
    not_decimal = [c["name"] for c in money if not str(c["data_type"]).startswith("decimal")]
    assert not not_decimal, f"{path.stem}: money columns must be decimal: {not_decimal}"


# Contract types both engines name alike (docs/scale-out.md): DuckDB's own names (hugeint for
# a sum of counts, varchar, timestamptz) fail the Spark build's contract check.
PORTABLE_CONTRACT_TYPE = re.compile(
    r"(string|boolean|integer|int|bigint|double|date|timestamp|decimal\(\d+,\d+\))"
)


@pytest.mark.parametrize("path", [p for p in _model_files() if _is_published(p)], ids=lambda p: p.stem)
def test_published_contract_types_are_named_alike_on_both_engines(path: Path) -> None:
    columns = _model_entries()[path.stem].get("columns") or []
    engine_specific = [
        f"{c['name']}: {c['data_type']}"
        for c in columns
        if not PORTABLE_CONTRACT_TYPE.fullmatch(str(c.get("data_type") or "").replace(" ", "").lower())
    ]
    assert not engine_specific, f"{path.stem}: contract types not portable to Spark: {engine_specific}"


# What makes a model's rows differ between two builds of the same inputs and code.
NOT_A_FUNCTION_OF_THE_INPUTS = re.compile(
    r"\b(current_date|current_timestamp|now\s*\(|today\s*\(|get_current_timestamp|run_started_at"
    r"|invocation_id|env_var|random\s*\(|uuid\s*\()",
    re.IGNORECASE,
)


def _refs_and_sources() -> dict[str, tuple[set[str], bool]]:
    """model -> (the models and seeds it ref()s, whether it reads a source())."""
    return {
        path.stem: (set(re.findall(r"ref\(\s*['\"](\w+)['\"]\s*\)", sql)), "source(" in sql)
        for path in _model_files()
        for sql in [path.read_text()]
    }


def _models_of_seeds_only() -> list[str]:
    """Models with no source upstream: they read only seeds and the code. Read from the SQL, so
    a model whose source() or ref() is inside a macro counts as one of them: that only checks more."""
    graph = _refs_and_sources()
    reads_source: dict[str, bool] = {}

    def downstream_of_a_source(name: str) -> bool:
        if name not in reads_source:
            parents, direct = graph.get(name, (set(), False))
            reads_source[name] = direct or any(downstream_of_a_source(p) for p in parents if p in graph)
        return reads_source[name]

    return sorted(name for name in graph if not downstream_of_a_source(name))


def test_models_of_seeds_only_are_functions_of_the_seeds_and_the_code() -> None:
    """A month night whose seeds are unchanged does not rebuild the models that read only seeds
    (selectors.yml `nightly_seeds_loaded`, docs/decisions/0026): each must give the same rows
    on every build of the same seeds and code, so none may read the clock, the run or the
    environment. (Vars are part of the build fingerprint: a change rebuilds them.)"""
    seeds_only = _models_of_seeds_only()
    assert "dim_date" in seeds_only and "fct_sus_activity" not in seeds_only  # the graph is read
    offending = {
        name: found
        for name in seeds_only
        for path in MODELS.rglob(f"{name}.sql")
        if (found := NOT_A_FUNCTION_OF_THE_INPUTS.findall(path.read_text()))
    }
    assert not offending, f"models of seeds only that read the clock, the run or the environment: {offending}"


# What makes a view's SQL differ between two compiles of the same code (dbt renders it when it
# compiles; the clock *inside* the SQL is read when the view is queried, so it is no reason).
NOT_A_FUNCTION_OF_THE_CODE = re.compile(
    r"\b(run_started_at|invocation_id|env_var|run_query|statement\s*\(|modules\s*\.\s*datetime)",
    re.IGNORECASE,
)
MACRO_DEFINITION = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")


@cache
def _macros() -> dict[str, str]:
    """macro name -> its file's text (a file holding several macros counts for each: stricter)."""
    return {
        name: text
        for path in (ROOT / "macros").rglob("*.sql")
        for text in [path.read_text()]
        for name in MACRO_DEFINITION.findall(text)
    }


def _with_macros_called(text: str) -> str:
    """`text` and the text of every project macro it calls, directly or through another."""
    macros, seen, queue, parts = _macros(), set(), [text], []
    names = set(macros)
    while queue:
        current = queue.pop()
        parts.append(current)
        for name in set(re.findall(r"\b(\w+)\s*\(", current)) & names - seen:
            seen.add(name)
            queue.append(macros[name])
    return "\n".join(parts)


def _materialized(path: Path) -> str:
    """The model's materialization as the project sets it: its own config (SQL or YAML), else
    the deepest folder's in dbt_project.yml (a Jinja setting is returned as written)."""
    own = re.search(r"materialized\s*=\s*['\"](\w+)['\"]", path.read_text())
    config = (_model_entries().get(path.stem) or {}).get("config") or {}
    if own or config.get("materialized"):
        return own.group(1) if own else str(config["materialized"])
    folders = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["models"]["speccomm"]
    found = "view"  # dbt's default
    for part in path.relative_to(MODELS).parts[:-1]:
        folders = folders.get(part) or {}
        found = str(folders.get("+materialized", found))
    return found


def _views() -> list[Path]:
    return [p for p in _model_files() if "view" in _materialized(p) and not _is_ephemeral(p)]


def test_views_are_functions_of_the_code() -> None:
    """A month night leaves every view as the published build defined it (selectors.yml
    `nightly_seeds_loaded`, docs/decisions/0041): a view holds no rows, so that is right only
    when the same code compiles it to the same SQL. None may render the run, the moment of the
    build, the environment or the result of a query (run_query, statement) into its SQL, nor
    call a project macro that does. (Vars are part of the build fingerprint: a change of one
    rebuilds every view.)"""
    views = _views()
    names = {p.stem for p in views}
    assert {"stg_sus__records", "int_sus__records_placed", "dq_check_slam_file_rows"} <= names
    assert "fct_sus_activity" not in names and "int_slam__rows_placed" not in names  # tables
    offending = {
        path.stem: sorted(set(found))
        for path in views
        if (found := NOT_A_FUNCTION_OF_THE_CODE.findall(_with_macros_called(path.read_text())))
    }
    assert not offending, f"views whose SQL is not a function of the code: {offending}"


DATED_NAME = re.compile(r"(?:^|_)(?:new|old|latest|tmp|v\d+|\d{4,8})(?:_|$)")


@pytest.mark.parametrize("path", sorted(MODELS.rglob("*.yml")), ids=lambda p: p.stem)
def test_yaml_is_named_by_subject_not_by_date(path: Path) -> None:
    words = path.stem.lstrip("_").replace("__", "_")
    assert not DATED_NAME.search(words), f"{path.relative_to(ROOT)}: name the YAML after what it holds"
