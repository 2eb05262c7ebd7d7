"""Turn one provider's ReportData into HTML (standalone and for email), plain text and CSV."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from speccomm.config import report_contact
from speccomm.reports.data import (
    MIN_PEERS,
    MONTH_NAMES,
    SAMPLES_IN_HTML,
    TREND_MONTHS,
    CheckSummary,
    DatasetSection,
    MissingMonth,
    Period,
    RejectedFile,
    ReportData,
    Sample,
)
from speccomm.reports.spc import RUN_LENGTH, Panel, xmr
from speccomm.safe_text import neutralise_row, printable

TEMPLATES = Path(__file__).parent / "templates"
DATASET_TITLES = {"slam": "SLAM contract monitoring", "sus": "SUS patient-level activity"}
DATASET_SHORT = {"slam": "SLAM", "sus": "SUS"}
STATUS_TEXT = {
    "fail": "Above tolerance (error)",
    "warn": "Above tolerance (warning)",
    "pass": "Within tolerance",
}
# A provider's report never shows another organisation's code, even one the provider typed
# into its own file: the file and row locate the record.
# Raw values that already describe themselves (not a single field's text).
DESCRIBED_FIELDS = ("period", "dates", "variance", "duplicate", "submission", "ir")
CSV_COLUMNS = (
    "dataset", "check_id", "financial_year", "financial_month", "source_file", "source_row",
    "provider_record_ref", "service_line_code", "pod_code", "context", "field", "value_sent",
)


@functools.cache
def environment(autoescape: bool = True) -> Environment:
    """One environment per process and kind (HTML escapes, plain text does not): it keeps the
    compiled templates (compiling them for every report cost 40 ms a provider)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    """The report's style sheet (templates/report.css) written into each element's style
    attribute, as mail clients need; nothing is fetched."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return css_inline.CSSInliner(extra_css=css, load_remote_stylesheets=False, minify_css=True)


def _counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def status_counts(data: ReportData) -> list[str]:
    """What needs doing, as counted phrases ('1 file not loaded', '2 months not received' …)."""
    counts = []
    if data.rejected_files:
        counts.append(_counted(len(data.rejected_files), "file") + " not loaded")
    if data.missing_months:
        counts.append(_counted(len(data.missing_months), "month") + " not received")
    if data.problems:
        counts.append(_counted(len(data.problems), "check") + " above tolerance")
    return counts


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def status_sentence(data: ReportData) -> str:
    """The provider's status in one sentence: the first thing the email says."""
    period = data.report_period
    to = f"to {period.label}" if period else "so far"
    counts = status_counts(data)
    if not counts:
        return f"No action needed, {to}: every file loaded, every month received, every check in tolerance."
    return f"Action needed, {to}: {_joined(counts)}."


def subject_of(data: ReportData) -> str:
    period = data.report_period
    latest = period.label if period else "no data"
    counts = status_counts(data)
    needs = _joined(counts) if counts else "all within tolerance"
    return f"Data quality report: {data.provider_name} ({data.provider_code}), to {latest}: {needs}"


def template_context(data: ReportData, chart_src: str | None) -> dict[str, object]:
    contact = report_contact()
    period = data.report_period
    return {
        "contact_name": contact.name,
        "contact_email": contact.email,
        "subject": subject_of(data),
        "status_sentence": status_sentence(data),
        "needs_action": bool(status_counts(data)),
        "report_period": period.label if period else "no data yet",
        "provider_code": data.provider_code,
        "provider_name": data.provider_name,
        "run_id": data.run_id,
        "run_date": data.run_at.strftime("%d %B %Y"),
        "trend_months": TREND_MONTHS,
        "run_length": RUN_LENGTH,
        "min_peers": MIN_PEERS,
        "chart_src": chart_src,
        "chart_alt": chart_finding(data),
        "rejected_files": [_rejected_view(f) for f in data.rejected_files],
        "missing_months": _missing_view(data.missing_months),
        "top_problems": [_check_view(check) for check in data.top_problems],
        "problem_count": len(data.problems),
        "sections": [_section_view(section, period, data) for section in data.sections],
    }


def render_html(data: ReportData, chart_src: str | None) -> str:
    html = environment().get_template("report.html.j2").render(template_context(data, chart_src))
    return _inliner().inline(html)


def chart_finding(data: ReportData) -> str:
    """What the trend chart shows, in words: its alternative text and the plain-text part's."""
    if not data.sections:
        return "No data-quality scores yet."
    return " ".join(_section_finding(section) for section in data.sections)


def _section_finding(section: DatasetSection) -> str:
    latest = section.latest
    assert latest is not None
    values = [point.dqmi for point in section.trend]
    chart = xmr(values)
    if chart.signals[-1]:
        below = chart.lower_limit is not None and values[-1] < chart.lower_limit
        above = chart.upper_limit is not None and values[-1] > chart.upper_limit
        where = "below its lower process limit" if below else "above its upper process limit" if above \
            else f"part of a run of {RUN_LENGTH} or more months on one side of the mean"
        signal = f"a special cause: {where}"
    elif any(chart.signals):
        signal = "within its process limits this month, after a special cause earlier in the period"
    else:
        signal = "within its process limits (no special cause)"
    peer = "" if latest.peer_median is None else f"; the median provider scored {latest.peer_median:.1f}"
    return (f"{DATASET_SHORT[section.dataset]} score {latest.dqmi:.1f} in {latest.period.short_label}, "
            f"{_change_text(section)}, over {len(values)} months averaging {chart.mean:.1f}: {signal}{peer}.")


def render_text(data: ReportData) -> str:
    return environment(autoescape=False).get_template("report.txt.j2").render(template_context(data, None))


def chart_panels(data: ReportData) -> list[Panel]:
    return [
        Panel(
            title=f"{DATASET_SHORT[section.dataset]}: your DQMI-style score",
            labels=_axis_labels([point.period for point in section.trend]),
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
                    sample.field or "", shown_value(sample),
                ]))
    return buffer.getvalue()


def _axis_labels(periods: list[Period]) -> list[str]:
    """Month names, with the year under the first month and under each January."""
    return [
        f"{month}\n{p.calendar_year}" if i == 0 or p.financial_month == 10 else month
        for i, p in enumerate(periods)
        for month in [MONTH_NAMES[p.financial_month - 1]]
    ]


def content_fingerprint(data: ReportData) -> str:
    """A hash of every figure the report shows (not the run id or date)."""
    figures = {
        "provider": data.provider_code,
        "recipients": data.recipients,
        "rejected": [(f.file_name, f.problem) for f in data.rejected_files],
        "missing": [m.period.label for m in data.missing_months],
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


def _rejected_view(rejected: RejectedFile) -> dict[str, str]:
    # what the provider sent, escaped: a line break in a file name cannot fake a line of text
    return {
        "file_name": printable(rejected.file_name),
        "problem": printable(rejected.problem if rejected.problem.endswith(".") else rejected.problem + "."),
        "how_to_fix": rejected.how_to_fix,
        "seen": rejected.seen_at.strftime("%d %b %Y"),
    }


def _missing_view(missing: list[MissingMonth]) -> dict[str, str] | None:
    if not missing:
        return None
    months = _joined([m.period.label for m in missing])
    due = _joined([f"M{m.period.financial_month:02d} by {m.due_date:%d %b %Y}" for m in missing])
    return {
        "months": f"SLAM {months}",
        "due": f"Due: {due}.",
        "how_to_fix": "Send the missing statements; one year-to-date file restating every month is fine.",
    }


def _change_text(section: DatasetSection) -> str:
    latest, previous = section.latest, section.previous
    assert latest is not None
    if previous is None:
        return "first month scored"
    delta = latest.dqmi - previous.dqmi
    direction = "up" if delta > 0.005 else "down" if delta < -0.005 else "no change"
    if direction == "no change":
        return f"no change from {previous.period.short_label}"
    return f"{direction} {abs(delta):.1f} from {previous.period.short_label}"


def _score_note(section: DatasetSection, period: Period | None, data: ReportData) -> str:
    """Why the score's month is earlier than the report's, when it is."""
    latest = section.latest
    assert latest is not None
    if period is None or latest.period.ordinal >= period.ordinal:
        return ""
    later = [m.period.label for m in data.missing_months if m.period.ordinal > latest.period.ordinal]
    if section.dataset == "slam" and later:
        return f"your latest month received; {_joined(later)} not received"
    return "your latest month with data"


def _section_view(section: DatasetSection, period: Period | None, data: ReportData) -> dict[str, object]:
    latest = section.latest
    assert latest is not None
    change = _change_text(section)
    top = {(check.dataset, check.check_id) for check in data.top_problems}
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
        "short_title": DATASET_SHORT[section.dataset],
        "latest_label": latest.period.label,
        "score_note": _score_note(section, period, data),
        "latest_dqmi": f"{latest.dqmi:.1f}",
        "change_text": change,
        "peer_text": peer_text,
        "peer_note": peer_note,
        "coverage": _pct(latest.coverage),
        "completeness": f"{latest.completeness:.1f}%",
        "validity": f"{latest.validity:.1f}%",
        "checks_passed": section.checks_passed,
        "checks": [_check_view(check) | {"is_top": (check.dataset, check.check_id) in top}
                   for check in section.checks],
    }


def _check_view(check: CheckSummary) -> dict[str, object]:
    months = ", ".join(m.label for m in check.months_failing)
    return {
        "dataset": check.dataset,
        "dataset_title": DATASET_SHORT[check.dataset],
        "severity_text": "error" if check.worst_status == "fail" else "warning",
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
        "samples": [_sample_view(sample) for sample in check.samples[:SAMPLES_IN_HTML]],
        "sample_total": len(check.samples),
    }


def shown_value(sample: Sample) -> str:
    """The value as sent, unless it could name another organisation (the registry's
    value_withheld_as, applied by rpt_provider_dq_samples)."""
    return "" if sample.shown_value is None else sample.shown_value


def _sample_view(sample: Sample) -> dict[str, str]:
    location = sample.source_file or ""
    if sample.source_row is not None:
        location = f"{location}, row {sample.source_row}"
    value = shown_value(sample)
    if sample.is_value_withheld:
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
