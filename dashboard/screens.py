"""Wall screens as enrolled devices.

``ioc screens add NAME --playlist P --scope UNIT`` (or the ``/screens`` page) registers a screen
and gives a one-time enrolment code, valid ``IOC_SCREEN_ENROL_HOURS``. Opening
``/screens/enrol/<code>`` on the screen's browser exchanges it for a long-lived device credential
(a random token in an HttpOnly cookie; the table keeps only its SHA-256), bound to the playlist
and the unit subtree: read-only, never a sign-in page, never expiring. Revoking it takes effect at
the screen's next refresh, which then shows a neutral "màn hình đã bị thu hồi" page.

Heartbeats ride on the screen's own refreshes: each Dash request of an enrolled screen tells the
server its current slide, app version and last client error (request headers set by
``assets/wall.js``); the server writes them at most every :data:`HEARTBEAT_EVERY` unless they change.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from dashboard.access import Principal
from dashboard.errors import IocError
from dashboard.models import OrgUnit, Screen
from dashboard.timeutil import utcnow

HEARTBEAT_EVERY = timedelta(seconds=30)
#: A screen not heard from for this long is shown as silent on the fleet page.
SILENT_AFTER = timedelta(minutes=3)
DEVICE_COOKIE = "ioc_screen"


class ScreenError(IocError):
    exit_code = 8


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ScreenInfo:
    id: int
    name: str
    playlist: str
    unit_code: str
    unit_name_vi: str
    unit_name_en: str
    state: str  # waiting (not enrolled) | active | silent | revoked
    enrolled_at: datetime | None
    last_seen_at: datetime | None
    last_address: str | None
    last_slide: str | None
    app_version: str | None
    last_client_error: str | None
    last_client_error_at: datetime | None
    reload_pending: bool


def add(
    session: Session, name: str, playlist: str, unit_code: str, enrol_hours: int, now: datetime | None = None
) -> tuple[Screen, str]:
    """Register a screen; returns it and its one-time enrolment code (shown once)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ScreenError("a screen needs a name of 1–120 characters")
    if session.scalar(select(Screen.id).where(Screen.name == name)) is not None:
        raise ScreenError(f"a screen named {name!r} exists already: revoke it or choose another name")
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code))
    if unit is None:
        raise ScreenError(f"unknown unit {unit_code!r}: see `ioc units list`")
    if not (playlist or "").strip():
        raise ScreenError("a screen needs a playlist (see playlists.toml)")
    code = secrets.token_urlsafe(18)
    screen = Screen(
        name=name,
        playlist=playlist.strip(),
        unit_id=unit.id,
        enrol_code_hash=token_hash(code),
        enrol_expires_at=(now or utcnow()) + timedelta(hours=enrol_hours),
    )
    session.add(screen)
    session.flush()
    return screen, code


def new_code(
    session: Session, name: str, enrol_hours: int, now: datetime | None = None
) -> tuple[Screen, str]:
    """A fresh enrolment code for an existing screen (e.g. after replacing its computer): the
    old credential is revoked."""
    screen = _by_name(session, name)
    code = secrets.token_urlsafe(18)
    screen.enrol_code_hash = token_hash(code)
    screen.enrol_expires_at = (now or utcnow()) + timedelta(hours=enrol_hours)
    screen.token_hash = None
    screen.revoked_at = None
    screen.enrolled_at = None
    return screen, code


def enrol(session: Session, code: str, now: datetime | None = None) -> tuple[Screen, str] | None:
    """Exchange a one-time enrolment code for the device token; None if the code is unknown,
    used or expired."""
    now = now or utcnow()
    if not code or len(code) > 200:
        return None
    screen = session.scalar(select(Screen).where(Screen.enrol_code_hash == token_hash(code)))
    if (
        screen is None
        or screen.revoked_at is not None
        or (screen.enrol_expires_at and screen.enrol_expires_at < now)
    ):
        return None
    token = secrets.token_urlsafe(32)
    screen.token_hash = token_hash(token)
    screen.enrol_code_hash = None  # one time only
    screen.enrol_expires_at = None
    screen.enrolled_at = now
    return screen, token


def _by_name(session: Session, name: str) -> Screen:
    screen = session.scalar(select(Screen).where(Screen.name == name))
    if screen is None:
        raise ScreenError(f"no screen named {name!r}: see `ioc screens list`")
    return screen


def revoke(session: Session, name: str, now: datetime | None = None) -> Screen:
    screen = _by_name(session, name)
    screen.revoked_at = now or utcnow()
    screen.enrol_code_hash = None
    return screen


def request_reload(session: Session, name: str, now: datetime | None = None) -> Screen:
    screen = _by_name(session, name)
    screen.reload_requested_at = now or utcnow()
    return screen


#: What the gate reads of a screen on each of its requests (one indexed row, no ORM objects).
_SEEN = (
    Screen.id,
    Screen.name,
    Screen.playlist,
    Screen.revoked_at,
    Screen.last_seen_at,
    Screen.last_slide,
    Screen.app_version,
    Screen.last_client_error,
    Screen.last_address,
    Screen.reload_requested_at,
)


def lookup(conn, token: str):
    """The row of the screen holding ``token`` (revoked ones included: the caller tells them
    apart) with its unit's code as ``unit_code``, or None."""
    if not token or len(token) > 200:
        return None
    return conn.execute(
        select(*_SEEN, OrgUnit.code.label("unit_code"))
        .join(OrgUnit, OrgUnit.id == Screen.unit_id)
        .where(Screen.token_hash == token_hash(token))
    ).first()


def principal_for(row) -> Principal:
    return Principal(
        "screen",
        row.id,
        row.name,
        row.name,
        (("screen", row.unit_code),),
        playlist=row.playlist,
        via="device",
    )


def heartbeat(
    row,
    *,
    now: datetime,
    address: str | None,
    slide: str | None,
    version: str | None,
    client_error: str | None,
) -> dict:
    """What to write of a screen's report: {} when nothing changed and the last heartbeat is recent
    (so most refreshes write nothing)."""
    slide = (slide or "")[:500] or None
    client_error = (client_error or "")[:1000] or None
    changes: dict = {}
    if slide and slide != row.last_slide:
        changes["last_slide"] = slide
    if version and version[:40] != row.app_version:
        changes["app_version"] = version[:40]
    if client_error and client_error != row.last_client_error:
        changes.update(last_client_error=client_error, last_client_error_at=now)
    if address and address[:64] != row.last_address:
        changes["last_address"] = address[:64]
    if row.reload_requested_at is not None:
        changes["reload_requested_at"] = None  # delivered with this answer
    if changes or row.last_seen_at is None or now - row.last_seen_at >= HEARTBEAT_EVERY:
        changes["last_seen_at"] = now
    return changes


def record_heartbeat(conn, screen_id: int, changes: dict) -> None:
    conn.execute(update(Screen).where(Screen.id == screen_id).values(**changes))


def fleet(
    session: Session, unit_codes: frozenset[str] | None = None, now: datetime | None = None
) -> list[ScreenInfo]:
    """Every screen (within ``unit_codes`` when given), for the fleet page and ``ioc screens list``."""
    now = now or utcnow()
    out = []
    for s in session.scalars(select(Screen).options(selectinload(Screen.unit)).order_by(Screen.name)):
        if unit_codes is not None and s.unit.code not in unit_codes:
            continue
        if s.revoked_at is not None:
            state = "revoked"
        elif s.token_hash is None:
            state = "waiting"
        elif s.last_seen_at is None or now - s.last_seen_at > SILENT_AFTER:
            state = "silent"
        else:
            state = "active"
        out.append(
            ScreenInfo(
                s.id,
                s.name,
                s.playlist,
                s.unit.code,
                s.unit.name_vi,
                s.unit.name_en,
                state,
                s.enrolled_at,
                s.last_seen_at,
                s.last_address,
                s.last_slide,
                s.app_version,
                s.last_client_error,
                s.last_client_error_at,
                s.reload_requested_at is not None,
            )
        )
    return out
