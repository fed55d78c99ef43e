"""Platform sources: live meeting-server counters, OpenCPS aggregated statistics, edXML status events

Revision ID: 0003_platform_sources
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_platform_sources"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_sample") as batch:
        batch.add_column(sa.Column("conferences_started", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("participants_joined", sa.Integer(), nullable=True))

    op.create_table(
        "dossier_stat",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("received_online", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.Integer(), nullable=True),
        sa.Column("resolved_early", sa.Integer(), nullable=True),
        sa.Column("resolved_on_time", sa.Integer(), nullable=True),
        sa.Column("resolved_late", sa.Integer(), nullable=True),
        sa.Column("processing", sa.Integer(), nullable=True),
        sa.Column("overdue", sa.Integer(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_dossier_stat_period")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_dossier_stat_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_stat")),
        sa.UniqueConstraint(
            "source",
            "unit_id",
            "period_start",
            "period_end",
            name=op.f("uq_dossier_stat_source_unit_id_period_start_period_end"),
        ),
    )
    op.create_index(op.f("ix_dossier_stat_unit_id"), "dossier_stat", ["unit_id"], unique=False)

    op.create_table(
        "document_status_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("packet_id", sa.String(length=128), nullable=False),
        sa.Column("document_source", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.String(length=128), nullable=False),
        sa.Column("organ_id", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=128), nullable=True),
        sa.Column("from_organ", sa.String(length=64), nullable=True),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("staff", sa.String(length=255), nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status_code IN ('01', '02', '03', '04', '05', '06', '13', '15', '16')",
            name=op.f("ck_document_status_event_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_status_event")),
        sa.UniqueConstraint("source", "packet_id", name=op.f("uq_document_status_event_source_packet_id")),
    )
    op.create_index(
        "ix_document_status_event_document",
        "document_status_event",
        ["document_source", "document_id", "status_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_document_status_event_document", table_name="document_status_event")
    op.drop_table("document_status_event")
    op.drop_index(op.f("ix_dossier_stat_unit_id"), table_name="dossier_stat")
    op.drop_table("dossier_stat")
    with op.batch_alter_table("meeting_sample") as batch:
        batch.drop_column("participants_joined")
        batch.drop_column("conferences_started")
