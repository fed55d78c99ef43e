"""One dialect-aware, idempotent upsert used by every writer.

``upsert(session, Document, rows, key=("source", "source_id"))`` inserts new rows and updates
existing ones in one statement per chunk (``INSERT … ON CONFLICT … DO UPDATE`` on SQLite and
PostgreSQL). Running it twice with the same rows changes nothing; a changed row is updated.

With ``skip_unchanged=True`` an existing row whose values are identical is not rewritten, so
``updated``/``ingested_at`` reflect real changes and the counts returned are honest:

>>> # UpsertResult(inserted=2, updated=0, unchanged=0)   # first run
>>> # UpsertResult(inserted=0, updated=0, unchanged=2)   # same rows again
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# SQLite allows 32766 bound parameters per statement; PostgreSQL 65535.
_MAX_PARAMS = 30_000


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: "UpsertResult") -> "UpsertResult":
        return UpsertResult(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def _insert_for(session: Session):
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert
    if name == "postgresql":
        return postgresql.insert
    raise NotImplementedError(f"upsert is not implemented for the {name} dialect")


def upsert(
    session: Session,
    model: type,
    rows: Sequence[dict[str, Any]] | Iterable[dict[str, Any]],
    key: Sequence[str],
    *,
    update_columns: Sequence[str] | None = None,
    skip_unchanged: bool = True,
    count: bool = True,
) -> UpsertResult:
    """Insert or update ``rows`` of ``model`` identified by the unique ``key`` columns.

    All rows must carry the same columns. Rows repeated within one call are collapsed, the last
    one wins (sources sometimes send the same record twice in one page).
    """
    rows = list(rows)
    if not rows:
        return UpsertResult()
    key = tuple(key)
    by_key: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = row
    rows = list(by_key.values())
    columns = list(rows[0].keys())
    missing = [k for k in key if k not in columns]
    if missing:
        raise ValueError(f"rows lack key column(s) {missing}")
    table = model.__table__
    updatable = [c for c in (update_columns or columns) if c not in key]

    existing: set[tuple] = set()
    if count:
        existing = _existing_keys(session, table, key, list(by_key))

    insert = _insert_for(session)
    key_cols = [table.c[k] for k in key]
    written: set[tuple] = set()
    chunk = max(1, _MAX_PARAMS // max(1, len(columns)))
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        stmt = insert(table).values(part)
        if updatable:
            excluded = stmt.excluded
            set_: dict[str, Any] = {c: excluded[c] for c in updatable}
            # Columns with an onupdate (e.g. ingested_at) change only when the row really changes.
            for col in table.columns:
                if col.onupdate is not None and col.name not in set_ and col.name not in key:
                    set_[col.name] = col.onupdate.arg(None)
            where = None
            if skip_unchanged:
                where = or_(*[table.c[c].is_distinct_from(excluded[c]) for c in updatable])
            stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=set_, where=where)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
        if count:
            # RETURNING yields the rows inserted or updated, not those left unchanged.
            written.update(tuple(r) for r in session.execute(stmt.returning(*key_cols)))
        else:
            session.execute(stmt)

    if not count:
        return UpsertResult()
    inserted = sum(1 for k in written if k not in existing)
    updated = len(written) - inserted
    unchanged = len(by_key) - inserted - updated
    return UpsertResult(inserted=inserted, updated=updated, unchanged=unchanged)


def _existing_keys(session: Session, table, key: tuple[str, ...], keys: list[tuple]) -> set[tuple]:
    found: set[tuple] = set()
    cols = [table.c[k] for k in key]
    step = max(1, 900 // len(key))
    for start in range(0, len(keys), step):
        part = keys[start : start + step]
        if len(key) == 1:
            cond = cols[0].in_([k[0] for k in part])
        else:
            cond = tuple_(*cols).in_(part)
        found.update(tuple(r) for r in session.execute(select(*cols).where(cond)))
    return found
