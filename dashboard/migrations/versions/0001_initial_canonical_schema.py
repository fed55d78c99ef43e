"""initial canonical schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collector_run",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'partial', 'failed')", name=op.f("ck_collector_run_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector_run")),
    )
    with op.batch_alter_table("collector_run", schema=None) as batch_op:
        batch_op.create_index("ix_collector_run_source_started", ["source", "started_at"], unique=False)

    op.create_table(
        "collector_state",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("watermark", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "stream", name=op.f("pk_collector_state")),
    )
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.create_table(
        "meeting_sample",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("meetings_running", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_sample")),
        sa.UniqueConstraint("source", "sampled_at", name=op.f("uq_meeting_sample_source_sampled_at")),
    )
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=255), nullable=False),
        sa.Column("name_en", sa.String(length=255), nullable=False),
        sa.Column("short_name_vi", sa.String(length=80), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("is_simulated", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('ministry', 'group', 'department', 'province', 'commune')",
            name=op.f("ck_org_unit_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_unit_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "daily_rollup",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_daily_rollup_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("day", "unit_id", "metric", name=op.f("pk_daily_rollup")),
    )
    with op.batch_alter_table("daily_rollup", schema=None) as batch_op:
        batch_op.create_index("ix_daily_rollup_metric_day", ["metric", "day"], unique=False)

    op.create_table(
        "document",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("is_electronic", sa.Boolean(), nullable=False),
        sa.Column("is_signed", sa.Boolean(), nullable=False),
        sa.Column("is_secret", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_code", sa.String(length=2), nullable=True),
        sa.Column("registered_day", sa.Date(), nullable=True),
        sa.Column("due_day", sa.Date(), nullable=True),
        sa.Column("completed_day", sa.Date(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('axis', 'internal', 'paper')", name=op.f("ck_document_channel")),
        sa.CheckConstraint("direction IN ('in', 'out', 'internal')", name=op.f("ck_document_direction")),
        sa.CheckConstraint(
            "status_code IS NULL OR status_code IN ('01', '02', '03', '04', '05', '06', '13', '15', '16')",
            name=op.f("ck_document_status"),
        ),
        sa.CheckConstraint(
            "urgency IN ('normal', 'khan', 'thuong_khan', 'hoa_toc')", name=op.f("ck_document_urgency")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_document_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_document_source_source_id")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_unit_registered", ["unit_id", "registered_day"], unique=False)
        batch_op.create_index(
            "ix_document_unit_status_due", ["unit_id", "status_code", "due_at"], unique=False
        )

    op.create_table(
        "kpi_snapshot",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_kpi_snapshot_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("day", "unit_id", "kpi_id", name=op.f("pk_kpi_snapshot")),
    )
    with op.batch_alter_table("kpi_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_kpi_snapshot_kpi_day", ["kpi_id", "day"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("is_online", sa.Boolean(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("endpoints_scheduled", sa.Integer(), nullable=True),
        sa.Column("endpoints_connected", sa.Integer(), nullable=True),
        sa.Column("participants_peak", sa.Integer(), nullable=True),
        sa.Column("participants_total", sa.Integer(), nullable=True),
        sa.Column("start_day", sa.Date(), nullable=True),
        sa.Column("duration_min", sa.Float(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "endpoints_connected IS NULL OR endpoints_connected >= 0",
            name=op.f("ck_meeting_endpoints_connected"),
        ),
        sa.CheckConstraint("status IN (1, 2, 3, 4)", name=op.f("ck_meeting_status")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_meeting_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_meeting_source_source_id")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_unit_start", ["unit_id", "start_day"], unique=False)

    op.create_table(
        "procedure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name_vi", sa.String(length=500), nullable=False),
        sa.Column("service_level", sa.String(length=8), nullable=False),
        sa.Column("has_fee", sa.Boolean(), nullable=False),
        sa.Column("requires_result_document", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "service_level IN ('full', 'partial', 'none')", name=op.f("ck_procedure_service_level")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_procedure_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure")),
        sa.UniqueConstraint("source", "unit_id", "code", name=op.f("uq_procedure_source_unit_id_code")),
    )
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procedure_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "rejected_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["collector_run.id"],
            name=op.f("fk_rejected_record_run_id_collector_run"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_record")),
    )
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.create_index("ix_rejected_record_source_rejected", ["source", "rejected_at"], unique=False)

    op.create_table(
        "dossier",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=True),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("supplement_count", sa.SmallInteger(), nullable=False),
        sa.Column("has_fee", sa.Boolean(), nullable=False),
        sa.Column("paid_online", sa.SmallInteger(), nullable=True),
        sa.Column("has_electronic_result", sa.Boolean(), nullable=False),
        sa.Column("requires_result_document", sa.Boolean(), nullable=False),
        sa.Column("is_digitised", sa.Boolean(), nullable=False),
        sa.Column("synced_national", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("received_day", sa.Date(), nullable=True),
        sa.Column("due_day", sa.Date(), nullable=True),
        sa.Column("finished_day", sa.Date(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN (1, 2, 3)", name=op.f("ck_dossier_channel")),
        sa.CheckConstraint(
            "paid_online IS NULL OR paid_online IN (1, 2)", name=op.f("ck_dossier_paid_online")
        ),
        sa.CheckConstraint("status IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)", name=op.f("ck_dossier_status")),
        sa.CheckConstraint("supplement_count >= 0", name=op.f("ck_dossier_supplement_count")),
        sa.ForeignKeyConstraint(
            ["procedure_id"], ["procedure.id"], name=op.f("fk_dossier_procedure_id_procedure")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_dossier_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_dossier_source_source_id")),
    )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.create_index("ix_dossier_unit_finished", ["unit_id", "finished_day"], unique=False)
        batch_op.create_index("ix_dossier_unit_received", ["unit_id", "received_day"], unique=False)
        batch_op.create_index("ix_dossier_unit_status_due", ["unit_id", "status", "due_at"], unique=False)

    op.create_table(
        "meeting_endpoint",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("meeting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("endpoint_code", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_endpoint_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_meeting_endpoint_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_endpoint")),
        sa.UniqueConstraint(
            "meeting_id", "endpoint_code", name=op.f("uq_meeting_endpoint_meeting_id_endpoint_code")
        ),
    )
    # The single row the collectors bump on every commit (cache keys include it).
    data_version = sa.table(
        "data_version",
        sa.column("id", sa.Integer),
        sa.column("version", sa.BigInteger),
        sa.column("changed_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(data_version, [{"id": 1, "version": 0, "changed_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table("meeting_endpoint")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_unit_status_due")
        batch_op.drop_index("ix_dossier_unit_received")
        batch_op.drop_index("ix_dossier_unit_finished")

    op.drop_table("dossier")
    with op.batch_alter_table("rejected_record", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_record_source_rejected")

    op.drop_table("rejected_record")
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procedure_unit_id"))

    op.drop_table("procedure")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_unit_start")

    op.drop_table("meeting")
    with op.batch_alter_table("kpi_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_snapshot_kpi_day")

    op.drop_table("kpi_snapshot")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_unit_status_due")
        batch_op.drop_index("ix_document_unit_registered")

    op.drop_table("document")
    with op.batch_alter_table("daily_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_rollup_metric_day")

    op.drop_table("daily_rollup")
    with op.batch_alter_table("org_unit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_unit_parent_id"))

    op.drop_table("org_unit")
    op.drop_table("meeting_sample")
    op.drop_table("data_version")
    op.drop_table("collector_state")
    with op.batch_alter_table("collector_run", schema=None) as batch_op:
        batch_op.drop_index("ix_collector_run_source_started")

    op.drop_table("collector_run")
