"""Exception items remember the queued work that failed, so Retry can run that step again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exception_item') as batch:
        batch.add_column(sa.Column('work_item_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('exception_item') as batch:
        batch.drop_column('work_item_id')
