"""The product and its test kit apart (docs/decisions/0035-a-test-kit-package-apart-from-the-product.md).

The synthetic generator and the contract oracle live in `testkit/` (distribution
speccomm-testkit, package speccomm_testkit). The product imports the kit in one place only: the
command line's `generate`, which says how to install the kit when it is missing. The oracle
stays independent of everything it checks: it imports nothing of speccomm nor of the generator.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from argparse import Namespace
from pathlib import Path

import pytest

from speccomm import cli
from speccomm_testkit import contract_validator
from speccomm_testkit.generate import SCALES

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "speccomm"
KIT = ROOT / "testkit" / "speccomm_testkit"
THE_ONE_DOOR = PRODUCT / "cli.py"  # `speccomm generate` dispatches to the kit


def _imported_roots(path: Path) -> dict[str, list[ast.stmt]]:
    """Top-level package of every import in the module (function-local ones included) → the nodes."""
    found: dict[str, list[ast.stmt]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            found.setdefault(name.split(".")[0], []).append(node)
    return found


def test_no_product_module_imports_the_kit_but_the_command_line() -> None:
    offenders = sorted(
        str(path.relative_to(ROOT)) for path in PRODUCT.rglob("*.py")
        if path != THE_ONE_DOOR and "speccomm_testkit" in _imported_roots(path)
    )
    assert offenders == [], f"product modules importing the test kit (only speccomm/cli.py may): {offenders}"


def test_the_command_line_imports_the_kit_only_when_generate_runs() -> None:
    """Not at module level: `speccomm nightly` on a deployment without the kit must start."""
    module = ast.parse(THE_ONE_DOOR.read_text(encoding="utf-8"))
    top_level = [node for node in module.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert not any("speccomm_testkit" in ast.unparse(node) for node in top_level)
    result = subprocess.run(
        [sys.executable, "-c", "import sys, speccomm.cli, speccomm.nightly; "
         "print(sorted(m for m in sys.modules if m.startswith('speccomm_testkit')))"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_oracle_imports_nothing_it_checks() -> None:
    roots = set(_imported_roots(Path(contract_validator.__file__)))
    assert not roots & {"speccomm", "speccomm_testkit"}, sorted(roots)


def test_generate_without_the_kit_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "speccomm_testkit.generate", None)  # import fails: not installed
    args = Namespace(scale="demo", out=tmp_path / "landing", seed=42)
    assert cli._generate(args) == 2
    message = capsys.readouterr().err
    assert "speccomm-testkit" in message and "pip install -c constraints.txt -e testkit" in message
    assert not (tmp_path / "landing").exists()


def test_a_missing_dependency_of_the_kit_is_not_reported_as_a_missing_kit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pip's own message (which package) must reach the user, not a wrong 'install the kit'."""
    real_import = __import__

    def no_tqdm(name: str, *args: object, **kwargs: object) -> object:
        if name == "speccomm_testkit.generate":
            raise ModuleNotFoundError("No module named 'tqdm'", name="tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", no_tqdm)
    with pytest.raises(ModuleNotFoundError, match="tqdm"):
        cli._generate(Namespace(scale="demo", out=tmp_path, seed=42))


def test_the_command_lines_scales_are_the_generators() -> None:
    assert tuple(SCALES) == cli.SCALES


def test_the_product_distribution_neither_ships_nor_needs_the_kit() -> None:
    product = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    kit = tomllib.loads((ROOT / "testkit" / "pyproject.toml").read_text(encoding="utf-8"))
    assert not any(dep.startswith("speccomm-testkit") for dep in product["project"]["dependencies"])
    assert product["tool"]["setuptools"]["packages"]["find"]["include"] == ["speccomm", "speccomm.*"]
    assert kit["project"]["name"] == "speccomm-testkit"
    assert f"speccomm=={product['project']['version']}" in kit["project"]["dependencies"]
