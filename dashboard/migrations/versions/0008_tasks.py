"""Directive tasks (nhiệm vụ được giao, domain.md §7): one row per task a directive assigns

Revision ID: 0008_tasks
Revises: 0008_houseflow
Create Date: 2026-12-07

A task carries its directive (số ký hiệu, date, issuer), content, lead unit, supporting units,
assignment, the original and the latest approved due day with the extension history (JSON),
status (open / done / cancelled), completion and result document. KPIs NV-01…NV-07 read it
directly: a province has thousands of tasks a year, not millions.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_tasks"
down_revision = "0008_houseflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "task",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("directive_ref", sa.String(length=128), nullable=False),
        sa.Column("directive_day", sa.Date(), nullable=True),
        sa.Column("directive_issuer", sa.String(length=255), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("supporting_units", json, nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_day", sa.Date(), nullable=True),
        sa.Column("original_due_day", sa.Date(), nullable=True),
        sa.Column("due_day", sa.Date(), nullable=True),
        sa.Column("extensions", json, nullable=True),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_day", sa.Date(), nullable=True),
        sa.Column("result_ref", sa.String(length=255), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f("ck_task_status")),
        sa.CheckConstraint(
            "status <> 'done' OR completed_day IS NOT NULL", name=op.f("ck_task_done_has_day")
        ),
        sa.ForeignKeyConstraint(
            ["lead_unit_id"], ["org_unit.id"], name=op.f("fk_task_lead_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_task_source_source_id")),
    )
    op.create_index("ix_task_lead_assigned", "task", ["lead_unit_id", "assigned_day"], unique=False)
    op.create_index("ix_task_lead_status_due", "task", ["lead_unit_id", "status", "due_day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_task_lead_status_due", table_name="task")
    op.drop_index("ix_task_lead_assigned", table_name="task")
    op.drop_table("task")
