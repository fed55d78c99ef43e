"""Failed collector runs keep a stable error kind and its detail

Revision ID: 0008_houseflow
Revises: 0008_petitions
Create Date: 2026-12-07

``collector_run.error_kind``: a :class:`dashboard.sourceerrors.ErrorKind` value (``auth``,
``timeout``, ``schema``, …) set by the runner from the adapter's error; ``error_detail``: what the
advice names (an HTTP status, the environment variable or option to check, a view, a path). The
Sources page chooses its Vietnamese/English advice from the kind instead of matching the English
message. Runs stored before this revision have no kind and are shown with their message only.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_houseflow"
down_revision = "0008_petitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("collector_run", sa.Column("error_kind", sa.String(length=24), nullable=True))
    op.add_column("collector_run", sa.Column("error_detail", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("collector_run") as batch:
        batch.drop_column("error_detail")
        batch.drop_column("error_kind")
