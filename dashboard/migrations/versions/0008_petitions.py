"""Citizens' petitions (phản ánh, kiến nghị — PAKN, domain.md §8): the canonical table

Revision ID: 0008_petitions
Revises: 0008_briefing
Create Date: 2026-12-07

``petition``: reference, channel, category, handling unit, received, deadline (the source's, or
computed from the category's working days), status, handled, rating — and no personal data of the
petitioner (no column for it; the intake drops such fields and reports them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_petitions"
down_revision = "0008_briefing"
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "petition",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column(
            "unit_id",
            sa.Integer(),
            sa.ForeignKey("org_unit.id", name="fk_petition_unit_id_org_unit"),
            nullable=False,
        ),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("is_urgent", sa.Boolean(), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("deadline_at", _TS, nullable=True),
        sa.Column("deadline_computed", sa.Boolean(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("handled_at", _TS, nullable=True),
        sa.Column("handled_workdays", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("received_day", sa.Date(), nullable=False),
        sa.Column("deadline_day", sa.Date(), nullable=True),
        sa.Column("handled_day", sa.Date(), nullable=True),
        sa.Column("source_updated_at", _TS, nullable=True),
        sa.Column("ingested_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_petition"),
        sa.UniqueConstraint("source", "source_id", name="uq_petition_source_source_id"),
        sa.CheckConstraint("status IN (1, 2, 3, 4, 5, 6)", name="ck_petition_status"),
        sa.CheckConstraint("channel IN (1, 2, 3, 4, 5)", name="ck_petition_channel"),
        sa.CheckConstraint("rating IS NULL OR rating IN (1, 2, 3)", name="ck_petition_rating"),
    )
    op.create_index("ix_petition_unit_received", "petition", ["unit_id", "received_day"])
    op.create_index("ix_petition_unit_handled", "petition", ["unit_id", "handled_day"])
    op.create_index("ix_petition_unit_status_deadline", "petition", ["unit_id", "status", "deadline_at"])


def downgrade() -> None:
    op.drop_index("ix_petition_unit_status_deadline", table_name="petition")
    op.drop_index("ix_petition_unit_handled", table_name="petition")
    op.drop_index("ix_petition_unit_received", table_name="petition")
    op.drop_table("petition")
