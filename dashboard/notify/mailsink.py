"""A local mail sink for the demo and the tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that
keeps every message it receives and, given a folder, writes each one there as an ``.eml`` file.

    with MailSink(folder=Path("data/demo/mail")) as sink:
        ...  # IOC_SMTP_HOST=127.0.0.1 IOC_SMTP_PORT=sink.port
        sink.messages[0]["Subject"]
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: MailSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink._received(
            envelope.content, list(envelope.rcpt_tos), getattr(session, "authenticated", False)
        )
        return "250 OK"


class MailSink:
    """An SMTP server on 127.0.0.1; ``credentials`` (user, password) turns on AUTH PLAIN/LOGIN."""

    def __init__(
        self,
        folder: Path | None = None,
        port: int | None = None,
        credentials: tuple[str, str] | None = None,
        tls_context=None,
    ):
        self.folder = folder
        self.port = port or free_port()
        self.credentials = credentials
        self.tls_context = tls_context
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.authenticated: list[bool] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def _auth(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = (
            auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        )
        ok = self.credentials is not None and (user, password) == self.credentials
        return AuthResult(success=ok, handled=False)

    def _received(self, content: bytes, rcpt: list[str], authenticated: bool) -> None:
        msg = message_from_bytes(content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)
            self.recipients.append(rcpt)
            self.authenticated.append(bool(authenticated))
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                name = f"{time.strftime('%Y%m%d-%H%M%S')}-{len(self.messages):04d}.eml"
                (self.folder / name).write_bytes(content)

    def start(self) -> MailSink:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP line at INFO
        kwargs = {}
        if self.credentials is not None:
            kwargs.update(authenticator=self._auth, auth_require_tls=self.tls_context is not None)
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
