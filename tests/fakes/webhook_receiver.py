"""A local HTTP receiver for the generic webhook: verifies the HMAC signature as a real receiver
would (over the raw body, constant-time) and answers 401 when it does not match."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dashboard.notify import SIGNATURE_HEADER, verify_signature


class WebhookReceiver:
    def __init__(self, secret: str):
        self.secret = secret
        self.received: list[dict] = []  # verified deliveries: {"body", "json", "headers"}
        self.rejected = 0
        self.fail_next = 0  # answer 503 to the next N requests
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.fail_next:
                    receiver.fail_next -= 1
                    self.send_response(503)
                elif not verify_signature(receiver.secret, raw, self.headers.get(SIGNATURE_HEADER)):
                    receiver.rejected += 1
                    self.send_response(401)
                else:
                    receiver.received.append(
                        {"body": raw, "json": json.loads(raw), "headers": dict(self.headers.items())}
                    )
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
