"""Official definitions: VB-08 on the day of the status, portal codes, published scores per indicator

Revision ID: 0006_official_definitions
Revises: 0005_access
Create Date: 2026-12-10

- ``document.status_day``: the local day a document reached its current status (VB-08 counts
  returns and recalls on it, domain.md §2.1). Backfilled from the edXML status events where one set
  the status, else the row's last update, else its registration.
- ``org_unit.portal_code``: the unit's code on the national public-service portal, the key of its
  published 766 scores (``ioc scores import``).
- ``official_score.total`` may be absent (a per-group file without a total); ``total_computed``
  marks a total we added up from all six published groups.
- ``index_indicator_score``: published or imported figures of single 766 indicators — the inputs of
  the estimate the store cannot compute (petitions, fee synchronisation, certified copies …).

The daily rollups gain metrics (the 766 population with withdrawn and stopped dossiers, VB-08 by
status day): they are rebuilt from facts here, so the upgraded store reads the new definitions
at once.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006_official_definitions"
down_revision = "0005_access"
branch_labels = None
depends_on = None

_VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _day(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # stored in UTC
    return value.astimezone(_VN).date()


def _backfill_status_day(bind) -> int:
    document = sa.table(
        "document",
        sa.column("id"),
        sa.column("source"),
        sa.column("source_id"),
        sa.column("status_code"),
        sa.column("registered_day"),
        sa.column("source_updated_at"),
        sa.column("status_day"),
    )
    event = sa.table(
        "document_status_event",
        sa.column("document_source"),
        sa.column("document_id"),
        sa.column("status_code"),
        sa.column("status_at"),
        sa.column("applied"),
    )
    first_event = {
        (s, i, c): at
        for s, i, c, at in bind.execute(
            sa.select(
                event.c.document_source,
                event.c.document_id,
                event.c.status_code,
                sa.func.min(event.c.status_at),
            )
            .where(event.c.applied.is_(True))
            .group_by(event.c.document_source, event.c.document_id, event.c.status_code)
        )
    }
    rows = bind.execute(
        sa.select(
            document.c.id,
            document.c.source,
            document.c.source_id,
            document.c.status_code,
            document.c.registered_day,
            document.c.source_updated_at,
        )
    ).all()
    updates = []
    for id_, source, source_id, code, registered_day, updated_at in rows:
        at = first_event.get((source, source_id, code))
        day = _day(at) if at is not None else _day(updated_at)
        day = day or (
            registered_day
            if not isinstance(registered_day, str)
            else datetime.fromisoformat(registered_day).date()
        )
        if day is not None:
            updates.append({"k": id_, "d": day})
    if updates:
        bind.execute(
            sa.update(document)
            .where(document.c.id == sa.bindparam("k"))
            .values(status_day=sa.bindparam("d")),
            updates,
        )
    return len(updates)


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("status_day", sa.Date(), nullable=True))
    # A plain ADD COLUMN and a unique index: rebuilding org_unit on SQLite would have to drop a
    # table that accounts, screens and facts point at.
    op.add_column("org_unit", sa.Column("portal_code", sa.String(length=64), nullable=True))
    op.create_index("uq_org_unit_portal_code", "org_unit", ["portal_code"], unique=True)
    with op.batch_alter_table("official_score") as batch:
        batch.alter_column("total", existing_type=sa.Float(), nullable=True)
        batch.add_column(sa.Column("total_computed", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "index_indicator_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_index_indicator_score_period")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_index_indicator_score_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_indicator_score")),
        sa.UniqueConstraint(
            "unit_id",
            "period_start",
            "period_end",
            "indicator",
            name=op.f("uq_index_indicator_score_unit_id_period_start_period_end_indicator"),
        ),
    )
    bind = op.get_bind()
    _backfill_status_day(bind)
    has_facts = bind.execute(
        sa.text("SELECT EXISTS (SELECT 1 FROM document) OR EXISTS (SELECT 1 FROM dossier)")
    ).scalar()
    if has_facts:
        from sqlalchemy.orm import Session

        from dashboard import rollups

        rollups.rebuild(Session(bind=bind))


def downgrade() -> None:
    op.drop_table("index_indicator_score")
    with op.batch_alter_table("official_score") as batch:
        batch.drop_column("total_computed")
    op.execute("DELETE FROM official_score WHERE total IS NULL")
    with op.batch_alter_table("official_score") as batch:
        batch.alter_column("total", existing_type=sa.Float(), nullable=False)
    op.drop_index("uq_org_unit_portal_code", table_name="org_unit")
    with op.batch_alter_table("org_unit") as batch:
        batch.drop_column("portal_code")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("status_day")
    op.execute(
        "DELETE FROM daily_rollup WHERE metric IN ('doc_returned_on_status_day', 'doc_recalled_on_status_day', "
        "'dossier_ended', 'dossier_ended_766_on_time', 'dossier_ended_e_result', 'dossier_ended_digitised', "
        "'dossier_ended_dissatisfied', 'dossier_open_digitised_now', 'dossier_open_digitised_by_received', "
        "'dossier_closed_digitised', 'dossier_closed_digitised_by_received')"
    )
