"""One dialect-aware, idempotent upsert used by every writer.

``upsert(session, Document, rows, key=("source", "source_id"))`` inserts new rows and updates
existing ones (``INSERT … ON CONFLICT … DO UPDATE`` on SQLite and PostgreSQL). Running it twice
with the same rows changes nothing; a changed row is updated.

By default (``count=True``) the rows already stored are read first and compared in Python,
so only new and really changed rows are written, ``ingested_at`` moves only on a real change, and
the counts are exact:

>>> # UpsertResult(inserted=2, updated=0, unchanged=0)   # first run
>>> # UpsertResult(inserted=0, updated=0, unchanged=2)   # same rows again

``result.previous`` holds the stored values of the rows that changed, keyed like ``key``:
the runner uses them to refresh the rollups of the (unit, day) a fact leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    #: When counting: key → stored values (of the written columns) before the update.
    previous: dict[tuple, dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    #: The rows actually written (inserted or changed).
    written: list[dict[str, Any]] = field(default_factory=list, compare=False, repr=False)


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
    count: bool = True,
    skip_unchanged: bool = True,
) -> UpsertResult:
    """Insert or update ``rows`` of ``model`` identified by the unique ``key`` columns.

    All rows must carry the same columns. Rows repeated within one call are collapsed, the last
    one wins (sources sometimes send the same record twice in one page). With ``count=False``
    (or ``skip_unchanged=False``) every row is written without reading first and nothing is
    counted — for derived tables (rollups, snapshots) whose counts do not matter.
    """
    compare = count and skip_unchanged
    key = tuple(key)
    by_key: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        by_key[tuple(row[k] for k in key)] = row
    if not by_key:
        return UpsertResult()
    rows = list(by_key.values())
    columns = list(rows[0].keys())
    missing = [k for k in key if k not in columns]
    if missing:
        raise ValueError(f"rows lack key column(s) {missing}")
    table = model.__table__
    updatable = [c for c in (update_columns or columns) if c not in key]

    if compare:
        stored = _stored_rows(session, table, key, updatable, list(by_key))
        to_write, previous = [], {}
        for k, row in by_key.items():
            old = stored.get(k)
            if old is None:
                to_write.append(row)
            elif any(old[c] != row[c] for c in updatable):
                to_write.append(row)
                previous[k] = old
        inserted = len(to_write) - len(previous)
        result = UpsertResult(inserted, len(previous), len(by_key) - len(to_write), previous, to_write)
    else:
        to_write = rows
        result = UpsertResult(written=to_write)
    if to_write:
        _write(session, table, key, updatable, to_write)
    return result


def _write(session: Session, table, key: tuple[str, ...], updatable: list[str], rows: list[dict[str, Any]]) -> None:
    if session.get_bind().dialect.name == "sqlite" and _sqlite_fast_path(table, rows[0]):
        _write_sqlite(session, table, key, updatable, rows)
        return
    # One parameterised statement executed with many parameter sets: compiled once, sent with
    # the driver's executemany (batched into multi-row INSERTs on PostgreSQL, see db.make_engine).
    stmt = _insert_for(session)(table)
    if updatable:
        excluded = stmt.excluded
        set_: dict[str, Any] = {c: excluded[c] for c in updatable}
        # Columns with an onupdate (e.g. ingested_at) move with every real change.
        for col in table.columns:
            if col.onupdate is not None and col.name not in set_ and col.name not in key:
                set_[col.name] = col.onupdate.arg(None)
        # Never rewrite an identical row (a concurrent writer may have stored the same values).
        where = or_(*[table.c[c].is_distinct_from(excluded[c]) for c in updatable])
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=set_, where=where)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    session.execute(stmt, rows)


# --- SQLite fast path --------------------------------------------------------------------------------
# SQLAlchemy spends ~30 µs per row preparing executemany parameters; for the collectors' bulk
# writes on SQLite we convert values ourselves, exactly as SQLAlchemy's SQLite types store them
# (UTC "YYYY-MM-DD HH:MM:SS.ffffff", "YYYY-MM-DD", 1/0), and hand the rows to sqlite3's
# executemany. Tables with other column types take the general path.


def _sqlite_converter(column) -> Any:
    from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String

    from dashboard.timeutil import UTC, UTCDateTime, to_utc

    kind = column.type
    if isinstance(kind, UTCDateTime):

        def utc_text(v):
            if v is None:
                return None
            if v.tzinfo is None:
                to_utc(v)  # raises NaiveDatetimeError, as the general path does
            return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

        return utc_text
    if isinstance(kind, DateTime):
        return None  # naive DateTime columns are not used by writers; take the general path
    if isinstance(kind, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else int(bool(v))
    if isinstance(kind, JSON):
        return None
    if isinstance(kind, (String, Integer, Float)):
        return _IDENTITY
    return None


_IDENTITY = object()


def _sqlite_fast_path(table, sample: dict[str, Any]) -> bool:
    return all(_sqlite_converter(table.c[name]) is not None for name in sample)


def _write_sqlite(session: Session, table, key: tuple[str, ...], updatable: list[str], rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0].keys())
    now_values: dict[str, Any] = {}
    # Python-side defaults of absent columns (flags, ingested_at) are evaluated once per
    # statement, as SQLAlchemy does for a multi-row insert.
    for col in table.columns:
        if col.name not in columns and col.default is not None and (col.default.is_callable or col.default.is_scalar):
            columns.append(col.name)
            now_values[col.name] = col.default.arg(None) if col.default.is_callable else col.default.arg
    converters = [_sqlite_converter(table.c[c]) for c in columns]
    quoted = {c: '"' + c.replace('"', '""') + '"' for c in columns}
    sql = f'INSERT INTO "{table.name}" ({", ".join(quoted[c] for c in columns)}) VALUES ({", ".join("?" * len(columns))})'
    set_parts = [f"{quoted[c]} = excluded.{quoted[c]}" for c in updatable]
    extra: list[Any] = []
    for col in table.columns:
        if col.onupdate is not None and col.name not in updatable and col.name not in key:
            set_parts.append(f'"{col.name}" = ?')
            extra.append(_sqlite_converter(col)(col.onupdate.arg(None)))
    if set_parts:
        where = " OR ".join(f"{quoted[c]} IS NOT excluded.{quoted[c]}" for c in updatable)
        sql += f' ON CONFLICT ({", ".join(quoted[k] for k in key)}) DO UPDATE SET {", ".join(set_parts)} WHERE {where}'
    else:
        sql += f' ON CONFLICT ({", ".join(quoted[k] for k in key)}) DO NOTHING'
    plan = [(c, None if conv is _IDENTITY else conv) for c, conv in zip(columns, converters)]
    params = []
    for row in rows:
        values = []
        for name, conv in plan:
            value = row[name] if name in row else now_values[name]
            values.append(value if conv is None else conv(value))
        values.extend(extra)
        params.append(tuple(values))
    session.connection().exec_driver_sql(sql, params)


def _stored_rows(
    session: Session, table, key: tuple[str, ...], columns: list[str], keys: list[tuple]
) -> dict[tuple, dict[str, Any]]:
    """The stored values of ``columns`` for the rows with these keys."""
    found: dict[tuple, dict[str, Any]] = {}
    key_cols = [table.c[k] for k in key]
    value_cols = [table.c[c] for c in columns]
    # Writers send one source at a time: fix the leading key columns and look the last one up
    # with a plain IN list, which every database answers from the unique index.
    groups: dict[tuple, list] = {}
    for k in keys:
        groups.setdefault(k[:-1], []).append(k[-1])
    n = len(key)
    for prefix, lasts in groups.items():
        fixed = [c == v for c, v in zip(key_cols[:-1], prefix)]
        for start in range(0, len(lasts), 900):
            part = lasts[start : start + 900]
            stmt = select(*key_cols, *value_cols).where(*fixed, key_cols[-1].in_(part))
            for row in session.execute(stmt):
                found[tuple(row[:n])] = dict(zip(columns, row[n:]))
    return found
