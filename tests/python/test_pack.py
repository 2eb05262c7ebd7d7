"""`speccomm pack`: the ICB pack's pages from the demo warehouse, read as a reader's browser
reads them (Debian's headless Chromium at 400 and 1200 px, every request it makes recorded),
every chart with its text alternative and its table, small numbers suppressed, nothing fetched;
and the nightly's pack written after publishing, whose failure never fails the night.

The browser tests need /usr/bin/chromium (`make system-deps`) and skip, saying so, without it.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from PIL import Image
from test_nightly import NightEnv, first_night

from speccomm.pack import write_pack
from speccomm.pack.pages import variation_table

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Chromium at /usr/bin/chromium (make system-deps, or apt-get install chromium)",
)
PAGES = ("index.html", "QKK.html", "QWE.html")
SECTIONS = ("spc", "plan", "variation", "allocation", "identification-rules", "triangulation",
            "low-volume", "files")


@pytest.fixture(scope="module")
def pack(demo_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack"
    result = subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "pack", "--icb", "QKK", "--icb", "qwe", "--out", str(out),
         "--warehouse", str(demo_warehouse.database)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


class Page(HTMLParser):
    """What a reader's browser gets: charts, their labels, tables, and every address named."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, str]] = []
        self.ids: dict[str, str] = {}
        self.addresses: list[str] = []
        self.tags: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self._text_of: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "svg" and "chart" in values.get("class", ""):
            self.charts.append(values)
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            if name in values:
                self.addresses.append(values[name])
        if "id" in values and tag in ("p", "h2", "h3"):
            self._text_of.append(values["id"])
            self.ids[values["id"]] = ""
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "caption":
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "caption" and self._caption is not None:
            self.captions.append("".join(self._caption).strip())
            self._caption = None
        elif tag in ("p", "h2", "h3") and self._text_of:
            self._text_of.pop()

    def handle_data(self, data: str) -> None:
        for key in self._text_of[-1:]:
            self.ids[key] += data
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def parsed(path: Path) -> tuple[Page, str]:
    text = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    return page, text


def test_a_page_per_icb_and_one_for_the_footprint_with_every_section(pack: Path) -> None:
    assert sorted(p.name for p in pack.glob("*.html")) == sorted(PAGES)
    for name in PAGES:
        page, text = parsed(pack / name)
        for section in SECTIONS:
            assert f'<section id="{section}"' in text, f"{name}: section {section} missing"
        spc = [c for c in page.charts if c.get("aria-labelledby", "").startswith("spc-")]
        assert spc, f"{name}: no SPC chart of monthly spend"
        assert any(c.get("aria-labelledby", "").startswith("funnel-") for c in page.charts), name
        assert "Variation: " in text, f"{name}: no variation icon"


def test_every_chart_states_its_finding_and_has_its_figures_as_a_table(pack: Path) -> None:
    for name in PAGES:
        page, text = parsed(pack / name)
        assert page.charts
        for chart in page.charts:
            assert chart.get("role") == "img", f"{name}: a chart without role=img"
            label = page.ids.get(chart.get("aria-labelledby", ""), "").strip()
            assert len(label) > 40 and re.search(r"£|\d", label), (
                f"{name}: chart {chart.get('aria-labelledby')} has no text alternative stating a finding: "
                f"{label!r}"
            )
        figures = re.findall(r"<figure\b.*?</figure>", text, flags=re.S)
        assert len(figures) == len(page.charts)
        for figure in figures:
            assert "<table>" in figure and "<caption>" in figure, "a chart without its table of figures"


def test_a_funnel_of_fewer_than_five_icbs_says_how_few(pack: Path) -> None:
    """The demo footprint's ICBs are judged among two (rpt_icb_variation.comparators): the
    variation section says the limits and flags say little, and its table says "not judged"."""
    html = (pack / "QWE.html").read_text(encoding="utf-8")
    assert "Only 2 ICBs are compared: with fewer than five" in html
    assert "not judged (fewer than 5 comparators)" in html


def test_nothing_on_a_page_is_fetched_from_elsewhere(pack: Path) -> None:
    for name in PAGES:
        page, text = parsed(pack / name)
        assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
        external = [a for a in page.addresses if re.match(r"^\s*(https?:|//|ftp:)", a, flags=re.I)]
        assert not external, f"{name}: addresses outside the page: {external}"
        assert not re.search(r"@import|url\((?!#)|@font-face", text), f"{name}: CSS or SVG that fetches"
        ids = re.findall(r'\bid="([^"]+)"', text)
        assert len(ids) == len(set(ids)), f"{name}: an id used twice"
        assert "default-src 'none'" in text, f"{name}: no Content-Security-Policy forbidding fetches"


def test_small_numbers_are_withheld_as_in_extracts(pack: Path) -> None:
    """Every count the identification-rule table shows is 0, withheld (<8) or a multiple of 5
    of 10 or more, counted on the figures shown (a provider's year), not cell by cell."""
    seen_withheld = False
    for name in PAGES:
        page, _ = parsed(pack / name)
        index = next(i for i, c in enumerate(page.captions) if c.startswith("SUS records by outcome"))
        table = page.tables[index]  # every table of the pack has its caption
        assert table[0][0] == "Provider" and len(table[0]) == 7
        for row in table[1:]:
            for cell in row[1:6]:
                if cell == "<8":
                    seen_withheld = True
                    continue
                value = int(cell.replace(",", ""))
                assert value == 0 or (value >= 8 and value % 5 == 0), f"{name}: count {cell} shown"
    assert seen_withheld, "the demo has small identification-rule counts: none was withheld"


# Chromium's own traffic (component updates, its clock, sign-in), which it sends whatever the
# page and whatever the flags; the proxy refuses it like everything else
BROWSER_OWN = re.compile(
    r"^(CONNECT|GET|POST) (https?://)?"
    r"(update\.googleapis\.com|clients\d*\.google\.com|accounts\.google\.com)[:/]"
)


@pytest.fixture(scope="module")
def served(pack: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The pack on 127.0.0.1, the same server acting as Chromium's only way out (its proxy): a
    request for any other address reaches it as a proxy request, is recorded (with its Referer)
    and refused, so the browser has no network but the page's own server."""
    requests: list[tuple[str, str]] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            requests.append((self.requestline, self.headers.get("Referer", "")))

        def do_GET(self) -> None:
            if self.path.startswith("/"):
                super().do_GET()
            else:  # a proxy request for another address: refused
                self.send_error(403)

        def do_POST(self) -> None:
            self.send_error(403)

        def do_CONNECT(self) -> None:  # https through the proxy: refused
            self.send_error(403)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(pack)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


@needs_chromium
@pytest.mark.parametrize("width", [400, 1200])
def test_the_pages_render_in_chromium_and_request_nothing_else(
    served: tuple[str, list[tuple[str, str]]], pack: Path, tmp_path: Path, width: int
) -> None:
    host, requests = served
    for name in PAGES:
        requests.clear()
        shot = tmp_path / f"{name}-{width}.png"
        base = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                f"--proxy-server=http://{host}", f"--window-size={width},3000"]
        url = f"http://{host}/{name}"
        result = subprocess.run(
            [*base, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
        dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=180)
        assert dom.returncode == 0, dom.stderr[-2000:]
        page, _ = parsed(pack / name)
        assert dom.stdout.count('class="chart"') == len(page.charts), f"{name}: charts missing in the browser"
        assert "</footer>" in dom.stdout, f"{name}: the page did not render to its end"
        others = [
            (line, referer) for line, referer in requests
            if not re.match(rf"^GET /({re.escape(name)}|favicon\.ico) ", line)
            and (referer or not BROWSER_OWN.match(line))
        ]
        assert not others, f"{name} at {width} px asked for more than the page: {others}"
        with Image.open(shot) as image:
            assert image.size[0] == width
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
            assert len(colours) > 50, f"{name} at {width} px looks blank"


def findings(path: Path) -> list[str]:
    page, _ = parsed(path)
    return [text.strip() for key, text in page.ids.items() if key.endswith("-finding")]


def test_plan_sources_ranges_and_missing_limits_are_said_not_guessed(demo_warehouse, tmp_path: Path) -> None:
    """The marts as the budget and variation work may leave them: a plan_source per ICB (QKK its
    budget, QWE illustrative), a forecast range; a variation mart without limits. A variance
    only against the budget; the range drawn; the funnel without limits."""
    database = demo_warehouse.copy_to(tmp_path / "wh", "speccomm.duckdb")
    with duckdb.connect(str(database)) as con:
        limits = [f"spend_{side}_{level}_per_100k" for side in ("lower", "upper") for level in ("95", "998")]
        for column in (*limits, "target_spend_per_100k"):
            con.execute(f"alter table marts.rpt_icb_variation drop column {column}")
        con.execute("alter table marts.fct_icb_spend_monthly add column if not exists plan_source varchar")
        con.execute("update marts.fct_icb_spend_monthly set plan_source = "
                    "case when icb_code = 'QKK' then 'icb_budget' else 'illustrative' end")
        for end, factor in (("low", 0.9), ("high", 1.1)):
            column = f"slam_forecast_outturn_{end}_gbp"
            con.execute(
                f"alter table marts.fct_icb_spend_monthly add column if not exists {column} decimal(38,2)"
            )
            con.execute(  # QWE's range one figure, as a year with no month left to forecast has
                f"update marts.fct_icb_spend_monthly set {column} = slam_forecast_outturn_gbp"
                f" * case when icb_code = 'QWE' then 1 else {factor} end"
            )
    out = tmp_path / "pack"
    written = write_pack(database, ["QKK", "QWE"], out)
    assert len(written.pages) == 3
    qkk, qwe, both = (findings(out / name) for name in ("QKK.html", "QWE.html", "index.html"))
    plan = next(f for f in qkk if f.startswith("Green, "))
    assert "the ICB's own budget" in plan and ("below" in plan or "above" in plan) and ", range £" in plan
    for text in [f for f in qwe + both if f.startswith(("Green, ", "Red, "))]:
        assert not re.search(r"(below|above) (the|an|plans)", text), f"a variance against a plan: {text}"
        assert "no variance is shown" in text
        # QWE's year is complete (M12): a range of one figure is not shown as if it were certain
        if text in qwe and " to M12" in text:
            assert ", range £" not in text and "(all 12 months in" in text, text
        else:
            assert ", range £" in text, text
    assert any("no limits given" in f for f in qkk if f.startswith("NCBPS"))
    assert "gives no forecast range" not in (out / "QKK.html").read_text(encoding="utf-8")


def test_an_unknown_icb_writes_nothing(demo_warehouse, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    result = subprocess.run(
        [sys.executable, "-m", "speccomm.cli", "pack", "--icb", "QKK", "--icb", "QZZ", "--out", str(out),
         "--warehouse", str(demo_warehouse.database)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1 and "QZZ" in result.stderr
    assert not out.exists()


# --- the nightly's pack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> NightEnv:
    return first_night(tmp_path_factory.getbasetemp())


def test_the_night_writes_the_footprint_pack_beside_the_published_version(night: NightEnv) -> None:
    run_id = night.runs()[0]["run_id"]
    folder = night.warehouse.parent / "pack" / run_id
    assert (folder / "index.html").is_file(), "no pack for the published version"
    assert {p.name for p in folder.glob("*.html")} == {"index.html", "QKK.html", "QWE.html"}
    index = (night.warehouse.parent / "pack" / "index.html").read_text(encoding="utf-8")
    assert f'href="{run_id}/index.html"' in index and "published now" in index
    assert "ICB pack: 3 page(s)" in (night.root / "first-night.out").read_text()


def test_a_failed_pack_never_fails_or_unpublishes_the_night(night: NightEnv, tmp_path: Path) -> None:
    env = night.copy(tmp_path / "night")
    result = env.run("nightly", "--force", env={"SPECCOMM_TEST_FAIL_AT": "pack"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ICB pack NOT written (the night is published all the same)" in result.stderr
    latest = env.runs()[-1]
    assert latest["status"] == "succeeded" and latest["published_version"]
    assert env.query("select count(*) from ops.run_log where run_id = '" + latest["run_id"] + "'") == [(1,)]
    assert not (env.warehouse.parent / "pack" / latest["run_id"]).exists()
    shutil.rmtree(tmp_path / "night", ignore_errors=True)


def test_an_outlier_flag_the_mart_did_not_judge_says_so_in_the_table() -> None:
    """A NULL flag (fewer than five comparators, say) is not a blank that reads as "no"."""
    rows = pd.DataFrame({
        "service_line_code": ["L1", "L2", "L3"], "icb_code": ["QKK"] * 3,
        "spend_gbp": [1.0, 2.0, 3.0], "spend_per_100k": [1.0, 2.0, 3.0], "centre": [1.0] * 3,
        "is_spend_outlier_95": [True, False, None], "is_spend_outlier_998": [False, False, None],
        "no_flag_reason": [None, None, "fewer_than_5_comparators"],
    })
    table = variation_table(rows, "2025/26", ["95", "998"], "centre")
    assert [row[-2:] for row in table.rows] == [
        ["yes", "no"], ["no", "no"],
        ["not judged (fewer than 5 comparators)", "not judged (fewer than 5 comparators)"],
    ]
