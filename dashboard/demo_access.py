"""The demo's people and wall screen: one account per role on the simulated ministry, and an
enrolled screen for the wall — so ``ioc demo`` still ends with a working wall in one command.

Passwords are random, made on the first start, printed once and kept only in the demo's own data
directory (``<data>/demo/accounts.txt``, mode 0600): no default password exists anywhere else.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import accounts, audit, screens
from dashboard.models import Account, Screen

#: (account, display name, grants, may see secret documents)
DEMO_ACCOUNTS = (
    ("lanh-dao", "Lãnh đạo Bộ (mô phỏng)", (("lanh_dao", "BMP"),), True),
    ("truong-so-01", "Giám đốc Sở Hà Nội (mô phỏng)", (("truong_don_vi", "SO-01"),), False),
    ("theo-doi", "Cán bộ theo dõi (mô phỏng)", (("theo_doi", "BMP"),), False),
    ("quan-tri", "Quản trị hệ thống (mô phỏng)", (("quan_tri", "BMP"),), False),
)
DEMO_MAIL_DOMAIN = "mo-phong.invalid"  # .invalid: never a real address
DEMO_SCREEN = ("man-hinh-phong-dieu-hanh", "tong-quan", "BMP")


def accounts_file(demo_dir: Path) -> Path:
    return demo_dir / "accounts.txt"


def ensure(
    session: Session, demo_dir: Path, base_url: str, enrol_hours: int, echo: Callable[[str], None]
) -> None:
    """Create the demo accounts and screen on first start; print how to sign in."""
    path = accounts_file(demo_dir)
    created = []
    for name, display, grants, secret in DEMO_ACCOUNTS:
        if session.scalar(select(Account.id).where(Account.username == name)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        accounts.add_account(
            session, name, password=password, display_name=display, grants=list(grants), may_see_secret=secret
        )
        audit.record(
            session, "account_added", actor="demo", target=name, grants=[f"{r}:{u}" for r, u in grants]
        )
        created.append((name, password, ", ".join(f"{r}:{u}" for r, u in grants)))
    for account in session.scalars(
        select(Account).where(Account.username.in_([a[0] for a in DEMO_ACCOUNTS]))
    ):
        account.email = (
            account.email or f"{account.username}@{DEMO_MAIL_DOMAIN}"
        )  # alerts go to the mail sink
    if created:
        demo_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{name}\t{password}\t{grants}" for name, password, grants in created]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        echo("demo accounts (SIMULATED; shown once, also kept in " + str(path) + "):")
        for name, password, grants in created:
            echo(f"  {name:<14} {password}   {grants}")
    else:
        echo(f"demo accounts: see {path}")
    name, playlist, unit = DEMO_SCREEN
    screen = session.scalar(select(Screen).where(Screen.name == name))
    if screen is None:
        screen, code = screens.add(session, name, playlist, unit, enrol_hours)
        audit.record(session, "screen_added", actor="demo", target=name, unit_code=unit, playlist=playlist)
    elif screen.token_hash is None or screen.revoked_at is not None:
        screen, code = screens.new_code(session, name, enrol_hours)
    else:
        echo(
            f"demo wall screen {name!r} is enrolled; add another with: ioc screens add NAME --playlist {playlist} "
            f"--scope {unit}"
        )
        return
    echo(f"wall screen (kiosk, no sign-in): open once on the screen: {base_url}/screens/enrol/{code}")
