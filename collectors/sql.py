"""``sql`` adapter: reads a view of the view contract (sources.md §2.1) from any SQLAlchemy URL.

Options::

    url = "postgresql+psycopg://ioc_reader:{password}@qlvb-db:5432/qlvb"   # {password} ← secrets.password
    table = "v_documents"          # default by domain: v_documents / v_dossiers / v_meetings
    id_column = "doc_id"           # default by domain: doc_id / MaHoSo / meeting_id
    updated_column = "updated_at"  # default by domain: updated_at / NgayCapNhat / updated_at
    page_size = 5000
    columns = { "ma_vb" = "doc_id" }  # optional: source column → contract name

Reading is keyset-paginated on (updated, id): ``WHERE upd > :u OR (upd = :u AND id > :id)
ORDER BY upd, id``. Each page is a batch whose watermark is its last (updated, id); the next run
starts ``lookback`` seconds before the watermark so late-committed rows are not missed (upserts
are idempotent, so re-reading is safe).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Engine, MetaData, String, Table, and_, create_engine, or_, select
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    NoSuchTableError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.sql.expression import TableClause

from collectors.base import Adapter, Batch, ErrorKind, FatalSourceError, RawRow, TransientSourceError
from collectors.parse import parse_datetime
from collectors.records import DOMAIN_SPECS

_AUTH_WORDS = ("password authentication failed", "access denied", "login failed", "authentication failed")


class SqlAdapter(Adapter):
    kind = "sql"
    domains = ("documents", "dossiers", "meetings", "procedures", "petitions", "tasks")

    def __init__(self, config):
        super().__init__(config)
        spec = DOMAIN_SPECS[config.domain]
        opts = config.options
        self.table_name: str = opts.get("table", spec.default_table)
        self.id_column: str = opts.get("id_column", spec.id_field)
        self.updated_column: str | None = opts.get("updated_column", spec.updated_field)
        self.page_size: int = int(opts.get("page_size", 5000))
        self.column_map: dict[str, str] = dict(opts.get("columns", {}))
        self._engine: Engine | None = None

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = []
        url = options.get("url")
        if not url or not isinstance(url, str):
            problems.append("options.url: missing (an SQLAlchemy URL of the source database)")
        else:
            try:
                make_url(url.replace("{password}", "x"))
            except ArgumentError:
                problems.append(f"options.url: not an SQLAlchemy URL: {url!r}")
        size = options.get("page_size", 5000)
        if not isinstance(size, int) or not 1 <= size <= 100_000:
            problems.append("options.page_size: expected a whole number between 1 and 100000")
        if "columns" in options and not isinstance(options["columns"], dict):
            problems.append("options.columns: expected a table of source column = contract name")
        return problems

    def _connect(self) -> Engine:
        if self._engine is None:
            url = self.config.options["url"]
            if "{password}" in url:
                url = url.replace("{password}", self.config.secret("password"))
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                self._engine = self._sqlite_read_only(parsed.database)
            else:
                self._engine = create_engine(url, pool_pre_ping=True)
        return self._engine

    def _sqlite_read_only(self, database: str) -> Engine:
        """A SQLite source is opened read-only and must exist: SQLite would otherwise create an
        empty database at the source's path, and the error would be a puzzling "view not found"."""
        path = Path(database).absolute()
        if not path.is_file():
            raise FatalSourceError(
                f"source {self.config.name!r}: SQLite database {path} does not exist (or is not a file): check "
                "options.url and that the file is where the source system writes it; nothing was created there",
                kind=ErrorKind.SOURCE_MISSING,
                detail=path,
            )
        uri = f"file:{quote(str(path))}?mode=ro"
        return create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
        )

    def _table(self, engine: Engine) -> Table | TableClause:
        try:
            table = Table(self.table_name, MetaData(), autoload_with=engine)
        except NoSuchTableError:
            raise FatalSourceError(
                f"source {self.config.name!r}: table or view {self.table_name!r} not found: create the view of the "
                f"contract or set options.table",
                kind=ErrorKind.SCHEMA,
                detail=self.table_name,
            ) from None
        if engine.dialect.name != "sqlite":
            return table
        # SQLite keeps timestamps as text whatever the declared type; reading and comparing them as
        # the text they are keeps keyset paging exact (SQLAlchemy would re-format bound datetimes
        # as "….000000", which never equals the stored text).
        return sa_table(
            self.table_name,
            *[
                sa_column(c.name, String() if isinstance(c.type, (DateTime, Date)) else c.type)
                for c in table.columns
            ],
        )

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        try:
            yield from self._read(watermark)
        except (FatalSourceError, TransientSourceError):
            raise
        except OperationalError as exc:
            message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if any(word in message.lower() for word in _AUTH_WORDS):
                raise FatalSourceError(
                    f"source {self.config.name!r} refused the login: check the account and {self.config.secrets.get('password', 'the password')}",
                    kind=ErrorKind.AUTH,
                    detail=self.config.secrets.get("password"),
                ) from None
            raise TransientSourceError(
                f"source {self.config.name!r}: database unavailable: {message}",
                kind=ErrorKind.UNREACHABLE,
            ) from None
        except ProgrammingError as exc:
            raise FatalSourceError(
                f"source {self.config.name!r}: query failed (check the view's columns): {exc.orig}",
                kind=ErrorKind.SCHEMA,
                detail=self.table_name,
            ) from None
        except SQLAlchemyError as exc:
            raise TransientSourceError(
                f"source {self.config.name!r}: {type(exc).__name__}: {exc}", kind=ErrorKind.UNKNOWN
            ) from None

    def _read(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        engine = self._connect()
        table = self._table(engine)
        reverse = {v: k for k, v in self.column_map.items()}
        id_name = reverse.get(self.id_column, self.id_column)
        if self.updated_column is None:
            yield from self._read_whole(engine, table, id_name)
            return
        upd_name = reverse.get(self.updated_column, self.updated_column)
        missing = [c for c in (upd_name, id_name) if c not in table.c]
        if missing:
            raise FatalSourceError(
                f"source {self.config.name!r}: view {self.table_name!r} has no column(s) {', '.join(missing)}",
                kind=ErrorKind.SCHEMA,
                detail=self.table_name,
            )
        upd, ident = table.c[upd_name], table.c[id_name]
        last_upd, last_id = self._start(watermark)
        if isinstance(last_upd, str) and isinstance(upd.type, (DateTime, Date)):
            last_upd = self._as_column_time(last_upd, upd.type)
        while True:
            stmt = select(table).order_by(upd, ident).limit(self.page_size)
            if last_upd is not None:
                stmt = stmt.where(or_(upd > last_upd, and_(upd == last_upd, ident > last_id)))
            with engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(stmt)]
            if not rows:
                return
            last_upd, last_id = rows[-1][upd_name], rows[-1][id_name]
            data = [{self.column_map.get(k, k): v for k, v in row.items()} for row in rows]
            yield Batch(
                rows=[RawRow(d) for d in data],
                watermark={"updated": _to_json(last_upd), "id": _to_json(last_id)},
                description=f"{len(rows)} rows up to {last_upd}",
            )
            if len(rows) < self.page_size:
                return

    def _read_whole(self, engine: Engine, table, id_name: str) -> Iterator[Batch]:
        """A source without a change column: read every row, in pages ordered by all key columns."""
        if id_name not in table.c:
            raise FatalSourceError(
                f"source {self.config.name!r}: view {self.table_name!r} has no column {id_name}",
                kind=ErrorKind.SCHEMA,
                detail=self.table_name,
            )
        order = [table.c[id_name]] + [c for c in table.c if c.name != id_name]
        offset = 0
        while True:
            stmt = select(table).order_by(*order).limit(self.page_size).offset(offset)
            with engine.connect() as conn:
                rows = [dict(r._mapping) for r in conn.execute(stmt)]
            if not rows:
                return
            offset += len(rows)
            yield Batch(
                rows=[RawRow({self.column_map.get(k, k): v for k, v in row.items()}) for row in rows],
                description=f"{offset} rows",
            )
            if len(rows) < self.page_size:
                return

    def _start(self, watermark: dict[str, Any] | None) -> tuple[Any, Any]:
        """Where to resume: ``lookback`` seconds before the watermark (an empty id sorts first)."""
        if not watermark or watermark.get("updated") is None:
            return None, None
        raw = watermark["updated"]
        lookback = timedelta(seconds=self.config.lookback_s)
        try:
            when = parse_datetime(raw)
        except ValueError:
            return raw, watermark.get("id", "")
        if when is None:
            return None, None
        start = when - lookback
        if isinstance(raw, str) and "+" not in raw[10:] and not raw.endswith("Z"):
            # The source stores naive local text: keep its own format so text comparison works.
            sep = "T" if "T" in raw else " "
            return start.replace(tzinfo=None).isoformat(sep=sep, timespec="seconds"), ""
        return start.isoformat(), ""

    def _as_column_time(self, text: str, column_type) -> datetime:
        """A watermark kept as text, turned back into the column's own kind of timestamp."""
        when = parse_datetime(text, ZoneInfo(self.config.timezone))
        if isinstance(column_type, DateTime) and not column_type.timezone:
            return when.astimezone(ZoneInfo(self.config.timezone)).replace(tzinfo=None)
        return when

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
