"""SMTP settings from the environment; the password never leaves this object in text.

    SPECCOMM_SMTP_HOST       without it, messages are written to the outbox folder as .eml
    SPECCOMM_SMTP_PORT       default 587 (starttls), 465 (ssl), 25 (none)
    SPECCOMM_SMTP_SECURITY   none | starttls (default) | ssl
    SPECCOMM_SMTP_USER       login user (optional: no login without it)
    SPECCOMM_SMTP_PASSWORD   login password (never logged, never in an exception)
    SPECCOMM_SMTP_CA_FILE    optional CA bundle to verify the server (an internal CA)
    SPECCOMM_SMTP_TIMEOUT    seconds, default 30
    SPECCOMM_MAIL_FROM       sender address, default speccomm-dq@example.org
    SPECCOMM_BI_TEAM_EMAIL   run summary recipient, default bi-team@example.org
    SPECCOMM_REPLY_TO        where providers' replies go (Reply-To), default the BI team's address
    SPECCOMM_DQ_CONTACT_NAME the person or team named in each report as the contact,
                             default "the specialised commissioning BI team"
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from speccomm.config import DEFAULT_BI_TEAM_EMAIL, ReportContact, report_contact

SECURITY_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_FROM = "speccomm-dq@example.org"
DEFAULT_BI_TEAM = DEFAULT_BI_TEAM_EMAIL
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


class SettingsError(ValueError):
    """The SMTP settings in the environment cannot be used (never quotes the password)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(default=None, repr=False, compare=False)
    ca_file: str | None = None
    timeout: float = 30.0

    def __str__(self) -> str:
        login = f" as {self.user}" if self.user else ""
        return f"{self.security} SMTP {self.host}:{self.port}{login}"

    def redact(self, text: str) -> str:
        """`text` with the password (and its base64 forms used by AUTH) replaced by ***."""
        return redact(text, self.password, self.user)


@dataclass(frozen=True)
class MailSettings:
    smtp: SmtpSettings | None  # None: write .eml files to the outbox instead
    mail_from: str
    bi_team: str
    contact: ReportContact = field(default_factory=report_contact)


def mail_settings(environ: Mapping[str, str] | None = None) -> MailSettings:
    env = os.environ if environ is None else environ
    return MailSettings(
        smtp=smtp_settings(env),
        mail_from=env.get("SPECCOMM_MAIL_FROM", "").strip() or DEFAULT_FROM,
        bi_team=env.get("SPECCOMM_BI_TEAM_EMAIL", "").strip() or DEFAULT_BI_TEAM,
        contact=report_contact(env),
    )


def smtp_settings(env: Mapping[str, str]) -> SmtpSettings | None:
    host = env.get("SPECCOMM_SMTP_HOST", "").strip()
    if not host:
        return None
    security = env.get("SPECCOMM_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SECURITY_MODES:
        modes = ", ".join(SECURITY_MODES)
        raise SettingsError(f"SPECCOMM_SMTP_SECURITY must be one of {modes}, not {security!r}")
    port_text = env.get("SPECCOMM_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else DEFAULT_PORTS[security]
        timeout = float(env.get("SPECCOMM_SMTP_TIMEOUT", "30") or 30)
    except ValueError as exc:
        raise SettingsError("SPECCOMM_SMTP_PORT and SPECCOMM_SMTP_TIMEOUT must be numbers") from exc
    user = env.get("SPECCOMM_SMTP_USER", "").strip() or None
    password = env.get("SPECCOMM_SMTP_PASSWORD") or None
    if password and not user:
        raise SettingsError("SPECCOMM_SMTP_PASSWORD is set but SPECCOMM_SMTP_USER is not")
    if user and security == "none" and host not in LOOPBACK_HOSTS:
        raise SettingsError("refusing to log in over an unencrypted connection: set SPECCOMM_SMTP_SECURITY")
    ca_file = env.get("SPECCOMM_SMTP_CA_FILE", "").strip() or None
    return SmtpSettings(host, port, security, user, password, ca_file, timeout)


def redact(text: str, password: str | None, user: str | None = None) -> str:
    if not password:
        return text
    secrets = {password, _b64(password)}
    if user:
        secrets.add(_b64(f"\0{user}\0{password}"))
        secrets.add(_b64(f"{user}\0{user}\0{password}"))
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
