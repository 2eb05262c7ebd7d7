"""Deliver provider reports by SMTP (or to an outbox folder), through a persistent queue that
retries failures and never sends the same report twice.

Entry point: `deliver_reports(reports, outbox=..., state_path=..., send_only_changed=False,
run_summary=None)`. Settings come from the environment (see `settings.py`).
"""

from speccomm.delivery.deliver import DeliverySummary, deliver_reports, resend, retry_queued
from speccomm.delivery.messages import RunSummaryMessage
from speccomm.delivery.settings import MailSettings, SettingsError, SmtpSettings, mail_settings

__all__ = [
    "DeliverySummary",
    "MailSettings",
    "RunSummaryMessage",
    "SettingsError",
    "SmtpSettings",
    "deliver_reports",
    "mail_settings",
    "resend",
    "retry_queued",
]
