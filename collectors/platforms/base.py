"""A local HTTP server that behaves like a real platform server, with injectable faults.

Each fake (BigBlueButton, TrueConf, Jitsi, dossier REST, OpenCPS) subclasses :class:`FakeServer`
and implements :meth:`FakeServer.route`. It checks authentication exactly as the real server
would and serves paged data. Faults are queued with :meth:`FakeServer.inject` and consumed by the
next matching requests:

* ``"429"`` — ``429 Too Many Requests`` with ``Retry-After`` (seconds);
* ``"500"`` — ``500 Internal Server Error`` (then the normal answer once the fault is used up);
* ``"slow"`` — waits ``delay`` seconds before answering (past the client's timeout);
* ``"malformed"`` — a 200 whose body is not valid JSON/XML;
* ``"truncated"`` — announces a Content-Length, sends half the body and closes the connection;
* ``"expired_token"`` — the server forgets its issued tokens (the next call gets a 401);
* any other kind is handed to the subclass (e.g. Jitsi's ``"reset"`` of its counters).

The servers bind 127.0.0.1 only, log every request they receive in :attr:`FakeServer.requests`,
and run in a daemon thread: ``with FakeBbb(secret=...) as server: server.url``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def json_response(data: Any, status: int = 200, **headers: str) -> Response:
    return Response(status, data, dict(headers))


def xml_response(text: str, status: int = 200) -> Response:
    return Response(status, text, {}, "text/xml; charset=utf-8")


@dataclass
class Fault:
    kind: str
    times: int = 1
    path: str | None = None  # only requests whose path contains this
    retry_after: float | None = 1
    delay: float = 5.0


class FakeServer:
    #: Body sent for a "malformed" fault (subclasses answering XML override it).
    malformed_body: bytes = b'{"data": [ {"broken": '

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.answered: list[tuple[str, int]] = []  # (path, status) of every answer, faults included
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    raw_query=split.query,
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                )
                server._dispatch(self, request)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format, *args):  # keep test output quiet
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ---- lifecycle
    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, name=type(self).__name__, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever(): only if it runs
            self._httpd.shutdown()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- faults
    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        retry_after: float | None = 1,
        delay: float = 5.0,
    ) -> None:
        with self._lock:
            self._faults.append(Fault(kind, times, path, retry_after, delay))

    def pending_faults(self) -> int:
        with self._lock:
            return sum(f.times for f in self._faults)

    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or fault.path in request.path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ---- dispatch
    def _dispatch(self, handler: BaseHTTPRequestHandler, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
        fault = self._take_fault(request)
        truncated = False
        if fault is not None:
            if fault.kind == "429":
                headers = (
                    {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
                )
                response = Response(429, {"error": "Too Many Requests"}, headers)
            elif fault.kind == "500":
                response = Response(500, {"error": "Internal Server Error"})
            elif fault.kind == "slow":
                time.sleep(fault.delay)
                response = self._safe_route(request)
            elif fault.kind == "malformed":
                response = Response(200, self.malformed_body)
            elif fault.kind == "truncated":
                response = self._safe_route(request)
                truncated = True
            elif fault.kind == "expired_token":
                self.expire_tokens()
                response = self._safe_route(request)
            else:
                self.apply_fault(fault.kind)
                response = self._safe_route(request)
        else:
            response = self._safe_route(request)
        self._write(handler, request, response, truncated)

    def _safe_route(self, request: Request) -> Response:
        try:
            return self.route(request)
        except Exception as exc:
            return Response(500, {"error": f"fake server error: {type(exc).__name__}: {exc}"})

    def _write(self, handler, request: Request, response: Response, truncated: bool) -> None:
        payload = response.payload()
        with self._lock:
            self.answered.append((request.path, response.status))
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            for key, value in response.headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(payload)))
            if truncated:
                handler.send_header("Connection", "close")
            handler.end_headers()
            if truncated:
                handler.wfile.write(payload[: max(1, len(payload) // 2)])
                handler.wfile.flush()
                handler.close_connection = True
                return
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            handler.close_connection = True

    # ---- for subclasses
    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def expire_tokens(self) -> None:
        """Forget issued access tokens (servers with tokens override)."""

    def apply_fault(self, kind: str) -> None:
        raise ValueError(f"{type(self).__name__} has no fault {kind!r}")
