"""Every code example in docs/ runs.

Each fenced block with a language is executed against the first night's published warehouse:
- `sql`: run as it stands (read-only; an example that writes, documented for a copy of the
  warehouse, on a copy); one that reads the build's own schemas (raw, staging, intermediate,
  dq_checks) on the build file beside it, where the docs say to run it;
- `python`: run in its own process, with the documented paths pointed at that warehouse;
- `sh`: each command line — `duckdb …` is run with the 1.x command line (read-only, fed
  `select 1;`), `speccomm …` is run with `--help` appended after its arguments are parsed by
  the real parser, `make …` as `make -n` (a dry run: some targets take a national build),
  `python -m M …` as an import of M; leading `NAME=value` environment settings are skipped;
- `yaml`: parsed (profiles and configuration snippets must be valid YAML).
Blocks without a language are diagrams and file layouts, not code. A block in a language not
listed here fails the test: teach it how to run the new kind of example.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml
from test_nightly import NightEnv, first_night

from speccomm.cli import _parser
from speccomm.config import PROJECT_ROOT

pytestmark = pytest.mark.slow

DOCS = PROJECT_ROOT / "docs"
FENCE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
DOCUMENTED_PATHS = ("/srv/speccomm/warehouse/speccomm.duckdb", "warehouse/speccomm.duckdb")
CLI = Path(sys.executable).parent / "duckdb"
BUILD_SCHEMAS = re.compile(r"\b(raw|staging|intermediate|dq_checks)\.\w", re.IGNORECASE)
WRITES = re.compile(r"^\s*(insert|update|delete|create|drop|alter)\b", re.MULTILINE | re.IGNORECASE)


def examples() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        for number, match in enumerate(FENCE.finditer(path.read_text(encoding="utf-8")), start=1):
            if match["lang"]:
                found.append((f"{path.relative_to(DOCS)}#{number}", match["lang"], match["body"]))
    return found


EXAMPLES = examples()


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


def test_the_docs_have_examples_of_every_kind() -> None:
    assert {lang for _, lang, _ in EXAMPLES} <= {"sql", "python", "sh", "yaml"}, "a new kind of example"
    assert sum(lang == "sql" for _, lang, _ in EXAMPLES) >= 20


@pytest.mark.parametrize(("where", "lang", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_runs(first: NightEnv, tmp_path: Path, where: str, lang: str, body: str) -> None:
    {"sql": _run_sql, "python": _run_python, "sh": _run_sh, "yaml": _parse_yaml}[lang](first, tmp_path, body)


def _parse_yaml(env: NightEnv, tmp_path: Path, body: str) -> None:
    assert yaml.safe_load(body), "an empty YAML example"


def _run_sql(env: NightEnv, tmp_path: Path, body: str) -> None:
    if "read_csv(" in body:
        _run_conversion_sketch(tmp_path, body)
        return
    # an example on the build's own relations is documented for the build file (decision 16)
    database = env.build if BUILD_SCHEMAS.search(body) else env.warehouse
    if WRITES.search(body):  # documented for a copy of the warehouse: run on one
        copy = tmp_path / "copy.duckdb"
        shutil.copyfile(database, copy)
        with duckdb.connect(str(copy)) as con:
            con.execute(body)
        return
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(body)


def _run_conversion_sketch(tmp_path: Path, body: str) -> None:
    """A sketch that converts a downloaded file into a seed (docs/reference-data.md): run in a
    scratch folder on a one-row file with the headers it quotes; it must write the seed's
    layout."""
    [source] = re.findall(r"read_csv\('([^']+)'", body)
    [target] = re.findall(r"\) to '([^']+)'", body)
    headers = sorted(set(re.findall(r'"([^"]+)"', body)))
    values = ["2025-04-01" if "Effective" in h else "Green" if "Status" in h else "x" for h in headers]
    (tmp_path / source).write_text(",".join(headers) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"set file_search_path = '{tmp_path}'")
        con.execute(body.replace(f"'{source}'", f"'{tmp_path / source}'")
                        .replace(f"'{target}'", f"'{tmp_path / target}'"))
    written = (tmp_path / target).read_text(encoding="utf-8").splitlines()[0]
    shipped = (PROJECT_ROOT / target).read_text(encoding="utf-8").splitlines()[0]
    assert written == shipped, "the sketch must write the shipped seed's layout"


def _run_python(env: NightEnv, tmp_path: Path, body: str) -> None:
    for documented in DOCUMENTED_PATHS:
        body = body.replace(documented, str(env.warehouse))
    script = tmp_path / "example.py"
    script.write_text(body, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]


def _run_sh(env: NightEnv, tmp_path: Path, body: str) -> None:
    for line in _command_lines(body):
        words = shlex.split(line, comments=True)
        while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            words = words[1:]  # an environment setting for the command
        if not words:
            continue
        program = Path(words[0]).name
        if program == "duckdb":
            args = [str(env.warehouse) if w in DOCUMENTED_PATHS else w for w in words[1:]]
            assert "-readonly" in args, f"open the warehouse read-only: {line}"
            result = subprocess.run([str(CLI), *args], input="select 1;\n", capture_output=True,
                                    text=True, timeout=60)
        elif program == "speccomm":
            _parser().parse_args(words[1:])  # exits (SystemExit) on a wrong option
            result = subprocess.run([sys.executable, "-m", "speccomm.cli", words[1], "--help"],
                                    capture_output=True, text=True, timeout=60)
        elif program == "make":
            result = subprocess.run(["make", "-n", *words[1:]], cwd=PROJECT_ROOT, capture_output=True,
                                    text=True, timeout=60)
        elif words[0].endswith("python") and words[1:2] == ["-m"]:
            result = subprocess.run([sys.executable, "-c", f"import {words[2]}"], cwd=PROJECT_ROOT,
                                    capture_output=True, text=True, timeout=60)
        else:
            pytest.fail(f"no way to run this example command yet: {line}")
        assert result.returncode == 0, f"{line}\n{result.stderr[-2000:]}"


def _command_lines(body: str) -> list[str]:
    joined = body.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
