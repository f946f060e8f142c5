"""Slack user-group members as the worker last read them, so the web process can check who may open the
Resolve form without calling Slack.

Revision ID: 0008a
Revises: 0011a
Create Date: 2026-12-07 16:50:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0008a'
down_revision: str | None = '0011a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_usergroup_snapshot',
    sa.Column('usergroup_id', sa.String(length=32), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('read_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('usergroup_id'),
    )


def downgrade() -> None:
    op.drop_table('slack_usergroup_snapshot')
