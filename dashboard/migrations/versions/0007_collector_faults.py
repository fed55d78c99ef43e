"""Collector runs say which process ran them and what happened around them; rejects say their kind

Revision ID: 0007_collector_faults
Revises: 0006_official_definitions
Create Date: 2026-12-03

``collector_run.pid`` / ``host``: a run left "running" is called interrupted only when the process
that owns it is really gone (same host, pid no longer alive), never because another process
happened to start. ``collector_run.note``: what the run record itself went through, e.g. written
after a store outage with the outage window. ``rejected_record.kind``: ``row`` (a value the
runner refused), ``file`` (a whole file refused), ``duplicate`` (an id seen twice in one batch),
``future`` (a timestamp later than now plus the tolerance) — the Sources page lists them apart.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_collector_faults"
down_revision = "0006_official_definitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("collector_run", sa.Column("pid", sa.Integer(), nullable=True))
    op.add_column("collector_run", sa.Column("host", sa.String(length=255), nullable=True))
    op.add_column("collector_run", sa.Column("note", sa.Text(), nullable=True))
    op.add_column(
        "rejected_record", sa.Column("kind", sa.String(length=16), server_default="row", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("rejected_record") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("collector_run") as batch:
        batch.drop_column("note")
        batch.drop_column("host")
        batch.drop_column("pid")
