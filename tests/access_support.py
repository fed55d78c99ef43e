"""Signing in, for tests: principals for in-process page calls, accounts and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from sqlalchemy import select

from dashboard.access import Principal
from dashboard.models import OrgUnit


def roots(app) -> tuple[str, ...]:
    with app.server.extensions["ioc"].sessions() as session:
        return tuple(session.scalars(select(OrgUnit.code).where(OrgUnit.parent_id.is_(None))))


def leader(app, *, secret: bool = False) -> Principal:
    """The leadership of the whole agency (every root unit)."""
    codes = roots(app) or ("",)  # an empty store: leadership of nothing yet
    grants = tuple(("lanh_dao", c) for c in codes) + tuple(("theo_doi", c) for c in codes)
    return Principal("user", 1, "test-leader", "Test Leader", grants, may_see_secret=secret)


def unit_head(code: str) -> Principal:
    return Principal("user", 2, f"head-{code.lower()}", f"Head of {code}", (("truong_don_vi", code),))


@contextmanager
def request_as(app, path: str, principal: Principal | None = None, **kwargs) -> Iterator[None]:
    """A request context for ``path`` with the app's hooks run, as ``principal`` (default: the
    leadership of the whole agency)."""
    who = principal if principal is not None else leader(app)
    with app.server.test_request_context(path, **kwargs):
        app.server.preprocess_request()
        g.principal = who
        yield


def add_account(session, name: str, password: str, *grants: tuple[str, str], secret: bool = False):
    from dashboard import accounts

    return accounts.add_account(session, name, password=password, grants=list(grants), may_see_secret=secret)


def sign_in(client, name: str, password: str):
    """Sign a Flask test client in through the real form; returns the response."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token, "next": "/"}
    )


def _csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def csrf_header(client) -> dict[str, str]:
    """The header dash-renderer sends: the ``_csrf_token`` cookie's value."""
    cookie = client.get_cookie("_csrf_token")
    return {"X-CSRFToken": cookie.value if cookie else ""}


PASSWORD = "correct horse battery"


def signed_in_client(app, *grants: tuple[str, str], name: str = "test-leader", secret: bool = False):
    """A Flask test client signed in through the real form. Without ``grants``: leadership and
    monitoring of the whole agency (the demo units are imported when the store has none)."""
    sessions = app.server.extensions["ioc"].sessions
    with sessions.begin() as session:
        if not grants:
            if not session.scalar(select(OrgUnit.id).limit(1)):
                from dashboard.units import DEMO_UNITS_FILE, import_units_file

                import_units_file(session, DEMO_UNITS_FILE)
            tops = list(session.scalars(select(OrgUnit.code).where(OrgUnit.parent_id.is_(None))))
            grants = tuple(("lanh_dao", c) for c in tops) + tuple(("theo_doi", c) for c in tops)
        add_account(session, name, PASSWORD, *grants, secret=secret)
    client = app.server.test_client()
    answer = sign_in(client, name, PASSWORD)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client
