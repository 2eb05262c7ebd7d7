"""`speccomm docs`: the dbt docs site (models, columns, tests, exposures, lineage graph).

`dbt docs generate` needs a built warehouse for its catalog (column types, row counts). It runs
on a private copy of the build file beside the published warehouse (`build.duckdb`: every
relation, the raw layer included; `speccomm.state.StateLayout.state_source`) — never on a file
readers or the nightly hold open — or, with `--fresh` or when nothing is published yet, on an empty
warehouse built from the reference data. The site folder gets `index.html`, `manifest.json`
and `catalog.json` (serve the folder: the page fetches the JSON files) and `static_index.html`
(everything in one file: open it straight from disk).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from speccomm.config import PROJECT_ROOT
from speccomm.dbt_runner import BuildFailed, build_warehouse, run_dbt
from speccomm.load import load_landing

SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")


def build_docs(out: Path | None, *, warehouse: Path | None = None) -> int:
    """Write the site to `out` (default target/docs); returns dbt's exit status."""
    out = (out or PROJECT_ROOT / "target" / "docs").resolve()
    with tempfile.TemporaryDirectory(prefix="speccomm-docs-") as tmp:
        work = Path(tmp)
        database = work / "speccomm.duckdb"  # DuckDB names the database after the file
        if warehouse is not None and warehouse.exists():
            print(f"speccomm docs: documenting a copy of {warehouse}")
            shutil.copyfile(warehouse, database)
        else:
            print("speccomm docs: no published warehouse given or found; building an empty one")
            code = _build_empty(database, work)
            if code:
                return code
        result = run_dbt(
            ["docs", "generate", "--static", "--target-path", str(work / "target")],
            database, log_dir=work / "logs", echo=False,
        )
        if result.returncode != 0:
            sys.stderr.write(result.log_path.read_text(encoding="utf-8")[-4000:])
            return result.returncode
        _copy_site(work / "target", out)
    _copy_packs(warehouse, out)
    print(f"speccomm docs: site in {out} (open static_index.html, or serve the folder: "
          f"python -m http.server -d {out})")
    return 0


def _build_empty(database: Path, work: Path) -> int:
    """Reference data and every model, no activity: what an empty landing folder builds."""
    empty_landing = work / "landing"
    empty_landing.mkdir()
    with duckdb.connect(str(database)) as con:
        load_landing(con, empty_landing)
    try:
        build_warehouse(database, echo=False)
    except BuildFailed as exc:
        log = database.parent / "logs" / "dbt-console.log"
        sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-4000:] + f"\n{exc}\n")
        return 1
    return 0


def _copy_packs(warehouse: Path | None, out: Path) -> None:
    """The ICB packs the nightly keeps beside the warehouse (`pack/`), copied into the site's
    `pack/`: the exposure icb_pack links `pack/index.html` (docs/icb-pack.md)."""
    packs = warehouse.parent / "pack" if warehouse is not None else None
    if packs is not None and (packs / "index.html").is_file():
        shutil.rmtree(out / "pack", ignore_errors=True)
        shutil.copytree(packs, out / "pack", ignore=shutil.ignore_patterns(".*"))
        print(f"speccomm docs: the ICB packs of {packs} copied to {out / 'pack'}")


def _copy_site(target: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        shutil.copyfile(target / name, out / name)
