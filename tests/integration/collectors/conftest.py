"""Fixtures for collector tests: a store with the demo units and real SQLite source databases."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.base import Adapter, Batch, SourceConfig
from dashboard.db import make_sessionmaker
from dashboard.units import DEMO_UNITS_FILE, import_units_file

DOC_COLUMNS = (
    "doc_id",
    "unit_code",
    "direction",
    "channel",
    "is_electronic",
    "is_signed",
    "urgency",
    "registered_at",
    "due_at",
    "completed_at",
    "status_code",
    "updated_at",
)


@pytest.fixture
def store(engine):
    """A migrated store on each backend with the demo units imported."""
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    return engine


class DocumentSystem:
    """A real SQLite 'document system' database exposing the documents view contract."""

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"
        with self.connect() as conn:
            conn.execute(
                "CREATE TABLE v_documents (doc_id TEXT PRIMARY KEY, unit_code TEXT, direction TEXT, channel TEXT, "
                "is_electronic INTEGER, is_signed INTEGER, urgency TEXT, registered_at TEXT, due_at TEXT, "
                "completed_at TEXT, status_code TEXT, updated_at TEXT)"
            )

    def connect(self):
        return sqlite3.connect(self.path)

    def put(self, *rows: dict) -> None:
        with self.connect() as conn:
            for row in rows:
                full = {c: row.get(c) for c in DOC_COLUMNS}
                conn.execute(
                    f"INSERT INTO v_documents ({', '.join(DOC_COLUMNS)}) VALUES ({', '.join('?' * len(DOC_COLUMNS))}) "
                    f"ON CONFLICT(doc_id) DO UPDATE SET {', '.join(f'{c}=excluded.{c}' for c in DOC_COLUMNS[1:])}",
                    [full[c] for c in DOC_COLUMNS],
                )


def doc(i: int, **changes) -> dict:
    row = {
        "doc_id": f"VB-{i:05d}",
        "unit_code": ["SO-01", "SO-79", "BMP-VP"][i % 3],
        "direction": ["in", "out", "internal"][i % 3],
        "channel": "axis" if i % 2 else "internal",
        "is_electronic": 1,
        "is_signed": i % 4 != 0,
        "urgency": "normal",
        "registered_at": f"2026-03-{1 + i % 28:02d}T{8 + i % 9:02d}:15:00",
        "status_code": "03",
        "updated_at": f"2026-03-{1 + i % 28:02d}T{8 + i % 9:02d}:20:{i % 60:02d}",
    }
    row.update(changes)
    return row


@pytest.fixture
def postgres_databases(tmp_path):
    """Extra PostgreSQL databases (schemas) for source systems, dropped after the test."""
    from tests.conftest import DatabaseFactory

    factory = DatabaseFactory("postgresql", tmp_path)
    yield factory
    factory.close()


@pytest.fixture
def docsys(tmp_path) -> DocumentSystem:
    return DocumentSystem(tmp_path / "docsys.sqlite3")


def sql_source(url: str, name: str = "qlvb", **overrides) -> SourceConfig:
    options = {"url": url, "page_size": overrides.pop("page_size", 50)}
    options.update(overrides.pop("options", {}))
    return SourceConfig(
        name=name,
        domain="documents",
        adapter="sql",
        interval_s=overrides.pop("interval_s", 60),
        options=options,
        **overrides,
    )


class ListAdapter(Adapter):
    """A source that hands over prepared batches (for property tests of the runner's bookkeeping)."""

    kind = "list"

    def __init__(self, config: SourceConfig, batches: list[Batch]):
        super().__init__(config)
        self._batches = batches

    def batches(self, watermark) -> Iterator[Batch]:
        yield from self._batches


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throw-away PostgreSQL cluster, run as the ``postgres`` OS user when we are root (it refuses
    to run as root): for drills that stop and restart the server. The shared server is never touched."""

    def __init__(self, bin_dir: Path):
        from tests.e2e.conftest import free_port

        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="ioc-pg-drill-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres():
    bin_dir = _pg_bin()
    if bin_dir is None:
        message = "no PostgreSQL server binaries (Debian: apt-get install postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — with CI=true a missing tier is a failure")
        pytest.skip(message)
    server = PrivatePostgres(bin_dir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()
