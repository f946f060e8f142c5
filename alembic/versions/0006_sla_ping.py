"""SLA pings recorded as due with the decision to send them, sent by the work queue, deduplicated by key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 18:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sla_ping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exception_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('slack_ts', sa.String(length=32), nullable=True),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('first_tried_at', UTCDateTime(), nullable=True),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['exception_id'], ['exception_item.id'], name=op.f('fk_sla_ping_exception_id_exception_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_ping')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_sla_ping_dedupe_key'))
    )
    op.create_index(op.f('ix_sla_ping_exception_id'), 'sla_ping', ['exception_id'])
    op.create_index(op.f('ix_sla_ping_status'), 'sla_ping', ['status'])


def downgrade() -> None:
    op.drop_table('sla_ping')
