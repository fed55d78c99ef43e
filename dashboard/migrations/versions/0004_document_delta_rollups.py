"""Rollups move by deltas: drop the document indexes only their recompute used, and a redundant rollup index

Revision ID: 0004_document_delta_rollups
Revises: 0003_platform_sources
Create Date: 2026-11-22

Writers now move the daily rollups by the exact change of the facts they write (captured before
and after the write, ``rollups.Delta``) instead of recomputing the touched (unit, day) pairs from
the fact table, so ``ix_document_unit_due`` and ``ix_document_unit_completed`` are read by no
query any more — and maintaining them cost a bulk load of documents about a third of its time.
``ix_daily_rollup_metric_day`` is a prefix of the covering ``ix_daily_rollup_metric_day_unit_value``:
every query it could answer, the covering index answers, and each rollup write paid for both.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_document_delta_rollups"
down_revision = "0003_platform_sources"
branch_labels = None
depends_on = None


def _where(condition: str) -> dict:
    """A partial index, on both databases."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.drop_index("ix_document_unit_due", table_name="document")
    op.drop_index("ix_document_unit_completed", table_name="document")
    op.drop_index("ix_daily_rollup_metric_day", table_name="daily_rollup")


def downgrade() -> None:
    op.create_index("ix_daily_rollup_metric_day", "daily_rollup", ["metric", "day"], unique=False)
    op.create_index(
        "ix_document_unit_completed",
        "document",
        ["unit_id", "completed_day"],
        unique=False,
        **_where("completed_day IS NOT NULL"),
    )
    op.create_index(
        "ix_document_unit_due",
        "document",
        ["unit_id", "due_day"],
        unique=False,
        **_where("due_day IS NOT NULL"),
    )
