"""`speccomm docs` builds the dbt docs site, and its index page renders in a real browser with
the lineage graph.

The browser test needs Chromium (Debian: `apt-get install -y --no-install-recommends chromium`)
and skips, saying so, where /usr/bin/chromium is absent; it installs nothing itself. The page
fetches manifest.json and catalog.json, so the folder is served on 127.0.0.1 for it.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_nightly import first_night

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = first_night(tmp_path_factory.getbasetemp())
    published_before = env.sha()
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "docs", "--warehouse", str(env.warehouse), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert env.sha() == published_before, "docs must never write to the published warehouse"
    return out


def test_the_site_documents_models_exposures_and_the_built_catalog(site: Path) -> None:
    files = {p.name for p in site.iterdir()}
    assert files >= {"index.html", "manifest.json", "catalog.json", "static_index.html"}
    manifest = json.loads((site / "manifest.json").read_text())
    exposures = manifest["exposures"]
    assert "exposure.speccomm.icb_bi_dashboards" in exposures
    assert "exposure.speccomm.provider_data_quality_reports" in exposures
    for exposure in exposures.values():
        assert exposure["depends_on"]["nodes"], f"{exposure['name']} depends on nothing"
    pack = exposures["exposure.speccomm.icb_pack"]
    assert (site / pack["url"]).is_file(), "the ICB pack the site links is not beside it"
    catalog = json.loads((site / "catalog.json").read_text())
    assert "model.speccomm.fct_contract_activity" in catalog["nodes"]
    columns = catalog["nodes"]["model.speccomm.fct_contract_activity"]["columns"]
    assert "attributed_icb_code" in columns


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Chromium at /usr/bin/chromium (apt-get install -y --no-install-recommends chromium)",
)
def test_the_index_page_renders_the_lineage_graph_in_headless_chromium(served: str, tmp_path: Path) -> None:
    url = f"{served}/index.html#!/model/model.speccomm.fct_contract_activity?g_v=1"
    result = subprocess.run(
        [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert 'data-nav-unique-id="model.speccomm.fct_contract_activity"' in dom, "the model tree did not render"
    assert 'data-nav-unique-id="exposure.speccomm.icb_bi_dashboards"' in dom, "exposures are not listed"
    assert 'id="cy"' in dom and 'data-id="layer2-node"' in dom, "the lineage graph did not render"
