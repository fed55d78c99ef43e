"""Shared helpers for the benchmark scripts: JSON-lines output (design.md §6) and throwaway stores."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.units import DEMO_UNITS_FILE, import_units_file

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def emit(metric: str, value: float, unit: str, better: str, target: float | None, **conditions) -> None:
    print(
        json.dumps(
            {"metric": metric, "value": value, "unit": unit, "better": better, "target": target, **conditions}
        ),
        flush=True,
    )


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def store(backend: str, pg_url: str | None = None):
    """A migrated store with the demo units, deleted afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            _prepare(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    base = make_url(pg_url or os.environ.get("IOC_BENCH_DATABASE_URL") or DEFAULT_PG)
    schema = f"ioc_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(
        base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    )
    try:
        _prepare(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _prepare(engine) -> None:
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)


def postgres_available(pg_url: str | None = None) -> bool:
    try:
        engine = make_engine(pg_url or os.environ.get("IOC_BENCH_DATABASE_URL") or DEFAULT_PG)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as exc:
        print(f"PostgreSQL unavailable, skipped: {exc}", file=sys.stderr)
        return False
