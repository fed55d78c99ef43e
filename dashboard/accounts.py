"""Local accounts, their grants, password hashing (Argon2id) and sign-in back-off.

The web process signs people in through :mod:`dashboard.auth`; ``ioc users …`` manages the
accounts. Every change is written to the audit (:mod:`dashboard.audit`).

Back-off: each failed sign-in counts against the account name *and* the client address (whether
or not the account exists, so the answer never tells). From the 5th failure of an account name
(20th of an address) within 15 minutes, further attempts wait 2, 4, 8 … seconds, at most 15
minutes; a success clears the account's counter.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from dashboard.access import ROLE_CAPABILITIES, ROLES, Principal
from dashboard.errors import IocError
from dashboard.models import AccessGrant, Account, OrgUnit, SignInThrottle
from dashboard.timeutil import utcnow

_HASHER = PasswordHasher()  # Argon2id, the library's current recommended parameters
#: Verified against when the account does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,119}$")
MIN_PASSWORD = 10

ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
FAILURE_WINDOW = timedelta(minutes=15)
MAX_BLOCK = timedelta(minutes=15)


class AccountError(IocError):
    """A wrong account command: unknown account or unit, bad role, weak password …"""

    exit_code = 8


@dataclass(frozen=True)
class AccountInfo:
    username: str
    display_name: str
    active: bool
    local_password: bool
    may_see_secret: bool
    grants: tuple[tuple[str, str], ...]
    last_sign_in_at: datetime | None


def normalise_username(name: str) -> str:
    return (name or "").strip().lower()


def check_username(name: str) -> str:
    name = normalise_username(name)
    if not USERNAME_RE.match(name):
        raise AccountError(
            f"account name {name!r} is invalid: 2–120 characters, lower-case letters, digits and . _ @ -"
        )
    return name


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _unit(session: Session, code: str) -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        raise AccountError(f"unknown unit {code!r}: see `ioc units list`")
    return unit


def _account(session: Session, name: str) -> Account:
    account = session.scalar(select(Account).where(Account.username == normalise_username(name)))
    if account is None:
        raise AccountError(f"no account {normalise_username(name)!r}: see `ioc users list`")
    return account


def parse_grant(text: str) -> tuple[str, str]:
    """``ROLE:UNIT`` → (role, unit code)."""
    role, sep, unit = (text or "").partition(":")
    role, unit = role.strip(), unit.strip()
    if not sep or not unit:
        raise AccountError(f"grant {text!r} is invalid: expected ROLE:UNIT, e.g. truong_don_vi:SO-01")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    return role, unit


def add_account(
    session: Session,
    name: str,
    *,
    password: str | None,
    display_name: str = "",
    grants: list[tuple[str, str]] = (),
    may_see_secret: bool = False,
) -> Account:
    name = check_username(name)
    if session.scalar(select(Account.id).where(Account.username == name)) is not None:
        raise AccountError(f"account {name!r} exists already")
    if password is not None:
        check_password(password)
    account = Account(
        username=name,
        display_name=display_name or name,
        password_hash=hash_password(password) if password is not None else None,
        may_see_secret=may_see_secret,
    )
    session.add(account)
    session.flush()
    for role, code in grants:
        session.add(AccessGrant(account_id=account.id, role=role, unit_id=_unit(session, code).id))
    session.flush()
    return account


def set_active(session: Session, name: str, active: bool) -> Account:
    account = _account(session, name)
    account.active = active
    if not active:  # signing out everywhere is part of disabling
        from dashboard.models import WebSession

        session.execute(delete(WebSession).where(WebSession.account_id == account.id))
    return account


def reset_password(session: Session, name: str, password: str) -> Account:
    check_password(password)
    account = _account(session, name)
    account.password_hash = hash_password(password)
    from dashboard.models import WebSession

    session.execute(delete(WebSession).where(WebSession.account_id == account.id))
    return account


def grant(session: Session, name: str, role: str, unit_code: str, *, revoke: bool = False) -> Account:
    account = _account(session, name)
    unit = _unit(session, unit_code)
    existing = session.scalar(
        select(AccessGrant).where(
            AccessGrant.account_id == account.id, AccessGrant.role == role, AccessGrant.unit_id == unit.id
        )
    )
    if revoke:
        if existing is None:
            raise AccountError(f"account {account.username!r} holds no grant {role}:{unit_code}")
        session.delete(existing)
    elif existing is None:
        session.add(AccessGrant(account_id=account.id, role=role, unit_id=unit.id))
    session.flush()
    return account


def set_secret_permission(session: Session, name: str, allowed: bool) -> Account:
    account = _account(session, name)
    account.may_see_secret = allowed
    return account


def list_accounts(session: Session) -> list[AccountInfo]:
    accounts = session.scalars(
        select(Account)
        .options(selectinload(Account.grants).selectinload(AccessGrant.unit))
        .order_by(Account.username)
    ).all()
    return [
        AccountInfo(
            a.username,
            a.display_name,
            a.active,
            a.password_hash is not None,
            a.may_see_secret,
            tuple((g.role, g.unit.code) for g in sorted(a.grants, key=lambda g: g.id)),
            a.last_sign_in_at,
        )
        for a in accounts
    ]


def principal_for(
    session: Session, account: Account, *, via: str = "password", session_hash: str | None = None
) -> Principal:
    grants = session.execute(
        select(AccessGrant.role, OrgUnit.code)
        .join(OrgUnit, OrgUnit.id == AccessGrant.unit_id)
        .where(AccessGrant.account_id == account.id)
        .order_by(AccessGrant.id)
    ).all()
    return Principal(
        "user",
        account.id,
        account.username,
        account.display_name or account.username,
        tuple((r, c) for r, c in grants if r in ROLE_CAPABILITIES),
        may_see_secret=account.may_see_secret,
        via=via,
        session_hash=session_hash,
    )


def principal_of_session(conn, id_hash: str, now: datetime) -> Principal | None:
    """The principal of a live server-side session (one query: session, account, grants), or None
    when the session is unknown, expired, or its account disabled."""
    from dashboard.models import WebSession

    rows = conn.execute(
        select(
            WebSession.expires_at,
            WebSession.via,
            Account.id,
            Account.username,
            Account.display_name,
            Account.may_see_secret,
            Account.active,
            AccessGrant.role,
            OrgUnit.code,
        )
        .join(Account, Account.id == WebSession.account_id)
        .outerjoin(AccessGrant, AccessGrant.account_id == Account.id)
        .outerjoin(OrgUnit, OrgUnit.id == AccessGrant.unit_id)
        .where(WebSession.id_hash == id_hash)
        .order_by(AccessGrant.id)
    ).all()
    if not rows or rows[0].expires_at <= now or not rows[0].active:
        return None
    first = rows[0]
    grants = tuple((r.role, r.code) for r in rows if r.role in ROLE_CAPABILITIES and r.code is not None)
    return Principal(
        "user",
        first.id,
        first.username,
        first.display_name or first.username,
        grants,
        may_see_secret=first.may_see_secret,
        via=first.via,
        session_hash=id_hash,
    )


# --- passwords and back-off ---------------------------------------------------------------------------
def verify(session: Session, name: str, password: str) -> Account | None:
    """The active local account ``name`` if ``password`` is right, else None (same cost either way)."""
    account = session.scalar(select(Account).where(Account.username == normalise_username(name)))
    stored = account.password_hash if account is not None and account.password_hash else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if account is None or not account.password_hash or not account.active:
        return None
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def _keys(name: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"account:{normalise_username(name)[:150]}", ACCOUNT_FREE_FAILURES)]
    if address:
        keys.append((f"address:{address[:64]}", ADDRESS_FREE_FAILURES))
    return keys


def blocked_for(session: Session, name: str, address: str | None, now: datetime | None = None) -> float:
    """Seconds the caller must still wait before trying ``name`` again from ``address`` (0: may try)."""
    now = now or utcnow()
    wait = 0.0
    for key, _free in _keys(name, address):
        row = session.get(SignInThrottle, key)
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            wait = max(wait, (row.blocked_until - now).total_seconds())
    return wait


def record_failure(session: Session, name: str, address: str | None, now: datetime | None = None) -> None:
    now = now or utcnow()
    for key, free in _keys(name, address):
        row = session.get(SignInThrottle, key)
        if row is None:
            row = SignInThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > FAILURE_WINDOW:
            row.failures = 0
            row.blocked_until = None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= free:
            delay = min(MAX_BLOCK.total_seconds(), 2.0 ** (row.failures - free + 1))
            row.blocked_until = now + timedelta(seconds=delay)


def record_success(session: Session, name: str) -> None:
    row = session.get(SignInThrottle, _keys(name, None)[0][0])
    if row is not None:
        session.delete(row)
