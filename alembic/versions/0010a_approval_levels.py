"""Approval levels: each request's levels (role, step) and who decided each, when and how.

Requests that exist before this migration have no level rows: they are decided as one level of their role.

Revision ID: 0010a
Revises: 0008a
Create Date: 2026-12-07 16:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0010a'
down_revision: str | None = '0008a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('approval_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_by_name', sa.String(length=255), nullable=True),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'],
                            name=op.f('fk_approval_level_request_id_approval_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_level')),
    sa.UniqueConstraint('request_id', 'position', name=op.f('uq_approval_level_request_id_position')),
    sa.UniqueConstraint('request_id', 'decided_by', name=op.f('uq_approval_level_request_id_decided_by')),
    )
    op.create_index(op.f('ix_approval_level_request_id'), 'approval_level', ['request_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_approval_level_request_id'), table_name='approval_level')
    op.drop_table('approval_level')
