"""Migrations create the canonical schema on both databases, match the models, and guard the app."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from dashboard.db import alembic_config, check_schema, current_revision, head_revision, upgrade
from dashboard.errors import SchemaOutdatedError
from dashboard.models import Base, DataVersion


def test_upgrade_from_empty_creates_every_table_and_is_repeatable(databases):
    engine = databases.engine(migrated=False)
    assert current_revision(engine) is None
    before, after = upgrade(engine)
    assert (before, after) == (None, head_revision())
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert upgrade(engine) == (head_revision(), head_revision())
    with engine.connect() as conn:
        assert conn.execute(select(DataVersion.version)).scalar_one() == 0


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_kpi_indexes_exist(engine):
    indexes = {
        ix["name"]
        for table in ("document", "dossier", "meeting", "daily_rollup")
        for ix in inspect(engine).get_indexes(table)
    }
    assert {
        "ix_document_unit_registered",
        "ix_document_unit_status_due",
        "ix_dossier_unit_received",
        "ix_dossier_unit_finished",
        "ix_dossier_unit_status_due",
        "ix_meeting_unit_start",
        "ix_daily_rollup_metric_day_unit_value",
    } <= indexes


def test_downgrade_to_base_and_up_again(engine):
    cfg = alembic_config(engine)
    command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert "document" not in inspect(engine).get_table_names()
    upgrade(engine)
    check_schema(engine)


def test_check_schema_refuses_empty_and_foreign_revisions(databases):
    engine = databases.engine(migrated=False)
    with pytest.raises(SchemaOutdatedError, match="has no schema yet: run `ioc db upgrade`"):
        check_schema(engine)
    upgrade(engine)
    check_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    with pytest.raises(
        SchemaOutdatedError, match="revision ffff9999, which this version of the code does not know"
    ):
        check_schema(engine)


def test_check_schema_names_the_command_for_an_older_revision(databases, monkeypatch):
    engine = databases.engine()
    current = head_revision()
    # Pretend the code moved on to a newer head than the database.
    monkeypatch.setattr("dashboard.db.head_revision", lambda: "9999")
    with pytest.raises(
        SchemaOutdatedError,
        match=rf"is at revision {current} but the code expects 9999: run `ioc db upgrade`",
    ):
        check_schema(engine)
