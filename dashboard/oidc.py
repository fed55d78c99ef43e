"""Single sign-on with OpenID Connect (Authlib's Flask client).

Enabled when ``IOC_OIDC_ISSUER`` and ``IOC_OIDC_CLIENT_ID`` are set. The flow:

1. ``/auth/oidc/login?next=/x`` — discovery (``{issuer}/.well-known/openid-configuration``,
   cached per process for a day), then a redirect to the provider's authorization endpoint with
   ``response_type=code``, PKCE (S256), ``state`` and ``nonce``; the verifier, nonce and the safe
   ``next`` path wait in the signed cookie session under the state.
2. ``/auth/oidc/callback`` — the code is exchanged (client secret + PKCE verifier), the ID token is
   validated: signature against the provider's JWKS (asymmetric algorithms only), ``iss`` equal to
   the configured issuer, ``aud`` holding our client id, ``exp``/``iat`` (2 minutes' leeway) and
   the ``nonce`` of this sign-in. A token response without an ID token is refused.
3. The person is mapped onto an account (:func:`sign_in_account`): by ``oidc_subject``; else a
   local account whose name equals the username claim and that is not yet bound is bound to the
   subject. Groups from ``IOC_OIDC_ROLES_CLAIM`` go through ``IOC_OIDC_ROLE_MAP``
   (``GROUP=ROLE:UNIT;…``); when they give grants, those replace the account's grants at each
   sign-in; when they give none, the account's local grants apply. A person with no account gets
   one (without password) only when a mapped group names them; anybody who would see nothing gets
   the "Tài khoản chưa được cấp quyền" page (403) and no session.
4. Sign-out (:func:`dashboard.auth.logout`) asks :func:`end_session_url` for the provider's
   ``end_session_endpoint`` with ``id_token_hint`` and ``post_logout_redirect_uri``.

Every outcome is audited (``sign_in`` / ``sign_in_failed`` with ``via="oidc"`` and a reason).
Provider errors, a bad state, an expired code or an unreachable provider give a plain bilingual
page saying what to do; no traceback and no secret is ever shown.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, Response, current_app, redirect, request
from flask import session as cookie
from joserfc.errors import JoseError
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import accounts, audit
from dashboard.auth import _notice, client_address, lang, start_session
from dashboard.i18n import register, t
from dashboard.models import AccessGrant, Account, OrgUnit
from dashboard.security import safe_next

log = logging.getLogger(__name__)

EXTENSION_KEY = "ioc_oidc"
CLIENT_NAME = "ioc_sso"
CALLBACK_PATH = "/auth/oidc/callback"
LOGIN_PATH = "/auth/oidc/login"
#: Discovery and keys are read again after this long (a provider rotates its keys; an unknown
#: key id also triggers a fresh JWKS at once).
METADATA_MAX_AGE_S = 24 * 3600
HTTP_TIMEOUT_S = 10
#: ID tokens signed with a shared secret or not at all are refused whatever discovery says.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)

register(
    {
        "sso_failed_title": {
            "vi": "Đăng nhập dùng chung (SSO) không thành công",
            "en": "Single sign-on failed",
        },
        "sso_denied": {
            "vi": "Bạn đã từ chối hoặc hệ thống đăng nhập dùng chung không cho phép đăng nhập ({error}). "
            "Hãy đăng nhập lại; nếu vẫn bị từ chối, liên hệ bộ phận quản trị hệ thống SSO.",
            "en": "You declined, or the single sign-on system refused the sign-in ({error}). Sign in "
            "again; if it is refused again, ask the administrators of the single sign-on system.",
        },
        "sso_state": {
            "vi": "Phiên đăng nhập đã hết hạn hoặc không hợp lệ (có thể do mở từ một thẻ cũ). "
            "Hãy bấm đăng nhập lại.",
            "en": "The sign-in expired or did not match this browser (perhaps an old tab). "
            "Please sign in again.",
        },
        "sso_code": {
            "vi": "Mã đăng nhập đã hết hạn hoặc đã được dùng. Hãy bấm đăng nhập lại.",
            "en": "The sign-in code expired or was already used. Please sign in again.",
        },
        "sso_token": {
            "vi": "Thông tin đăng nhập nhận từ hệ thống SSO không hợp lệ và đã bị từ chối. "
            "Hãy thử lại; nếu lỗi lặp lại, báo bộ phận quản trị (xem nhật ký hệ thống).",
            "en": "The sign-in received from the single sign-on system was not valid and was refused. "
            "Try again; if it happens again, tell the administrators (see the server log).",
        },
        "sso_unreachable": {
            "vi": "Không kết nối được tới hệ thống đăng nhập dùng chung. Hãy thử lại sau ít phút "
            "hoặc đăng nhập bằng tài khoản nội bộ; báo bộ phận quản trị nếu lỗi kéo dài.",
            "en": "The single sign-on system cannot be reached. Try again in a few minutes or sign "
            "in with a local account; tell the administrators if it lasts.",
        },
        "sso_disabled": {
            "vi": "Đăng nhập dùng chung (SSO) chưa được cấu hình trên hệ thống này.",
            "en": "Single sign-on is not configured on this system.",
        },
        "sso_account_disabled": {
            "vi": "Tài khoản {name} đã bị khóa. Liên hệ bộ phận quản trị hệ thống.",
            "en": "The account {name} is disabled. Ask the system administrators.",
        },
        "sso_conflict": {
            "vi": "Tên đăng nhập {name} đã gắn với một người dùng SSO khác. Liên hệ bộ phận quản trị.",
            "en": "The account name {name} is bound to another single sign-on user. Ask the administrators.",
        },
        "sso_retry": {"vi": "Đăng nhập lại", "en": "Sign in again"},
        "sso_local": {"vi": "Đăng nhập bằng tài khoản nội bộ", "en": "Sign in with a local account"},
    }
)


class SignInRefused(Exception):
    """The provider vouched for the person, but this system gives them nothing (or cannot)."""

    def __init__(self, reason: str, message_key: str, name: str):
        super().__init__(reason)
        self.reason = reason
        self.message_key = message_key
        self.name = name


@dataclass(frozen=True)
class Identity:
    """What the provider says about the person, reduced to what we use."""

    subject: str
    username: str | None
    display_name: str
    groups: tuple[str, ...]

    @property
    def actor(self) -> str:
        return f"user:{self.username}" if self.username else f"oidc:{self.subject[:120]}"


# --- claims and the role map ------------------------------------------------------------------------
def claim_at(claims: dict[str, Any], path: str) -> Any:
    """The value at a dot path: ``realm_access.roles`` → ``claims["realm_access"]["roles"]``.

    >>> claim_at({"realm_access": {"roles": ["a"]}}, "realm_access.roles")
    ['a']
    >>> claim_at({"groups": "x"}, "groups"), claim_at({}, "groups")
    ('x', None)
    """
    value: Any = claims
    for part in (path or "").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _group_name(value: str) -> str:
    # Keycloak sends "/ioc-lanh-dao" with "Full group path" on; a map written either way matches.
    return value.strip().lstrip("/")


def groups_of(claims: dict[str, Any], path: str) -> tuple[str, ...]:
    """The group (or role) names in the claim at ``path``: a list or one space/comma-separated string.

    >>> groups_of({"groups": ["/a", "b"]}, "groups"), groups_of({"roles": "a,b"}, "roles")
    (('a', 'b'), ('a', 'b'))
    """
    value = claim_at(claims, path)
    if isinstance(value, str):
        value = re.split(r"[,\s]+", value)
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(dict.fromkeys(_group_name(v) for v in value if isinstance(v, str) and _group_name(v)))


def parse_role_map(text: str) -> list[tuple[str, str, str]]:
    """``"G1=lanh_dao:BO;G2=truong_don_vi:SO-01"`` → ``[(group, role, unit), …]`` (the settings
    validated the form already).

    >>> parse_role_map("ioc-ld=lanh_dao:BO; /ioc-so=truong_don_vi:SO-01;")
    [('ioc-ld', 'lanh_dao', 'BO'), ('ioc-so', 'truong_don_vi', 'SO-01')]
    """
    out = []
    for pair in filter(None, (p.strip() for p in (text or "").split(";"))):
        group, _, grant = pair.partition("=")
        role, _, unit = grant.partition(":")
        out.append((_group_name(group), role.strip(), unit.strip()))
    return out


def mapped_grants(groups: tuple[str, ...], role_map: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """The (role, unit) grants the person's groups give, in map order, without repeats.

    >>> mapped_grants(("b", "a"), [("a", "lanh_dao", "BO"), ("c", "theo_doi", "BO"), ("b", "lanh_dao", "BO")])
    [('lanh_dao', 'BO')]
    """
    held = set(groups)
    return list(dict.fromkeys((role, unit) for group, role, unit in role_map if group in held))


def identity_from(claims: dict[str, Any], settings) -> Identity:
    subject = str(claims.get("sub") or "")
    raw_name = claim_at(claims, settings.oidc_username_claim)
    username = accounts.normalise_username(raw_name) if isinstance(raw_name, str) else None
    display = claims.get("name") if isinstance(claims.get("name"), str) else None
    return Identity(
        subject,
        username or None,
        (display or username or subject)[:255],
        groups_of(claims, settings.oidc_roles_claim),
    )


# --- accounts -----------------------------------------------------------------------------------------
def _new_username(session: Session, identity: Identity) -> str:
    """The account name for a new SSO account: the username claim when it is a valid, free name,
    else ``sso-`` and a digest of the subject (stable across sign-ins)."""
    name = identity.username or ""
    if (
        accounts.USERNAME_RE.match(name)
        and session.scalar(select(Account.id).where(Account.username == name)) is None
    ):
        return name
    return "sso-" + hashlib.sha256(identity.subject.encode("utf-8")).hexdigest()[:16]


def sign_in_account(session: Session, identity: Identity, settings) -> tuple[Account, dict[str, Any]]:
    """The account this person signs in as, with grants synchronised from the role map; raises
    :class:`SignInRefused` when they may see nothing. Returns the account and audit details."""
    detail: dict[str, Any] = {}
    account = session.scalar(select(Account).where(Account.oidc_subject == identity.subject))
    if account is None and identity.username:
        local = session.scalar(select(Account).where(Account.username == identity.username))
        if local is not None:
            if local.oidc_subject is not None:
                raise SignInRefused("username_bound_elsewhere", "sso_conflict", identity.username)
            local.oidc_subject = identity.subject
            account = local
            detail["bound"] = True

    wanted = mapped_grants(identity.groups, parse_role_map(settings.oidc_role_map))
    units = (
        dict(
            session.execute(
                select(OrgUnit.code, OrgUnit.id).where(
                    OrgUnit.code.in_({u for _, u in wanted}), OrgUnit.active.is_(True)
                )
            ).all()
        )
        if wanted
        else {}
    )
    unknown = sorted({u for _, u in wanted if u not in units})
    if unknown:
        log.warning("IOC_OIDC_ROLE_MAP names units that do not exist: %s", ", ".join(unknown))
        detail["unknown_units"] = unknown
    wanted = [(role, code) for role, code in wanted if code in units]

    if account is None:
        if not wanted:
            raise SignInRefused("no_account", "no_access_body", identity.username or identity.display_name)
        account = Account(
            username=_new_username(session, identity),
            display_name=identity.display_name,
            password_hash=None,
            oidc_subject=identity.subject,
        )
        session.add(account)
        session.flush()
        detail["created"] = True
        audit.record(
            session,
            "account_added",
            actor="oidc",
            address=client_address(),
            account=account.username,
            via="oidc",
        )
    if not account.active:
        raise SignInRefused("disabled", "sso_account_disabled", account.username)

    if wanted:
        _sync_grants(session, account, [(role, units[code]) for role, code in wanted], wanted)
        detail["grants"] = [f"{r}:{c}" for r, c in wanted]
    elif session.scalar(select(AccessGrant.id).where(AccessGrant.account_id == account.id).limit(1)) is None:
        raise SignInRefused("no_grants", "no_access_body", account.display_name or account.username)
    else:
        detail["grants"] = "local"
    return account, detail


def _sync_grants(
    session: Session, account: Account, wanted_ids: list[tuple[str, int]], wanted: list[tuple[str, str]]
) -> None:
    """Make the account's grants exactly ``wanted_ids`` (role, unit id); audit a change."""
    current = {
        (g.role, g.unit_id): g
        for g in session.scalars(select(AccessGrant).where(AccessGrant.account_id == account.id))
    }
    target = set(wanted_ids)
    removed = [g for key, g in current.items() if key not in target]
    added = [key for key in wanted_ids if key not in current]
    for grant in removed:
        session.delete(grant)
    for role, unit_id in added:
        session.add(AccessGrant(account_id=account.id, role=role, unit_id=unit_id))
    if removed or added:
        session.flush()
        audit.record(
            session,
            "grant_changed",
            actor="oidc",
            address=client_address(),
            account=account.username,
            via="oidc",
            grants=[f"{r}:{c}" for r, c in wanted],
            removed=len(removed),
            added=len(added),
        )


# --- the Authlib client ---------------------------------------------------------------------------------
def _issuer(settings) -> str:
    return (settings.oidc_issuer or "").rstrip("/")


def init_app(server: Flask, settings) -> None:
    """Register the routes; with OIDC configured, an Authlib client for the provider (discovery is
    read on first use, so the app starts while the provider is down)."""
    server.add_url_rule(LOGIN_PATH, "ioc_oidc_login", login)
    server.add_url_rule(CALLBACK_PATH, "ioc_oidc_callback", callback)
    if not settings.oidc_enabled:
        return
    scopes = settings.oidc_scopes.split()
    if "openid" not in scopes:  # without it there is no ID token (and no nonce)
        scopes.insert(0, "openid")
    oauth = OAuth(server)
    client = oauth.register(
        CLIENT_NAME,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        server_metadata_url=_issuer(settings) + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(scopes),
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT_S,
            # a public client (no secret) authenticates with PKCE alone
            "token_endpoint_auth_method": "client_secret_basic" if settings.oidc_client_secret else "none",
        },
    )
    server.extensions[EXTENSION_KEY] = client


def _client():
    """The app's OIDC client with fresh, checked discovery metadata (or None when not configured)."""
    client = current_app.extensions.get(EXTENSION_KEY)
    if client is None:
        return None
    loaded = client.server_metadata.get("_loaded_at")
    if loaded is not None and time.time() - loaded > METADATA_MAX_AGE_S:
        for key in list(client.server_metadata):
            client.server_metadata.pop(key)
    metadata = client.load_server_metadata()
    settings = current_app.config["IOC_SETTINGS"]
    if str(metadata.get("issuer", "")).rstrip("/") != _issuer(settings):
        # A discovery document for another issuer (a mix-up or a wrong URL) is not trusted.
        client.server_metadata.clear()
        raise ProviderMisconfigured("the discovery document names another issuer")
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in SIGNING_ALGORITHMS] or [
        "RS256"
    ]
    return client


class ProviderMisconfigured(Exception):
    """Discovery answered, but not with what this configuration expects."""


def _public_url(path: str) -> str:
    """An absolute URL of this site for the provider to send the browser back to."""
    settings = current_app.config["IOC_SETTINGS"]
    base = (getattr(settings, "oidc_public_url", None) or request.url_root).rstrip("/")
    return base + path


# --- routes ---------------------------------------------------------------------------------------------
def login() -> Response:
    language = lang()
    nxt = safe_next(request.args.get("next"))
    try:
        client = _client()
        if client is None:
            return _notice(
                t("sso_failed_title", language),
                t("sso_disabled", language),
                404,
                extra=_links(language, nxt, retry=False),
            )
        redirect_uri = _public_url(CALLBACK_PATH)
        rv = client.create_authorization_url(redirect_uri)
        # ``next`` rides with the verifier and nonce under this state, in the signed cookie session.
        client.save_authorize_data(redirect_uri=redirect_uri, next=nxt, **rv)
    except _UNREACHABLE as exc:
        return _failure("unreachable", "sso_unreachable", 503, nxt, exc)
    return redirect(rv["url"])


def callback() -> Response:
    from dashboard.webapp import store

    ctx = store()
    language = lang()
    client = current_app.extensions.get(EXTENSION_KEY)
    if client is None:
        return _notice(
            t("sso_failed_title", language),
            t("sso_disabled", language),
            404,
            extra=_links(language, "/", retry=False),
        )
    state_data = client.framework.get_state_data(cookie, request.args.get("state")) or {}
    nxt = safe_next(state_data.get("next"))
    try:
        client = _client()
        token = client.authorize_access_token()
    except MismatchingStateError as exc:
        return _failure("bad_state", "sso_state", 400, nxt, exc)
    except OAuthError as exc:
        if exc.error == "invalid_grant":
            return _failure("invalid_grant", "sso_code", 400, nxt, exc)
        if request.args.get("error"):
            return _failure(
                f"provider:{_error_code(exc.error)}",
                "sso_denied",
                403,
                nxt,
                exc,
                error=_error_code(exc.error),
            )
        return _failure(f"token:{_error_code(exc.error)}", "sso_token", 502, nxt, exc)
    except (JoseError, ValueError) as exc:  # signature, audience, issuer, expiry, nonce …
        return _failure("invalid_id_token", "sso_token", 401, nxt, exc)
    except _UNREACHABLE as exc:
        return _failure("unreachable", "sso_unreachable", 503, nxt, exc)
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        return _failure("no_id_token", "sso_token", 401, nxt, None)
    claims = dict(claims)
    try:
        claims = _with_userinfo(client, token, claims, ctx.settings)
    except _UNREACHABLE as exc:
        return _failure("unreachable", "sso_unreachable", 503, nxt, exc)
    identity = identity_from(claims, ctx.settings)
    refused: SignInRefused | None = None
    with ctx.sessions() as session, session.begin():
        try:
            account, detail = sign_in_account(session, identity, ctx.settings)
        except SignInRefused as exc:
            refused = exc
            audit.record(
                session,
                "sign_in_failed",
                actor=identity.actor,
                address=client_address(),
                outcome="denied",
                via="oidc",
                reason=exc.reason,
                groups=list(identity.groups)[:20],
            )
        else:
            start_session(
                session, account, via="oidc", minutes=ctx.settings.session_minutes, id_token=token["id_token"]
            )
            audit.record(
                session,
                "sign_in",
                actor=f"user:{account.username}",
                address=client_address(),
                via="oidc",
                **detail,
            )
    if refused is not None:
        return _refused(refused, language)
    return redirect(nxt)


def _with_userinfo(client, token: dict, claims: dict, settings) -> dict:
    """Add the userinfo endpoint's claims when the ID token lacks the username or groups claim
    (providers differ in which claims they put into the ID token). The subject must match."""
    if (
        claim_at(claims, settings.oidc_username_claim) is not None
        and claim_at(claims, settings.oidc_roles_claim) is not None
    ):
        return claims
    if not client.server_metadata.get("userinfo_endpoint"):
        return claims
    info = client.userinfo(token=token)
    if str(info.get("sub")) != str(claims.get("sub")):
        log.warning("userinfo names another subject than the ID token; ignored")
        return claims
    return {**info, **claims}


_UNREACHABLE = (requests.RequestException, ProviderMisconfigured)


def _error_code(value: str | None) -> str:
    """A provider's error code, reduced to what can be shown and logged safely."""
    return re.sub(r"[^a-z0-9_.-]", "", (value or "error").lower())[:60] or "error"


def _failure(
    reason: str, message_key: str, status: int, nxt: str, exc: Exception | None, **values
) -> Response:
    """Audit a failed SSO sign-in and show what to do (no traceback, no provider secrets)."""
    from dashboard.webapp import store

    log.warning("single sign-on failed: %s (%s)", reason, type(exc).__name__ if exc else "-")
    audit.record_now(
        store().sessions,
        "sign_in_failed",
        address=client_address(),
        outcome="failed",
        via="oidc",
        reason=reason,
    )
    language = lang()
    return _notice(
        t("sso_failed_title", language),
        t(message_key, language, **values),
        status,
        extra=_links(language, nxt),
    )


def _refused(refused: SignInRefused, language: str) -> Response:
    title = t("no_access_title", language)
    return _notice(
        title,
        t(refused.message_key, language, name=refused.name),
        403,
        extra=_links(language, "/", retry=False),
    )


def _links(language: str, nxt: str, *, retry: bool = True) -> str:
    from urllib.parse import quote

    again = (
        (
            f'<p><a class="ioc-button" id="sso-retry" href="{LOGIN_PATH}?next={escape(quote(nxt, safe="/"))}">'
            f"{escape(t('sso_retry', language))}</a></p>"
        )
        if retry
        else ""
    )
    return again + f'<p><a href="/login">{escape(t("sso_local", language))}</a></p>'


# --- sign-out -------------------------------------------------------------------------------------------
def end_session_url(id_token_hint: str | None) -> str | None:
    """The provider's end-session URL for RP-initiated logout (``id_token_hint``, ``client_id``,
    ``post_logout_redirect_uri`` = our ``/login?bye=1``), or None when the provider advertises
    none or cannot be reached (the local session is ended either way)."""
    try:
        client = _client()
        if client is None or not client.server_metadata.get("end_session_endpoint"):
            return None
        url = client.create_logout_url(
            post_logout_redirect_uri=_public_url("/login?bye=1"),
            id_token_hint=id_token_hint or None,
            client_id=client.client_id,
        )["url"]
    except _UNREACHABLE as exc:
        log.warning("single sign-out skipped: the provider cannot be reached (%s)", type(exc).__name__)
        return None
    if urlsplit(url).scheme not in ("https", "http"):
        return None
    return url
