"""One settings object, read from ``IOC_*`` environment variables and an optional TOML file.

Precedence (highest first): explicit keyword arguments, ``IOC_*`` environment variables, the TOML
file named by ``IOC_CONFIG`` (or passed as ``config_file``), built-in defaults.

>>> s = load_settings(env={"IOC_DATA_DIR": "/tmp/ioc-doc"})
>>> s.database_url
'sqlite:////tmp/ioc-doc/ioc.sqlite3'

Any invalid value raises :class:`SettingsError` with a one-line message naming the setting and
what is expected, e.g. ``IOC_TIMEZONE='Mars/Base' is invalid: expected an IANA time zone name
such as Asia/Ho_Chi_Minh``.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from dashboard.errors import SettingsError

#: The project checkout (parent of the ``dashboard`` package); the embedded default keeps its
#: data beside the code so every process started from this checkout shares one database.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "IOC_"

CacheBackend = Literal["filesystem", "redis", "simple", "null"]
Language = Literal["vi", "en"]

# What each setting expects, in words, for error messages.
_EXPECTED: dict[str, str] = {
    "data_dir": "a writable directory path",
    "database_url": "an SQLAlchemy URL such as sqlite:///data/ioc.sqlite3 or "
    "postgresql+psycopg://user@host:5432/ioc",
    "cache_backend": "one of filesystem, redis, simple, null",
    "redis_url": "a Redis URL such as redis://127.0.0.1:6379/0",
    "cache_timeout": "a whole number of seconds ≥ 0",
    "timezone": "an IANA time zone name such as Asia/Ho_Chi_Minh",
    "language": "vi or en",
    "secret_key": "a random string of at least 16 characters",
    "sources_file": "the path of an existing sources TOML file",
    "host": "an IP address or host name to listen on",
    "port": "a TCP port number between 1 and 65535",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR",
    "log_format": "text or json",
    "metrics_token": "a random string of at least 16 characters (sent as Authorization: Bearer …)",
    "render_concurrency": "a whole number of concurrent cold wall renders per process, 1–16",
    "agency_name_vi": "a non-empty name",
    "agency_name_en": "a non-empty name",
    "targets_file": "the path of a valid targets TOML file (see targets.example.toml)",
    "session_minutes": "a whole number of minutes between 5 and 10080 (a week)",
    "audit_retention_days": "a whole number of days ≥ 30",
    "screen_enrol_hours": "a whole number of hours between 1 and 720",
    "oidc_issuer": "the https:// (or http://127.0.0.1 for tests) URL of the OpenID provider's issuer",
    "oidc_client_id": "the client id registered at the OpenID provider",
    "oidc_client_secret": "the client secret registered at the OpenID provider",
    "oidc_scopes": "space-separated OpenID scopes, starting with openid",
    "oidc_username_claim": "the claim that names the account, e.g. preferred_username",
    "oidc_roles_claim": "the claim (dot path) holding groups or roles, e.g. groups or realm_access.roles",
    "oidc_role_map": "GROUP=ROLE:UNIT pairs separated by ';', e.g. ioc-lanh-dao=lanh_dao:BO",
    "oidc_public_url": "the https:// address people open, e.g. https://ioc.example (no path)",
    "frame_ancestors": "CSP frame-ancestors sources separated by spaces, e.g. 'self' or "
    "'self' https://portal.example.gov.vn ('none' forbids every frame)",
    "cookie_secure": "true or false",
    "allowed_hosts": "host names or addresses separated by commas, e.g. ioc.example.gov.vn,10.0.0.5",
    "trusted_proxies": "the number of reverse proxies in front of the app (0 when none), 0–5",
    "max_request_bytes": "a number of bytes ≥ 1024",
    "min_sample": "a whole number of items from 1 to 1000 (a ratio over fewer is drawn as a small sample)",
    "rate_limit": "a rate such as 300/minute or 20/second;1000/hour",
    "ratelimit_storage_url": "a limits storage URL such as memory:// or redis://127.0.0.1:6379/1",
    "public_url": "the http(s):// address people open the dashboard at, e.g. https://ioc.example.gov.vn",
    "smtp_host": "the host name or address of the mail server",
    "smtp_port": "a TCP port number between 1 and 65535 (25, 587 with STARTTLS, 465 with SSL)",
    "smtp_user": "the account name on the mail server",
    "smtp_password": "the password of IOC_SMTP_USER",
    "smtp_starttls": "true or false",
    "smtp_ssl": "true or false",
    "smtp_from": "a sender address such as ioc@example.gov.vn or 'IOC <ioc@example.gov.vn>'",
    "smtp_ca_file": "the path of a PEM file of the certificate authority that signed the mail server's certificate",
    "webhook_url": "an http(s):// URL that receives the alerts as JSON",
    "webhook_secret": "a random string of at least 16 characters (signs each webhook body with HMAC-SHA256)",
    "briefing_time": "a local time HH:MM such as 07:00",
}


class Settings(BaseModel):
    """Validated, immutable settings. Build it with :func:`load_settings`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default=PROJECT_ROOT / "data")
    database_url: str = ""
    cache_backend: CacheBackend = "filesystem"
    redis_url: str | None = None
    cache_timeout: int = Field(default=3600, ge=0)
    timezone: str = "Asia/Ho_Chi_Minh"
    language: Language = "vi"
    secret_key: str = ""
    sources_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8050, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, with the request id
    # --- operations (dashboard/metrics.py, dashboard/render_cache.py) ---
    metrics_token: str | None = Field(default=None, min_length=16)  # /metrics from elsewhere than localhost
    render_concurrency: int = Field(default=1, ge=1, le=16)  # cold wall renders at once, per process
    agency_name_vi: str = Field(default="Trung tâm điều hành thông minh", min_length=1)
    agency_name_en: str = Field(default="Intelligent Operations Center", min_length=1)
    targets_file: Path | None = None
    # A ratio over fewer items is a small sample: drawn as "ít mẫu (n = 3)", left out of rankings.
    min_sample: int = Field(default=10, ge=1, le=1000)
    # Access (dashboard/access.py, dashboard/auth.py).
    session_minutes: int = Field(default=600, ge=5, le=10080)  # a signed-in session's lifetime
    audit_retention_days: int = Field(default=365, ge=30)
    screen_enrol_hours: int = Field(default=72, ge=1, le=720)  # an enrolment code's lifetime
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile email"
    oidc_username_claim: str = "preferred_username"
    oidc_roles_claim: str = "groups"
    oidc_role_map: str = ""
    # The address the provider sends browsers back to (…/auth/oidc/callback, …/login?bye=1);
    # default: the address of the request (right when the proxy passes Host and the scheme).
    oidc_public_url: str | None = None
    # --- the web surface (dashboard/security.py) ---
    frame_ancestors: str = "'self'"  # /wall frames slides of this same site
    cookie_secure: bool = False  # set true in production behind TLS
    allowed_hosts: str = ""  # empty: localhost, 127.0.0.1, [::1] and IOC_HOST
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    max_request_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    rate_limit: str = "300/minute"
    ratelimit_storage_url: str | None = None
    # --- notifications (dashboard/notify/) and alerts (dashboard/alerts/) ---
    public_url: str | None = None  # links in e-mails; default http://IOC_HOST:IOC_PORT
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # default 465 with SSL, 587 STARTTLS, 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_from: str = "ioc@localhost"
    smtp_ca_file: Path | None = None  # an internal CA; default: the system's trusted CAs
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, min_length=16)
    # --- the morning briefing (dashboard/reports.py): rendered at this local time on working days ---
    briefing_time: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _parsable_url(cls, value: str) -> str:
        if value:
            try:
                url = make_url(value)
            except ArgumentError as exc:
                raise ValueError("not a database URL") from exc
            if url.get_backend_name() not in {"sqlite", "postgresql"}:
                raise ValueError("only sqlite and postgresql are supported")
            if url.get_backend_name() == "postgresql" and url.get_driver_name() not in {"psycopg"}:
                raise ValueError("use the psycopg 3 driver: postgresql+psycopg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("not a Redis URL")
        return value or None

    @field_validator("targets_file")
    @classmethod
    def _valid_targets(cls, value: Path | None) -> Path | None:
        # Validated at start-up, as a whole: every process refuses a wrong targets file at once.
        if value is None:
            return value
        from dashboard.targets import TargetsError, read_targets_file

        try:
            read_targets_file(value)
        except TargetsError as exc:
            raise _CrossFieldError("targets_file", str(exc)) from None
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _one_directive(cls, value: str) -> str:
        # Goes into a header: nothing that could end the directive or the header.
        if not value.strip() or any(c in value for c in ";,\r\n"):
            raise ValueError("not a list of frame-ancestors sources")
        return " ".join(value.split())

    @field_validator("allowed_hosts")
    @classmethod
    def _host_names(cls, value: str) -> str:
        hosts = [h.strip() for h in value.split(",") if h.strip()]
        if any(not re.fullmatch(r"\.?[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]", h) for h in hosts):
            raise ValueError("not a list of host names")
        return ",".join(hosts)

    @field_validator("rate_limit")
    @classmethod
    def _parsable_rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError("not a rate") from exc
        return value

    @field_validator("ratelimit_storage_url")
    @classmethod
    def _storage_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("memory://", "redis://", "rediss://", "redis+unix://")):
            raise ValueError("not a limits storage URL")
        return value or None

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("too short")
        return value

    @field_validator("oidc_issuer", "oidc_public_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        # Tokens and the client secret travel to the issuer: TLS, except on this machine (tests).
        if not value:
            return None
        parts = urlsplit(value)
        local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
        if not parts.netloc or parts.query or parts.fragment or not (parts.scheme == "https" or local):
            raise ValueError("not an https:// URL")
        return value.rstrip("/")

    @field_validator("oidc_role_map")
    @classmethod
    def _role_map(cls, value: str) -> str:
        from dashboard.access import ROLES

        for pair in filter(None, (p.strip() for p in value.split(";"))):
            group, sep, grant = pair.partition("=")
            role, sep2, unit = grant.partition(":")
            if not sep or not sep2 or not group.strip() or not unit.strip() or role.strip() not in ROLES:
                raise ValueError(f"bad pair {pair!r}")
        return value

    @field_validator("public_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
            raise ValueError("not an http(s):// URL")
        return value.rstrip("/") if parts.path in {"", "/"} else value

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z0-9.\-]+|\[?[0-9A-Fa-f:.]+\]?", value.strip()):
            raise ValueError("not a host name")
        return value.strip() if value else None

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str) -> str:
        from email.utils import parseaddr

        _, address = parseaddr(value)
        if "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError("not an e-mail address")
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not Path(value).is_file():
            raise ValueError("file not found")
        return value

    @property
    def smtp_port_effective(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return 465 if self.smtp_ssl else 587 if self.smtp_starttls else 25

    @property
    def link_base(self) -> str:
        """The address links in notifications start with."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in {"0.0.0.0", "::", "[::]", "*"} else self.host
        return f"http://{host}:{self.port}"

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Settings:
        if self.cache_backend == "redis" and not self.redis_url:
            raise _CrossFieldError("redis_url", "IOC_CACHE_BACKEND=redis needs IOC_REDIS_URL")
        if self.oidc_issuer and not self.oidc_client_id:
            raise _CrossFieldError("oidc_client_id", "IOC_OIDC_ISSUER needs IOC_OIDC_CLIENT_ID")
        if self.smtp_ssl and self.smtp_starttls:
            raise _CrossFieldError("smtp_starttls", "IOC_SMTP_SSL and IOC_SMTP_STARTTLS exclude each other")
        if self.smtp_password and not self.smtp_user:
            raise _CrossFieldError("smtp_user", "IOC_SMTP_PASSWORD needs IOC_SMTP_USER")
        if self.webhook_url and not self.webhook_secret:
            raise _CrossFieldError(
                "webhook_secret", "IOC_WEBHOOK_URL needs IOC_WEBHOOK_SECRET (bodies are signed)"
            )
        if self.sources_file is not None and not self.sources_file.is_file():
            raise _CrossFieldError("sources_file", f"file not found: {self.sources_file}")
        return self

    # --- derived values -------------------------------------------------------------------------
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def allowed_host_list(self) -> list[str]:
        """The Host names the web app answers: ``IOC_ALLOWED_HOSTS``, or the local names plus
        ``IOC_HOST`` when that is a specific address (not 0.0.0.0 or ::)."""
        if self.allowed_hosts:
            return self.allowed_hosts.split(",")
        hosts = ["localhost", "127.0.0.1", "[::1]"]
        host = self.host.strip()
        if host and host not in {"0.0.0.0", "::", "[::]", "*"}:
            host = f"[{host}]" if ":" in host and not host.startswith("[") else host
            if host not in hosts:
                hosts.append(host)
        return hosts

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict that is safe to print or log (secrets and passwords hidden)."""
        from dashboard.redact import MASK, redact

        out = self.model_dump(mode="json")
        out["secret_key"] = MASK
        if self.oidc_client_secret:
            out["oidc_client_secret"] = MASK
        if self.metrics_token:
            out["metrics_token"] = MASK
        for secret in ("smtp_password", "webhook_secret"):
            if out.get(secret):
                out[secret] = MASK
        return {key: redact(value) if isinstance(value, str) else value for key, value in out.items()}


class _CrossFieldError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) readable by this account only (0700) when it is missing.

    An existing directory keeps its mode: the operator may have chosen it on purpose.
    """
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def make_private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 when it is missing (an SQLite file, a key)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(f"IOC_CONFIG={str(path)!r} is invalid: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    # Accept both a flat file and one with an [ioc] table.
    data = data.get("ioc", data)
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(
            f"config file {path}: unknown setting {unknown[0]!r}; known settings: "
            + ", ".join(sorted(Settings.model_fields))
        )
    return data


def load_settings(
    env: dict[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    *,
    create_dirs: bool = True,
    **overrides: Any,
) -> Settings:
    """Read, validate and complete the settings; raise :class:`SettingsError` on a bad value.

    ``env`` defaults to ``os.environ``. The embedded default gets a database in the data directory
    and a secret key generated once and stored there (mode 0600).
    """
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    cfg = config_file or env.get("IOC_CONFIG")
    if cfg:
        path = Path(cfg)
        for key, value in _read_toml(path).items():
            values[key] = value
            origin[key] = f"{key} in {path}"
    for field in Settings.model_fields:
        name = env_name(field)
        if name in env and env[name] != "":
            values[field] = env[name]
            origin[field] = name
    for key, value in overrides.items():
        if key not in Settings.model_fields:
            raise SettingsError(f"unknown setting {key!r}")
        values[key] = value
        origin[key] = key

    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise _settings_error(exc, values, origin) from None
    except _CrossFieldError as exc:  # pragma: no cover - pydantic wraps it; kept for safety
        raise SettingsError(f"{env_name(exc.field)} is invalid: {exc}") from None

    data_dir = settings.data_dir.expanduser().resolve()
    updates: dict[str, Any] = {"data_dir": data_dir}
    if (not settings.database_url or not settings.secret_key) and create_dirs:
        try:
            make_private_dir(data_dir)
        except OSError as exc:
            raise SettingsError(
                f"{origin.get('data_dir', 'IOC_DATA_DIR')}={str(data_dir)!r} is invalid: "
                f"expected {_EXPECTED['data_dir']} ({exc.strerror})"
            ) from None
    if not settings.database_url:
        updates["database_url"] = f"sqlite:///{data_dir / 'ioc.sqlite3'}"
    if not settings.secret_key:
        updates["secret_key"] = _stored_secret_key(data_dir) if create_dirs else secrets.token_hex(32)
    return settings.model_copy(update=updates)


def _stored_secret_key(data_dir: Path) -> str:
    """Return the secret key kept in the data directory, creating it on first run."""
    path = data_dir / "secret_key"
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 16:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    # O_EXCL: if two processes start together, the loser reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise SettingsError(
            f"IOC_DATA_DIR={str(data_dir)!r} is invalid: expected {_EXPECTED['data_dir']} "
            f"(cannot write the secret key: {exc.strerror})"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _settings_error(exc: ValidationError, values: dict[str, Any], origin: dict[str, str]) -> SettingsError:
    err = exc.errors()[0]
    loc = err.get("loc") or ()
    field = str(loc[0]) if loc else ""
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _CrossFieldError):
        field = ctx_error.field
        where = origin.get(field, env_name(field))
        return SettingsError(f"{where} is invalid: {ctx_error}")
    if err.get("type") == "extra_forbidden":
        return SettingsError(f"unknown setting {field!r}")
    where = origin.get(field, env_name(field))
    shown = values.get(field)
    expected = _EXPECTED.get(field, err.get("msg", "a valid value"))
    if field in {"secret_key", "smtp_password", "webhook_secret"}:
        shown = "***"
    return SettingsError(f"{where}={str(shown)!r} is invalid: expected {expected}")
