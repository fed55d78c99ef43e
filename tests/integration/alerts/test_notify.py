"""Notifications through a real local SMTP server (aiosmtpd) and a real local HTTP receiver:
no mock of smtplib or httpx. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboard.db import make_sessionmaker
from dashboard.models import NotificationOutbox
from dashboard.notify import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    backoff,
    deliver_due,
    outbox_health,
    send_email,
    send_webhook,
    sign_body,
)
from dashboard.notify.mailsink import MailSink, free_port
from dashboard.timeutil import utcnow
from tests.fakes.webhook_receiver import WebhookReceiver

SECRET = "webhook-secret-0123456789"


def _rows(engine) -> list[NotificationOutbox]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(NotificationOutbox).order_by(NotificationOutbox.id)))


def test_email_in_vietnamese_with_attachment_reaches_the_server(engine, make_settings, tmp_path):
    with MailSink(folder=tmp_path / "mail", credentials=("ioc", "mật-khẩu")) as sink:
        settings = make_settings(
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_user="ioc",
            smtp_password="mật-khẩu",
            smtp_from="IOC <ioc@example.gov.vn>",
        )
        send_email(
            engine,
            ["lanh.dao@example.gov.vn"],
            "Cảnh báo: Tỷ lệ hồ sơ đúng hạn giảm — Sở Tư pháp",
            "Chỉ tiêu DVC-06 của Sở Tư pháp là 71,5 %.\nXem: http://127.0.0.1:8050/unit/SO-01",
            [("bao-cao.pdf", b"%PDF-1.4 test", "application/pdf")],
        )
        counts = deliver_due(engine, settings)
    assert counts == {"delivered": 1, "retry": 0, "failed": 0}
    msg = sink.messages[0]
    assert sink.authenticated == [True]
    assert msg["Subject"] == "Cảnh báo: Tỷ lệ hồ sơ đúng hạn giảm — Sở Tư pháp"
    assert "71,5 %" in msg.get_body(("plain",)).get_content()
    assert "http://127.0.0.1:8050/unit/SO-01" in msg.get_body(("plain",)).get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "bao-cao.pdf" and attachment.get_content() == b"%PDF-1.4 test"
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1
    [row] = _rows(engine)
    assert row.status == "delivered" and row.attempts == 1 and row.delivered_at is not None


def test_wrong_password_is_recorded_without_the_password(engine, make_settings):
    with MailSink(credentials=("ioc", "right-password")) as sink:
        settings = make_settings(
            smtp_host="127.0.0.1", smtp_port=sink.port, smtp_user="ioc", smtp_password="wrong-password-xyz"
        )
        send_email(engine, ["a@example.gov.vn"], "Thử", "Nội dung")
        assert deliver_due(engine, settings)["retry"] == 1
    [row] = _rows(engine)
    assert row.status == "queued" and row.attempts == 1 and "535" in row.last_error
    assert "wrong-password-xyz" not in row.last_error
    assert sink.messages == []


def test_delivery_is_retried_with_backoff_after_the_server_was_down(engine, make_settings, tmp_path):
    port = free_port()
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=port)
    send_email(engine, ["a@example.gov.vn"], "Cảnh báo", "Máy chủ thư đang tắt")
    t0 = utcnow()
    assert deliver_due(engine, settings, now=t0) == {"delivered": 0, "retry": 1, "failed": 0}
    [row] = _rows(engine)
    assert row.attempts == 1 and "refused" in row.last_error.lower()
    assert row.next_attempt_at == t0 + backoff(1)
    with make_sessionmaker(engine)() as session:
        health = outbox_health(session)
    assert health.retrying == 1 and not health.ok
    # Still down at the second attempt: the wait doubles.
    t1 = row.next_attempt_at
    assert deliver_due(engine, settings, now=t0 + timedelta(seconds=1))["retry"] == 0  # not due yet
    deliver_due(engine, settings, now=t1)
    [row] = _rows(engine)
    assert row.attempts == 2 and row.next_attempt_at == t1 + backoff(2) == t1 + 2 * backoff(1)
    with MailSink(port=port) as sink:
        assert deliver_due(engine, settings, now=row.next_attempt_at)["delivered"] == 1
    assert [m["Subject"] for m in sink.messages] == ["Cảnh báo"]
    [row] = _rows(engine)
    assert row.status == "delivered" and row.attempts == 3 and row.last_error is None
    with make_sessionmaker(engine)() as session:
        assert outbox_health(session).ok


def test_gives_up_after_max_attempts_and_shows_it(engine, make_settings):
    settings = make_settings(smtp_host="127.0.0.1", smtp_port=free_port())
    send_email(engine, ["a@example.gov.vn"], "x", "y")
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        deliver_due(engine, settings, now=now)
        now += timedelta(days=1)
    [row] = _rows(engine)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert deliver_due(engine, settings, now=now + timedelta(days=30)) == {
        "delivered": 0,
        "retry": 0,
        "failed": 0,
    }
    with make_sessionmaker(engine)() as session:
        health = outbox_health(session)
    assert health.failed == 1 and health.last_error


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_starttls_with_authentication_and_an_internal_ca(engine, make_settings, tmp_path):
    cert_file, key_file = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    with MailSink(credentials=("ioc", "s3cret-pass"), tls_context=server_tls) as sink:
        base = dict(smtp_host="127.0.0.1", smtp_port=sink.port, smtp_user="ioc", smtp_password="s3cret-pass")
        # Without the agency's CA the certificate is refused: nothing is sent in clear instead.
        send_email(engine, ["a@example.gov.vn"], "TLS", "một")
        assert deliver_due(engine, make_settings(**base, smtp_starttls=True))["retry"] == 1
        assert "CERTIFICATE_VERIFY_FAILED" in _rows(engine)[0].last_error
        settings = make_settings(**base, smtp_starttls=True, smtp_ca_file=cert_file)
        assert deliver_due(engine, settings, now=utcnow() + timedelta(minutes=5))["delivered"] == 1
    assert sink.authenticated == [True] and sink.messages[0]["Subject"] == "TLS"


def test_webhook_is_signed_and_verified_by_the_receiver(engine, make_settings):
    with WebhookReceiver(SECRET) as receiver:
        settings = make_settings(webhook_url=receiver.url, webhook_secret=SECRET)
        send_webhook(engine, {"kind": "alert", "unit": "SO-01", "text": "Sở Tư pháp: đỏ"})
        receiver.fail_next = 1
        assert deliver_due(engine, settings)["retry"] == 1  # a 503 is retried
        assert deliver_due(engine, settings, now=utcnow() + timedelta(minutes=1))["delivered"] == 1
    [hit] = receiver.received
    assert hit["json"] == {"kind": "alert", "unit": "SO-01", "text": "Sở Tư pháp: đỏ"}
    assert hit["headers"][SIGNATURE_HEADER] == sign_body(SECRET, hit["body"])
    [row] = _rows(engine)
    assert hit["headers"]["X-IOC-Delivery"] == str(row.id)
    assert receiver.rejected == 0


def test_a_receiver_with_another_secret_rejects_the_delivery(engine, make_settings):
    with WebhookReceiver("another-secret-abcdefgh") as receiver:
        settings = make_settings(webhook_url=receiver.url, webhook_secret=SECRET)
        send_webhook(engine, {"kind": "alert"})
        assert deliver_due(engine, settings)["retry"] == 1
    assert receiver.rejected == 1 and receiver.received == []
    assert "401" in _rows(engine)[0].last_error


def test_send_email_joins_the_callers_transaction(engine):
    with make_sessionmaker(engine)() as session:
        send_email(session, ["a@example.gov.vn"], "x", "y")
        session.rollback()
    assert _rows(engine) == []
    with pytest.raises(ValueError):
        send_email(engine, ["not-an-address"], "x", "y")


def test_the_mailer_the_briefing_uses_goes_through_the_outbox(engine, make_settings):
    from dashboard.notify import mailer

    send = mailer(engine)
    send(
        "lanh-dao@mo-phong.invalid",
        "Báo cáo giao ban 08/12/2026",
        "Kính gửi…",
        [("bao-cao.pdf", b"%PDF-1.7", "application/pdf")],
    )
    with MailSink() as sink:
        assert (
            deliver_due(engine, make_settings(smtp_host="127.0.0.1", smtp_port=sink.port))["delivered"] == 1
        )
    msg = sink.messages[0]
    assert msg["To"] == "lanh-dao@mo-phong.invalid" and msg["Subject"] == "Báo cáo giao ban 08/12/2026"
    assert [a.get_filename() for a in msg.iter_attachments()] == ["bao-cao.pdf"]
