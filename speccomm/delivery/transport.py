"""Hand a composed message over: to an SMTP server, or as an .eml file into the outbox folder."""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from pathlib import Path
from typing import Protocol

from speccomm.delivery.settings import SmtpSettings


class DeliveryError(RuntimeError):
    """A send failed; the message says why, without the password."""


class Transport(Protocol):
    channel: str

    def send(self, payload: bytes, sender: str, recipients: tuple[str, ...], outbox_name: str) -> None: ...

    def already_delivered(self, outbox_name: str) -> bool: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message to `<outbox>/<outbox_name>` atomically (temporary file, then rename)."""

    channel = "outbox"

    def __init__(self, outbox: Path) -> None:
        self._outbox = outbox
        outbox.mkdir(parents=True, exist_ok=True)

    def send(self, payload: bytes, sender: str, recipients: tuple[str, ...], outbox_name: str) -> None:
        target = self._outbox / outbox_name
        partial = target.with_name(f".{outbox_name}.partial")
        try:
            with partial.open("wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(target)
        except OSError as exc:
            raise DeliveryError(f"could not write {target}: {exc.strerror or exc}") from None

    def already_delivered(self, outbox_name: str) -> bool:
        return (self._outbox / outbox_name).is_file()

    def close(self) -> None:
        return None


class SmtpTransport:
    """One SMTP connection for the whole delivery, opened on first use."""

    channel = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._client: smtplib.SMTP | None = None

    def send(self, payload: bytes, sender: str, recipients: tuple[str, ...], outbox_name: str) -> None:
        try:
            client = self._connect()
            refused = client.sendmail(sender, list(recipients), payload)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self._drop()
            raise DeliveryError(self._describe(exc)) from None
        if refused:
            text = f"{self._settings}: some recipients refused: {refused}"
            raise DeliveryError(self._settings.redact(text))

    def already_delivered(self, outbox_name: str) -> bool:
        return False  # SMTP cannot be asked: an interrupted send stays unconfirmed

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._client = None

    def _connect(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        s = self._settings
        context = ssl.create_default_context(cafile=s.ca_file)
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if s.user:
                client.login(s.user, s.password or "")
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.close()
            self._client = None

    def _describe(self, exc: BaseException) -> str:
        detail = str(exc)
        if isinstance(exc, smtplib.SMTPResponseException):
            message = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
                else str(exc.smtp_error)
            detail = f"{exc.smtp_code} {message}"
        return self._settings.redact(f"{self._settings}: {type(exc).__name__}: {detail}")


def make_transport(settings: SmtpSettings | None, outbox: Path) -> Transport:
    return SmtpTransport(settings) if settings is not None else OutboxTransport(outbox)
