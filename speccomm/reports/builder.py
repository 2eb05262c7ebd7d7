"""Build one report per provider for one data-quality run: files on disk, ready to deliver.

For provider RJ1 the folder `out_dir/RJ1/` holds:
- `RJ1_data_quality.html`  standalone HTML (chart embedded as a data URI);
- `RJ1_data_quality.email.html`  the same HTML with the chart referenced by Content-ID;
- `RJ1_data_quality.txt`  the plain-text alternative;
- `RJ1_failing_records.csv`  the sample failing records;
- `RJ1_dqmi_trend.png`  the XmR chart.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from speccomm.children import die_with_parent
from speccomm.reports import render
from speccomm.reports.data import ReportData, prepare_run, read_report_data, report_providers
from speccomm.reports.spc import Panel, render_chart

# Each worker imports matplotlib (about 100 MB); beyond a few, the database reads done first
# dominate anyway.
MAX_CHART_WORKERS = 4


@dataclass(frozen=True)
class ProviderReport:
    provider_code: str
    provider_name: str
    run_id: str
    subject: str
    html_path: Path  # standalone: chart as a data URI
    email_html_path: Path  # for email: chart as cid:<chart_cid>
    text_path: Path
    csv_path: Path
    chart_png_path: Path
    chart_cid: str
    recipients: tuple[str, ...]
    content_fingerprint: str  # every figure in the report: "the same report"
    results_fingerprint: str  # the provider's own results only: "results changed"


def build_provider_reports(
    con: duckdb.DuckDBPyConnection, run_id: str, out_dir: Path
) -> list[ProviderReport]:
    """One report per provider with SLAM or SUS results current as of `run_id`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prepare_run(con, run_id)
    figures = [
        read_report_data(con, run_id, provider_code, prepared=True)
        for provider_code in report_providers(con, run_id)
    ]
    charts = _draw_charts([render.chart_panels(data) for data in figures])
    return [
        _build_one(data, png, out_dir / data.provider_code) for data, png in zip(figures, charts, strict=True)
    ]


def _draw_charts(panels_per_report: list[list[Panel]]) -> list[bytes]:
    """Drawing the charts is most of a report's time and needs no database, so they are drawn
    by worker processes, one per CPU. Spawned, not forked: this process runs DuckDB's threads
    (so a script calling this needs the usual `if __name__ == "__main__":` guard)."""
    workers = min(_usable_cpus(), MAX_CHART_WORKERS, len(panels_per_report))
    if workers < 2:
        return [render_chart(panels) for panels in panels_per_report]
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=die_with_parent
    ) as pool:
        return list(pool.map(render_chart, panels_per_report, chunksize=4))


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container's host may have many more)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _build_one(data: ReportData, png: bytes, folder: Path) -> ProviderReport:
    folder.mkdir(parents=True, exist_ok=True)
    code = data.provider_code
    content = render.content_fingerprint(data)
    chart_cid = f"dqmi-trend-{content[:16]}@speccomm"
    paths = {
        "html": folder / f"{code}_data_quality.html",
        "email": folder / f"{code}_data_quality.email.html",
        "text": folder / f"{code}_data_quality.txt",
        "csv": folder / f"{code}_failing_records.csv",
        "png": folder / f"{code}_dqmi_trend.png",
    }
    paths["png"].write_bytes(png)
    data_uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    paths["html"].write_text(render.render_html(data, data_uri), encoding="utf-8")
    paths["email"].write_text(render.render_html(data, f"cid:{chart_cid}"), encoding="utf-8")
    paths["text"].write_text(render.render_text(data), encoding="utf-8")
    paths["csv"].write_text(render.render_csv(data), encoding="utf-8-sig", newline="")
    return ProviderReport(
        provider_code=code,
        provider_name=data.provider_name,
        run_id=data.run_id,
        subject=render.subject_of(data),
        html_path=paths["html"],
        email_html_path=paths["email"],
        text_path=paths["text"],
        csv_path=paths["csv"],
        chart_png_path=paths["png"],
        chart_cid=chart_cid,
        recipients=tuple(data.recipients),
        content_fingerprint=content,
        results_fingerprint=render.results_fingerprint(data),
    )
