"""Shared fixtures: settings on a temporary data directory, migrated databases on each tier."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dashboard.config import Settings, load_settings
from dashboard.db import make_engine, make_sessionmaker, upgrade
from dashboard.models import Base
from tests.tiers import require, tiers

BACKENDS = ["sqlite", "postgresql"]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    parts = ["sqlite: on"]
    for tier in tiers().values():
        parts.append(f"{tier.name}: {'on' if tier.available else 'OFF (' + tier.hint + ')'}")
    terminalreporter.write_line("IOC test tiers — " + "; ".join(parts))


@pytest.fixture
def make_settings(tmp_path) -> callable:
    """Settings on a private data directory; keyword arguments override."""

    def factory(**overrides) -> Settings:
        overrides.setdefault("data_dir", tmp_path / "data")
        return load_settings(env={}, **overrides)

    return factory


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


class DatabaseFactory:
    """Creates empty databases on one backend: a SQLite file, or a private PostgreSQL schema."""

    def __init__(self, backend: str, tmp_path):
        self.backend = backend
        self.tmp_path = tmp_path
        self.engines: list[Engine] = []
        self.schemas: list[str] = []
        self.admin: Engine | None = None

    def url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / f'ioc-{uuid.uuid4().hex[:8]}.sqlite3'}"
        base = make_url(require("postgresql").value)
        schema = f"ioc_test_{uuid.uuid4().hex[:12]}"
        if self.admin is None:
            self.admin = make_engine(base.render_as_string(hide_password=False))
        with self.admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )

    def engine(self, migrated: bool = True) -> Engine:
        engine = make_engine(self.url())
        self.engines.append(engine)
        if migrated:
            upgrade(engine)
        return engine

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if self.admin is not None:
            with self.admin.begin() as conn:
                for schema in self.schemas:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            self.admin.dispose()


@pytest.fixture(params=BACKENDS)
def databases(request, tmp_path) -> Iterator[DatabaseFactory]:
    """Run the test once per backend; PostgreSQL follows the tier rules."""
    factory = DatabaseFactory(request.param, tmp_path)
    if request.param == "postgresql":
        require("postgresql")
    yield factory
    factory.close()


@pytest.fixture
def engine(databases) -> Engine:
    """A migrated, empty database on each backend."""
    return databases.engine()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def table_names() -> set[str]:
    return set(Base.metadata.tables)
