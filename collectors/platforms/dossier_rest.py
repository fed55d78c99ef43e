"""A fake one-stop dossier REST API (the ``rest`` adapter's counterpart), with exact auth checks.

    with FakeDossierRest(auth="bearer", token="t0k3n-synthetic", paging="page") as server:
        server.put({"MaHoSo": "H-1", "MaDonVi": "SO-01", "TrangThaiHoSo": 4, "NgayCapNhat": "2026-03-20 08:00"})
        server.url  # → http://127.0.0.1:PORT ; GET /api/hoso?page=1&size=100&tuNgay=…

* **Auth** (``auth=``): ``"none"``; ``"bearer"`` (``Authorization: Bearer <token>``); ``"basic"``
  (``username``/``password``); ``"api_key"`` (header ``api_key_header`` = ``api_key``); ``"oauth2"``
  — ``POST /oauth/token`` with the client-credentials grant (form or JSON body) issues tokens that
  expire after ``token_lifetime_s`` on ``clock``; the fault ``"expired_token"`` revokes them all.
  Anything else is answered ``401`` as a real gateway would.
* **Paging** (``paging=``): ``"page"`` (``page``/``size``, first page 1), ``"offset"``
  (``offset``/``limit``), ``"cursor"`` (``cursor``/``limit`` → ``next_cursor`` in the body), ``"none"``.
* **Updated since**: ``updated_param`` (default ``tuNgay``) read in ``updated_format`` (``iso``,
  ``epoch_ms``, ``epoch_s`` or a pattern such as ``dd/MM/yyyy HH:mm:ss``); rows with
  ``NgayCapNhat`` ≥ it are served. Rows are served in ``order``: ``"id"`` (by MaHoSo — NOT by update
  time, like many real APIs), ``"updated"`` or ``"reverse"``.
* **Body**: the list sits at ``items_path`` (``"data"``, ``"result.items"`` …) next to ``total``;
  datetime values are rendered in ``date_format`` (``iso``, ``yyyyMMddHHmmss``, ``dd/MM/yyyy HH:mm:ss``,
  ``dotnet`` = ``/Date(ms)/``, ``epoch_ms``).
* **Demo hook**: ``provider(updated_since: datetime | None) -> list[dict]`` replaces the in-memory
  rows: each request asks it for the dossiers updated since the (parsed) parameter, so ``ioc demo``
  can serve the simulator's one-stop database. Rows may hold datetimes; they are rendered as above.
* **Faults**: everything of :class:`collectors.platforms.base.FakeServer` (429, 500, slow, malformed, truncated,
  expired_token).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from collectors.platforms.base import FakeServer, Request, Response, json_response

VN = ZoneInfo("Asia/Ho_Chi_Minh")
_TOKENS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_TOKEN_RE = re.compile(r"yyyy|MM|dd|HH|mm|ss")


def pattern_to_strftime(pattern: str) -> str:
    return _TOKEN_RE.sub(lambda m: _TOKENS[m.group(0)], pattern)


def render_time(value: datetime | date, fmt: str) -> Any:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=VN)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN)
    if fmt == "iso":
        return value.astimezone(VN).isoformat(timespec="seconds")
    if fmt == "epoch_ms":
        return int(value.timestamp() * 1000)
    if fmt == "dotnet":
        return f"/Date({int(value.timestamp() * 1000)})/"
    return value.astimezone(VN).strftime(pattern_to_strftime(fmt))


def parse_since(text: str, fmt: str) -> datetime:
    """The "updated since" parameter as the server reads it (ValueError when unreadable)."""
    if fmt == "epoch_ms":
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    if fmt == "epoch_s":
        return datetime.fromtimestamp(int(text), UTC)
    if fmt in ("iso", "iso_utc"):
        parsed = datetime.fromisoformat(text)  # 3.11 reads a trailing Z
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=VN)
    return datetime.strptime(text, pattern_to_strftime(fmt)).replace(tzinfo=VN)


def row_updated(row: dict[str, Any]) -> datetime | None:
    """``NgayCapNhat`` of a stored row, whatever form it was given in."""
    value = row.get("NgayCapNhat")
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=VN)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, UTC)
    text = str(value)
    if match := re.match(r"^/Date\((\d+)", text):
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    from collectors.parse import parse_datetime

    return parse_datetime(text, VN)


class AuthChecker:
    """Checks credentials exactly as a gateway would; shared with the OpenCPS fake."""

    def __init__(
        self,
        kind: str = "bearer",
        *,
        token: str = "",
        username: str = "",
        password: str = "",
        api_key: str = "",
        api_key_header: str = "X-API-Key",
        client_id: str = "",
        client_secret: str = "",
        token_lifetime_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if kind not in ("none", "bearer", "basic", "api_key", "oauth2"):
            raise ValueError(f"unknown auth kind {kind!r}")
        self.kind = kind
        self.token, self.username, self.password = token, username, password
        self.api_key, self.api_key_header = api_key, api_key_header
        self.client_id, self.client_secret = client_id, client_secret
        self.token_lifetime_s = token_lifetime_s
        self.clock = clock
        self.issued: dict[str, float] = {}  # access token → expiry on ``clock``
        self.token_requests = 0
        self._lock = threading.Lock()

    def issue(self, request: Request) -> Response:
        """``POST /oauth/token`` — client credentials in a form or JSON body, or HTTP Basic."""
        self.token_requests += 1
        if (request.header("Content-Type") or "").startswith("application/json"):
            try:
                data = request.json() or {}
            except ValueError:
                data = {}
        else:
            data = request.form()
        client_id, client_secret = data.get("client_id"), data.get("client_secret")
        basic = self._basic(request)
        if basic is not None:
            client_id, client_secret = basic
        if data.get("grant_type") != "client_credentials":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if client_id != self.client_id or client_secret != self.client_secret:
            return json_response({"error": "invalid_client"}, 401)
        token = secrets.token_hex(16)
        with self._lock:
            self.issued[token] = self.clock() + self.token_lifetime_s
        return json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": int(self.token_lifetime_s)}
        )

    def expire(self) -> None:
        with self._lock:
            self.issued.clear()

    @staticmethod
    def _basic(request: Request) -> tuple[str, str] | None:
        header = request.header("Authorization") or ""
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password

    def check(self, request: Request) -> Response | None:
        """None when the request carries valid credentials, else the 401 to send."""
        header = request.header("Authorization") or ""
        ok = True
        if self.kind == "bearer":
            ok = bool(self.token) and header == f"Bearer {self.token}"
        elif self.kind == "basic":
            ok = self._basic(request) == (self.username, self.password)
        elif self.kind == "api_key":
            ok = bool(self.api_key) and request.header(self.api_key_header) == self.api_key
        elif self.kind == "oauth2":
            token = header[7:] if header.startswith("Bearer ") else request.arg("access_token")
            with self._lock:
                expiry = self.issued.get(token or "")
            ok = expiry is not None and self.clock() < expiry
        if ok:
            return None
        return Response(
            401,
            {"error": "unauthorized", "message": "invalid or expired credentials"},
            {"WWW-Authenticate": 'Bearer realm="api"' if self.kind != "basic" else 'Basic realm="api"'},
        )


def envelope(items_path: str, items: list, **extra: Any) -> dict[str, Any]:
    """``{"result": {"items": [...]}, **extra}`` for items_path "result.items"."""
    parts = items_path.split(".") if items_path else []
    if not parts:
        raise ValueError("the fake needs an items_path")
    body: dict[str, Any] = {}
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = items
    body.update(extra)
    return body


class FakeDossierRest(FakeServer):
    def __init__(
        self,
        *,
        auth: str = "bearer",
        token: str = "",
        username: str = "",
        password: str = "",
        api_key: str = "",
        api_key_header: str = "X-API-Key",
        client_id: str = "",
        client_secret: str = "",
        token_lifetime_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        path: str = "/api/hoso",
        token_path: str = "/oauth/token",
        items_path: str = "data",
        paging: str = "page",
        updated_param: str = "tuNgay",
        updated_format: str = "iso",
        date_format: str = "iso",
        order: str = "id",
        provider: Callable[[datetime | None], list[dict[str, Any]]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        if paging not in ("page", "offset", "cursor", "none"):
            raise ValueError(f"unknown paging {paging!r}")
        self.auth = AuthChecker(
            auth,
            token=token,
            username=username,
            password=password,
            api_key=api_key,
            api_key_header=api_key_header,
            client_id=client_id,
            client_secret=client_secret,
            token_lifetime_s=token_lifetime_s,
            clock=clock,
        )
        self.path, self.token_path, self.items_path = path, token_path, items_path
        self.paging, self.order = paging, order
        self.updated_param, self.updated_format, self.date_format = updated_param, updated_format, date_format
        self.provider = provider
        self._memo: tuple[Any, datetime | None, list[dict[str, Any]]] | None = None
        self.rows: dict[str, dict[str, Any]] = {}
        self.since_seen: list[datetime | None] = []  # the parsed "updated since" of every list request

    # ---- data
    def put(self, *rows: dict[str, Any]) -> None:
        with self._lock:
            for row in rows:
                self.rows[str(row["MaHoSo"])] = dict(row)

    def delete(self, ma_ho_so: str) -> None:
        with self._lock:
            self.rows.pop(ma_ho_so, None)

    # ---- serving
    def expire_tokens(self) -> None:
        self.auth.expire()

    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == self.token_path and self.auth.kind == "oauth2":
            return self.auth.issue(request)
        if request.path != self.path or request.method != "GET":
            return json_response({"error": "not found"}, 404)
        if (denied := self.auth.check(request)) is not None:
            return denied
        since = None
        raw = request.arg(self.updated_param) if self.updated_param else None
        if raw:
            try:
                since = parse_since(raw, self.updated_format)
            except ValueError:
                return json_response({"error": f"bad {self.updated_param}: {raw!r}"}, 400)
        self.since_seen.append(since)
        rows = self._select(since)
        return self._page(request, rows)

    def _select(self, since: datetime | None) -> list[dict[str, Any]]:
        if self.provider is not None:
            provided = self.provider(since)
            # The pages of one run ask for the same list: sort and render it once, like a server
            # paging a query result (the demo serves ~100.000 dossiers this way).
            memo = self._memo
            if memo is not None and memo[0] is provided and memo[1] == since:
                return memo[2]
            rows = self._order([dict(r) for r in provided], since)
            self._memo = (provided, since, rows)
            return rows
        with self._lock:
            rows = [dict(r) for r in self.rows.values()]
        return self._order(rows, since)

    def _order(self, rows: list[dict[str, Any]], since: datetime | None) -> list[dict[str, Any]]:
        if since is not None:
            rows = [r for r in rows if (u := row_updated(r)) is None or u >= since]
        if self.order == "updated":
            rows.sort(
                key=lambda r: (row_updated(r) or datetime.min.replace(tzinfo=UTC), str(r.get("MaHoSo")))
            )
        elif self.order == "reverse":
            rows.sort(
                key=lambda r: (row_updated(r) or datetime.min.replace(tzinfo=UTC), str(r.get("MaHoSo"))),
                reverse=True,
            )
        else:
            rows.sort(key=lambda r: str(r.get("MaHoSo")))
        return [self._render(r) for r in rows]

    def _render(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            k: render_time(v, self.date_format) if isinstance(v, (datetime, date)) else v
            for k, v in row.items()
        }

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        total = len(rows)
        if self.paging == "none":
            return json_response(envelope(self.items_path, rows, total=total))
        try:
            if self.paging == "page":
                page, size = int(request.arg("page", "1")), int(request.arg("size", "100"))
                start = (page - 1) * size
                return json_response(
                    envelope(self.items_path, rows[start : start + size], total=total, page=page)
                )
            limit = int(request.arg("limit", "100"))
            if self.paging == "offset":
                offset = int(request.arg("offset", "0"))
                return json_response(envelope(self.items_path, rows[offset : offset + limit], total=total))
            cursor = request.arg("cursor")
            offset = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        except (ValueError, binascii.Error):
            return json_response({"error": "bad paging parameters"}, 400)
        chunk = rows[offset : offset + limit]
        following = offset + len(chunk)
        next_cursor = (
            base64.urlsafe_b64encode(str(following).encode()).decode() if following < total else None
        )
        return json_response(envelope(self.items_path, chunk, total=total, next_cursor=next_cursor))
