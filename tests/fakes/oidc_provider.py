"""A real OpenID provider on 127.0.0.1, built on Authlib's server side, for single sign-on tests.

It serves what Keycloak or WSO2 Identity Server serve to the dashboard:

* ``/.well-known/openid-configuration`` — discovery;
* ``/jwks`` — the public half of an RSA key generated at start;
* ``/authorize`` — the authorization code flow with PKCE required (S256 only, like a client with
  "PKCE mandatory"); it signs in :attr:`FakeOidcProvider.user` without a form (auto-approval);
* ``/token`` — code exchange (``client_secret_basic``), issuing a signed ID token carrying the
  user's ``preferred_username``, ``name`` and ``groups``;
* ``/userinfo`` — the same claims for a bearer access token;
* ``/logout`` — RP-initiated logout: records the call, checks ``id_token_hint``'s signature and
  redirects to a registered ``post_logout_redirect_uri``.

Faults for the tests: :attr:`tamper` (``"signature"``, ``"audience"``, ``"nonce"``, ``"issuer"``,
``"expired"``) forges the next ID tokens; :attr:`deny` answers the authorization request with an
error (e.g. ``"access_denied"``); :attr:`expire_codes` makes every code expired at the token
endpoint. Every request is logged in :attr:`requests` as ``(method, path, query)``.

>>> with FakeOidcProvider() as op:  # doctest: +SKIP
...     op.add_user("an", groups=["ioc-lanh-dao"]); op.redirect_uris.append(app_url + "/auth/oidc/callback")
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server


@dataclass
class User:
    sub: str
    username: str
    name: str
    email: str
    groups: list[str]


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    client_metadata: dict = field(default_factory=dict)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        allowed = {"openid", "profile", "email", "groups"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris  # exact match, as Keycloak's valid redirect URIs

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret or "", self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def is_expired(self):
        return time.time() > self.expires_at


@dataclass
class Token:
    access_token: str
    scope: str
    user: User
    client: Client
    expires_at: float

    def check_client(self, client):
        return client.client_id == self.client.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() > self.expires_at

    def is_revoked(self):
        return False

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client


def _user_claims(user: User, scope: str) -> UserInfo:
    return UserInfo(
        sub=user.sub,
        preferred_username=user.username,
        name=user.name,
        email=user.email,
        groups=list(user.groups),
    )


class _CodeGrant(grants.AuthorizationCodeGrant):
    provider: FakeOidcProvider  # the provider this server belongs to

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

    def save_authorization_code(self, code, req):
        data = req.payload.data
        self.provider.codes[code] = AuthorizationCode(
            code,
            req.client.client_id,
            req.payload.redirect_uri,
            req.scope,
            req.user,
            data.get("nonce"),
            data.get("code_challenge"),
            data.get("code_challenge_method"),
            time.time() + 60,
        )

    def query_authorization_code(self, code, client):
        item = self.provider.codes.get(code)
        if self.provider.expire_codes and item is not None:
            item.expires_at = time.time() - 1
        # Authlib leaves expiry to the store: an expired code is an unknown one (invalid_grant).
        if item is None or item.client_id != client.client_id or item.is_expired():
            return None
        return item

    def delete_authorization_code(self, authorization_code):
        self.provider.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class _MandatoryS256(CodeChallenge):
    """PKCE required, S256 only (Keycloak: "Proof Key for Code Exchange Code Challenge Method")."""

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required for this client")
        super().validate_code_challenge(grant, redirect_uri)


class _IdToken(OpenIDCode):
    provider: FakeOidcProvider  # the provider this server belongs to

    def exists_nonce(self, nonce, req):
        return any(c.nonce == nonce for c in self.provider.codes.values())

    def resolve_client_private_key(self, client):
        return self.provider.forger if self.provider.tamper == "signature" else self.provider.key

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": "op-key-1"}

    def get_client_claims(self, client):
        now = int(time.time())
        claims = {"iss": self.provider.issuer, "aud": [client.get_client_id()]}
        if self.provider.tamper == "audience":
            claims["aud"] = ["another-client"]
        if self.provider.tamper == "issuer":
            claims["iss"] = "https://idp.evil.example"
        if self.provider.tamper == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        return claims

    def get_authorization_code_claims(self, authorization_code):
        claims = super().get_authorization_code_claims(authorization_code)
        if self.provider.tamper == "nonce":
            claims["nonce"] = "forged-nonce"
        return claims

    def generate_user_info(self, user, scope):
        return _user_claims(user, scope)

    def encode_id_token(self, token, req):
        value = super().encode_id_token(token, req)
        self.provider.issued_id_tokens.append(value)
        return value


class _TokenValidator(BearerTokenValidator):
    provider: FakeOidcProvider  # the provider this server belongs to

    def authenticate_token(self, token_string):
        return self.provider.tokens.get(token_string)


class _UserInfoView(UserInfoEndpoint):
    provider: FakeOidcProvider  # the provider this server belongs to

    def get_issuer(self):
        return self.provider.issuer

    def generate_user_info(self, user, scope):
        return _user_claims(user, scope)

    def resolve_private_key(self):
        return self.provider.key


class FakeOidcProvider:
    """The provider, served by werkzeug in a daemon thread on 127.0.0.1."""

    def __init__(
        self,
        client_id: str = "ioc-dashboard",
        client_secret: str | None = None,
        *,
        end_session: bool = True,
        port: int = 0,
    ):
        self.client = Client(client_id, client_secret or secrets.token_urlsafe(24), [])
        self.redirect_uris = self.client.redirect_uris
        self.post_logout_redirect_uris: list[str] = []
        self.key = RSAKey.generate_key(2048, parameters={"kid": "op-key-1", "use": "sig", "alg": "RS256"})
        self.forger = RSAKey.generate_key(2048, parameters={"kid": "op-key-1", "use": "sig", "alg": "RS256"})
        self.users: dict[str, User] = {}
        self.user: str | None = None  # whom /authorize signs in
        self.tamper: str | None = None
        self.deny: str | None = None
        self.expire_codes = False
        self.end_session = end_session
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.end_sessions: list[dict[str, str]] = []
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, Token] = {}
        self.issued_id_tokens: list[str] = []
        self._server = make_server("127.0.0.1", port, self._build(), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.issuer = self.url
        self._thread: threading.Thread | None = None

    # --- set-up from tests ---------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        groups=(),
        name: str | None = None,
        sub: str | None = None,
        sign_in: bool = True,
    ) -> User:
        user = User(
            sub or f"sub-{secrets.token_hex(6)}",
            username,
            name or username.title(),
            f"{username}@example.gov.vn",
            list(groups),
        )
        self.users[username] = user
        if sign_in:
            self.user = username
        return user

    def start(self) -> FakeOidcProvider:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-oidc", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOidcProvider:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the Authlib server --------------------------------------------------------------------------
    def _build(self) -> Flask:
        app = Flask("fake_oidc_provider")
        app.config["OAUTH2_SCOPES_SUPPORTED"] = ["openid", "profile", "email", "groups"]
        server = self._authorization_server(app)
        self._add_routes(app, server)
        return app

    def _authorization_server(self, app: Flask) -> AuthorizationServer:
        """Authlib's server: the code grant with PKCE (S256) and ID tokens, the userinfo endpoint."""
        provider = self

        def save_token(token, req):
            provider.tokens[token["access_token"]] = Token(
                token["access_token"],
                token.get("scope", ""),
                req.user,
                req.client,
                time.time() + token.get("expires_in", 300),
            )

        server = AuthorizationServer(
            app,
            query_client=lambda cid: provider.client if cid == provider.client.client_id else None,
            save_token=save_token,
        )
        grant = type("CodeGrant", (_CodeGrant,), {"provider": self})
        id_token = _IdToken(require_nonce=True)
        id_token.provider = self
        server.register_grant(grant, [id_token, _MandatoryS256(required=True)])

        protector = ResourceProtector()
        validator = _TokenValidator()
        validator.provider = self
        protector.register_token_validator(validator)

        userinfo = _UserInfoView(resource_protector=protector)
        userinfo.provider = self
        server.register_endpoint(userinfo)

        return server

    def _add_routes(self, app: Flask, server: AuthorizationServer) -> None:
        """Discovery, keys, authorize (or deny), token, userinfo and logout."""
        provider = self

        @app.before_request
        def _log():
            provider.requests.append((request.method, request.path, request.args.to_dict()))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            doc = {
                "issuer": provider.issuer,
                "authorization_endpoint": provider.url + "/authorize",
                "token_endpoint": provider.url + "/token",
                "userinfo_endpoint": provider.url + "/userinfo",
                "jwks_uri": provider.url + "/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "groups"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "nonce",
                    "preferred_username",
                    "name",
                    "email",
                    "groups",
                ],
            }
            if provider.end_session:
                doc["end_session_endpoint"] = provider.url + "/logout"
            return jsonify(doc)

        @app.get("/jwks")
        def jwks():
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize():
            user = provider.users.get(provider.user) if provider.user else None
            if provider.deny:
                client_redirect = request.args.get("redirect_uri", "")
                if not provider.client.check_redirect_uri(client_redirect):
                    return "unknown redirect_uri", 400
                query = urlencode(
                    {
                        "error": provider.deny,
                        "error_description": "The user declined",
                        "state": request.args.get("state", ""),
                    }
                )
                return redirect(f"{client_redirect}?{query}")
            try:  # validates the client, redirect URI, PKCE and nonce
                grant = server.get_consent_grant(end_user=user)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            return server.create_authorization_response(grant_user=user, grant=grant)

        @app.post("/token")
        def issue_token():
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo():
            return server.create_endpoint_response("userinfo")

        @app.get("/logout")
        def logout():
            args = request.args.to_dict()
            hint = args.get("id_token_hint")
            args["hint_valid"] = "no"
            if hint:
                try:
                    jwt.decode(hint, provider.key)
                    args["hint_valid"] = "yes"
                except JoseError:
                    pass
            provider.end_sessions.append(args)
            target = args.get("post_logout_redirect_uri")
            if target and target in provider.post_logout_redirect_uris:
                return redirect(
                    target + ("&" if "?" in target else "?") + urlencode({"state": args.get("state", "")})
                )
            return "<!doctype html><title>Signed out</title><p id='op-signed-out'>Signed out of the provider.</p>"
