"""Who may see what — the one place that decides.

Every page layout, server callback, export and endpoint asks this module, on the server, about the
*principal* of the current request: a signed-in person (roles over unit subtrees) or an enrolled
wall screen (read-only, one playlist, one subtree). Nothing the browser sends is trusted: a unit
code from a URL, a picker or a forged callback payload is only a *request* that
:func:`resolve_unit` grants or refuses against the principal's scope.

Roles (:data:`ROLE_CAPABILITIES`): ``lanh_dao`` (leadership) and ``truong_don_vi`` (a unit head)
see and export the KPIs and action lists of their subtrees; ``theo_doi`` (monitoring staff)
also sees the Sources page and the screen fleet; ``quan_tri`` (administration) manages accounts,
screens and reads the audit — and sees no figures unless it also holds a viewing role. A scope is
the union of the subtrees of the principal's grants; the whole-agency view exists only for a
principal whose scope holds every root of the hierarchy.

>>> p = Principal("user", 7, "an", "An", (("truong_don_vi", "SO-01"),))
>>> p.can("export"), p.can("admin"), p.key
(True, False, 'user:7')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import OrgUnit

#: What each role may do. ``view``: KPIs, pages and action lists of the scope; ``export``: CSV/XLSX
#: and JSON of the scope; ``sources``: the Sources page; ``screens``: the screen fleet page;
#: ``admin``: accounts, screens (enrol, revoke) and the audit. ``alerts``: see and acknowledge the
#: alerts of the scope; ``alert_rules``: manage alert rules; ``explain_ask`` / ``explain_answer``:
#: ask a unit head to explain a KPI (giải trình) / answer for one's own unit.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "lanh_dao": frozenset({"view", "export", "alerts", "explain_ask"}),
    "truong_don_vi": frozenset({"view", "export", "alerts", "explain_answer"}),
    "theo_doi": frozenset({"view", "export", "sources", "screens", "alerts", "alert_rules"}),
    "quan_tri": frozenset({"admin", "screens", "sources", "alert_rules"}),
    "screen": frozenset({"view"}),  # an enrolled wall screen: read-only, no export
}
ROLES = ("lanh_dao", "truong_don_vi", "theo_doi", "quan_tri")
ROLE_NAMES = {
    "lanh_dao": ("Lãnh đạo", "Leadership"),
    "truong_don_vi": ("Trưởng đơn vị", "Unit head"),
    "theo_doi": ("Theo dõi, giám sát", "Monitoring"),
    "quan_tri": ("Quản trị", "Administration"),
    "screen": ("Màn hình", "Screen"),
}

#: Which capability each page needs (by path prefix; the longest match wins). A page not listed
#: needs ``view``.
PAGE_CAPABILITIES: dict[str, str] = {
    "/api": "export",  # KPIs as data: what may be exported may be read as JSON
    "/sources": "sources",
    "/reports": "export",  # briefings are exports of the scope's figures (a wall screen has none)
    "/screens": "screens",
    "/admin": "admin",
    "/alerts": "alerts",
}


class UnitNotAllowed(LookupError):
    """The requested unit does not exist or is outside the principal's scope."""


class AccessDenied(PermissionError):
    """The principal may not do this (or nobody is signed in)."""


@dataclass(frozen=True)
class Principal:
    """The caller of a request: a person (``kind="user"``) or an enrolled screen (``"screen"``)."""

    kind: str
    id: int
    name: str
    display_name: str
    grants: tuple[tuple[str, str], ...]  # (role, unit code of the subtree's root)
    may_see_secret: bool = False
    playlist: str | None = None  # screens only: the one playlist it shows
    via: str = "password"  # password | oidc | device
    session_hash: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """A stable key for rate limits and audit: ``user:7``, ``screen:3``."""
        return f"{self.kind}:{self.id}"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _ in self.grants)

    def can(self, capability: str) -> bool:
        return any(capability in ROLE_CAPABILITIES.get(role, ()) for role in self.roles)

    def roots(self, capability: str = "view") -> tuple[str, ...]:
        """The unit codes whose subtrees this principal may ``capability``, in grant order."""
        seen: dict[str, None] = {}
        for role, code in self.grants:
            if capability in ROLE_CAPABILITIES.get(role, ()):
                seen.setdefault(code, None)
        return tuple(seen)


@dataclass(frozen=True)
class UnitOption:
    code: str
    name_vi: str
    name_en: str
    level: str
    depth: int
    parent_code: str | None

    def label(self, lang: str = "vi") -> str:
        return ("\u2003" * self.depth) + (self.name_en if lang == "en" else self.name_vi)


# --- the principal of this request ------------------------------------------------------------------
def current_principal() -> Principal | None:
    """The principal that :mod:`dashboard.auth` attached to this request, or None."""
    if not has_request_context():
        return None
    return g.get("principal")


def require(capability: str = "view") -> Principal:
    """The current principal if it may ``capability``; :class:`AccessDenied` otherwise."""
    principal = current_principal()
    if principal is None or not principal.can(capability):
        raise AccessDenied(capability)
    return principal


def may(capability: str) -> bool:
    principal = current_principal()
    return principal is not None and principal.can(capability)


def page_capability(path: str) -> str:
    best = ""
    for prefix in PAGE_CAPABILITIES:
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) > len(best):
            best = prefix
    return PAGE_CAPABILITIES[best] if best else "view"


def may_see_page(principal: Principal | None, path: str) -> bool:
    return principal is not None and principal.can(page_capability(path))


def may_see_secret() -> bool:
    """Documents marked secret are listed and exported only for accounts with the permission."""
    principal = current_principal()
    return principal is not None and principal.kind == "user" and principal.may_see_secret


# --- scope ------------------------------------------------------------------------------------------
def _unit_tree(session: Session) -> list[UnitOption]:
    """The active hierarchy in display order, read once per request."""
    if has_request_context() and "ioc_unit_tree" in g:
        return g.ioc_unit_tree
    # Plain rows, not ORM objects: nothing of the session outlives the request's cache.
    units = session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name_vi, OrgUnit.name_en, OrgUnit.level, OrgUnit.parent_id)
        .where(OrgUnit.active.is_(True))
        .order_by(OrgUnit.sort_order, OrgUnit.code)
    ).all()
    tree = _tree(units)
    if has_request_context():
        g.ioc_unit_tree = tree
    return tree


def unit_tree(session: Session) -> list[UnitOption]:
    """The whole active hierarchy in display order (names for administration pages; what a
    principal may *see* is :func:`visible_units`)."""
    return _unit_tree(session)


def _tree(units) -> list[UnitOption]:
    """``units``: rows of (id, code, name_vi, name_en, level, parent_id), in display order."""
    by_parent: dict[int | None, list] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    codes = {u.id: u.code for u in units}
    out: list[UnitOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in by_parent.get(parent, []):
            out.append(
                UnitOption(
                    unit.code, unit.name_vi, unit.name_en, unit.level, depth, codes.get(unit.parent_id)
                )
            )
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def subtree_codes(tree: list[UnitOption], roots: tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Every unit code under (and including) ``roots``.

    >>> t = [UnitOption("B", "", "", "ministry", 0, None), UnitOption("S1", "", "", "department", 1, "B"),
    ...      UnitOption("S2", "", "", "department", 1, "B"), UnitOption("P", "", "", "province", 2, "S1")]
    >>> sorted(subtree_codes(t, ("S1",)))
    ['P', 'S1']
    """
    inside = set(roots) & {u.code for u in tree}
    for unit in tree:  # parents come before children in ``tree``
        if unit.parent_code in inside:
            inside.add(unit.code)
    return frozenset(inside)


def scope_codes(
    session: Session, principal: Principal | None = None, capability: str = "view"
) -> frozenset[str]:
    """The unit codes ``principal`` (default: the current one) may ``capability``."""
    principal = principal if principal is not None else current_principal()
    if principal is None:
        return frozenset()
    return subtree_codes(_unit_tree(session), principal.roots(capability))


def holds_whole_agency(session: Session, principal: Principal | None = None) -> bool:
    """True when the scope holds every root of the hierarchy: the whole-agency view is allowed."""
    principal = principal if principal is not None else current_principal()
    if principal is None:
        return False
    tree = _unit_tree(session)
    tops = {u.code for u in tree if u.parent_code is None}
    return bool(tops) and tops <= subtree_codes(tree, principal.roots("view"))


def visible_units(session: Session) -> list[UnitOption]:
    """The units the current principal may see, as a tree in display order (parents first).
    Depths are relative to the principal's highest visible units."""
    principal = current_principal()
    if principal is None:
        return []
    tree = _unit_tree(session)
    inside = subtree_codes(tree, principal.roots("view"))
    shown = [u for u in tree if u.code in inside]
    if not shown:
        return []
    top = min(u.depth for u in shown)
    return [UnitOption(u.code, u.name_vi, u.name_en, u.level, u.depth - top, u.parent_code) for u in shown]


def default_unit(session: Session) -> str | None:
    """What a page shows when no unit is asked for: the whole agency (``None``) for a principal
    whose scope holds it, else the first root of its scope."""
    principal = current_principal()
    if principal is None:
        raise UnitNotAllowed("")
    tree = _unit_tree(session)
    if not tree or holds_whole_agency(session, principal):
        return None  # (no unit at all: there is nothing to see yet, and the page says so)
    inside = subtree_codes(tree, principal.roots("view"))
    for unit in tree:
        if unit.code in inside:
            return unit.code
    raise UnitNotAllowed("")


def resolve_unit(session: Session, requested: str | None) -> str | None:
    """The unit to show for a requested code: ``None`` (the whole agency, only when the scope holds
    it), the principal's default unit when nothing (or ``*``/``all``) is asked, or the requested
    unit when it lies inside the scope. Anything else raises :class:`UnitNotAllowed`."""
    if not isinstance(requested, str) or not requested or requested in {"all", "*"}:
        return default_unit(session)
    if requested not in scope_codes(session):
        raise UnitNotAllowed(requested)
    return requested


def within_scope(session: Session, codes) -> list[str]:
    """The subset of ``codes`` the current principal may see, in the given order."""
    allowed = scope_codes(session)
    return [c for c in codes if c in allowed]


def unit_exists(session: Session, code: str) -> bool:
    """Whether an active unit has this code (whatever the scope): to tell "unknown" from "not yours"."""
    return any(u.code == code for u in _unit_tree(session))
