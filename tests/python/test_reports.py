"""Provider reports on generated demo data: one per provider, only its own data, no pseudonym,
mail-client-safe HTML, an XmR chart, stable fingerprints."""

from __future__ import annotations

import colorsys
import csv
import io
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import duckdb
import pytest

from speccomm.reports import ProviderReport, render, spc
from speccomm.reports.data import read_report_data
from speccomm.reports.render import CSV_COLUMNS, STATUS_TEXT

if TYPE_CHECKING:
    from demo_warehouse import CheckedDemo

pytest_plugins = ["demo_warehouse"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(demo_reports: list[ProviderReport]) -> list[ProviderReport]:
    return demo_reports


def _provider_facts(checked: CheckedDemo) -> dict[str, dict[str, set[str]]]:
    """Per provider: its code, its name and its record references (from the samples)."""
    facts: dict[str, dict[str, set[str]]] = {}
    for (code,) in checked.query(
        "select distinct provider_code from dq.dq_run_slices where dataset in ('slam', 'sus')"
    ):
        facts[code] = {"codes": {code}, "names": set(), "refs": set()}
    for code, name in checked.query("select provider_code, provider_name from reference.providers"):
        if code in facts:
            facts[code]["names"].add(name)
    for code, ref in checked.query(
        "select distinct provider_code, record_ref from dq.dq_failed_samples where record_ref is not null"
    ):
        if code in facts:
            facts[code]["refs"].add(ref)
    return facts


def _shareable_text(report: ProviderReport) -> str:
    """Everything a provider receives, except the chart's bytes (the email HTML has no data URI)."""
    return "\n".join(
        path.read_text(encoding="utf-8-sig")
        for path in (report.email_html_path, report.text_path, report.csv_path)
    )


def test_one_report_per_provider_with_slam_or_sus(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    expected = {code for (code,) in checked_demo.query(
        "select distinct provider_code from dq.dq_run_slices where run_id = ? and dataset in ('slam', 'sus')",
        [checked_demo.run_id])}
    assert {r.provider_code for r in reports} == expected
    for report in reports:
        for path in (report.html_path, report.email_html_path, report.text_path, report.csv_path,
                     report.chart_png_path):
            assert path.is_file() and path.stat().st_size > 0
        assert report.chart_png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert report.provider_code in report.subject


def test_recipients_are_the_providers_contacts(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    contacts: dict[str, set[str]] = {}
    for code, email in checked_demo.query("select provider_code, email from reference.provider_dq_contacts"):
        contacts.setdefault(code, set()).add(email)
    for report in reports:
        assert set(report.recipients) == contacts.get(report.provider_code, set())


def test_a_provider_sees_nothing_of_another(checked_demo: CheckedDemo, reports: list[ProviderReport]) -> None:
    facts = _provider_facts(checked_demo)
    assert sum(len(f["refs"]) for f in facts.values()) > 0
    # Reports are sent only to providers with contacts: a code no trust answers to (the demo's
    # 89999, records whose provider is unknown) gets a report for the BI team, never an email.
    delivered = [report for report in reports if report.recipients]
    assert len(delivered) >= 5
    for report in delivered:
        text = _shareable_text(report)
        words = set(re.findall(r"[A-Za-z0-9/]+", text))
        for other, items in facts.items():
            if other == report.provider_code:
                continue
            leaked_codes = [c for c in items["codes"] if re.search(rf"\b{re.escape(c)}\b", text)]
            leaked_names = [n for n in items["names"] if n in text or n.replace("'", "&#39;") in text]
            leaked_refs = sorted(items["refs"] & words)
            leaked = leaked_codes + leaked_names + leaked_refs[:3]
            assert not leaked, f"{report.provider_code}'s report shows {other}: {leaked}"


def test_no_pseudonymised_or_sus_record_id_in_any_report(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    secret = {value for (value,) in checked_demo.query(
        """
        select distinct trim(pseudo_patient_id) from raw.sus_rows where trim(pseudo_patient_id) <> ''
        union select distinct trim(sus_record_id) from raw.sus_rows where trim(sus_record_id) <> ''
        """)}
    assert secret
    for report in reports:
        text = _shareable_text(report) + report.html_path.read_text(encoding="utf-8")
        assert not secret & set(re.findall(r"[A-Za-z0-9]+", text)), report.provider_code
        assert "pseudo" not in text.lower()


def test_html_is_mail_client_safe(reports: list[ProviderReport]) -> None:
    for report in reports:
        for path in (report.html_path, report.email_html_path):
            html = path.read_text(encoding="utf-8")
            lowered = html.lower()
            assert "<script" not in lowered and "javascript:" not in lowered
            assert "<style" not in lowered and "stylesheet" not in lowered, "CSS must be inline"
            parser = _TagCounter()
            parser.feed(html)
            assert parser.counts["table"] >= 2 and parser.counts["img"] == 1
        assert "data:image/png;base64," in report.html_path.read_text(encoding="utf-8")
        assert f'src="cid:{report.chart_cid}"' in report.email_html_path.read_text(encoding="utf-8")


def test_report_shows_headline_checks_fixes_and_median(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    report = next(r for r in reports if r.provider_code == "RJ1")
    html = report.email_html_path.read_text(encoding="utf-8")
    latest = checked_demo.query(
        "select dqmi from dq.dqmi_scores where run_id = ? and provider_code = 'RJ1' and dataset = 'slam' "
        "order by period_start_date desc limit 1", [checked_demo.run_id])[0][0]
    assert f"{latest:.1f}" in html
    assert "DQMI-style score" in html and "Median provider" in html
    assert "How to fix it." in html and "What it means." in html
    assert any(status in html for status in STATUS_TEXT.values())


def test_csv_lists_only_the_providers_own_failing_samples(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    for report in reports:
        rows = list(csv.DictReader(io.StringIO(report.csv_path.read_text(encoding="utf-8-sig"))))
        assert rows and tuple(rows[0].keys()) == CSV_COLUMNS
        own_files = {f for (f,) in checked_demo.query(
            "select distinct source_file from dq.dq_failed_samples where provider_code = ?",
            [report.provider_code])}
        assert {r["source_file"] for r in rows if r["source_file"]} <= own_files


def test_fingerprints_are_stable_for_the_same_figures(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    chosen = [r for r in reports if r.recipients][:2]
    with duckdb.connect(str(checked_demo.database)) as con:
        again = [read_report_data(con, checked_demo.run_id, r.provider_code) for r in chosen]
    assert [render.content_fingerprint(d) for d in again] == [r.content_fingerprint for r in chosen]
    assert [render.results_fingerprint(d) for d in again] == [r.results_fingerprint for r in chosen]
    assert len({r.content_fingerprint for r in reports}) == len(reports)


# --- the XmR chart ----------------------------------------------------------------------------

def test_xmr_limits_and_signals() -> None:
    chart = spc.xmr([90.0, 92.0, 91.0, 93.0, 92.0])
    assert chart.mean == pytest.approx(91.6)
    assert chart.mean_moving_range == pytest.approx(1.5)
    assert chart.upper_limit == pytest.approx(91.6 + 2.66 * 1.5)
    assert chart.lower_limit == pytest.approx(91.6 - 2.66 * 1.5)
    assert not any(chart.signals)
    shifted = spc.xmr([90.0] * 3 + [95.0, 95.5, 95.0, 95.5, 95.0, 95.5, 95.0] + [70.0])
    assert shifted.signals[-1]  # outside the lower limit
    run = spc.xmr([50.0, 50.5, 50.2, 50.4, 50.1, 50.3, 50.2, 60.0, 60.5, 60.2])
    assert all(run.signals[:7])  # seven below the mean in a row
    single = spc.xmr([80.0])
    assert single.upper_limit is None and single.signals == (False,)


def test_chart_colours_are_not_red_amber_green() -> None:
    for colour in (spc.DATA_COLOUR, spc.LIMIT_COLOUR, spc.SIGNAL_COLOUR, spc.PEER_COLOUR):
        r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
        degrees = hue * 360
        assert saturation < 0.15 or 180 <= degrees <= 300, f"{colour} reads as red, amber or green"
    for text in STATUS_TEXT.values():
        assert not re.search(r"\b(red|amber|green|rag)\b", text, flags=re.I)


class _TagCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {"table": 0, "img": 0}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.counts:
            self.counts[tag] += 1
