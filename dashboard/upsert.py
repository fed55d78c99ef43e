"""One dialect-aware, idempotent upsert used by every writer.

``upsert(session, Document, rows, key=("source", "source_id"))`` inserts new rows and updates
existing ones (``INSERT … ON CONFLICT … DO UPDATE`` on SQLite and PostgreSQL). Running it twice
with the same rows changes nothing; a changed row is updated.

By default (``count=True``) the rows already stored are read first and compared in Python,
so only new and really changed rows are written, ``ingested_at`` moves only on a real change, and
the counts are exact:

- first run: ``UpsertResult(inserted=2, updated=0, unchanged=0)``;
- the same rows again: ``UpsertResult(inserted=0, updated=0, unchanged=2)``.

``result.previous`` holds the stored values of the rows that changed, keyed like ``key``:
the runner uses them to refresh the rollups of the (unit, day) a fact leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, func, or_, select, text, true
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
    before_write: Callable[[list[tuple]], None] | None = None,
) -> UpsertResult:
    """Insert or update ``rows`` of ``model`` identified by the unique ``key`` columns.

    All rows must carry the same columns. Rows repeated within one call are collapsed, the last
    one wins (sources sometimes send the same record twice in one page). With ``count=False``
    (or ``skip_unchanged=False``) every row is written without reading first and nothing is
    counted — for derived tables (rollups, snapshots) whose counts do not matter.
    """
    compare = count and skip_unchanged
    key = tuple(key)
    get = itemgetter(*key)
    by_key: dict[tuple, dict[str, Any]] = (
        {get(row): row for row in rows} if len(key) > 1 else {(get(row),): row for row in rows}
    )
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
        if previous and before_write is not None:
            before_write(list(previous))
    else:
        to_write = rows
        result = UpsertResult(written=to_write)
    if to_write:
        if compare and session.get_bind().dialect.name == "sqlite" and _sqlite_fast_path(table, to_write[0]):
            # The rows not stored yet are inserted by a plain INSERT: SQLite's upsert machinery
            # costs a bulk load ~20 % more. Safe: SQLite runs one writer at a time, and a
            # transaction that read before another writer committed cannot write ("database is
            # locked": the runner retries); a duplicate would fail loudly, never merge silently.
            fresh = [row for k, row in by_key.items() if k not in stored]
            changed = [by_key[k] for k in previous]
            if fresh:
                _write_sqlite(session, table, key, updatable, fresh, plain=True)
            if changed:
                _write_sqlite(session, table, key, updatable, changed)
        else:
            _write(session, table, key, updatable, to_write)
        _note_written(session, table, len(to_write))
    return result


# --- statistics on PostgreSQL ------------------------------------------------------------------------
# A bulk load grows a table from nothing to millions of rows in minutes; until autovacuum
# analyses it (it may be off, or lag behind a busy writer) the planner believes the table is
# tiny and plans the collectors' per-batch lookups as scans of every row — a cost per batch that
# grows with the table. So writers analyse a table themselves once they have written a good share
# of it: after 10.000 rows, then each time the rows written reach the table's size (a few
# ANALYZE per doubling, ~0,1 s each), in a connection of their own (its own short transaction;
# never holding the lock through the batch's) — after the writing transaction commits. Analysed
# before, it would not see the rows: the table would have pages and no live rows, and the
# planner would take it for empty (zero rows per page) until the next ANALYZE — a plan that
# probed an index once per row of the "empty" side cost the second batch of a fresh store 8 s.

_ANALYZE_MIN_ROWS = 10_000
_ANALYZE_SHARE = 1.0
_written_since_analyze: dict[tuple[int, str], list[float]] = {}


def _note_written(session: Session, table, n: int) -> None:
    from sqlalchemy import Engine, event

    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or not isinstance(bind, Engine):
        return
    state = _written_since_analyze.setdefault((id(bind), table.name), [0.0, 0.0])  # [since, table rows]
    state[0] += n
    if state[0] < max(_ANALYZE_MIN_ROWS, _ANALYZE_SHARE * state[1]):
        return
    state[0] = 0.0
    pending = session.info.setdefault("ioc_analyze_after_commit", set())
    if not pending:
        event.listen(session, "after_commit", _analyze_pending, once=True)
    pending.add(table.name)


def _analyze_pending(session: Session) -> None:
    """ANALYZE the tables written past their threshold, now that their rows are visible."""
    bind = session.get_bind()
    for name in sorted(session.info.pop("ioc_analyze_after_commit", ())):
        try:
            with bind.connect() as conn:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.exec_driver_sql("SET lock_timeout = '2s'")  # another ANALYZE or VACUUM: skip this time
                quoted = '"' + name.replace('"', '""') + '"'
                conn.exec_driver_sql(f"ANALYZE {quoted}")
                rows = float(
                    conn.exec_driver_sql(
                        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (quoted,)
                    ).scalar()
                    or 0
                )
                _written_since_analyze.setdefault((id(bind), name), [0.0, 0.0])[1] = rows
        except Exception:
            import logging

            logging.getLogger(__name__).warning("ANALYZE %s failed", name, exc_info=True)


def _write(
    session: Session, table, key: tuple[str, ...], updatable: list[str], rows: list[dict[str, Any]]
) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and _sqlite_fast_path(table, rows[0]):
        _write_sqlite(session, table, key, updatable, rows)
        return
    if dialect == "postgresql" and _pg_fast_path(table, rows[0]):
        if len(rows) >= _PG_COPY_MIN_ROWS:
            _write_pg_copy(session, table, key, updatable, rows)
        else:
            _write_pg(session, table, key, updatable, rows)
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
            # "…+00:00" cut off: cheaper than replace(tzinfo=None) before formatting
            return v.astimezone(UTC).isoformat(" ", "microseconds")[:-6]

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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _python_defaults(table, present: list[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns absent from ``present`` (flags, ingested_at),
    evaluated once per statement as SQLAlchemy does for a multi-row insert; server-side defaults
    are left to the database."""
    return {
        col.name: col.default.arg(None) if col.default.is_callable else col.default.arg
        for col in table.columns
        if col.name not in present
        and col.default is not None
        and (col.default.is_callable or col.default.is_scalar)
    }


def _check_aware(table, name: str, values) -> None:
    """Naive datetimes for a UTC column raise NaiveDatetimeError, as the general path does."""
    from dashboard.timeutil import UTCDateTime, to_utc

    if isinstance(table.c[name].type, UTCDateTime):
        for v in values:
            if v is not None and (v.tzinfo is None or v.utcoffset() is None):
                to_utc(v)


def _on_conflict(table, key: tuple[str, ...], updatable: list[str], dialect: str) -> tuple[str, list[Any]]:
    """The ``ON CONFLICT`` clause of a bulk upsert into ``table`` (SQLite or PostgreSQL) and the
    values its ``onupdate`` columns bind. A row is only rewritten when an updatable value changed,
    so an unchanged re-run touches nothing (and bumps no ``updated_at``)."""
    pg = dialect == "postgresql"
    set_parts = [f"{_quote(c)} = excluded.{_quote(c)}" for c in updatable]
    params: list[Any] = []
    for col in table.columns:
        if col.onupdate is not None and col.name not in updatable and col.name not in key:
            value = col.onupdate.arg(None)
            if pg:
                set_parts.append(f"{_quote(col.name)} = %s::{_pg_array_type(col)}")
                params.append(value)
            else:
                set_parts.append(f"{_quote(col.name)} = ?")
                params.append(_sqlite_converter(col)(value))
    conflict = ", ".join(_quote(k) for k in key)
    if not set_parts:
        return f" ON CONFLICT ({conflict}) DO NOTHING", []
    target = _quote(table.name)
    changed = " OR ".join(
        f"{target}.{_quote(c)} IS DISTINCT FROM excluded.{_quote(c)}"
        if pg
        else f"{_quote(c)} IS NOT excluded.{_quote(c)}"
        for c in updatable
    )
    where = f" WHERE {changed}" if changed else ""
    return f" ON CONFLICT ({conflict}) DO UPDATE SET {', '.join(set_parts)}{where}", params


def _sqlite_fast_path(table, sample: dict[str, Any]) -> bool:
    return all(_sqlite_converter(table.c[name]) is not None for name in sample)


def _write_sqlite(
    session: Session,
    table,
    key: tuple[str, ...],
    updatable: list[str],
    rows: list[dict[str, Any]],
    *,
    plain: bool = False,
) -> None:
    columns = list(rows[0].keys())
    now_values = _python_defaults(table, columns)
    columns.extend(now_values)
    converters = [_sqlite_converter(table.c[c]) for c in columns]
    sql = f'INSERT INTO "{table.name}" ({", ".join(_quote(c) for c in columns)}) VALUES ({", ".join("?" * len(columns))})'
    extra: list[Any] = []
    if not plain:  # plain: rows known not to be stored (see upsert)
        clause, extra = _on_conflict(table, key, updatable, "sqlite")
        sql += clause
    connection = session.connection()
    info = connection.connection.info  # lives as long as the DBAPI connection
    if not info.get("ioc_bulk_cache"):
        # SQLite's default page cache (2 MB) is smaller than the index pages a page of facts
        # touches in a table of a million rows; a bulk writer's connection gets 64 MB.
        connection.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_BULK_CACHE_KIB}")
        # A page of facts rewrites a few MB of pages: checkpoint the WAL every 64 MB rather than
        # every 4 MB (each checkpoint syncs the database file; ~15 % of a bulk load's time).
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {_SQLITE_BULK_CHECKPOINT_PAGES}")
        info["ioc_bulk_cache"] = True
    params = _tuple_maker(table.name, tuple(columns), tuple(now_values), converters, len(extra))(
        rows, now_values, extra
    )
    connection.exec_driver_sql(sql, params)


_TUPLE_MAKERS: dict[tuple, Callable] = {}


def _tuple_maker(
    table_name: str, columns: tuple[str, ...], constant: tuple[str, ...], converters, n_extra: int
) -> Callable:
    """A function turning row dicts into parameter tuples, generated once per column set: one
    list comprehension with each column's conversion inlined (a generic loop over the columns of
    every row costs a page of 5.000 documents ~40 ms; this, a third of it)."""
    cache_key = (table_name, columns, constant, n_extra)
    maker = _TUPLE_MAKERS.get(cache_key)
    if maker is not None:
        return maker
    names: dict[str, Any] = {}
    parts = []
    for i, (name, conv) in enumerate(zip(columns, converters, strict=False)):
        if name in constant:
            value = f"k[{name!r}]"
        else:
            value = f"r[{name!r}]"
        if conv is _IDENTITY:
            parts.append(value)
        else:
            # Converters map None to None: skip the call for empty values (most dates of a fact).
            names[f"c{i}"] = conv
            parts.append(f"(None if (v{i} := {value}) is None else c{i}(v{i}))")
    parts.extend(f"x[{i}]" for i in range(n_extra))
    source = f"def make(rows, k, x):\n    return [({', '.join(parts)},) for r in rows]\n"
    scope: dict[str, Any] = dict(names)
    exec(compile(source, f"<upsert rows of {table_name}>", "exec"), scope)
    maker = _TUPLE_MAKERS[cache_key] = scope["make"]
    return maker


_SQLITE_BULK_CACHE_KIB = 65_536
_SQLITE_BULK_CHECKPOINT_PAGES = 16_384


@contextmanager
def pg_index_probes(session: Session) -> Iterator[None]:
    """Within the block, plan PostgreSQL joins as nested loops of index probes (no sequential
    scans, hash or merge joins), then restore the previous settings.

    For a writer's per-batch lookups — a few thousand keys, or a few hundred (unit, day) pairs —
    against a table of millions of rows whose pages are in memory: the planner's disk-oriented
    costs (random_page_cost = 4) make it hash the whole table instead (EXPLAIN: a 140.000-row
    sequential scan and hash, 126 ms, against 5.000 index probes, ~15 ms), a cost per batch that
    grows with the table. JIT compilation is off too: with those plans costed high, each lookup
    would compile (~100 ms) to run thousands of index probes that take less. Not for other
    statements: the settings are transaction-local and restored on exit."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit")
    previous = session.execute(text("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))).one()
    session.execute(text("SELECT " + ", ".join(f"set_config('{n}', 'off', true)" for n in names)))
    try:
        yield
    finally:
        session.execute(
            text("SELECT " + ", ".join(f"set_config('{n}', :v{i}, true)" for i, n in enumerate(names))),
            {f"v{i}": v for i, v in enumerate(previous)},
        )


def pg_probe_each(wanted, lookup):
    """``SELECT`` the rows of ``lookup`` — a query correlated to the rows of ``wanted``, a
    table-valued ``unnest`` of array parameters — once per wanted row: a ``LATERAL`` subquery
    fenced by ``OFFSET 0``, so the planner cannot flatten it into a join and turn that around.

    A plain join of the unnest against the table, planned from stale statistics (a table whose
    rows were analysed before they were committed looks empty), became "scan every row of this
    source, compare each with all 5.000 keys": 0,5–1,4 s per lookup in the second batch of a
    fresh store. Per wanted row, the lookup is an index probe whatever the statistics."""
    found = lookup.offset(0).lateral("found")
    return select(*found.c).select_from(wanted).join(found, true())


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
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL: join the unique index against ONE array parameter. An IN list of 900
        # parameters is planned (without fresh statistics, or as a generic prepared plan) as a
        # scan of every row of the source with a linear search of the list per row — a cost
        # that grows with the table (seconds per batch at 200.000 rows). Each key of the array
        # is probed in the unique index instead (pg_probe_each).
        last = key_cols[-1]
        with pg_index_probes(session):
            for prefix, lasts in groups.items():
                fixed = [c == v for c, v in zip(key_cols[:-1], prefix, strict=False)]
                wanted = (
                    func.unnest(bindparam("keys", lasts, type_=postgresql.ARRAY(last.type)))
                    .table_valued("k")
                    .render_derived(name="wanted")
                )
                stmt = pg_probe_each(wanted, select(*key_cols, *value_cols).where(*fixed, last == wanted.c.k))
                for row in session.execute(stmt):
                    found[tuple(row[:n])] = dict(zip(columns, row[n:], strict=False))
        return found
    for prefix, lasts in groups.items():
        fixed = [c == v for c, v in zip(key_cols[:-1], prefix, strict=False)]
        for start in range(0, len(lasts), 900):
            part = lasts[start : start + 900]
            stmt = select(*key_cols, *value_cols).where(*fixed, key_cols[-1].in_(part))
            for row in session.execute(stmt):
                found[tuple(row[:n])] = dict(zip(columns, row[n:], strict=False))
    return found


# --- PostgreSQL fast path ----------------------------------------------------------------------------
# ``INSERT … SELECT * FROM unnest(col1[], col2[], …) ON CONFLICT …``: one statement whose
# parameters are one array per column, sent by psycopg in binary. SQLAlchemy's executemany
# (multi-row VALUES of 1.000 rows) spends most of its time preparing parameters per row and the
# server parsing 19.000 parameters; the array form costs a few µs per row on both sides.


def _pg_array_type(column) -> str | None:
    from sqlalchemy import (
        BigInteger,
        Boolean,
        Date,
        DateTime,
        Float,
        Integer,
        SmallInteger,
        String,
    )

    from dashboard.timeutil import UTCDateTime

    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "timestamptz"
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Boolean):
        return "boolean"
    if isinstance(kind, SmallInteger):
        return "smallint"
    if isinstance(kind, BigInteger):
        return "bigint"
    if isinstance(kind, Integer):
        return "integer"
    if isinstance(kind, Float):
        return "double precision"
    if isinstance(kind, String):
        return "text"  # assigning text to varchar(n) still checks the length
    return None


def _pg_fast_path(table, sample: dict[str, Any]) -> bool:
    return all(_pg_array_type(table.c[name]) is not None for name in sample)


def _write_pg(
    session: Session, table, key: tuple[str, ...], updatable: list[str], rows: list[dict[str, Any]]
) -> None:
    columns = list(rows[0].keys())
    constants = _python_defaults(table, columns)
    columns.extend(constants)
    arrays: list[list[Any]] = []
    for name in columns:
        if name in constants:
            arrays.append([constants[name]] * len(rows))
            continue
        values = [row[name] for row in rows]
        _check_aware(table, name, values)
        arrays.append(values)
    unnest = ", ".join(f"%s::{_pg_array_type(table.c[c])}[]" for c in columns)
    sql = f"INSERT INTO {_quote(table.name)} ({', '.join(_quote(c) for c in columns)}) SELECT * FROM unnest({unnest})"
    clause, onupdate = _on_conflict(table, key, updatable, "postgresql")
    session.connection().exec_driver_sql(sql + clause, (*arrays, *onupdate))


# Bulk writes (a collector's page) go through COPY in binary — psycopg formats the rows in C —
# into a temporary staging table of this connection, then one INSERT … SELECT … ON CONFLICT.
# Arrays are dumped element by element in Python by psycopg (~0,3 s for a page of 5.000
# documents); COPY takes a tenth of that.
_PG_COPY_MIN_ROWS = 500
_PG_BINARY_NAMES = {
    "text": "text",
    "timestamptz": "timestamptz",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "bool",
    "smallint": "int2",
    "integer": "int4",
    "bigint": "int8",
    "double precision": "float8",
}


def _write_pg_copy(
    session: Session, table, key: tuple[str, ...], updatable: list[str], rows: list[dict[str, Any]]
) -> None:
    import hashlib

    columns = list(rows[0].keys())
    constants = list(_python_defaults(table, columns).items())
    kinds = [_pg_array_type(table.c[c]) for c in columns]
    for name, kind in zip(columns, kinds, strict=False):
        _check_aware(table, name, (row[name] for row in rows))
        if kind == "double precision":
            for row in rows:
                v = row[name]
                if v is not None and type(v) is not float:
                    row[name] = float(v)
    quoted = {c: _quote(c) for c in (*columns, *(n for n, _ in constants))}
    name = _quote(table.name)
    digest = hashlib.sha1(repr((table.name, columns)).encode()).hexdigest()[:10]
    staging = f'"_ioc_stage_{digest}"'
    dbapi = session.connection().connection.dbapi_connection
    with dbapi.cursor() as cur:
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ({', '.join(f'{quoted[c]} {k}' for c, k in zip(columns, kinds, strict=False))}) "
            "ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {staging}")  # a second write of the same table in this transaction
        with cur.copy(
            f"COPY {staging} ({', '.join(quoted[c] for c in columns)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types([_PG_BINARY_NAMES[k] for k in kinds])
            write_row = copy.write_row
            for row in rows:
                write_row([row[c] for c in columns])
        target = [*columns, *(n for n, _ in constants)]
        select_list = [quoted[c] for c in columns] + [
            f"%s::{_pg_array_type(table.c[n])}" for n, _ in constants
        ]
        params: list[Any] = [v for _, v in constants]
        sql = f"INSERT INTO {name} ({', '.join(quoted[c] for c in target)}) SELECT {', '.join(select_list)} FROM {staging}"
        clause, onupdate = _on_conflict(table, key, updatable, "postgresql")
        cur.execute(sql + clause, [*params, *onupdate])
