"""Engines, sessions, migrations and the schema check.

``make_engine`` applies the SQLite rules (WAL, foreign keys, busy timeout) on every connection and
uses psycopg 3 for PostgreSQL. Creating an engine never connects; the first query does.

Migrations live in ``dashboard/migrations`` and are driven programmatically (``ioc db upgrade``),
so no ``alembic.ini`` is needed; :func:`check_schema` refuses an outdated database with the
command that fixes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dashboard.config import make_private_dir, make_private_file
from dashboard.errors import DatabaseUnavailableError, SchemaOutdatedError
from dashboard.models import DataVersion
from dashboard.timeutil import utcnow

#: The session handle the pages (``layouts/``) receive from ``webapp.read_session()`` and pass on
#: to the core's queries; pages name it by this alias and never import SQLAlchemy themselves.
ReadSession = Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine for ``url`` with this product's connection rules."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            # The store is private to this account: directory 0700, file 0600 (SQLite gives its
            # -wal and -shm files the mode of the database file).
            path = Path(parsed.database).expanduser()
            make_private_file(make_private_dir(path.parent) / path.name)
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **kwargs)
    # Send bulk writes (executemany) as multi-row INSERTs of 1000 rows, not one statement per row:
    # an order of magnitude faster for the collectors' upserts on PostgreSQL.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster commits
        # Temporary tables (the writers' rollup-delta staging) in memory, not in a temp file.
        cur.execute("PRAGMA temp_store=MEMORY")
    finally:
        cur.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# Held (as a transaction-level advisory lock) by every PostgreSQL transaction that writes facts
# and moves the rollups; distinct from the scheduler's session-level collector lock.
ROLLUP_WRITER_LOCK_KEY = 0x10C_0011


def begin_write(session: Session) -> None:
    """Start the session's transaction as the one writer of facts and rollups, waiting for any
    other. Rollups move by the change a transaction makes (read, add, write back), so two such
    transactions at once would each miss the other's change.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock now (waiting up to the busy timeout), so
    every read of the transaction sees the data its writes change. pysqlite's own implicit
    ``BEGIN`` is deferred: a transaction that reads first and writes later fails at once with
    "database is locked" when another writer committed in between (the busy timeout does not
    apply to a stale snapshot). No-op when the transaction has already begun.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback; each
    statement after it (READ COMMITTED) sees what the previous writer committed."""
    connection = session.connection()
    name = connection.dialect.name
    if name == "sqlite":
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROLLUP_WRITER_LOCK_KEY})


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


# --- migrations -----------------------------------------------------------------------------------
def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    heads = script.get_heads()
    if len(heads) != 1:  # pragma: no cover - a development mistake, not a user's
        raise RuntimeError(f"migrations have {len(heads)} heads: {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot open the database {describe_url(engine)}: {_first_line(exc.orig)}"
        ) from None


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; return (before, after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine) or ""


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaOutdatedError` unless the database is at the head revision."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutdatedError(
            f"the database {describe_url(engine)} has no schema yet: run `ioc db upgrade`"
        )
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaOutdatedError(
            f"the database schema is at revision {current}, which this version of the code does "
            f"not know (newer code wrote it?): upgrade the code, or restore a matching backup"
        )
    raise SchemaOutdatedError(
        f"the database schema is at revision {current} but the code expects {head}: run `ioc db upgrade`"
    )


def describe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc and str(exc).strip() else type(exc).__name__


def ping(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseUnavailableError(
            f"cannot reach the database {describe_url(engine)}: {_first_line(exc.orig)}"
        ) from None


def bump_data_version(session: Session) -> None:
    """Mark that the data changed, inside the writer's transaction: caches keyed by the old
    version stop being used the moment the transaction commits."""
    session.execute(
        update(DataVersion)
        .where(DataVersion.id == 1)
        .values(version=DataVersion.version + 1, changed_at=utcnow())
    )
