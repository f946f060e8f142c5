"""Watermarks: the versions a pushed read (POST /salesforce/notify) stored ahead of the mark, so the next
poll skips them instead of storing them again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sync_watermark') as batch:
        batch.add_column(sa.Column('read_ahead', sa.JSON(), nullable=True))
    op.execute("UPDATE sync_watermark SET read_ahead = '{}'")
    with op.batch_alter_table('sync_watermark') as batch:
        batch.alter_column('read_ahead', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_watermark') as batch:
        batch.drop_column('read_ahead')
