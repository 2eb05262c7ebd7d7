"""Deliver provider reports (and the BI team's run summary) through the persistent queue.

    summary = deliver_reports(reports, outbox=..., state_path=..., send_only_changed=False)

1. Recover messages a killed process left `sending`: outbox messages whose file exists are
   `sent`, others are queued again (writing a file twice is harmless); SMTP messages become
   `unconfirmed` and are not sent again (at most once). Every unconfirmed message is listed
   in every night's summary, with its Message-ID and recipients to look for in the mail
   server's log, until a person settles it: `speccomm resend KEY` queues it again (it never
   arrived), `speccomm resend --delivered KEY` records that it did.
2. Queue each report not sent before (same provider + same content fingerprint = the same
   report, never sent twice). With send_only_changed, a report whose provider's own results
   equal those of the last report sent to that provider is not queued. A newer report
   supersedes an older one still waiting for the same provider.
3. Send everything waiting, oldest first: `sending` is recorded before the hand-over and
   `sent` after it; a failure leaves the message `failed`, retried on the next delivery.
4. The run summary to the BI team goes last, through the same queue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.policy import SMTP
from pathlib import Path

from speccomm.delivery import send_log as states
from speccomm.delivery.messages import RunSummaryMessage, message_id, provider_message, summary_message
from speccomm.delivery.send_log import DeliveryLedger, QueuedMessage
from speccomm.delivery.settings import MailSettings, mail_settings
from speccomm.delivery.transport import DeliveryError, Transport, make_transport
from speccomm.reports import ProviderReport

log = logging.getLogger(__name__)


@dataclass
class DeliverySummary:
    channel: str  # smtp or outbox
    sent: list[str] = field(default_factory=list)  # message keys handed over this time
    already_sent: list[str] = field(default_factory=list)  # provider codes: same report sent before
    unchanged: list[str] = field(default_factory=list)  # provider codes skipped by send_only_changed
    no_recipients: list[str] = field(default_factory=list)  # provider codes without contacts
    failed: dict[str, str] = field(default_factory=dict)  # message key -> error (still queued)
    superseded: int = 0
    recovered_sent: int = 0
    unconfirmed: list[str] = field(default_factory=list)  # found interrupted now: check by hand
    awaiting_person: list[str] = field(default_factory=list)  # every unconfirmed one, with what to check
    summary_sent: bool = False

    @property
    def queued_for_retry(self) -> int:
        return len(self.failed)

    def lines(self) -> list[str]:
        return [
            f"channel: {self.channel}",
            f"reports sent: {sum(1 for key in self.sent if key.startswith('provider:'))}",
            f"not sent, same report already sent: {len(self.already_sent)}",
            f"not sent, results unchanged: {len(self.unchanged)}",
            f"providers without contacts: {', '.join(self.no_recipients) or 'none'}",
            f"failed, queued for the next run: {', '.join(sorted(self.failed)) or 'none'}",
            f"may not have been delivered (process killed while sending, check by hand): "
            f"{', '.join(self.unconfirmed) or 'none'}",
            *self.awaiting_person,
        ]


def deliver_reports(
    reports: list[ProviderReport],
    *,
    outbox: Path,
    state_path: Path,
    send_only_changed: bool = False,
    run_summary: RunSummaryMessage | None = None,
    settings: MailSettings | None = None,
) -> DeliverySummary:
    settings = settings or mail_settings()
    transport = make_transport(settings.smtp, outbox)
    ledger = DeliveryLedger(state_path)
    summary = DeliverySummary(channel=transport.channel)
    try:
        _recover(ledger, transport, summary)
        summary.awaiting_person = _awaiting_person(ledger)
        for report in reports:
            _queue_report(ledger, report, settings, send_only_changed, summary)
        _send_pending(ledger, transport, settings, summary, kind="provider_report")
        if run_summary is not None:
            _queue_summary(ledger, run_summary, settings, summary)
        # earlier nights' summaries that failed to go are retried too, with or without a new one
        _send_pending(ledger, transport, settings, summary, kind="run_summary")
        if run_summary is not None:
            summary.summary_sent = ledger.status_of(_summary_key(run_summary)) == states.SENT
    finally:
        transport.close()
        ledger.close()
    return summary


def retry_queued(
    *, outbox: Path, state_path: Path, settings: MailSettings | None = None
) -> DeliverySummary | None:
    """On a night with nothing new: send what earlier nights left queued or failed, and settle
    sends a killed process left half-done. None when nothing waits."""
    if not state_path.exists():
        return None
    ledger = DeliveryLedger(state_path)
    try:
        waiting = bool(ledger.pending() or ledger.interrupted())
    finally:
        ledger.close()
    if not waiting:
        return None
    return deliver_reports([], outbox=outbox, state_path=state_path, settings=settings)


def resend(state_path: Path, message_key: str, *, delivered: bool = False) -> str:
    """A person's answer about an unconfirmed message: queue it again, or record it delivered."""
    ledger = DeliveryLedger(state_path)
    try:
        status = ledger.status_of(message_key)
        if status is None:
            raise KeyError(f"no message {message_key!r} in {state_path}")
        if delivered:
            ledger.mark_sent(message_key)
            return f"{message_key}: recorded as delivered (was {status})"
        ledger.mark_queued(message_key)
        return f"{message_key}: queued again (was {status}); the next nightly sends it"
    finally:
        ledger.close()


def _awaiting_person(ledger: DeliveryLedger) -> list[str]:
    return [
        f"UNCONFIRMED {m.message_key}: Message-ID {m.message_id} to {', '.join(m.recipients)} may not have "
        f"arrived (the sending process was killed). Look for that Message-ID in the mail server's log; "
        f"then `speccomm resend {m.message_key}` if it never arrived, or "
        f"`speccomm resend --delivered {m.message_key}` if it did."
        for m in ledger.unconfirmed()
    ]


def _recover(ledger: DeliveryLedger, transport: Transport, summary: DeliverySummary) -> None:
    for message in ledger.interrupted():
        if message.channel == "outbox" and transport.channel == "outbox":
            if transport.already_delivered(message.outbox_name):
                ledger.mark_sent(message.message_key)
                summary.recovered_sent += 1
            else:
                ledger.mark_queued(message.message_key)
        else:
            log.warning("delivery: %s was being sent when a process died; not resending", message.message_key)
            ledger.mark_unconfirmed(message.message_key)
            summary.unconfirmed.append(message.message_key)


def _queue_report(
    ledger: DeliveryLedger,
    report: ProviderReport,
    settings: MailSettings,
    send_only_changed: bool,
    summary: DeliverySummary,
) -> None:
    key = _report_key(report)
    if not report.recipients:
        summary.no_recipients.append(report.provider_code)
        return
    status = ledger.status_of(key)
    if status in states.DONE:
        summary.already_sent.append(report.provider_code)
        return
    if status is None and send_only_changed and (
        ledger.last_sent_results_fingerprint(report.provider_code) == report.results_fingerprint
    ):
        summary.unchanged.append(report.provider_code)
        return
    if status is None:
        payload = provider_message(report, settings.mail_from, datetime.now(UTC)).as_bytes(policy=SMTP)
        ledger.enqueue(
            message_key=key,
            kind="provider_report",
            provider_code=report.provider_code,
            content_fingerprint=report.content_fingerprint,
            results_fingerprint=report.results_fingerprint,
            run_id=report.run_id,
            message_id=message_id("dq", report.provider_code, report.content_fingerprint, settings.mail_from),
            recipients=report.recipients,
            outbox_name=f"{report.provider_code}_{report.content_fingerprint[:16]}.eml",
            payload=payload,
        )
    elif status == states.SUPERSEDED:
        ledger.mark_queued(key)  # an older report is current again (results changed back)
    summary.superseded += ledger.supersede_older(report.provider_code, key)


def _queue_summary(
    ledger: DeliveryLedger, run_summary: RunSummaryMessage, settings: MailSettings, summary: DeliverySummary
) -> None:
    key = _summary_key(run_summary)
    if ledger.status_of(key) is not None:
        return
    message = summary_message(
        run_summary, summary.lines(), settings.mail_from, settings.bi_team, datetime.now(UTC)
    )
    ledger.enqueue(
        message_key=key,
        kind="run_summary",
        provider_code=None,
        content_fingerprint=None,
        results_fingerprint=None,
        run_id=run_summary.run_id,
        message_id=str(message["Message-ID"]),
        recipients=(settings.bi_team,),
        outbox_name=f"bi-summary_{_safe(run_summary.run_id)}.eml",
        payload=message.as_bytes(policy=SMTP),
    )


def _send_pending(
    ledger: DeliveryLedger,
    transport: Transport,
    settings: MailSettings,
    summary: DeliverySummary,
    *,
    kind: str,
) -> None:
    for message in ledger.pending():
        if message.kind == kind:
            _send_one(ledger, transport, settings, message, summary)


def _send_one(
    ledger: DeliveryLedger, transport: Transport, settings: MailSettings, message: QueuedMessage,
    summary: DeliverySummary,
) -> None:
    ledger.mark_sending(message.message_key, transport.channel)
    try:
        transport.send(message.payload, settings.mail_from, message.recipients, message.outbox_name)
    except DeliveryError as exc:
        ledger.mark_failed(message.message_key, str(exc))
        summary.failed[message.message_key] = str(exc)
        log.warning("delivery: %s failed, queued for the next run: %s", message.message_key, exc)
        return
    ledger.mark_sent(message.message_key)
    summary.sent.append(message.message_key)


def _report_key(report: ProviderReport) -> str:
    return f"provider:{report.provider_code}:{report.content_fingerprint}"


def _summary_key(run_summary: RunSummaryMessage) -> str:
    return f"summary:{run_summary.run_id}"


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
