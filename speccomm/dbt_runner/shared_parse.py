"""One dbt parse shared by many builds of different warehouses from one checkout: the test
suite's (tests/python/conftest.py sets SPECCOMM_DBT_PARSE_CACHE) and the benches'.

dbt reuses a saved parse only when nothing it was parsed with has changed, and the profile's
database path is one of those things: each warehouse file would parse the whole project afresh
(about 8 s on this 2-core machine, for every build, check and night of the suite). With the
cache, each run of dbt opens its warehouse through a link of a fixed name inside a cache entry
(speccomm.dbt_runner.KeptParse), so builds of different files with the same settings reuse one
parse.

An entry is keyed by what the parse depends on besides the project's files (which dbt checks
itself): the warehouse file's name (the catalog), the target, the `--vars`, dbt's own `DBT_*`
settings and the variables the profile and dbt_project.yml read with `env_var()` (the seed
folder, the memory limit, an engine's settings), less those that name the run's own files (a
variable a model or macro reads makes dbt parse that file again, not the project). Only a hash
of them names the entry, and no secret is among them (dbt's `DBT_ENV_SECRET_*` are left out).
The key is for speed only: were it incomplete, dbt would see the difference and parse afresh,
never build from a wrong parse. An entry is used by one dbt at a time (an exclusive file
lock); a run that finds it taken parses on its own, as without the cache. Never set in
production: the nightly keeps its own parse (state/dbt-parse/).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from speccomm.config import PROJECT_ROOT
from speccomm.dbt_runner.kept_parse import KeptParse

PARSE_CACHE_ENV = "SPECCOMM_DBT_PARSE_CACHE"

# variables that name this run's own files (or the cache itself), not a setting dbt parses with
_PER_RUN_ENV = ("SPECCOMM_DBT_DATABASE", "DBT_LOG_PATH", "DBT_TARGET_PATH", PARSE_CACHE_ENV)


def project_env_vars(root: Path = PROJECT_ROOT) -> frozenset[str]:
    """The variables the profile and dbt_project.yml read with `env_var('NAME')`: those whose
    change makes dbt parse the whole project."""
    files = [root / "profiles.yml", root / "dbt_project.yml"]
    pattern = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")
    return frozenset(name for f in files for name in pattern.findall(f.read_text(encoding="utf-8")))


def entry_key(args: list[str], database: Path, target: str, env: dict[str, str]) -> str:
    """A cache entry's name: what a parse depends on besides the project's files."""
    dbt_vars = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--vars"]
    read = project_env_vars()
    settings = {
        key: value for key, value in env.items()
        if (key in read or (key.startswith("DBT_") and not key.startswith("DBT_ENV_SECRET_")))
        and key not in _PER_RUN_ENV
    }
    described = json.dumps([database.name, target, dbt_vars, sorted(settings.items())])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


@contextmanager
def shared_parse(args: list[str], database: Path, target: str,
                 env: dict[str, str]) -> Iterator[KeptParse | None]:
    """The cache entry for this run of dbt (`env`: the environment dbt is run with), held for
    the run; None when no cache is set or another dbt holds the entry."""
    cache = os.environ.get(PARSE_CACHE_ENV)
    if not cache:
        yield None
        return
    folder = Path(cache) / entry_key(args, database, target, env)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder.with_name(folder.name + ".lock")).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the file closes
        except BlockingIOError:
            yield None
            return
        yield KeptParse(folder)
