"""The provider email as providers see it: in headless Chromium at a phone's 400 px (no
horizontal scroll) and a desktop's 1200 px (screenshots kept for a human to look at); data
tables a screen reader can read (caption, header scope, no role=presentation); the rate shown
is the month's the status was judged on; the headers and contact a person can answer to.

Headless Chromium will not make a window narrower than 500 px, so the report is laid out in an
iframe of the width under test (srcdoc: same origin, so its scroll width can be read).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import UTC, datetime
from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from speccomm.delivery.messages import provider_message
from speccomm.reports import ProviderReport
from speccomm.reports.data import read_report_data
from speccomm.reports.render import status_sentence

if TYPE_CHECKING:
    from demo_warehouse import CheckedDemo

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (make system-deps installs it)"
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--virtual-time-budget=8000"]


def _frame(report_html: str, width: int, page: Path) -> None:
    page.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="width:{width}px;height:9000px;border:0;display:block"'
        f' srcdoc="{html.escape(report_html, quote=True)}"'
        " onload=\"document.body.setAttribute('data-scroll-width',"
        ' this.contentDocument.documentElement.scrollWidth)"></iframe></body></html>',
        encoding="utf-8",
    )


def _dump_dom(page: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The page's DOM once its scripts have run (what the frame pages measure is in it)."""
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,1000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


def scroll_width(report_html: str, width: int, tmp_path: Path) -> int:
    page = tmp_path / f"frame-{width}.html"
    _frame(report_html, width, page)
    result = _dump_dom(page, tmp_path)
    found = re.search(r'data-scroll-width="(\d+)"', result.stdout)
    assert found, result.stderr[-2000:]
    return int(found[1])


def screenshot(report_html: str, width: int, out: Path, tmp_path: Path) -> Path:
    page = tmp_path / f"shot-{width}.html"
    _frame(report_html, width, page)
    subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         f"--window-size={max(width, 500)},2400", f"--screenshot={out}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return out


@pytest.fixture(scope="module")
def rj1(demo_reports: list[ProviderReport]) -> ProviderReport:
    return next(r for r in demo_reports if r.provider_code == "RJ1")


@needs_chromium
@pytest.mark.parametrize("width", [400, 1200])
def test_no_horizontal_scroll_on_a_phone_or_a_desktop(
    demo_reports: list[ProviderReport], width: int, tmp_path: Path
) -> None:
    for report in demo_reports:
        for path in (report.html_path, report.email_html_path):
            assert scroll_width(path.read_text(encoding="utf-8"), width, tmp_path) <= width, path


@needs_chromium
def test_screenshots_at_400_and_1200_px(
    rj1: ProviderReport, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Kept in pytest's temporary folder (…/report-screenshots0/) for a person to look at."""
    folder = tmp_path_factory.mktemp("report-screenshots")
    for width in (400, 1200):
        page = rj1.html_path.read_text(encoding="utf-8")
        shot = screenshot(page, width, folder / f"rj1-{width}.png", folder)
        assert shot.stat().st_size > 20_000, "an empty page"


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._open: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            table = {"role": attributes.get("role"), "caption": False, "th": 0, "scoped": 0}
            self.tables.append(table)
            self._open.append(table)
        elif self._open and tag == "caption":
            self._open[-1]["caption"] = True
        elif self._open and tag == "th":
            self._open[-1]["th"] += 1
            self._open[-1]["scoped"] += attributes.get("scope") in ("col", "row")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._open:
            self._open.pop()


def test_data_tables_have_captions_and_scoped_headers(demo_reports: list[ProviderReport]) -> None:
    for report in demo_reports:
        parser = _Tables()
        parser.feed(report.email_html_path.read_text(encoding="utf-8"))
        data = [t for t in parser.tables if t["th"]]
        layout = [t for t in parser.tables if not t["th"]]
        assert data, report.provider_code
        for table in data:
            assert table["role"] is None and table["caption"] and table["scoped"] == table["th"], table
        assert all(t["role"] == "presentation" for t in layout)


def test_the_rate_shown_is_the_worst_months(checked_demo: CheckedDemo, rj1: ProviderReport) -> None:
    with duckdb.connect(str(checked_demo.database), read_only=True) as con:
        data = read_report_data(con, checked_demo.run_id, "RJ1")
    text = rj1.email_html_path.read_text(encoding="utf-8")
    checks = [c for s in data.sections for c in s.checks if c.worst_status != "pass"]
    assert checks
    for check in checks:
        month_rate = check.judged_rows_failed / check.judged_rows_checked
        assert month_rate > check.max_failure_rate, "the judged month is one above tolerance"
        assert check.judged_period in check.months_failing
        shown = f"Worst month {check.judged_period.label}: <strong>{check.judged_rows_failed} of " \
                f"{check.judged_rows_checked}</strong>"
        assert shown in text, check.check_id


def test_headers_and_contact(rj1: ProviderReport, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECCOMM_DQ_CONTACT_NAME", "Asha Patel, BI data quality lead")
    monkeypatch.setenv("SPECCOMM_REPLY_TO", "asha.patel@example.org")
    from speccomm.delivery.settings import mail_settings

    settings = mail_settings()
    sent_at = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    built = provider_message(rj1, settings.mail_from, sent_at, settings.contact.email)
    raw = built.as_bytes(policy=policy.SMTP)
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Reply-To"] == "asha.patel@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert settings.contact.name == "Asha Patel, BI data quality lead"
    default = rj1.email_html_path.read_text(encoding="utf-8")  # built with the default contact
    assert "write to the specialised commissioning BI team at" in default
    assert "mailto:bi-team@example.org" in default


FIRST_SCREEN = (400, 800)  # a phone's width and the height of its first screen, in CSS px


def _bottoms(report_html: str, texts: list[str], width: int, tmp_path: Path) -> dict[str, float]:
    """Where (px from the top) each text ends when the report is laid out `width` px wide
    (-1: not found). The frame page measures the report's text nodes; the report itself
    has no script."""
    page = tmp_path / f"measure-{width}.html"
    wanted = html.escape(json.dumps(texts), quote=True)
    page.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="width:{width}px;height:9000px;border:0;display:block" data-want="{wanted}"'
        f' srcdoc="{html.escape(report_html, quote=True)}" onload="measure(this)"></iframe>'
        "<script>function measure(frame) {"
        " const doc = frame.contentDocument, found = {};"
        " for (const text of JSON.parse(frame.dataset.want)) {"
        "  found[text] = -1;"
        "  const walk = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);"
        "  for (let node = walk.nextNode(); node; node = walk.nextNode()) {"
        "   const at = node.textContent.indexOf(text); if (at < 0) continue;"
        "   const range = doc.createRange(); range.setStart(node, at); range.setEnd(node, at + text.length);"
        "   found[text] = range.getBoundingClientRect().bottom; break; } }"
        " document.body.setAttribute('data-found', JSON.stringify(found)); }</script></body></html>",
        encoding="utf-8",
    )
    result = _dump_dom(page, tmp_path)
    found = re.search(r'data-found="([^"]*)"', result.stdout)
    assert found, result.stderr[-2000:]
    return json.loads(html.unescape(found[1]))


@needs_chromium
def test_first_phone_screen_says_what_to_do(
    checked_demo: CheckedDemo, demo_reports: list[ProviderReport], tmp_path: Path
) -> None:
    """On a 400 px phone's first screen: the status sentence, the provider's own files not
    loaded, its months not received and the first of its top problems."""
    named = 0
    for report in (r for r in demo_reports if r.recipients):
        with duckdb.connect(str(checked_demo.database), read_only=True) as con:
            data = read_report_data(con, checked_demo.run_id, report.provider_code)
        texts = [status_sentence(data)[:40]]
        texts += [f.file_name for f in data.rejected_files]
        texts += [m.period.label for m in data.missing_months]
        texts += [c.title for c in data.top_problems[:1]]
        named += len(data.rejected_files) + len(data.missing_months)
        page = report.email_html_path.read_text(encoding="utf-8")
        bottoms = _bottoms(page, texts, FIRST_SCREEN[0], tmp_path)
        late = {text: at for text, at in bottoms.items() if not 0 < at <= FIRST_SCREEN[1]}
        assert not late, f"{report.provider_code}: not on the first {FIRST_SCREEN} screen: {late}"
    assert named, "the demo has rejected files and missing months to show"
