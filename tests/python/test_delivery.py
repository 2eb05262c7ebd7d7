"""Delivery against a real SMTP server on 127.0.0.1 (aiosmtpd, started and stopped here):
parts and attachments, recipients, isolation between providers, retries, never twice,
STARTTLS / SSL with a login whose password never shows."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from speccomm.delivery import RunSummaryMessage, SettingsError, deliver_reports, mail_settings
from speccomm.delivery.send_log import DeliveryLedger
from speccomm.reports import ProviderReport

if TYPE_CHECKING:
    from demo_warehouse import CheckedDemo

pytest_plugins = ["demo_warehouse"]

PASSWORD = "s3cret-Pa55word!"
USER = "speccomm"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# --- a recording SMTP server ------------------------------------------------------------------

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class Recorder:
    refuse_next: int = 0
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        data = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(data)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), mechanism))
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Recorder]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


@pytest.fixture
def plain_smtp_env(smtp_server: tuple[Controller, Recorder], monkeypatch: pytest.MonkeyPatch) -> Recorder:
    controller, recorder = smtp_server
    _clear_env(monkeypatch)
    monkeypatch.setenv("SPECCOMM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPECCOMM_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SPECCOMM_SMTP_SECURITY", "none")
    monkeypatch.setenv("SPECCOMM_MAIL_FROM", "dq@speccomm.example.org")
    return recorder


def _clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SPECCOMM_SMTP_HOST", "SPECCOMM_SMTP_PORT", "SPECCOMM_SMTP_SECURITY", "SPECCOMM_SMTP_USER",
                 "SPECCOMM_SMTP_PASSWORD", "SPECCOMM_SMTP_CA_FILE", "SPECCOMM_MAIL_FROM",
                 "SPECCOMM_BI_TEAM_EMAIL"):
        monkeypatch.delenv(name, raising=False)


# --- small hand-made reports ------------------------------------------------------------------

def fake_report(
    folder: Path, code: str, content: str = "a", results: str = "r", recipients: tuple[str, ...] = ()
) -> ProviderReport:
    folder = folder / f"{code}-{content}"
    folder.mkdir(parents=True, exist_ok=True)
    cid = f"chart-{code}-{content}@speccomm"
    paths = {
        "text": folder / f"{code}.txt",
        "email": folder / f"{code}.email.html",
        "html": folder / f"{code}.html",
        "csv": folder / f"{code}_failing_records.csv",
        "png": folder / f"{code}.png",
    }
    paths["text"].write_text(f"Report for {code} ({content})\n", encoding="utf-8")
    email_html = f'<html><body><p>{code}</p><img src="cid:{cid}"></body></html>'
    paths["email"].write_text(email_html, encoding="utf-8")
    paths["html"].write_text(f"<html><body><p>{code}</p></body></html>", encoding="utf-8")
    paths["csv"].write_text("dataset,check_id\nslam,price_invalid\n", encoding="utf-8")
    paths["png"].write_bytes(TINY_PNG)
    return ProviderReport(
        provider_code=code, provider_name=f"Trust {code}", run_id="run-x",
        subject=f"Data quality report: {code}", html_path=paths["html"], email_html_path=paths["email"],
        text_path=paths["text"], csv_path=paths["csv"],
        chart_png_path=paths["png"], chart_cid=cid,
        recipients=recipients or (f"dq.{code.lower()}@example.org",),
        content_fingerprint=(content * 64)[:64], results_fingerprint=(results * 64)[:64],
    )


def _deliver(reports: list[ProviderReport], tmp_path: Path, **kwargs: object):
    state = tmp_path / "state" / "delivery.sqlite"
    return deliver_reports(reports, outbox=tmp_path / "outbox", state_path=state, **kwargs)  # type: ignore[arg-type]


# --- the demo reports, end to end ---------------------------------------------------------------

@pytest.mark.slow
def test_demo_reports_arrive_complete_and_only_to_their_provider(
    demo_reports: list[ProviderReport], checked_demo: CheckedDemo, plain_smtp_env: Recorder, tmp_path: Path
) -> None:
    summary = RunSummaryMessage(checked_demo.run_id, dt.datetime(2026, 5, 1, 2, 0), {"slices validated": 456})
    outcome = _deliver(demo_reports, tmp_path, run_summary=summary)
    with_contacts = [r for r in demo_reports if r.recipients]
    assert outcome.channel == "smtp" and not outcome.failed and outcome.summary_sent
    assert sorted(outcome.no_recipients) == sorted(r.provider_code for r in demo_reports if not r.recipients)
    by_provider = {}
    for received in plain_smtp_env.received:
        provider = received.message["X-Speccomm-Provider"]
        if provider is None:
            assert received.rcpt_tos == ["bi-team@example.org"]
            continue
        by_provider[provider] = received
    assert set(by_provider) == {r.provider_code for r in with_contacts}
    secrets = _pseudonyms_and_sus_ids(checked_demo)
    others = {r.provider_code: r for r in demo_reports}
    for report in with_contacts:
        received = by_provider[report.provider_code]
        assert sorted(received.rcpt_tos) == sorted(report.recipients)
        assert received.mail_from == "dq@speccomm.example.org"
        text, html, png, csv_bytes = _parts(received.message, report)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and f"cid:{report.chart_cid}" in html
        assert csv_bytes == report.csv_path.read_bytes()
        readable = "\n".join([text, html, csv_bytes.decode("utf-8-sig"), str(received.message["Subject"])])
        assert not secrets & set(re.findall(r"[A-Za-z0-9]+", readable))
        for code, other in others.items():
            if code != report.provider_code and other.recipients:
                assert not re.search(rf"\b{re.escape(code)}\b", readable), (report.provider_code, code)
                assert other.provider_name not in readable


def _parts(message: EmailMessage, report: ProviderReport) -> tuple[str, str, bytes, bytes]:
    assert message.get_content_type() == "multipart/mixed"
    body = message.get_body(preferencelist=("related", "html", "plain"))
    assert body is not None
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{report.chart_cid}>"
    attachments = [p for p in message.iter_attachments() if p.get_content_type() == "text/csv"]
    assert len(attachments) == 1 and attachments[0].get_filename() == report.csv_path.name
    assert attachments[0].get_content_charset() == "utf-8"
    return (text_part.get_content(), html_part.get_content(), images[0].get_payload(decode=True),
            attachments[0].get_payload(decode=True))


def _pseudonyms_and_sus_ids(checked: CheckedDemo) -> set[str]:
    return {value for (value,) in checked.query(
        """
        select distinct trim(pseudo_patient_id) from raw.sus_rows where trim(pseudo_patient_id) <> ''
        union select distinct trim(sus_record_id) from raw.sus_rows where trim(sus_record_id) <> ''
        """)}


# --- the queue and the never-twice ledger -----------------------------------------------------

def test_the_same_report_is_never_sent_twice(plain_smtp_env: Recorder, tmp_path: Path) -> None:
    reports = [fake_report(tmp_path, "RJ1"), fake_report(tmp_path, "RJZ")]
    first = _deliver(reports, tmp_path)
    second = _deliver(reports, tmp_path)
    assert len(first.sent) == 2 and second.sent == []
    assert sorted(second.already_sent) == ["RJ1", "RJZ"]
    assert len(plain_smtp_env.received) == 2
    ids = {r.message["Message-ID"] for r in plain_smtp_env.received}
    assert len(ids) == 2 and all("@speccomm.example.org>" in i for i in ids)


def test_a_refused_message_is_sent_on_the_next_run_once(plain_smtp_env: Recorder, tmp_path: Path) -> None:
    plain_smtp_env.refuse_next = 1
    report = fake_report(tmp_path, "RJ7")
    first = _deliver([report], tmp_path)
    assert first.sent == [] and len(first.failed) == 1 and "451" in next(iter(first.failed.values()))
    assert plain_smtp_env.received == []
    second = _deliver([], tmp_path)  # the queue alone, no new reports this time
    third = _deliver([report], tmp_path)
    assert len(second.sent) == 1 and third.sent == [] and third.already_sent == ["RJ7"]
    assert len(plain_smtp_env.received) == 1
    assert plain_smtp_env.received[0].rcpt_tos == ["dq.rj7@example.org"]


def test_killed_between_sending_and_recording_is_not_sent_again(
    plain_smtp_env: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = fake_report(tmp_path, "RPY")
    original = DeliveryLedger.mark_sent

    def killed(self: DeliveryLedger, message_key: str) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(DeliveryLedger, "mark_sent", killed)
    with pytest.raises(SystemExit):
        _deliver([report], tmp_path)
    monkeypatch.setattr(DeliveryLedger, "mark_sent", original)
    after = _deliver([report], tmp_path, run_summary=RunSummaryMessage("run-y", dt.datetime(2026, 5, 2)))
    assert after.sent == ["summary:run-y"] and after.already_sent == ["RPY"]
    assert after.unconfirmed == [f"provider:RPY:{report.content_fingerprint}"]
    provider_messages = [r for r in plain_smtp_env.received if r.message["X-Speccomm-Provider"]]
    assert len(provider_messages) == 1
    summary = next(r for r in plain_smtp_env.received if not r.message["X-Speccomm-Provider"])
    assert "check by hand" in summary.message.get_content() and "RPY" in summary.message.get_content()


def test_send_only_changed_follows_the_providers_own_results(
    plain_smtp_env: Recorder, tmp_path: Path
) -> None:
    _deliver([fake_report(tmp_path, "RJ2", content="a", results="r")], tmp_path)
    peers_moved = fake_report(tmp_path, "RJ2", content="b", results="r")  # median changed, not RJ2's results
    skipped = _deliver([peers_moved], tmp_path, send_only_changed=True)
    assert skipped.unchanged == ["RJ2"] and skipped.sent == []
    changed = fake_report(tmp_path, "RJ2", content="c", results="s")
    sent = _deliver([changed], tmp_path, send_only_changed=True)
    assert len(sent.sent) == 1
    default_mode = _deliver([peers_moved], tmp_path)  # a different report: sent without the option
    assert len(default_mode.sent) == 1
    assert len(plain_smtp_env.received) == 3


def test_a_newer_report_supersedes_one_still_queued(plain_smtp_env: Recorder, tmp_path: Path) -> None:
    plain_smtp_env.refuse_next = 1
    _deliver([fake_report(tmp_path, "RAX", content="a")], tmp_path)
    newer = fake_report(tmp_path, "RAX", content="b")
    outcome = _deliver([newer], tmp_path)
    assert outcome.superseded == 1 and outcome.sent == [f"provider:RAX:{newer.content_fingerprint}"]
    assert len(plain_smtp_env.received) == 1


def test_a_provider_without_contacts_gets_nothing(plain_smtp_env: Recorder, tmp_path: Path) -> None:
    report = replace(fake_report(tmp_path, "ZZ9"), recipients=())
    outcome = _deliver([report], tmp_path)
    assert outcome.no_recipients == ["ZZ9"] and plain_smtp_env.received == []


# --- the outbox ---------------------------------------------------------------------------------

def test_without_smtp_host_messages_go_to_the_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clear_env(monkeypatch)
    reports = [fake_report(tmp_path, "RJ1"), fake_report(tmp_path, "RVR")]
    outcome = _deliver(reports, tmp_path, run_summary=RunSummaryMessage("run-z", dt.datetime(2026, 5, 3)))
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert outcome.channel == "outbox" and len(files) == 3 and outcome.summary_sent
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["To"] for m in parsed} == {"dq.rj1@example.org", "dq.rvr@example.org", "bi-team@example.org"}
    assert _deliver(reports, tmp_path).sent == []
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_outbox_recovers_a_kill_after_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_env(monkeypatch)
    report = fake_report(tmp_path, "RJ6")
    original = DeliveryLedger.mark_sent
    monkeypatch.setattr(DeliveryLedger, "mark_sent", lambda self, key: (_ for _ in ()).throw(SystemExit()))
    with pytest.raises(SystemExit):
        _deliver([report], tmp_path)
    monkeypatch.setattr(DeliveryLedger, "mark_sent", original)
    outcome = _deliver([report], tmp_path)
    assert outcome.recovered_sent == 1 and outcome.sent == []
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


# --- TLS and login -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def _tls_env(monkeypatch: pytest.MonkeyPatch, port: int, security: str, cert: Path, password: str) -> None:
    _clear_env(monkeypatch)
    monkeypatch.setenv("SPECCOMM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SPECCOMM_SMTP_PORT", str(port))
    monkeypatch.setenv("SPECCOMM_SMTP_SECURITY", security)
    monkeypatch.setenv("SPECCOMM_SMTP_USER", USER)
    monkeypatch.setenv("SPECCOMM_SMTP_PASSWORD", password)
    monkeypatch.setenv("SPECCOMM_SMTP_CA_FILE", str(cert))


def test_starttls_login_and_the_password_never_shows(
    certificate: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port(),
                            tls_context=_server_context(certificate), require_starttls=True,
                            authenticator=recorder.authenticate, auth_required=True, auth_require_tls=True)
    controller.start()
    caplog.set_level(logging.DEBUG)
    try:
        _tls_env(monkeypatch, controller.port, "starttls", certificate[0], PASSWORD)
        ok = _deliver([fake_report(tmp_path, "RJ1")], tmp_path)
        _tls_env(monkeypatch, controller.port, "starttls", certificate[0], PASSWORD + "-wrong")
        refused = _deliver([fake_report(tmp_path, "RJZ")], tmp_path)
    finally:
        controller.stop()
    assert len(ok.sent) == 1 and len(recorder.received) == 1 and recorder.logins[0][0] == USER
    assert len(refused.failed) == 1 and "535" in next(iter(refused.failed.values()))
    shown = "\n".join([caplog.text, *capsys.readouterr(), repr(ok), repr(refused),
                       repr(mail_settings()), str(mail_settings().smtp)])
    state = (tmp_path / "state" / "delivery.sqlite").read_bytes()
    for secret in (PASSWORD, PASSWORD + "-wrong"):
        assert secret not in shown and secret.encode() not in state
        assert secret not in str(refused.failed)


def test_implicit_ssl(
    certificate: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port(),
                            ssl_context=_server_context(certificate),
                            authenticator=recorder.authenticate, auth_require_tls=False)
    controller.start()
    try:
        _tls_env(monkeypatch, controller.port, "ssl", certificate[0], PASSWORD)
        outcome = _deliver([fake_report(tmp_path, "RJ7")], tmp_path)
    finally:
        controller.stop()
    assert len(outcome.sent) == 1 and len(recorder.received) == 1


def test_an_untrusted_certificate_is_refused(
    certificate: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port(),
                            ssl_context=_server_context(certificate))
    controller.start()
    try:
        _tls_env(monkeypatch, controller.port, "ssl", certificate[0], PASSWORD)
        monkeypatch.delenv("SPECCOMM_SMTP_CA_FILE")
        outcome = _deliver([fake_report(tmp_path, "RJ7")], tmp_path)
    finally:
        controller.stop()
    assert outcome.sent == [] and "CERTIFICATE_VERIFY_FAILED" in next(iter(outcome.failed.values()))
    assert recorder.received == []


def test_settings_from_the_environment() -> None:
    assert mail_settings({}).smtp is None
    settings = mail_settings({"SPECCOMM_SMTP_HOST": "mail.example.org", "SPECCOMM_SMTP_USER": "u",
                              "SPECCOMM_SMTP_PASSWORD": PASSWORD})
    assert settings.smtp is not None and settings.smtp.security == "starttls" and settings.smtp.port == 587
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings.smtp)
    assert settings.bi_team == "bi-team@example.org"
    assert mail_settings({"SPECCOMM_SMTP_HOST": "h", "SPECCOMM_SMTP_SECURITY": "ssl"}).smtp.port == 465
    for bad in ({"SPECCOMM_SMTP_SECURITY": "tls"}, {"SPECCOMM_SMTP_PASSWORD": "x"},
                {"SPECCOMM_SMTP_SECURITY": "none", "SPECCOMM_SMTP_USER": "u"}):
        with pytest.raises(SettingsError) as caught:
            mail_settings({"SPECCOMM_SMTP_HOST": "mail.example.org", **bad})
        assert PASSWORD not in str(caught.value)


# --- issue 18: sending that loses nothing ---------------------------------------------------------

NON_ASCII_PASSWORD = "pässwörd-£-7Qx"


class _NonAsciiRecorder(Recorder):
    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode("utf-8"), mechanism))
        login, password = auth_data.login.decode("utf-8"), auth_data.password.decode("utf-8")
        ok = login == USER and password == NON_ASCII_PASSWORD
        return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_non_ascii_password_logs_in_and_never_shows(
    mechanism: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = _NonAsciiRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port(),
                            authenticator=recorder.authenticate,
                            auth_required=True, auth_require_tls=False, auth_exclude_mechanism=(
                                {"LOGIN"} if mechanism == "PLAIN" else {"PLAIN"}))
    controller.start()
    caplog.set_level(logging.DEBUG)
    try:
        _clear_env(monkeypatch)
        monkeypatch.setenv("SPECCOMM_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SPECCOMM_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("SPECCOMM_SMTP_SECURITY", "none")
        monkeypatch.setenv("SPECCOMM_SMTP_USER", USER)
        monkeypatch.setenv("SPECCOMM_SMTP_PASSWORD", NON_ASCII_PASSWORD)
        ok = _deliver([fake_report(tmp_path, "RJ1")], tmp_path)
        monkeypatch.setenv("SPECCOMM_SMTP_PASSWORD", "wrong-" + NON_ASCII_PASSWORD)
        refused = _deliver([fake_report(tmp_path, "RJZ")], tmp_path)
    finally:
        controller.stop()
    assert len(ok.sent) == 1 and len(recorder.received) == 1 and recorder.logins[0] == (USER, mechanism)
    assert len(refused.failed) == 1 and "535" in next(iter(refused.failed.values()))
    shown = "\n".join([caplog.text, *capsys.readouterr(), repr(ok), repr(refused), *refused.lines()])
    state = (tmp_path / "state" / "delivery.sqlite").read_bytes()
    for secret in (NON_ASCII_PASSWORD, "pässwörd", "ä", "£-7Qx"):
        assert secret not in shown and secret.encode() not in state


def test_queued_reports_go_on_a_night_with_nothing_new(plain_smtp_env: Recorder, tmp_path: Path) -> None:
    from speccomm.delivery import retry_queued

    state = tmp_path / "state" / "delivery.sqlite"
    assert retry_queued(outbox=tmp_path / "outbox", state_path=state) is None  # no ledger yet
    plain_smtp_env.refuse_next = 1
    first = _deliver([fake_report(tmp_path, "RJ7")], tmp_path)
    assert len(first.failed) == 1 and plain_smtp_env.received == []
    retried = retry_queued(outbox=tmp_path / "outbox", state_path=state)
    assert retried is not None and len(retried.sent) == 1 and len(plain_smtp_env.received) == 1
    assert retry_queued(outbox=tmp_path / "outbox", state_path=state) is None  # nothing waits now


def test_a_send_cut_by_a_kill_is_listed_every_night_until_a_person_settles_it(
    plain_smtp_env: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from speccomm.delivery import resend

    report = fake_report(tmp_path, "RPY")
    key = f"provider:RPY:{report.content_fingerprint}"
    original = DeliveryLedger.mark_sent
    monkeypatch.setattr(DeliveryLedger, "mark_sent", lambda self, message_key: (_ for _ in ()).throw(
        SystemExit("killed")))
    with pytest.raises(SystemExit):
        _deliver([report], tmp_path)
    monkeypatch.setattr(DeliveryLedger, "mark_sent", original)
    state = tmp_path / "state" / "delivery.sqlite"
    for night in ("run-1", "run-2"):  # found on the first night, still listed on the second
        after = _deliver([], tmp_path, run_summary=RunSummaryMessage(night, dt.datetime(2026, 5, 2)))
        listed = [line for line in after.lines() if line.startswith("UNCONFIRMED")]
        assert len(listed) == 1 and key in listed[0] and "Message-ID <" in listed[0]
        assert "dq.rpy@example.org" in listed[0] and "speccomm resend" in listed[0]
    assert len([r for r in plain_smtp_env.received if r.message["X-Speccomm-Provider"]]) == 1
    assert "queued again" in resend(state, key)  # the person found it never arrived
    again = _deliver([], tmp_path)
    assert again.sent == [key] and not [line for line in again.lines() if line.startswith("UNCONFIRMED")]
    assert len([r for r in plain_smtp_env.received if r.message["X-Speccomm-Provider"]]) == 2
    assert _deliver([report], tmp_path).already_sent == ["RPY"]  # and never again after that
