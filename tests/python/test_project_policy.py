"""Cheap policy checks on the dbt project, read from the files (no dbt run needed)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
PUBLISHED_FOLDERS = ("marts", "dq")
# models/dq/checks/: the data-quality runner's check views (schema dq_checks), read by the
# runner only; described with grain and key like every model, their columns are the suites'.
RUNNER_ONLY_FOLDERS = (("dq", "checks"),)
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


def _is_published(path: Path) -> bool:
    parts = path.relative_to(MODELS).parts
    return parts[0] in PUBLISHED_FOLDERS and not any(parts[: len(f)] == f for f in RUNNER_ONLY_FOLDERS)


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


@pytest.mark.parametrize("path", _model_files(), ids=lambda p: p.stem)
def test_no_qualify(path: Path) -> None:
    assert not re.search(r"\bqualify\b", path.read_text(), flags=re.I), "qualify is not portable"


@cache
def _project_model_configs() -> dict:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    return project["models"]["speccomm"]


def _model_meta(path: Path) -> dict:
    """config.meta from the model's YAML, with what dbt_project.yml sets on its path (+meta)."""
    meta = dict(((_model_entries().get(path.stem) or {}).get("config") or {}).get("meta") or {})
    node = _project_model_configs()
    for part in [*path.relative_to(MODELS).parent.parts, path.stem]:
        node = (node or {}).get(part) or {}
        meta.update(node.get("+meta") or {})
    return meta


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
