"""Hand a composed message over: to an SMTP server, or as an .eml file into the outbox folder."""

from __future__ import annotations

import base64
import contextlib
import hmac
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
        except (smtplib.SMTPException, OSError, ssl.SSLError, UnicodeError, ValueError) as exc:
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
            client: smtplib.SMTP = _Utf8SmtpSsl(s.host, s.port, timeout=s.timeout, context=context)
        else:
            client = _Utf8Smtp(s.host, s.port, timeout=s.timeout)
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
        if isinstance(exc, UnicodeError):  # its text quotes the characters it could not handle
            return self._settings.redact(f"{self._settings}: {type(exc).__name__} (details not shown)")
        detail = str(exc)
        if isinstance(exc, smtplib.SMTPResponseException):
            message = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
                else str(exc.smtp_error)
            detail = f"{exc.smtp_code} {message}"
        return self._settings.redact(f"{self._settings}: {type(exc).__name__}: {detail}")


class _Utf8Auth:
    """SMTP AUTH with the user name and password as UTF-8 (RFC 4616 for PLAIN; what mail
    clients send). smtplib encodes them as ASCII, so a password with `ä` or `£` that works in
    a mail client failed here, with an error quoting its characters."""

    user: str
    password: str

    def auth(self, mechanism: str, authobject, *, initial_response_ok: bool = True):
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, resp = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")  # type: ignore[attr-defined]
            self._auth_challenge_count = 1
        else:
            code, resp = self.docmd("AUTH", mechanism)  # type: ignore[attr-defined]
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            challenge = base64.decodebytes(resp)
            code, resp = self.docmd(_b64(authobject(challenge)))  # type: ignore[attr-defined]
            if self._auth_challenge_count > smtplib._MAXCHALLENGE:  # type: ignore[attr-defined]
                raise smtplib.SMTPException("Server AUTH mechanism infinite loop")
        if code in (235, 503):
            return code, resp
        raise smtplib.SMTPAuthenticationError(code, resp)

    def auth_cram_md5(self, challenge: bytes | None = None) -> str:
        if challenge is None:
            return None  # type: ignore[return-value]
        digest = hmac.HMAC(self.password.encode("utf-8"), challenge, "md5").hexdigest()
        return f"{self.user} {digest}"


class _Utf8Smtp(_Utf8Auth, smtplib.SMTP):
    pass


class _Utf8SmtpSsl(_Utf8Auth, smtplib.SMTP_SSL):
    pass


def _b64(text: str | bytes) -> str:
    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def make_transport(settings: SmtpSettings | None, outbox: Path) -> Transport:
    return SmtpTransport(settings) if settings is not None else OutboxTransport(outbox)
