"""Which units a request may show — the one place access control will live.

Every page, callback and export asks :func:`visible_units` for the units it may show and
:func:`resolve_unit` to turn a requested unit (from the URL or a picker) into an allowed one.
Today every visitor sees the whole agency; when sign-in lands (a later issue), only this module
changes: it will read the signed-in user's rights here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.models import OrgUnit


class UnitNotAllowed(LookupError):
    """The requested unit does not exist or is not visible to this visitor."""


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


def visible_units(session: Session) -> list[UnitOption]:
    """The units this visitor may see, as a tree in display order (parents before children)."""
    units = session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True)).order_by(OrgUnit.sort_order, OrgUnit.code)).all()
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    codes = {u.id: u.code for u in units}
    out: list[UnitOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in by_parent.get(parent, []):
            out.append(UnitOption(unit.code, unit.name_vi, unit.name_en, unit.level, depth, codes.get(unit.parent_id)))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def resolve_unit(session: Session, requested: str | None) -> str | None:
    """The unit code to show: ``None`` (the whole agency) or an allowed unit's code."""
    if not requested or requested in {"all", "*"}:
        return None
    allowed = {u.code for u in visible_units(session)}
    if requested not in allowed:
        raise UnitNotAllowed(requested)
    return requested
