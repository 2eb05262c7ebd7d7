"""The data-quality step reads top to bottom (decision 0039, docs/data-quality.md "Following one
check"): `run_quality_checks` calls each step's module once, in the pipeline's order, and no
module of speccomm/quality calls back into the runner."""

from __future__ import annotations

import ast
from pathlib import Path

from speccomm.config import PROJECT_ROOT

QUALITY = PROJECT_ROOT / "speccomm" / "quality"
# The pipeline: the tables dbt declares as sources, then registry -> slices -> suites ->
# validate -> results -> dqmi (docs/data-quality.md).
STEPS = ["tables", "registry", "slices", "suites", "validate", "results", "dqmi"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Each name the module imports from speccomm.quality.<module> -> that module."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("speccomm.quality."):
            module = (node.module or "").rsplit(".", 1)[1]
            names.update({alias.asname or alias.name: module for alias in node.names})
    return names


def _step_calls(tree: ast.Module, function: str) -> list[str]:
    """The quality modules whose functions `function` calls, in the order of the source."""
    imported = _imported_names(tree)
    body = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    calls = [node for node in ast.walk(body) if isinstance(node, ast.Call)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    modules = []
    for call in calls:
        name = call.func.id if isinstance(call.func, ast.Name) else None
        if isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            name = call.func.value.id  # module.function(...)
        if name in imported and imported[name] not in ("runner",):
            modules.append(imported[name])
    return modules


def test_the_runner_calls_each_step_once_in_the_pipelines_order() -> None:
    tree = _tree(QUALITY / "runner.py")
    assert _step_calls(tree, "run_quality_checks") == STEPS
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert functions == ["run_quality_checks"], "the runner's work belongs to a step's module"


def test_no_step_calls_back_into_the_runner_or_a_later_step() -> None:
    """A step reads only the registry and the steps before it (their types), never the runner."""
    for number, step in enumerate(STEPS):
        imported = set(_imported_names(_tree(QUALITY / f"{step}.py")).values())
        assert "runner" not in imported, step
        later = imported & set(STEPS[number + 1:])
        assert not later, f"{step} imports the later step(s) {sorted(later)}"


def test_every_module_of_the_package_is_a_step_or_named_here() -> None:
    """A new module in speccomm/quality is a step of the runner's pipeline or says why not."""
    not_steps = {"__init__", "runner", "catalogue"}  # the package, the entry, the docs tables
    modules = {path.stem for path in QUALITY.glob("*.py")}
    assert modules == set(STEPS) | not_steps
