"""The morning briefing: subscriptions (account, scope, template) and the rendered reports

Revision ID: 0008_briefing
Revises: 0007_collector_faults
Create Date: 2026-12-07

``briefing_subscription``: an account receives a scope's briefing in a template every working
morning; ``last_sent_on`` keeps a restarted collector from sending twice. ``briefing_report``: one
rendered briefing per scope, template and day, its PDF and XLSX under ``<data dir>/reports``.
"""

import sqlalchemy as sa
from alembic import op

import dashboard.timeutil

revision = "0008_briefing"
down_revision = "0007_collector_faults"
branch_labels = None
depends_on = None

_TEMPLATES = "template IN ('daily', 'weekly', 'monthly', 'reporting')"


def upgrade() -> None:
    op.create_table(
        "briefing_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("scope_key", sa.String(length=80), nullable=False),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_on", sa.Date(), nullable=True),
        sa.CheckConstraint(_TEMPLATES, name=op.f("ck_briefing_subscription_template")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_briefing_subscription_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_unit.id"],
            name=op.f("fk_briefing_subscription_unit_id_org_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing_subscription")),
        sa.UniqueConstraint(
            "account_id",
            "scope_key",
            "template",
            name=op.f("uq_briefing_subscription_account_id_scope_key_template"),
        ),
    )
    with op.batch_alter_table("briefing_subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_briefing_subscription_account_id"), ["account_id"], unique=False)
    op.create_table(
        "briefing_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("scope_key", sa.String(length=80), nullable=False),
        sa.Column("scope_name", sa.String(length=255), nullable=False),
        sa.Column("template", sa.String(length=16), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("as_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("made_at", dashboard.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=160), nullable=False),
        sa.Column("pdf_path", sa.String(length=500), nullable=False),
        sa.Column("xlsx_path", sa.String(length=500), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=False),
        sa.Column("xlsx_bytes", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.CheckConstraint(_TEMPLATES, name=op.f("ck_briefing_report_template")),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["org_unit.id"],
            name=op.f("fk_briefing_report_unit_id_org_unit"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefing_report")),
        sa.UniqueConstraint(
            "scope_key",
            "template",
            "report_date",
            name=op.f("uq_briefing_report_scope_key_template_report_date"),
        ),
    )
    with op.batch_alter_table("briefing_report", schema=None) as batch_op:
        batch_op.create_index("ix_briefing_report_report_date", ["report_date"], unique=False)


def downgrade() -> None:
    op.drop_table("briefing_report")
    op.drop_table("briefing_subscription")
