"""Compose the email messages: one per provider report, and the run summary for the BI team.

A provider message is multipart/mixed: a multipart/alternative body (plain text, and HTML with
the XmR chart inline by Content-ID) and the CSV of failing records as an attachment. Its
Message-ID is derived from the provider and the report's content fingerprint, so the same
report always has the same Message-ID. Serialise with `email.policy.SMTP` (CRLF line endings:
smtplib does not convert bare line feeds in bytes, and servers refuse them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from speccomm.reports import ProviderReport


@dataclass(frozen=True)
class RunSummaryMessage:
    """What the BI team hears about a night: figures as label -> value, and free notes."""

    run_id: str
    run_at: datetime
    figures: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def message_id(kind: str, key: str, fingerprint: str, mail_from: str) -> str:
    domain = mail_from.rpartition("@")[2] or "speccomm.localhost"
    safe_key = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in key)
    return f"<speccomm-{kind}.{safe_key}.{fingerprint[:32]}@{domain}>"


def provider_message(
    report: ProviderReport, mail_from: str, sent_at: datetime, reply_to: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = mail_from
    message["To"] = ", ".join(report.recipients)
    if reply_to:
        message["Reply-To"] = reply_to  # a person reads replies; the sender may be unattended
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, no vacation loops
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id("dq", report.provider_code, report.content_fingerprint, mail_from)
    message["X-Speccomm-Provider"] = report.provider_code
    message["X-Speccomm-Report-Fingerprint"] = report.content_fingerprint
    message.set_content(report.text_path.read_text(encoding="utf-8"))
    message.add_alternative(report.email_html_path.read_text(encoding="utf-8"), subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(
        report.chart_png_path.read_bytes(), maintype="image", subtype="png",
        cid=f"<{report.chart_cid}>", filename=report.chart_png_path.name, disposition="inline",
    )
    message.add_attachment(
        report.csv_path.read_bytes(), maintype="text", subtype="csv", filename=report.csv_path.name,
        params={"charset": "utf-8"},
    )
    return message


def summary_message(
    summary: RunSummaryMessage, delivery_lines: list[str], mail_from: str, bi_team: str, sent_at: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"speccomm data quality: run {summary.run_id}"
    message["From"] = mail_from
    message["To"] = str(Address(addr_spec=bi_team))
    message["Auto-Submitted"] = "auto-generated"
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id("summary", summary.run_id, summary.run_id.encode().hex(), mail_from)
    lines = [f"Data-quality run {summary.run_id} at {summary.run_at:%Y-%m-%d %H:%M} UTC", ""]
    lines += [f"{label}: {value}" for label, value in summary.figures.items()]
    lines += ["", "Delivery of provider reports:", *delivery_lines]
    if summary.notes:
        lines += ["", *summary.notes]
    message.set_content("\n".join(lines) + "\n")
    return message
