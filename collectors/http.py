"""The one HTTP client layer of the platform adapters (BigBlueButton, TrueConf, Jitsi, dossier
REST, OpenCPS): timeouts, error classification, authentication, paging and redaction.

Errors follow the collector framework (sources.md §1):

* connection refused, timeouts, a body cut short, 429 (``Retry-After`` honoured), 5xx and a
  malformed body → :class:`TransientSourceError`. The client does not sleep itself: the runner
  retries with backoff and jitter within half the source's interval, resuming from the last
  committed watermark, and records every retry in ``collector_run``;
* 401/403 → the auth strategy may renew its credentials once (OAuth2 token expired); if the
  server still refuses, :class:`FatalSourceError` ("authentication failed … check secrets.X");
* other 4xx → :class:`FatalSourceError` naming the path (a configuration error).

Secrets never appear in messages or logs: every message goes through :meth:`HttpClient.redact`,
which masks the secret values the client knows and the values of query parameters such as
``checksum``, ``access_token`` or ``password``; httpx's own request log lines are redacted too.

Usage::

    client = HttpClient(config, base_url="https://bbb.example.vn/bigbluebutton/api/",
                        auth=BbbChecksum(config.secret("secret")))
    doc = client.get_xml("getMeetings")
    for items in PagePaginator(size=100).pages(lambda p: client.get_json("dossiers", params=p), items_of):
        ...
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from collectors.base import ErrorKind, FatalSourceError, SourceConfig, TransientSourceError, kind_of
from dashboard.redact import RedactingFilter, redact, remember_secret

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 15.0
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # a page larger than this is refused, not loaded


#: Kept for the adapters' callers: the one redaction lives in :mod:`dashboard.redact`.
redact_text = redact

# httpx logs every request URL at INFO ("HTTP Request: GET …?checksum=…"): mask secrets there
# even when no CLI or web process installed the process-wide redaction.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(RedactingFilter())


# --- authentication ----------------------------------------------------------------------------------
class Auth:
    """Adds credentials to a request. ``renew`` is called once after a 401/403."""

    secrets: tuple[str, ...] = ()

    def apply(self, client: HttpClient, request: httpx.Request) -> httpx.Request:
        return request

    def renew(self, client: HttpClient) -> bool:
        """Get fresh credentials; True when a retry is worth it."""
        return False

    def describe(self) -> str:
        return "the configured credentials"


class NoAuth(Auth):
    pass


@dataclass
class BearerToken(Auth):
    token: str

    def __post_init__(self):
        self.secrets = (self.token,)

    def apply(self, client, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def describe(self):
        return "the bearer token (secrets.token)"


@dataclass
class BasicAuth(Auth):
    username: str
    password: str

    def __post_init__(self):
        self.secrets = (self.password,)
        self._header = httpx.BasicAuth(self.username, self.password)._auth_header

    def apply(self, client, request):
        request.headers["Authorization"] = self._header
        return request

    def describe(self):
        return f"user {self.username!r} and its password (secrets.password)"


@dataclass
class ApiKey(Auth):
    key: str
    header: str = "X-API-Key"
    #: Send as a query parameter instead of a header (some gateways want ``?api_key=``).
    query_param: str | None = None

    def __post_init__(self):
        self.secrets = (self.key,)

    def apply(self, client, request):
        if self.query_param:
            request.url = request.url.copy_merge_params({self.query_param: self.key})
        else:
            request.headers[self.header] = self.key
        return request

    def describe(self):
        return f"the API key (secrets.api_key, sent as {self.query_param or self.header})"


@dataclass
class OAuth2ClientCredentials(Auth):
    """OAuth2 client-credentials grant; the token is renewed before expiry and after a 401.

    ``body`` is ``"form"`` (RFC 6749) or ``"json"`` (TrueConf); ``placement`` is ``"header"``
    (``Authorization: Bearer``) or ``"query"`` (``?access_token=``, TrueConf).
    """

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    body: str = "form"
    placement: str = "header"
    #: Renew this many seconds before the announced expiry.
    leeway_s: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, init=False, repr=False)
    _expires: float = field(default=0.0, init=False, repr=False)
    fetches: int = field(default=0, init=False)

    def __post_init__(self):
        self.secrets = (self.client_secret,)

    def _fetch(self, client: HttpClient) -> None:
        payload = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if self.scope:
            payload["scope"] = self.scope
        kwargs = {"json": payload} if self.body == "json" else {"data": payload}
        response = client.send_raw("POST", self.token_url, **kwargs)
        if response.status_code in (400, 401, 403):
            raise FatalSourceError(
                f"{client.name}: authentication failed at {client.safe_url(self.token_url)} "
                f"(HTTP {response.status_code}); check client_id and secrets.client_secret",
                kind=ErrorKind.AUTH,
                detail="client_id, secrets.client_secret",
            )
        client.raise_for_status(response, "token")
        data = client.parse_json(response, "token")
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientSourceError(
                f"{client.name}: the token endpoint answered without an access_token",
                kind=ErrorKind.BAD_RESPONSE,
            )
        remember_secret(token)
        self._token = token
        try:
            lifetime = float(data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._expires = self.clock() + max(0.0, lifetime - self.leeway_s)
        self.fetches += 1

    @property
    def token(self) -> str | None:
        return self._token

    def apply(self, client, request):
        if self._token is None or self.clock() >= self._expires:
            self._fetch(client)
        assert self._token is not None
        self.secrets = (self.client_secret, self._token)
        if self.placement == "query":
            request.url = request.url.copy_merge_params({"access_token": self._token})
        else:
            request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def renew(self, client):
        self._token = None
        return True

    def describe(self):
        return "the OAuth2 client (client_id, secrets.client_secret)"


def bbb_checksum(call: str, query: str, secret: str, algorithm: str = "sha1") -> str:
    """``hex(hash(call + query + secret))`` — BigBlueButton's API checksum (sources.md §4.1)."""
    if algorithm not in ("sha1", "sha256", "sha384", "sha512"):
        raise ValueError(f"unsupported checksum algorithm {algorithm!r}")
    return hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()


@dataclass
class BbbChecksum(Auth):
    """Signs ``…/api/CALL?QUERY`` by appending ``checksum=`` (sha1 by default; sha256/384/512 on ≥ 2.5)."""

    secret: str
    algorithm: str = "sha1"

    def __post_init__(self):
        self.secrets = (self.secret,)

    def apply(self, client, request):
        call = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        query = request.url.query.decode() if isinstance(request.url.query, bytes) else str(request.url.query)
        checksum = bbb_checksum(call, query, self.secret, self.algorithm)
        sep = "&" if query else ""
        request.url = request.url.copy_with(query=f"{query}{sep}checksum={checksum}".encode())
        return request

    def describe(self):
        return "the shared secret (secrets.secret)"


# --- the client --------------------------------------------------------------------------------------
class HttpClient:
    def __init__(
        self,
        config: SourceConfig | None,
        *,
        base_url: str,
        auth: Auth | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        verify: bool | str = True,
        headers: dict[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        transport: httpx.BaseTransport | None = None,
    ):
        self.name = f"source {config.name!r}" if config else "source"
        self.base_url = base_url
        self.auth = auth or NoAuth()
        self.max_bytes = max_bytes
        for secret in self.auth.secrets:
            remember_secret(secret)
        self._http = httpx.Client(
            base_url=base_url,
            timeout=httpx.Timeout(timeout_s),
            verify=verify,
            headers={"User-Agent": "ioc-dashboard-collector", **(headers or {})},
            transport=transport,
            follow_redirects=False,
        )
        self.requests = 0

    # ---- redaction
    def redact(self, text: str) -> str:
        return redact_text(text, tuple(self.auth.secrets))

    def safe_url(self, url: str | httpx.URL) -> str:
        return self.redact(str(url))

    # ---- sending
    def send_raw(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One request without auth, errors classified (used by the token fetch)."""
        request = self._http.build_request(method, url, **kwargs)
        return self._send(request)

    def _send(self, request: httpx.Request) -> httpx.Response:
        where = self.safe_url(request.url)
        self.requests += 1
        try:
            response = self._http.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_bytes:
                        raise FatalSourceError(
                            f"{self.name}: the answer of {where} exceeds {self.max_bytes // (1024 * 1024)} MiB; lower the page size",
                            kind=ErrorKind.CONFIG,
                            detail="options.page_size",
                        )
                response._content = bytes(body)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise TransientSourceError(
                f"{self.name}: timeout after {self._http.timeout.read} s at {where}",
                kind=ErrorKind.TIMEOUT,
            ) from None
        except httpx.ConnectError as exc:
            raise TransientSourceError(
                f"{self.name}: cannot connect to {where} ({self.redact(str(exc)) or 'refused'})",
                kind=ErrorKind.TLS if kind_of(exc) is ErrorKind.TLS else ErrorKind.UNREACHABLE,
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise TransientSourceError(
                f"{self.name}: the connection to {where} broke ({self.redact(str(exc))})",
                kind=ErrorKind.BAD_RESPONSE,
            ) from None
        except httpx.UnsupportedProtocol:
            raise FatalSourceError(
                f"{self.name}: not an http(s) URL: {where}", kind=ErrorKind.CONFIG, detail="options.url"
            ) from None
        return response

    def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, **kwargs
    ) -> httpx.Response:
        """Send with auth; renew credentials once on 401/403; classify every other failure."""
        for attempt in (1, 2):
            request = self._http.build_request(method, path, params=_clean(params), **kwargs)
            request = self.auth.apply(self, request)
            response = self._send(request)
            if response.status_code in (401, 403):
                if attempt == 1 and self.auth.renew(self):
                    log.info("%s: HTTP %d, renewing credentials", self.name, response.status_code)
                    continue
                raise FatalSourceError(
                    f"{self.name}: authentication failed at {self.safe_url(request.url.copy_with(query=None))} "
                    f"(HTTP {response.status_code}); check {self.auth.describe()}",
                    kind=ErrorKind.AUTH if response.status_code == 401 else ErrorKind.FORBIDDEN,
                    detail=self.auth.describe(),
                )
            self.raise_for_status(response, path)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def raise_for_status(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 400 and status not in (301, 302, 303, 307, 308):
            return
        where = self.safe_url(response.request.url.copy_with(query=None)) if response.request else what
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TransientSourceError(
                f"{self.name}: rate limited (HTTP 429) at {where}",
                retry_after=retry_after,
                kind=ErrorKind.RATE_LIMITED,
                detail="HTTP 429",
            )
        if status >= 500:
            raise TransientSourceError(
                f"{self.name}: server error HTTP {status} at {where}",
                kind=ErrorKind.SERVER_ERROR,
                detail=f"HTTP {status}",
            )
        if status in (301, 302, 303, 307, 308):
            raise FatalSourceError(
                f"{self.name}: {where} redirects to {self.safe_url(response.headers.get('Location', '?'))}; put that address in options.url",
                kind=ErrorKind.NOT_FOUND,
                detail=f"HTTP {status}",
            )
        raise FatalSourceError(
            f"{self.name}: HTTP {status} at {where}; check options.url and the paths in options",
            kind=ErrorKind.NOT_FOUND if status == 404 else ErrorKind.BAD_REQUEST,
            detail=f"HTTP {status}",
        )

    # ---- bodies
    def parse_json(self, response: httpx.Response, what: str) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise TransientSourceError(
                f"{self.name}: malformed JSON in the answer to {what} ({str(exc)[:120]})",
                kind=ErrorKind.BAD_RESPONSE,
            ) from None

    def get_json(self, path: str, params: dict[str, Any] | None = None, **kwargs) -> Any:
        return self.parse_json(self.request("GET", path, params=params, **kwargs), path)

    def get_xml(self, path: str, params: dict[str, Any] | None = None, **kwargs):
        from collectors.safexml import XmlError, parse_xml

        response = self.request("GET", path, params=params, **kwargs)
        try:
            return parse_xml(response.content)
        except XmlError as exc:
            raise TransientSourceError(
                f"{self.name}: malformed XML in the answer to {path} ({exc})",
                kind=ErrorKind.BAD_RESPONSE,
            ) from None

    def close(self) -> None:
        self._http.close()


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values; no parameters at all keeps a query already in the path."""
    cleaned = {k: v for k, v in (params or {}).items() if v is not None}
    return cleaned or None


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` in seconds, from delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now())


# --- paging ------------------------------------------------------------------------------------------
ItemsOf = Callable[[Any], list]


def dig(data: Any, path: str | None) -> Any:
    """``dig({"a": {"b": [1]}}, "a.b")`` → ``[1]``; an empty path is the data itself."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


class Paginator:
    """Yields the items of successive pages; ``fetch(params)`` gets one page's parsed body."""

    max_pages: int = 100_000

    def pages(self, fetch: Callable[[dict[str, Any]], Any], items_of: ItemsOf) -> Iterator[list]:
        raise NotImplementedError


class NoPaging(Paginator):
    def pages(self, fetch, items_of):
        yield items_of(fetch({}))


@dataclass
class PagePaginator(Paginator):
    """``?page=1&size=100`` … until a short page, an empty page or ``total_path`` items are read."""

    page_param: str = "page"
    size_param: str = "size"
    size: int = 100
    first_page: int = 1
    total_path: str | None = None

    def pages(self, fetch, items_of):
        page, seen = self.first_page, 0
        for _ in range(self.max_pages):
            body = fetch({self.page_param: page, self.size_param: self.size})
            items = items_of(body)
            yield items
            seen += len(items)
            total = _as_int(dig(body, self.total_path)) if self.total_path else None
            if not items or len(items) < self.size or (total is not None and seen >= total):
                return
            page += 1


@dataclass
class OffsetPaginator(Paginator):
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = 100
    total_path: str | None = None

    def pages(self, fetch, items_of):
        offset = 0
        for _ in range(self.max_pages):
            body = fetch({self.offset_param: offset, self.limit_param: self.limit})
            items = items_of(body)
            yield items
            offset += len(items)
            total = _as_int(dig(body, self.total_path)) if self.total_path else None
            if not items or len(items) < self.limit or (total is not None and offset >= total):
                return


@dataclass
class CursorPaginator(Paginator):
    """Sends ``cursor_param`` = the previous page's ``next_path`` value until it is empty."""

    cursor_param: str = "cursor"
    next_path: str = "next_cursor"
    size_param: str | None = "limit"
    size: int = 100

    def pages(self, fetch, items_of):
        cursor: Any = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            params = {self.cursor_param: cursor}
            if self.size_param:
                params[self.size_param] = self.size
            body = fetch(params)
            yield items_of(body)
            cursor = dig(body, self.next_path)
            if cursor in (None, "", 0) or str(cursor) in seen:
                return  # no next page, or a server repeating itself
            seen.add(str(cursor))


def make_paginator(options: dict[str, Any]) -> Paginator:
    """From a source's ``[options.paging]`` table: ``type = "page" | "offset" | "cursor" | "none"``."""
    paging = dict(options.get("paging", {}) or {})
    kind = paging.pop("type", "page")
    classes = {"page": PagePaginator, "offset": OffsetPaginator, "cursor": CursorPaginator, "none": NoPaging}
    if kind not in classes:
        raise ValueError(f"options.paging.type: expected one of {', '.join(classes)}")
    try:
        return classes[kind](**paging)
    except TypeError as exc:
        raise ValueError(f"options.paging: {exc}") from None


def check_paging(options: dict[str, Any]) -> list[str]:
    if "paging" in options and not isinstance(options["paging"], dict):
        return ['options.paging: expected a table such as { type = "page", size = 100 }']
    try:
        make_paginator(options)
    except ValueError as exc:
        return [str(exc)]
    return []


def make_auth(config: SourceConfig, options: dict[str, Any]) -> Auth:
    """From ``[options.auth]``: ``type = "none" | "bearer" | "basic" | "api_key" | "oauth2"``.

    Secret values come from the environment variables named in the source's ``[secrets]``:
    ``token`` (bearer), ``password`` (basic), ``api_key``, ``client_secret`` (oauth2).
    """
    auth = dict(options.get("auth", {}) or {})
    kind = auth.get("type", "none")
    if kind == "none":
        return NoAuth()
    if kind == "bearer":
        return BearerToken(config.secret("token"))
    if kind == "basic":
        return BasicAuth(str(auth.get("username", "")), config.secret("password"))
    if kind == "api_key":
        return ApiKey(
            config.secret("api_key"),
            header=str(auth.get("header", "X-API-Key")),
            query_param=auth.get("query_param"),
        )
    if kind == "oauth2":
        return OAuth2ClientCredentials(
            token_url=str(auth["token_url"]),
            client_id=str(auth["client_id"]),
            client_secret=config.secret("client_secret"),
            scope=auth.get("scope"),
            body=str(auth.get("body", "form")),
            placement=str(auth.get("placement", "header")),
        )
    raise FatalSourceError(
        f"source {config.name!r}: options.auth.type {kind!r} is not supported",
        kind=ErrorKind.CONFIG,
        detail="options.auth.type",
    )


def check_auth(options: dict[str, Any]) -> list[str]:
    auth = options.get("auth", {})
    if not isinstance(auth, dict):
        return ['options.auth: expected a table such as { type = "bearer" }']
    kind = auth.get("type", "none")
    if kind not in ("none", "bearer", "basic", "api_key", "oauth2"):
        return ["options.auth.type: expected one of none, bearer, basic, api_key, oauth2"]
    problems = []
    if kind == "basic" and not auth.get("username"):
        problems.append("options.auth.username: required for basic authentication")
    if kind == "oauth2":
        for key in ("token_url", "client_id"):
            if not auth.get(key):
                problems.append(f"options.auth.{key}: required for oauth2")
        if auth.get("body", "form") not in ("form", "json"):
            problems.append("options.auth.body: expected form or json")
        if auth.get("placement", "header") not in ("header", "query"):
            problems.append("options.auth.placement: expected header or query")
    return problems


def check_timeout(options: dict[str, Any]) -> list[str]:
    timeout = options.get("timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
        return ["options.timeout: expected seconds between 0 and 600"]
    return []


def client_from_options(config: SourceConfig, headers: dict[str, str] | None = None) -> HttpClient:
    """The client a JSON adapter's ``[options]`` describe: url, auth, timeout, verify."""
    opts = config.options
    return HttpClient(
        config,
        base_url=str(opts["url"]),
        auth=make_auth(config, opts),
        timeout_s=float(opts.get("timeout", DEFAULT_TIMEOUT_S)),
        verify=opts.get("verify", True),
        headers=headers,
    )


def check_url(options: dict[str, Any], key: str = "url") -> list[str]:
    url = options.get(key)
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        return [f"options.{key}: expected an http(s) URL such as https://host/path/"]
    return []


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def query_string(params: dict[str, Any]) -> str:
    """Query string as BigBlueButton computes checksums over it (``+`` for spaces)."""
    return urlencode({k: v for k, v in params.items() if v is not None})
