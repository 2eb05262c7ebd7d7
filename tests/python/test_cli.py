"""The command line answers an operator's first questions itself: its version, what every
option means, and what each exit status of the nightly says (printed from the one table,
speccomm.nightly.EXIT_STATUS, which docs/operations.md must agree with)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from speccomm.cli import _parser
from speccomm.nightly import EXIT_CODES, EXIT_STATUS, STEPS

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "speccomm.cli", *args], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"})


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = {"speccomm": parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found |= {f"speccomm {name}": sub for name, sub in action.choices.items()}
    return found


def test_version_names_speccomm_dbt_and_duckdb() -> None:
    result = _cli("--version")
    assert result.returncode == 0, result.stderr
    text = result.stdout.strip()
    assert text.startswith(f"speccomm {version('speccomm')} ("), text
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        assert f"{package} {version(package)}" in text
    assert "\n" not in text, "one line, for a bug report"


@pytest.mark.parametrize("command", sorted(_subcommands(_parser())))
def test_every_option_of_every_command_has_help(command: str) -> None:
    parser = _subcommands(_parser())[command]
    silent = [
        "/".join(action.option_strings) or action.dest
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction)
        and (action.help is None or not action.help.strip())
    ]
    assert not silent, f"{command}: options without help text: {silent}"


@pytest.mark.parametrize("args", [["--help"], ["nightly", "--help"]], ids=["speccomm", "nightly"])
def test_help_lists_every_exit_status(args: list[str]) -> None:
    result = _cli(*args)
    assert result.returncode == 0, result.stderr
    table = result.stdout.partition("exit status of speccomm nightly")[2]
    assert table, result.stdout
    listed = [int(code) for code in re.findall(r"^\s+(\d+)  \S", table, flags=re.M)]
    assert listed == list(EXIT_STATUS)
    flat = " ".join(table.split())
    for meaning in EXIT_STATUS.values():
        assert " ".join(meaning.split()) in flat


def test_the_exit_table_covers_every_step_and_the_documented_statuses() -> None:
    assert {EXIT_CODES[name] for name, _ in STEPS} <= set(EXIT_STATUS)
    documented = _documented_exit_statuses()
    assert documented == set(EXIT_STATUS), (
        "docs/operations.md's exit-status table and speccomm.nightly.EXIT_STATUS differ: "
        f"only in the docs {sorted(documented - set(EXIT_STATUS))}, "
        f"only in the code {sorted(set(EXIT_STATUS) - documented)}"
    )


def _documented_exit_statuses() -> set[int]:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.partition("## Exit status")[2].partition("\n## ")[0]
    codes: set[int] = set()
    for first, last in re.findall(r"^\| (\d+)(?: – (\d+))? \|", section, flags=re.M):
        codes |= set(range(int(first), int(last or first) + 1))
    return codes
