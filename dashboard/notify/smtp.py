"""E-mail over SMTP with the standard library: plain, STARTTLS or SSL, optional authentication,
UTF-8 subject and body (Vietnamese), attachments."""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dashboard.config import Settings


def build_message(
    settings: Settings,
    to: list[str],
    subject: str,
    text: str,
    attachments: list[tuple[str, bytes, str]] = (),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2].strip("> ") or "localhost")
    msg.set_content(text, charset="utf-8")
    for name, data, mime in attachments:
        maintype, _, subtype = (mime or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return msg


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.smtp_ca_file is not None:
        context.load_verify_locations(cafile=str(settings.smtp_ca_file))
    return context


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN in UTF-8 (RFC 4616) when offered — smtplib's own login encodes as ASCII, so a
    password with Vietnamese letters would fail — otherwise smtplib's login (LOGIN, CRAM-MD5)."""
    mechanisms = (client.esmtp_features.get("auth") or "").upper().split()
    if "PLAIN" not in mechanisms:
        client.login(user, password)
        return
    token = base64.b64encode(b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")).decode("ascii")
    code, answer = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def send(settings: Settings, msg: EmailMessage, timeout: float = 20.0) -> None:
    """Send ``msg``; raise on any refusal (the outbox records the error and retries)."""
    if not settings.smtp_host:
        raise RuntimeError("no mail server configured (IOC_SMTP_HOST)")
    host, port = settings.smtp_host, settings.smtp_port_effective
    if settings.smtp_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context(settings))
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        client.ehlo()
        if settings.smtp_starttls:
            client.starttls(context=_tls_context(settings))
            client.ehlo()
        if settings.smtp_user:
            _login(client, settings.smtp_user, settings.smtp_password or "")
        refused = client.send_message(msg)
        if refused:
            raise RuntimeError(f"the mail server refused {', '.join(sorted(refused))}")
