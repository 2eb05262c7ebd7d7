"""Turn one provider's ReportData into HTML (standalone and for email), plain text and CSV."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from speccomm.config import report_contact
from speccomm.reports.data import (
    MIN_PEERS,
    SAMPLES_IN_HTML,
    TREND_MONTHS,
    CheckSummary,
    DatasetSection,
    ReportData,
    Sample,
)
from speccomm.reports.spc import RUN_LENGTH, Panel
from speccomm.safe_text import neutralise_row, printable

TEMPLATES = Path(__file__).parent / "templates"
DATASET_TITLES = {"slam": "SLAM contract monitoring", "sus": "SUS patient-level activity"}
STATUS_TEXT = {
    "fail": "Above tolerance (error)",
    "warn": "Above tolerance (warning)",
    "pass": "Within tolerance",
}
# A provider's report never shows another organisation's code, even one the provider typed
# into its own file: the file and row locate the record.
MASKED_CHECKS = {"provider_code_mismatch": "(another organisation's code: not shown)"}
# Raw values that already describe themselves (not a single field's text).
DESCRIBED_FIELDS = ("period", "dates", "variance", "duplicate", "submission", "ir")
CSV_COLUMNS = (
    "dataset", "check_id", "financial_year", "financial_month", "source_file", "source_row",
    "provider_record_ref", "service_line_code", "pod_code", "context", "field", "value_sent",
)


@functools.cache
def environment() -> Environment:
    """One environment per process: it keeps the compiled templates (compiling them for every
    report cost 40 ms a provider)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def subject_of(data: ReportData) -> str:
    attention = sum(1 for s in data.sections for c in s.checks if c.worst_status != "pass")
    latest = max((s.latest.period.label for s in data.sections if s.latest), default="no data")
    plural = "s" if attention != 1 else ""
    needs = f"{attention} check{plural} above tolerance" if attention else "all within tolerance"
    return f"Data quality report: {data.provider_name} ({data.provider_code}), to {latest}: {needs}"


def template_context(data: ReportData, chart_src: str | None) -> dict[str, object]:
    contact = report_contact()
    return {
        "contact_name": contact.name,
        "contact_email": contact.email,
        "subject": subject_of(data),
        "provider_code": data.provider_code,
        "provider_name": data.provider_name,
        "run_id": data.run_id,
        "run_date": data.run_at.strftime("%d %B %Y"),
        "trend_months": TREND_MONTHS,
        "run_length": RUN_LENGTH,
        "min_peers": MIN_PEERS,
        "chart_src": chart_src,
        "sections": [_section_view(section) for section in data.sections],
    }


def render_html(data: ReportData, chart_src: str | None) -> str:
    return environment().get_template("report.html.j2").render(template_context(data, chart_src))


def render_text(data: ReportData) -> str:
    env = environment()
    env.autoescape = False
    return env.get_template("report.txt.j2").render(template_context(data, None))


def chart_panels(data: ReportData) -> list[Panel]:
    return [
        Panel(
            title=f"{DATASET_TITLES[section.dataset]}: DQMI-style score",
            labels=[point.period.short for point in section.trend],
            values=[round(point.dqmi, 2) for point in section.trend],
            peer_median=[None if p.peer_median is None else round(p.peer_median, 2) for p in section.trend],
        )
        for section in data.sections
    ]


def render_csv(data: ReportData) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for section in data.sections:
        for check in section.checks:
            for sample in check.samples:
                writer.writerow(neutralise_row([
                    section.dataset, check.check_id, sample.period.financial_year,
                    sample.period.financial_month, sample.source_file or "",
                    "" if sample.source_row is None else sample.source_row, sample.record_ref or "",
                    sample.service_line_code or "", sample.pod_code or "", sample.context or "",
                    sample.field or "", shown_value(check.check_id, sample),
                ]))
    return buffer.getvalue()


def content_fingerprint(data: ReportData) -> str:
    """A hash of every figure the report shows (not the run id or date)."""
    figures = {
        "provider": data.provider_code,
        "recipients": data.recipients,
        "sections": [
            {
                "dataset": s.dataset,
                "trend": [(p.period.label, round(p.dqmi, 2), round(p.coverage, 4),
                           None if p.peer_median is None else round(p.peer_median, 2)) for p in s.trend],
                "checks": [(c.check_id, c.rows_checked, c.rows_failed, c.worst_status,
                            None if c.judged_period is None else c.judged_period.label,
                            c.judged_rows_failed, c.judged_rows_checked,
                            [m.label for m in c.months_failing],
                            None if c.peer_median_rate is None else round(c.peer_median_rate, 6),
                            [_sample_key(x) for x in c.samples]) for c in s.checks],
                "passed": s.checks_passed,
            }
            for s in data.sections
        ],
    }
    return _digest(figures)


def results_fingerprint(data: ReportData) -> str:
    """A hash of the provider's own check results only (not peers, not samples)."""
    return _digest({"provider": data.provider_code, "results": [list(map(str, r)) for r in data.own_results]})


def _section_view(section: DatasetSection) -> dict[str, object]:
    latest, previous = section.latest, section.previous
    assert latest is not None
    if previous is None:
        change = "first month scored"
    else:
        delta = latest.dqmi - previous.dqmi
        direction = "up" if delta > 0.005 else "down" if delta < -0.005 else "no change"
        change = f"{direction} {abs(delta):.1f} from {previous.period.label}" if direction != "no change" \
            else f"no change from {previous.period.label}"
    if latest.peer_median is None:
        peer_text, peer_note = "not shown", f"(fewer than {MIN_PEERS} providers to compare)"
    else:
        gap = latest.dqmi - latest.peer_median
        peer_text = f"{latest.peer_median:.1f}"
        if abs(gap) < 0.05:
            peer_note = "(you are level with the median provider)"
        else:
            peer_note = f"(you are {abs(gap):.1f} {'above' if gap > 0 else 'below'} the median provider)"
    return {
        "dataset": section.dataset,
        "title": DATASET_TITLES[section.dataset],
        "latest_label": latest.period.label,
        "latest_dqmi": f"{latest.dqmi:.1f}",
        "change_text": change,
        "peer_text": peer_text,
        "peer_note": peer_note,
        "coverage": _pct(latest.coverage),
        "completeness": f"{latest.completeness:.1f}%",
        "validity": f"{latest.validity:.1f}%",
        "checks_passed": section.checks_passed,
        "checks": [_check_view(check) for check in section.checks],
    }


def _check_view(check: CheckSummary) -> dict[str, object]:
    months = ", ".join(m.label for m in check.months_failing)
    return {
        "check_id": check.check_id,
        "title": check.title,
        "worst_status": check.worst_status,
        "status_text": STATUS_TEXT[check.worst_status],
        "rows_failed": check.rows_failed,
        "rows_checked": check.rows_checked,
        "window_rate": _pct(check.rate),
        # What the status was judged on: the worst month against the tolerance.
        "judged_month": check.judged_period.label if check.judged_period else "-",
        "judged_rows_failed": check.judged_rows_failed,
        "judged_rows_checked": check.judged_rows_checked,
        "rate": _pct(check.judged_rate),
        "tolerance": _pct(check.max_failure_rate),
        "peer_rate": "not shown" if check.peer_median_rate is None else _pct(check.peer_median_rate),
        "months_text": f"Above tolerance in: {months}." if months else "Within tolerance in every month.",
        "meaning": check.meaning,
        "how_to_fix": check.how_to_fix,
        "detail": check.detail,
        "samples": [_sample_view(check.check_id, sample) for sample in check.samples[:SAMPLES_IN_HTML]],
        "sample_total": len(check.samples),
    }


def shown_value(check_id: str, sample: Sample) -> str:
    """The raw value as sent, unless it could name another organisation."""
    value = "" if sample.raw_value is None else sample.raw_value
    if check_id in MASKED_CHECKS and value.strip():
        return MASKED_CHECKS[check_id]
    return value


def _sample_view(check_id: str, sample: Sample) -> dict[str, str]:
    location = sample.source_file or ""
    if sample.source_row is not None:
        location = f"{location}, row {sample.source_row}"
    value = shown_value(check_id, sample)
    if check_id in MASKED_CHECKS and value:
        pass
    elif sample.field and sample.field not in DESCRIBED_FIELDS:
        value = f'{sample.field} = "{value}"'
    elif not value:
        value = sample.context or ""
    # what the provider sent, escaped: a line break in a file name or value cannot fake a
    # line of the plain-text email (HTML is escaped by the template engine as well)
    return {
        "month": sample.period.label,
        "location": printable(location or "-"),
        "record_ref": printable(sample.record_ref or "-"),
        "service_line_code": printable(sample.service_line_code or "-"),
        "pod_code": printable(sample.pod_code or "-"),
        "value": printable(value),
    }


def _sample_key(sample: Sample) -> tuple[object, ...]:
    return (sample.period.label, sample.source_file, sample.source_row, sample.record_ref, sample.raw_value)


def _pct(fraction: float) -> str:
    value = 100.0 * fraction
    return f"{value:.1f}%" if value >= 0.1 or value == 0 else f"{value:.2f}%"


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
