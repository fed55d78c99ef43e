"""Organisation units: import a hierarchy from CSV or TOML, idempotently and all-or-nothing.

File format — one unit per row/table, fields:

``code`` (unique), ``name_vi``, ``name_en`` (defaults to name_vi), ``parent`` (a parent's code,
empty for a root), ``level`` (ministry / group / department / province / commune), optional
``short_name_vi``, ``sort_order``, ``simulated`` (true/false), ``active`` (true/false), ``portal_code``
(the unit's code on the national public-service portal, the key of its published 766 scores —
``ioc scores import``; unique; an empty one keeps the stored code).

CSV example (UTF-8, with or without BOM; ``,`` or ``;``)::

    code,name_vi,name_en,parent,level
    BO,Bộ X,Ministry X,,ministry
    VP,Văn phòng Bộ,Ministry Office,BO,department

TOML example::

    [[unit]]
    code = "BO"
    name_vi = "Bộ X"
    level = "ministry"

Every problem in the file (missing field, unknown level, duplicate code, unknown parent, cycle) is
reported with its line or entry number; if there is any, nothing is written.
"""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import bump_data_version
from dashboard.errors import UnitImportError
from dashboard.models import UNIT_LEVELS, OrgUnit
from dashboard.upsert import upsert

DEMO_UNITS_FILE = Path(__file__).resolve().parent / "data" / "demo_units.toml"

_TRUE = {"1", "true", "yes", "y", "x", "có", "co"}
_FALSE = {"0", "false", "no", "n", "", "không", "khong"}


@dataclass
class UnitRow:
    where: str  # "line 3" or "unit #2", for messages
    code: str
    name_vi: str
    name_en: str
    parent: str | None
    level: str
    short_name_vi: str | None = None
    sort_order: int = 0
    simulated: bool = False
    active: bool = True
    portal_code: str | None = None


@dataclass
class ImportReport:
    total: int
    inserted: int
    updated: int
    unchanged: int
    roots: list[str] = field(default_factory=list)


def read_units_file(path: str | Path) -> list[UnitRow]:
    """Parse a CSV or TOML units file; raise UnitImportError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise UnitImportError(str(path), ["file not found"])
    suffix = path.suffix.lower()
    if suffix == ".toml":
        raw = _read_toml(path)
    elif suffix in {".csv", ".txt"}:
        raw = _read_csv(path)
    else:
        raise UnitImportError(str(path), [f"unsupported file type {suffix!r}: use .csv or .toml"])
    rows, problems = _validate_rows(raw)
    if problems:
        raise UnitImportError(str(path), problems)
    return rows


def _read_toml(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UnitImportError(str(path), [f"not valid UTF-8 TOML: {exc}"]) from None
    units = data.get("unit")
    if not isinstance(units, list) or not units:
        raise UnitImportError(str(path), ["no [[unit]] tables found"])
    return [(f"unit #{i}", u if isinstance(u, dict) else {}) for i, u in enumerate(units, start=1)]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnitImportError(
            str(path), ["file is not UTF-8 (or UTF-16): save it as 'CSV UTF-8' and import again"]
        ) from None


def _read_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    text = _decode(path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise UnitImportError(str(path), ["the file is empty"])
    headers = {h.strip().lower() for h in reader.fieldnames if h}
    missing = [h for h in ("code", "name_vi", "level") if h not in headers]
    if missing:
        raise UnitImportError(str(path), [f"missing column(s) {', '.join(missing)} in the header line"])
    out = []
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(clean.values()):
            continue  # blank line
        out.append((f"line {reader.line_num}", clean))
    return out


def _as_bool(value: Any, where: str, name: str, problems: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"{where}: {name} must be true or false, got {value!r}")
    return False


def _validate_rows(raw: list[tuple[str, dict[str, Any]]]) -> tuple[list[UnitRow], list[str]]:
    problems: list[str] = []
    rows: list[UnitRow] = []
    seen: dict[str, str] = {}
    portal_seen: dict[str, str] = {}
    for where, data in raw:
        code = str(data.get("code") or "").strip()
        name_vi = str(data.get("name_vi") or "").strip()
        level = str(data.get("level") or "").strip().lower()
        if not code:
            problems.append(f"{where}: missing code")
            continue
        if code in seen:
            problems.append(f"{where}: duplicate code {code!r} (first at {seen[code]})")
            continue
        seen[code] = where
        if not name_vi:
            problems.append(f"{where}: unit {code!r} has no name_vi")
        if level not in UNIT_LEVELS:
            problems.append(
                f"{where}: unit {code!r} has level {level!r}; expected one of {', '.join(UNIT_LEVELS)}"
            )
        sort_raw = data.get("sort_order", 0) or 0
        try:
            sort_order = int(sort_raw)
        except (TypeError, ValueError):
            problems.append(f"{where}: sort_order of {code!r} must be a whole number, got {sort_raw!r}")
            sort_order = 0
        portal_code = str(data.get("portal_code") or "").strip() or None
        if portal_code is not None:
            if portal_code in portal_seen:
                problems.append(
                    f"{where}: duplicate portal_code {portal_code!r} (first at {portal_seen[portal_code]})"
                )
            portal_seen.setdefault(portal_code, where)
        parent = str(data.get("parent") or "").strip() or None
        if parent == code:
            problems.append(f"{where}: unit {code!r} is its own parent")
        rows.append(
            UnitRow(
                where=where,
                code=code,
                name_vi=name_vi,
                name_en=str(data.get("name_en") or "").strip() or name_vi,
                parent=parent,
                level=level,
                short_name_vi=str(data.get("short_name_vi") or "").strip() or None,
                sort_order=sort_order,
                simulated=_as_bool(data.get("simulated", False), where, "simulated", problems),
                active=_as_bool(data.get("active", True), where, "active", problems),
                portal_code=portal_code,
            )
        )
    return rows, problems


def import_units(session: Session, rows: list[UnitRow], source: str = "file") -> ImportReport:
    """Upsert ``rows`` by code inside the caller's transaction; all or nothing.

    Parents may be in the file or already in the database. The resulting hierarchy (database
    merged with the file) must be acyclic.
    """
    existing = {u.code: u for u in session.scalars(select(OrgUnit))}
    code_of = {u.id: code for code, u in existing.items()}
    old_parent: dict[str, str | None] = {
        code: code_of.get(unit.parent_id) if unit.parent_id is not None else None
        for code, unit in existing.items()
    }
    problems = _import_problems(existing, old_parent, rows)
    if problems:
        raise UnitImportError(source, problems)

    # Insert/update without parents first (a parent may come later in the file), then link.
    values = [
        {
            "code": r.code,
            "name_vi": r.name_vi,
            "name_en": r.name_en,
            "short_name_vi": r.short_name_vi,
            "level": r.level,
            "sort_order": r.sort_order,
            "is_simulated": r.simulated,
            "active": r.active,
        }
        for r in rows
    ]
    inserted = sum(1 for r in rows if r.code not in existing)
    updated = sum(
        1
        for r, v in zip(rows, values, strict=False)
        if r.code in existing and _changes(existing[r.code], v, old_parent.get(r.code), r)
    )
    upsert(session, OrgUnit, values, key=("code",), count=False)
    ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
    # Portal codes move between units of one file: clear the ones given away first (unique).
    given = {r.portal_code for r in rows if r.portal_code}
    for unit in session.scalars(select(OrgUnit).where(OrgUnit.portal_code.in_(given))):
        unit.portal_code = None
    session.flush()
    for r in rows:
        unit = session.get(OrgUnit, ids[r.code])
        wanted = ids[r.parent] if r.parent else None
        if unit.parent_id != wanted:
            unit.parent_id = wanted
        if r.portal_code is not None:
            unit.portal_code = r.portal_code
    session.flush()
    if inserted or updated:
        bump_data_version(session)
    return ImportReport(
        total=len(rows),
        inserted=inserted,
        updated=updated,
        unchanged=len(rows) - inserted - updated,
        roots=[r.code for r in rows if r.parent is None],
    )


def _import_problems(
    existing: dict[str, OrgUnit], old_parent: dict[str, str | None], rows: list[UnitRow]
) -> list[str]:
    """Unknown parents, cycles in the merged hierarchy, portal codes owned by another unit."""
    problems: list[str] = []
    in_file = {r.code for r in rows}
    for row in rows:
        if row.parent and row.parent not in old_parent and row.parent not in in_file:
            problems.append(f"{row.where}: unit {row.code!r} has unknown parent {row.parent!r}")
    parent_of = {**old_parent, **{row.code: row.parent for row in rows}}
    problems.extend(_cycles(parent_of, {r.code: r.where for r in rows}))
    portal_owner = {u.portal_code: code for code, u in existing.items() if u.portal_code}
    for row in rows:
        owner = portal_owner.get(row.portal_code) if row.portal_code else None
        if owner is not None and owner != row.code and owner not in in_file:
            problems.append(f"{row.where}: portal_code {row.portal_code!r} already belongs to unit {owner!r}")
    return problems


def _changes(old: OrgUnit, values: dict, old_parent: str | None, row: UnitRow) -> bool:
    return (
        any(getattr(old, k) != val for k, val in values.items())
        or old_parent != row.parent
        or (row.portal_code is not None and old.portal_code != row.portal_code)
    )


def _cycles(parent_of: dict[str, str | None], where: dict[str, str]) -> list[str]:
    problems: list[str] = []
    reported: set[str] = set()
    for start in parent_of:
        path: list[str] = []
        node: str | None = start
        on_path: set[str] = set()
        while node is not None and node not in on_path:
            on_path.add(node)
            path.append(node)
            node = parent_of.get(node)
        if node is not None:  # came back to a node on the path: a cycle
            cycle = path[path.index(node) :]
            key = min(cycle)
            if key not in reported:
                reported.add(key)
                loc = where.get(cycle[0], "database")
                problems.append(f"{loc}: cycle in the hierarchy: {' → '.join(cycle + [cycle[0]])}")
    return problems


def import_units_file(session: Session, path: str | Path) -> ImportReport:
    rows = read_units_file(path)
    return import_units(session, rows, source=str(path))
