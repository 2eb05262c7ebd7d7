"""Provider reports on generated demo data: one per provider, only its own data, no pseudonym,
mail-client-safe HTML, an XmR chart, stable fingerprints."""

from __future__ import annotations

import colorsys
import csv
import html as html_module
import io
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import duckdb
import pytest

from speccomm.config import SEEDS_DIR
from speccomm.reports import ProviderReport, render, spc
from speccomm.reports.data import Period, read_report_data
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


# --- what to do first: the provider's own rejected files and missing months ---------------

WAREHOUSE_NAMES = re.compile(r"\b(?:fct|stg|int|rpt|dim)_[a-z_]+|\b[a-z_]+_raw\b")
HTML_LIMIT = 100_000  # bytes: Gmail clips an HTML part beyond about 102 KB


def _own_rejected(checked: CheckedDemo) -> dict[str, set[str]]:
    """Per provider, its rejected SLAM files (the name starts with its code), as the loader
    recorded them: an oracle independent of the report's model."""
    found: dict[str, set[str]] = {}
    for (name,) in checked.query("select file_name from raw.rejected_files where feed = 'slam'"):
        found.setdefault(re.split(r"[^A-Za-z0-9]", name)[0].upper(), set()).add(name)
    return found


def _missing_months(checked: CheckedDemo) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for code, fy, fm in checked.query(
        """
        with latest as (
            select *, max(period_start_date) over (partition by provider_code) as latest_expected
            from dq.dq_slam_submissions
        )
        select provider_code, financial_year, financial_month from latest
        where is_missing and period_start_date > latest_expected - interval 12 month
        """
    ):
        found.setdefault(code, set()).add(Period(fy, int(fm)).label)
    return found


def _first_part(report: ProviderReport) -> tuple[str, str]:
    """The HTML and the plain text before the scores: what the email says first."""
    html = report.email_html_path.read_text(encoding="utf-8")
    text = report.text_path.read_text(encoding="utf-8")
    return html.partition("Your scores")[0], text.partition("== Your scores ==")[0]


def test_each_email_names_its_own_rejected_files_and_missing_months_first(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    rejected, missing = _own_rejected(checked_demo), _missing_months(checked_demo)
    delivered = [r for r in reports if r.recipients]
    assert any(rejected.get(r.provider_code) for r in delivered), "the demo rejects a provider's file"
    assert any(missing.get(r.provider_code) for r in delivered), "the demo misses a provider's month"
    for report in delivered:
        html, text = _first_part(report)
        for name in rejected.get(report.provider_code, set()):
            assert name in html and name in text, f"{report.provider_code}: {name} not named first"
        for month in missing.get(report.provider_code, set()):
            assert month in html and month in text, f"{report.provider_code}: {month} not named first"
        if rejected.get(report.provider_code):
            assert "not loaded" in report.subject and "Fix:" in html
        if missing.get(report.provider_code):
            assert "not received" in report.subject


def test_no_email_names_another_providers_rejected_file(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    rejected = _own_rejected(checked_demo)
    for report in reports:
        text = _shareable_text(report)
        others = {n for code, names in rejected.items() if code != report.provider_code for n in names}
        assert not [n for n in others if n in text], report.provider_code


def test_html_part_is_under_gmails_clipping_limit(reports: list[ProviderReport]) -> None:
    for report in reports:
        size = len(report.email_html_path.read_bytes())
        assert size < HTML_LIMIT, f"{report.provider_code}: HTML part {size:,} bytes"


def test_no_warehouse_names_in_what_a_provider_reads(reports: list[ProviderReport]) -> None:
    for report in reports:
        found = sorted(set(WAREHOUSE_NAMES.findall(_shareable_text(report) + report.subject)))
        assert not found, f"{report.provider_code}: {found}"


def test_score_month_agrees_with_the_subject(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    """A provider that sent no SLAM for the last months (seed 42's RJ1: M11-M12): its subject
    runs to the report's month, and its SLAM score says which month it is for and why (the
    months not received), in the HTML and the plain text alike."""
    behind = 0
    for report in (r for r in reports if r.recipients):
        with duckdb.connect(str(checked_demo.database), read_only=True) as con:
            data = read_report_data(con, checked_demo.run_id, report.provider_code)
        assert data.report_period is not None
        assert f"to {data.report_period.label}:" in report.subject
        slam = next((s for s in data.sections if s.dataset == "slam"), None)
        if slam is None or slam.latest is None or slam.latest.period.ordinal >= data.report_period.ordinal:
            continue
        later = [m.period.label for m in data.missing_months if m.period.ordinal > slam.latest.period.ordinal]
        assert later, report.provider_code
        behind += 1
        for part in (report.email_html_path.read_text(encoding="utf-8"), report.text_path.read_text("utf-8")):
            assert f"your score for {slam.latest.period.label} (your latest month received; " in part
            assert all(label in part for label in later)
    assert behind, "the demo has a provider whose latest SLAM month is before the report's"


def test_chart_alternative_states_the_finding(
    checked_demo: CheckedDemo, reports: list[ProviderReport]
) -> None:
    for report in (r for r in reports if r.recipients):
        with duckdb.connect(str(checked_demo.database), read_only=True) as con:
            data = read_report_data(con, checked_demo.run_id, report.provider_code)
        html = report.email_html_path.read_text(encoding="utf-8")
        alt = re.search(r'<img[^>]* alt="([^"]*)"', html)
        assert alt, report.provider_code
        finding = alt[1]
        assert html_module.unescape(finding) == render.chart_finding(data)
        for section in data.sections:
            assert section.latest is not None
            assert f"score {section.latest.dqmi:.1f} in {section.latest.period.short_label}" in finding
        assert "process limits" in finding or "special cause" in finding
        assert render.chart_finding(data) in report.text_path.read_text(encoding="utf-8")


def test_check_wording_names_no_warehouse_table() -> None:
    """Every check's title, meaning and fix reach providers as they are (the registry, seed dq_checks)."""
    with (SEEDS_DIR / "dq_checks.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            words = " ".join((row["title"], row["meaning"], row["how_to_fix"]))
            assert not WAREHOUSE_NAMES.findall(words), (row["check_id"], WAREHOUSE_NAMES.findall(words))
