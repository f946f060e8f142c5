"""Exceptions: who retried last and with what result (the reason is never overwritten), and when the
Slack message that shows the item was generated (so the worker can re-render it in place).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exception_item') as batch:
        batch.add_column(sa.Column('last_retry_by', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('last_retry_result', sa.Text(), nullable=True))
        batch.add_column(sa.Column('slack_posted_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exception_item') as batch:
        batch.drop_column('slack_posted_at')
        batch.drop_column('last_retry_result')
        batch.drop_column('last_retry_by')
