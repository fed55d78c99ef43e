"""The shared HTTP client layer against a real local server: errors, auth, paging, redaction."""

from __future__ import annotations

import base64
import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import ErrorKind, FatalSourceError, SourceConfig, SourceError, TransientSourceError
from collectors.http import (
    ApiKey,
    BasicAuth,
    BbbChecksum,
    BearerToken,
    CursorPaginator,
    HttpClient,
    NoPaging,
    OAuth2ClientCredentials,
    OffsetPaginator,
    PagePaginator,
    bbb_checksum,
    check_auth,
    check_paging,
    check_url,
    dig,
    make_auth,
    make_paginator,
    parse_retry_after,
    redact_text,
)
from collectors.platforms.base import FakeServer, Response, json_response
from collectors.safexml import XmlError, child_text, find_local, parse_xml

SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
CONFIG = SourceConfig(name="nen-tang", domain="dossiers", adapter="rest", secrets={"token": "IOC_T_TOKEN"})
ITEMS = [{"id": i} for i in range(1, 24)]  # 23 items: 3 pages of 10


class Echo(FakeServer):
    """Answers what it was asked; pages ITEMS in every paging style; OAuth2 with expiring tokens."""

    def __init__(self):
        super().__init__()
        self.tokens: set[str] = set()
        self.issued = 0

    def expire_tokens(self):
        self.tokens.clear()

    def route(self, r):
        if r.path == "/token":
            body = r.json() if r.header("Content-Type") == "application/json" else r.form()
            if body.get("client_secret") != "s3cret-client":
                return json_response({"error": "invalid_client"}, 401)
            self.issued += 1
            token = f"tok-{self.issued}-abcdef"
            self.tokens.add(token)
            return json_response({"access_token": token, "expires_in": 3600, "token_type": "bearer"})
        if r.path == "/protected":
            auth = r.header("Authorization") or ""
            token = auth.removeprefix("Bearer ") or r.arg("access_token")
            if token not in self.tokens:
                return json_response({"error": "invalid_token"}, 401)
            return json_response({"ok": True})
        if r.path == "/page":
            page, size = int(r.arg("page")), int(r.arg("size"))
            return json_response({"total": len(ITEMS), "data": ITEMS[(page - 1) * size : page * size]})
        if r.path == "/offset":
            offset, limit = int(r.arg("offset")), int(r.arg("limit"))
            return json_response({"items": ITEMS[offset : offset + limit]})
        if r.path == "/cursor":
            start = int(r.arg("cursor") or 0)
            chunk = ITEMS[start : start + 10]
            nxt = start + 10 if start + 10 < len(ITEMS) else None
            return json_response({"data": chunk, "meta": {"next": nxt}})
        if r.path == "/redirect":
            return Response(302, b"", {"Location": "https://elsewhere.example/?token=zzzzzz"})
        if r.path == "/missing":
            return json_response({"error": "not found"}, 404)
        if r.path == "/forbidden":
            return json_response({"error": "forbidden"}, 403)
        if r.path == "/bad":
            return json_response({"error": "bad request"}, 400)
        return json_response({"path": r.path, "query": r.raw_query, "headers": r.headers})


@pytest.fixture
def server():
    with Echo() as s:
        yield s


def client(server, auth=None, timeout_s=2.0, **kw) -> HttpClient:
    return HttpClient(CONFIG, base_url=server.url, auth=auth, timeout_s=timeout_s, **kw)


# --- BigBlueButton checksum (sources.md §4.1 test vectors) ----------------------------------------
def test_bbb_checksum_vectors():
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
    assert bbb_checksum("create", query, SECRET) == "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    assert bbb_checksum("getMeetings", "", SECRET) == "2027baa7771026e9e93392f55031535d1444c41f"
    assert (
        bbb_checksum("getMeetings", "", SECRET, "sha256")
        == "a5370c5f3d97d56d53b435684cdbc429c2898a3bf9f435518b4279e1e0dbfc8c"
    )
    with pytest.raises(ValueError):
        bbb_checksum("getMeetings", "", SECRET, "md5")


def test_bbb_checksum_auth_signs_the_query_as_sent(server):
    c = client(server, BbbChecksum(SECRET))
    sent = c.get_json(
        "/bigbluebutton/api/create",
        params={
            "name": "Test Meeting",
            "meetingID": "abc123",
            "attendeePW": "111222",
            "moderatorPW": "333444",
        },
    )
    assert sent["query"].endswith("&checksum=1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17")
    sent = c.get_json("/bigbluebutton/api/getMeetings")
    assert sent["query"] == "checksum=2027baa7771026e9e93392f55031535d1444c41f"


# --- error classification ------------------------------------------------------------------------------
def test_429_is_transient_with_retry_after(server):
    server.inject("429", retry_after=7)
    with pytest.raises(TransientSourceError) as info:
        client(server).get_json("/x")
    assert info.value.retry_after == 7.0
    assert "429" in str(info.value)
    assert client(server).get_json("/x")["path"] == "/x"  # the fault was used up


def test_5xx_then_success(server):
    server.inject("500")
    c = client(server)
    with pytest.raises(TransientSourceError, match="HTTP 500"):
        c.get_json("/x")
    assert c.get_json("/x")["path"] == "/x"


def test_slow_answer_is_a_timeout(server):
    server.inject("slow", delay=1.5)
    started = time.monotonic()
    with pytest.raises(TransientSourceError, match="timeout"):
        client(server, timeout_s=0.3).get_json("/x")
    assert time.monotonic() - started < 1.4


def test_truncated_and_malformed_bodies_are_transient(server):
    server.inject("truncated")
    with pytest.raises(TransientSourceError, match="broke"):
        client(server).get_json("/x")
    server.inject("malformed")
    with pytest.raises(TransientSourceError, match="malformed JSON"):
        client(server).get_json("/x")


def test_connection_refused_is_transient():
    with Echo() as s:
        url = s.url
    c = HttpClient(CONFIG, base_url=url, timeout_s=1)
    with pytest.raises(TransientSourceError, match="cannot connect"):
        c.get_json("/x")


def test_client_errors_are_fatal_and_name_the_path(server):
    with pytest.raises(FatalSourceError, match="HTTP 404 at .*/missing"):
        client(server).get_json("/missing")
    with pytest.raises(FatalSourceError, match="redirects to") as info:
        client(server).get_json("/redirect")
    assert "zzzzzz" not in str(info.value)


def test_oversized_answer_is_refused(server):
    with pytest.raises(FatalSourceError, match="exceeds"):
        client(server, max_bytes=10).get_json("/x")


def test_retry_after_forms():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412480.0 - 60) == pytest.approx(
        60.0
    )
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 2e9) == 0.0


# --- authentication ------------------------------------------------------------------------------------
def test_header_auth_strategies(server):
    sent = client(server, BearerToken("bearer-token-1")).get_json("/x")
    assert sent["headers"]["Authorization"] == "Bearer bearer-token-1"
    sent = client(server, BasicAuth("ioc", "pass-word")).get_json("/x")
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ioc:pass-word").decode()
    sent = client(server, ApiKey("key-123456", header="X-Api-Key")).get_json("/x")
    assert sent["headers"]["X-Api-Key"] == "key-123456"
    sent = client(server, ApiKey("key-123456", query_param="api_key")).get_json("/x", params={"a": 1})
    assert sent["query"] == "a=1&api_key=key-123456"


@pytest.mark.parametrize("body,placement", [("form", "header"), ("json", "query")])
def test_oauth2_fetches_once_and_renews_after_expiry_on_the_server(server, body, placement):
    auth = OAuth2ClientCredentials(
        f"{server.url}/token", "ioc", "s3cret-client", body=body, placement=placement
    )
    c = client(server, auth)
    assert c.get_json("/protected") == {"ok": True}
    assert c.get_json("/protected") == {"ok": True}
    assert auth.fetches == 1
    server.inject("expired_token", path="/protected")
    assert c.get_json("/protected") == {"ok": True}  # 401 → new token → retried once
    assert auth.fetches == 2


def test_oauth2_renews_before_announced_expiry(server):
    now = [0.0]
    auth = OAuth2ClientCredentials(f"{server.url}/token", "ioc", "s3cret-client", clock=lambda: now[0])
    c = client(server, auth)
    c.get_json("/protected")
    now[0] = 3600.0  # past expires_in − leeway
    c.get_json("/protected")
    assert auth.fetches == 2


def test_oauth2_wrong_secret_is_fatal_and_names_the_secret(server):
    auth = OAuth2ClientCredentials(f"{server.url}/token", "ioc", "wrong-secret")
    with pytest.raises(FatalSourceError, match="secrets.client_secret") as info:
        client(server, auth).get_json("/protected")
    assert "wrong-secret" not in str(info.value)


def test_401_without_renewal_is_fatal(server):
    with pytest.raises(FatalSourceError, match="authentication failed.*bearer token") as info:
        client(server, BearerToken("not-issued-token")).get_json("/protected")
    assert "not-issued-token" not in str(info.value)


def test_make_auth_reads_secrets_from_the_environment(monkeypatch):
    monkeypatch.setenv("IOC_T_TOKEN", "from-env-token")
    assert make_auth(CONFIG, {"auth": {"type": "bearer"}}).token == "from-env-token"
    monkeypatch.delenv("IOC_T_TOKEN")
    with pytest.raises(FatalSourceError, match="IOC_T_TOKEN is not set"):
        make_auth(CONFIG, {"auth": {"type": "bearer"}})
    assert check_auth({"auth": {"type": "kerberos"}}) == [
        "options.auth.type: expected one of none, bearer, basic, api_key, oauth2"
    ]
    assert "options.auth.token_url: required for oauth2" in check_auth(
        {"auth": {"type": "oauth2", "client_id": "x"}}
    )
    assert check_url({"url": "ftp://x"}) == [
        "options.url: expected an http(s) URL such as https://host/path/"
    ]
    assert check_url({"url": "https://dvc.example.vn/api"}) == []


# --- redaction -----------------------------------------------------------------------------------------
def test_redaction_of_values_params_and_headers():
    text = "GET https://h/api/getMeetings?meetingID=1&checksum=abcdef0123 token=xyz Authorization: Bearer eyJhbGciOi"
    out = redact_text(text, ("my-password",))
    assert "abcdef0123" not in out and "xyz" not in out and "eyJhbGciOi" not in out
    assert "meetingID=1" in out
    assert redact_text("user my-password here", ("my-password",)) == "user *** here"
    assert redact_text('{"access_token": "t0ken-value"}') == '{"access_token": "***"}'


def test_httpx_log_lines_are_redacted(server, caplog):
    caplog.set_level(logging.DEBUG)
    auth = OAuth2ClientCredentials(
        f"{server.url}/token", "ioc", "s3cret-client", body="json", placement="query"
    )
    c = client(server, auth)
    c.get_json("/protected")
    c2 = client(server, BbbChecksum(SECRET))
    c2.get_json("/bigbluebutton/api/getMeetings")
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log the requests
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert auth.token not in logged
    assert "2027baa7771026e9e93392f55031535d1444c41f" not in logged
    assert "s3cret-client" not in logged and SECRET not in logged


# --- paging --------------------------------------------------------------------------------------------
def _collect(paginator, c, path, items_path):
    pages = list(
        paginator.pages(lambda p: c.get_json(path, params=p), lambda body: dig(body, items_path) or [])
    )
    return pages, [item["id"] for page in pages for item in page]


def test_paginators_read_everything_once(server):
    c = client(server)
    pages, ids = _collect(PagePaginator(size=10, total_path="total"), c, "/page", "data")
    assert ids == list(range(1, 24)) and len(pages) == 3
    pages, ids = _collect(OffsetPaginator(limit=10), c, "/offset", "items")
    assert ids == list(range(1, 24)) and len(pages) == 3
    pages, ids = _collect(CursorPaginator(next_path="meta.next", size=10), c, "/cursor", "data")
    assert ids == list(range(1, 24)) and len(pages) == 3
    pages, ids = _collect(NoPaging(), c, "/page?page=1&size=50", "data")
    assert len(pages) == 1


def test_page_paginator_stops_on_total_when_pages_are_full(server):
    c = client(server)
    pages, ids = _collect(PagePaginator(size=23, total_path="total"), c, "/page", "data")
    assert len(pages) == 1 and len(ids) == 23  # no extra empty request


def test_make_paginator_from_options():
    assert isinstance(make_paginator({}), PagePaginator)
    p = make_paginator({"paging": {"type": "offset", "limit": 50}})
    assert isinstance(p, OffsetPaginator) and p.limit == 50
    assert check_paging({"paging": {"type": "pages"}}) == [
        "options.paging.type: expected one of page, offset, cursor, none"
    ]
    assert check_paging({"paging": {"type": "page", "sise": 5}})[0].startswith("options.paging:")
    assert check_paging({"paging": "page"})[0].startswith("options.paging: expected a table")


# --- hardened XML --------------------------------------------------------------------------------------
def test_safe_xml_reads_namespaced_documents():
    root = parse_xml(b'<r xmlns="urn:x"><a>1</a><b><c> 2 </c></b></r>')
    assert child_text(root, "a") == "1"
    assert child_text(find_local(root, "b"), "c") == "2"
    assert child_text(root, "zz") is None


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><r>&lol2;</r>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
        b"<r><unclosed></r>",
        b"",
        b"   ",
    ],
)
def test_safe_xml_refuses_dtds_entities_and_garbage(body):
    started = time.monotonic()
    with pytest.raises(XmlError):
        parse_xml(body)
    assert time.monotonic() - started < 1


def test_safe_xml_size_limit():
    with pytest.raises(XmlError, match="larger than"):
        parse_xml(b"<r>" + b"x" * 2048 + b"</r>", max_bytes=1024)


@settings(max_examples=200, deadline=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "replace")),
        st.integers(min_value=0, max_value=120).map(
            lambda n: (
                b"<response><returncode>SUCCESS</returncode><meetings><meeting><meetingID>a</meetingID></meeting></meetings></response>"[
                    :n
                ]
            )
        ),
    )
)
def test_safe_xml_fuzz_only_clean_errors(body):
    try:
        parse_xml(body)
    except XmlError:
        pass


# --- stable error kinds (what the Sources page advises from) -----------------------------------------
def _kind(server, path="/x", injected=None, **kw) -> tuple[ErrorKind, str | None]:
    if injected:
        server.inject(injected, delay=1.5)
    with pytest.raises(SourceError) as info:
        client(server, **kw).get_json(path)
    return info.value.kind, info.value.detail


@pytest.mark.parametrize(
    "injected,path,kw,expected",
    [
        ("429", "/x", {}, (ErrorKind.RATE_LIMITED, "HTTP 429")),
        ("500", "/x", {}, (ErrorKind.SERVER_ERROR, "HTTP 500")),
        ("slow", "/x", {"timeout_s": 0.3}, (ErrorKind.TIMEOUT, None)),
        ("truncated", "/x", {}, (ErrorKind.BAD_RESPONSE, None)),
        ("malformed", "/x", {}, (ErrorKind.BAD_RESPONSE, None)),
        (None, "/missing", {}, (ErrorKind.NOT_FOUND, "HTTP 404")),
        (None, "/redirect", {}, (ErrorKind.NOT_FOUND, "HTTP 302")),
        (None, "/bad", {}, (ErrorKind.BAD_REQUEST, "HTTP 400")),
        (None, "/forbidden", {}, (ErrorKind.FORBIDDEN, "the configured credentials")),
        (
            None,
            "/protected",
            {"auth": BearerToken("not-issued")},
            (ErrorKind.AUTH, "the bearer token (secrets.token)"),
        ),
        (None, "/x", {"max_bytes": 10}, (ErrorKind.CONFIG, "options.page_size")),
    ],
)
def test_each_http_failure_has_its_kind(server, injected, path, kw, expected):
    assert _kind(server, path, injected, **kw) == expected


def test_oauth2_refusal_and_unreachable_and_tls_kinds(server):
    auth = OAuth2ClientCredentials(f"{server.url}/token", "ioc", "wrong-secret")
    assert _kind(server, "/protected", auth=auth)[0] is ErrorKind.AUTH
    tls = HttpClient(CONFIG, base_url=server.url.replace("http://", "https://"), timeout_s=2)
    with pytest.raises(TransientSourceError) as info:
        tls.get_json("/x")  # a TLS handshake with a plain-HTTP server fails
    assert info.value.kind is ErrorKind.TLS
    with Echo() as s:
        url = s.url
    with pytest.raises(TransientSourceError) as info:
        HttpClient(CONFIG, base_url=url, timeout_s=1).get_json("/x")
    assert info.value.kind is ErrorKind.UNREACHABLE
