"""Run dbt against one DuckDB file (a subprocess, so a failure or a kill cannot leave dbt's
state inside the caller)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from speccomm.children import die_with_parent
from speccomm.config import PROJECT_ROOT, SEEDS_DIR, service_line_basis
from speccomm.dbt_runner.ir_rules import RuleFileInvalid, validate_rule_seeds
from speccomm.dbt_runner.kept_parse import KeptParse
from speccomm.dbt_runner.shared_parse import shared_parse
from speccomm.memory_limit import MEMORY_LIMIT_ENV, duckdb_memory_limit


class BuildFailed(RuntimeError):
    """dbt exited non-zero: a model failed or a test of severity error failed."""


@dataclass(frozen=True)
class BuildResult:
    returncode: int
    log_path: Path


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: list[str],
    database: Path,
    *,
    target: str = "dev",
    log_dir: Path | None = None,
    echo: bool = True,
    seed_path: Path | None = None,
    extra_env: dict[str, str] | None = None,
    kept_parse: KeptParse | None = None,
) -> BuildResult:
    """Run `dbt <args>` with the warehouse file `database`; stream dbt's console lines.
    `seed_path` replaces the project's `seeds/` folder (tonight's reference updates,
    speccomm.load.reference.write_seed_overlay). `extra_env` adds variables (the Spark
    target's, speccomm.spark.environment). `kept_parse` keeps dbt's parse between runs
    (KeptParse); SPECCOMM_DBT_PARSE_CACHE, when set, shares one instead (shared_parse). The
    target folder (run_results.json, manifest.json) stays beside `database`."""
    log_dir = log_dir or database.parent / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    added = {
        "DBT_LOG_PATH": str(log_dir),
        "DBT_TARGET_PATH": str(dbt_target_path(database)),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        MEMORY_LIMIT_ENV: duckdb_memory_limit(),
        **(extra_env or {}),
    }
    if seed_path is not None:
        # relative to the project: dbt writes the compiled SQL of a seed's tests under
        # <target>/compiled/<project>/<seed path>/…, which for an absolute path would be the
        # seeds' YAML file itself
        added["SPECCOMM_SEED_PATH"] = os.path.relpath(seed_path, PROJECT_ROOT)
    env = {key: value for key, value in os.environ.items() if key != "SPECCOMM_SEED_PATH"} | added
    target_dir = PROJECT_ROOT / env["DBT_TARGET_PATH"]  # an absolute path stays as it is
    command = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target",
        target,
    ]
    log_path = log_dir / "dbt-console.log"
    with shared_parse(args, database, target, env) as shared:
        parse = shared or kept_parse
        env["SPECCOMM_DBT_DATABASE"] = str(parse.link(database) if parse else database)
        if parse is not None:
            parse.lend(target_dir)
        try:
            returncode = _stream(command, env, log_path, echo=echo)
        finally:
            if parse is not None:
                parse.unlink(database)
                parse.keep(target_dir)
    return BuildResult(returncode, log_path)


def _stream(command: list[str], env: dict[str, str], log_path: Path, *, echo: bool) -> int:
    """Run dbt, writing its console lines to `log_path` (and stdout when `echo`)."""
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=die_with_parent,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if echo:
                sys.stdout.write("  dbt | " + line)
                sys.stdout.flush()
    return process.returncode


def code_fingerprint() -> str:
    """Hash of everything that decides what a build produces: models, macros, seeds, config
    (the service-line basis included).
    Incremental models rebuild every slice when it changes (see macros/incremental/)."""
    digest = hashlib.sha256()
    paths = [PROJECT_ROOT / "dbt_project.yml", PROJECT_ROOT / "selectors.yml"]
    for folder in ("models", "macros", "seeds"):
        paths.extend(sorted(p for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file()))
    for path in paths:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(f"service_line_basis={service_line_basis()}".encode())  # which line pays
    return digest.hexdigest()[:16]


def seed_digest(seed_path: Path | None = None) -> str:
    """Hash of the seed files a build reads: the folder that replaces `seeds/` (`seed_path`,
    tonight's reference updates written over the shipped seeds) or the project's own; names and
    bytes of every file, the YAML that types the columns included. The same digest means the
    same seed tables (a change of the code that loads them changes the build fingerprint)."""
    root = seed_path if seed_path is not None else SEEDS_DIR.parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def build_fingerprint(footprint: list[str] | str | None = None, engine: str = "duckdb") -> str:
    """What decides a night's build: the code fingerprint and, when set, the footprint (a
    footprint change rebuilds the marts even when no file is new) and an engine other than
    DuckDB (a switch of engine rebuilds the warehouse, the incremental models whole)."""
    fingerprint = code_fingerprint()
    if footprint is not None:
        fingerprint += f"+{hashlib.sha256(json.dumps(footprint).encode()).hexdigest()[:8]}"
    return fingerprint if engine == "duckdb" else f"{fingerprint}+{engine}"


def build_warehouse(
    database: Path, *, echo: bool = True, full_refresh: bool = False, seed_path: Path | None = None,
    footprint: list[str] | str | None = None, target: str = "dev", extra_env: dict[str, str] | None = None,
    extra_vars: dict[str, object] | None = None, kept_parse: KeptParse | None = None,
    load_seeds: bool = True, data_tests: bool = True,
) -> BuildResult:
    """`dbt build`: seeds, models and their data tests, in dependency order. The dbt unit
    tests are left out: they test the SQL with fixed inputs, not the night's data, so they
    run where the code changes (the test suite's `dbt build`, see tests/python/conftest.py).
    `full_refresh` rebuilds the incremental models from nothing; `seed_path` is the seeds
    folder with tonight's reference updates (None: the shipped seeds). The identification-rule
    seeds of that folder are validated first (speccomm.dbt_runner.ir_rules). `footprint` (codes
    or 'national', from speccomm.footprint.resolve_footprint) is passed as the dbt var of that name;
    None keeps dbt_project.yml's default. `target`, `extra_env` and `extra_vars` are for another
    engine's build (speccomm.spark.night: the spark target, its environment, its dq scope).
    `kept_parse` keeps dbt's parse between builds of one warehouse (KeptParse). `load_seeds`
    False leaves the seed tables (and their own tests) as the database holds them: only when
    they were loaded from these very files (seed_digest) by this code (selectors.yml,
    `nightly_seeds_loaded`). `data_tests` False builds without the data tests (a Spark night on
    the night runs them batched afterwards, speccomm.dbt_runner.data_tests)."""
    try:
        validate_rule_seeds(seed_path / SEEDS_DIR.name if seed_path else SEEDS_DIR)
    except RuleFileInvalid as exc:
        raise BuildFailed(str(exc)) from exc
    dbt_vars = nightly_vars(footprint, extra_vars)
    selector = nightly_selector(load_seeds=load_seeds, full_refresh=full_refresh)
    args = ["build", "--selector", selector, "--vars", json.dumps(dbt_vars)]
    args = [*args, "--full-refresh"] if full_refresh else args
    args = args if data_tests else [*args, "--exclude-resource-type", "test"]
    result = run_dbt(args, database, echo=echo, seed_path=seed_path, target=target, extra_env=extra_env,
                     kept_parse=kept_parse)
    if result.returncode != 0:
        engine = "" if target == "dev" else f" on the {target} target"
        raise BuildFailed(f"dbt build{engine} failed (exit {result.returncode}); see {result.log_path}")
    return result


def nightly_vars(footprint: list[str] | str | None = None,
                 extra_vars: dict[str, object] | None = None) -> dict[str, object]:
    """The dbt vars of a night's build (build_warehouse): the code fingerprint, the service-line
    basis, the footprint when set, and an engine's own (`extra_vars`)."""
    dbt_vars: dict[str, object] = {
        "code_fingerprint": code_fingerprint(),
        "service_line_basis": service_line_basis(),
    }
    if footprint is not None:
        dbt_vars["footprint"] = footprint
    dbt_vars.update(extra_vars or {})
    return dbt_vars


def nightly_selector(*, load_seeds: bool, full_refresh: bool) -> str:
    """The selector (selectors.yml) of a night's build: everything, or what the landing's data
    can change when the seeds are the published build's (docs/decisions/0026)."""
    return "nightly" if load_seeds or full_refresh else "nightly_seeds_loaded"


def dbt_target_path(database: Path) -> Path:
    """Where run_dbt lets dbt write its target folder (run_results.json, manifest.json):
    DBT_TARGET_PATH (relative to the project), else beside the warehouse file."""
    configured = os.environ.get("DBT_TARGET_PATH")
    if not configured:
        return database.parent / "dbt-target"
    path = Path(configured)
    return path if path.is_absolute() else PROJECT_ROOT / path


def dbt_test_counts(target: Path, *, since: float) -> tuple[int, int, int, list[str]] | None:
    """(passed, failed, warned, failing nodes) of dbt's data and unit tests in this build."""
    results_file = target / "run_results.json"
    try:
        if results_file.stat().st_mtime < since:
            return None  # dbt stopped before writing results; this file is an older build's
        results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return None
    passed = failed = warned = 0
    failures = []
    for result in results:
        node, status = result.get("unique_id", ""), result.get("status")
        is_test = node.startswith(("test.", "unit_test."))
        if is_test and status == "pass":
            passed += 1
        elif is_test and status == "warn":
            warned += 1
        elif status in ("fail", "error"):
            failed += is_test
            failures.append(f"{node} ({status})")
    return passed, failed, warned, failures
