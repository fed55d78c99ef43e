"""Notifications outbox, alert rules and their state machines, explanation requests (giải trình)

Revision ID: 0008_alerts
Revises: 0008_tasks
Create Date: 2026-12-07

``notification_outbox``: e-mails and webhook posts waiting to leave, with attempts and the last
error (retried with backoff by the collector). ``alert_rule`` / ``alert_state`` / ``alert_event``:
the rules, the state of each rule × unit (ok → pending → firing → acknowledged → resolved) and
its history. ``account.email``: where an account's alerts go. ``explanation_request``: a leader's request that a unit head explain a KPI.
"""

import sqlalchemy as sa
from alembic import op

import dashboard.timeutil

revision = "0008_alerts"
down_revision = "0008_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("account", sa.Column("email", sa.String(length=255), nullable=True))
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name=op.f("ck_notification_outbox_channel")),
        sa.CheckConstraint(
            "status IN ('queued', 'delivered', 'failed')", name=op.f("ck_notification_outbox_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
    )
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_outbox_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kpi_id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("fire_at", sa.Float(), nullable=True),
        sa.Column("clear_at", sa.Float(), nullable=True),
        sa.Column("min_duration_s", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("webhook", sa.Boolean(), nullable=False),
        sa.Column("quiet_hours", sa.Boolean(), nullable=False),
        sa.Column("reminder_s", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=160), nullable=True),
        sa.Column("created_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('subtree', 'each')", name=op.f("ck_alert_rule_mode")),
        sa.CheckConstraint("period IN ('today', 'mtd', 'reporting')", name=op.f("ck_alert_rule_period")),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_alert_rule_severity")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_alert_rule_unit_id_org_unit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rule_name")),
    )
    op.create_table(
        "alert_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(length=160), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rule.id"], name=op.f("fk_alert_event_rule_id_alert_rule"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_alert_event_unit_id_org_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_event")),
    )
    with op.batch_alter_table("alert_event", schema=None) as batch_op:
        batch_op.create_index("ix_alert_event_at", ["at"], unique=False)
        batch_op.create_index("ix_alert_event_rule_unit", ["rule_id", "unit_id"], unique=False)

    op.create_table(
        "alert_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("pending_since", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fired_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("evaluated_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notice", sa.String(length=16), nullable=True),
        sa.Column("last_notified_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.String(length=160), nullable=True),
        sa.Column("acked_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('ok', 'pending', 'firing', 'acknowledged', 'resolved')",
            name=op.f("ck_alert_state_state"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rule.id"], name=op.f("fk_alert_state_rule_id_alert_rule"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_alert_state_unit_id_org_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_state")),
        sa.UniqueConstraint("rule_id", "unit_id", name=op.f("uq_alert_state_rule_id_unit_id")),
    )
    with op.batch_alter_table("alert_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_state_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "explanation_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("period_label", sa.String(length=120), nullable=False),
        sa.Column("alert_state_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=160), nullable=False),
        sa.Column("requested_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.String(length=160), nullable=True),
        sa.Column("answered_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=160), nullable=True),
        sa.Column("closed_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'closed')", name=op.f("ck_explanation_request_status")
        ),
        sa.ForeignKeyConstraint(
            ["alert_state_id"],
            ["alert_state.id"],
            name=op.f("fk_explanation_request_alert_state_id_alert_state"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_unit.id"],
            name=op.f("fk_explanation_request_unit_id_org_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_explanation_request")),
    )
    with op.batch_alter_table("explanation_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_explanation_request_kpi_unit_period", ["kpi_id", "unit_id", "period_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_explanation_request_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    for table in ("explanation_request", "alert_state", "alert_event", "alert_rule", "notification_outbox"):
        op.drop_table(table)
    with op.batch_alter_table("account") as batch:
        batch.drop_column("email")
