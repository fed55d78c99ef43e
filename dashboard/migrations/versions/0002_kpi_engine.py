"""KPI engine: official 766 scores, document arrival time, KPI and rollup indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _where(condition: str) -> dict:
    """A partial index, on both databases."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "official_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("transparency", sa.Float(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("online_services", sa.Float(), nullable=True),
        sa.Column("online_payment", sa.Float(), nullable=True),
        sa.Column("satisfaction", sa.Float(), nullable=True),
        sa.Column("digitisation", sa.Float(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_official_score_period")),
        sa.CheckConstraint("total >= 0 AND total <= 100", name=op.f("ck_official_score_total")),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_official_score_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_score")),
        sa.UniqueConstraint(
            "unit_id",
            "period_start",
            "period_end",
            name=op.f("uq_official_score_unit_id_period_start_period_end"),
        ),
    )
    with op.batch_alter_table("daily_rollup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_daily_rollup_metric_day_unit_value", ["metric", "day", "unit_id", "value"], unique=False
        )

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.add_column(sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("arrived_day", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_document_unit_arrived",
            ["unit_id", "arrived_day"],
            unique=False,
            **_where("arrived_day IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_document_unit_completed",
            ["unit_id", "completed_day"],
            unique=False,
            **_where("completed_day IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_document_unit_due", ["unit_id", "due_day"], unique=False, **_where("due_day IS NOT NULL")
        )

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_unit_due", ["unit_id", "due_day"], unique=False)
        batch_op.create_index(
            "ix_dossier_unit_procedure_channel",
            ["unit_id", "procedure_code", "channel", "received_day"],
            unique=False,
        )
        batch_op.create_index(
            "ix_dossier_unit_procedure_paid",
            ["unit_id", "procedure_code", "paid_online", "received_day"],
            unique=False,
            **_where("paid_online IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_unit_procedure_paid")
        batch_op.drop_index("ix_dossier_unit_procedure_channel")
        batch_op.drop_index("ix_dossier_unit_due")

    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_unit_due")
        batch_op.drop_index("ix_document_unit_completed")
        batch_op.drop_index("ix_document_unit_arrived")
        batch_op.drop_column("arrived_day")
        batch_op.drop_column("arrived_at")

    with op.batch_alter_table("daily_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_rollup_metric_day_unit_value")

    op.drop_table("official_score")
