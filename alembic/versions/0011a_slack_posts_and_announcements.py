"""Keyed Slack messages posted once and updated in place (pre-flight DMs, exception threads, the weekly review),
and which exceptions were announced where. Exceptions that exist before this migration count as announced:
the first flush after the upgrade never posts the old backlog.

Revision ID: 0011a
Revises: 0006
Create Date: 2026-12-07 12:48:18
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0011a'
down_revision: str | None = '0015b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('slack_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('slack_ts', sa.String(length=32), nullable=True),
    sa.Column('first_tried_at', UTCDateTime(), nullable=True),
    sa.Column('claimed_until', UTCDateTime(), nullable=True),
    sa.Column('shown_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_slack_post_deal_id_deal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_post')),
    sa.UniqueConstraint('key', name=op.f('uq_slack_post_key'))
    )
    op.create_index(op.f('ix_slack_post_deal_id'), 'slack_post', ['deal_id'])
    op.create_index(op.f('ix_slack_post_kind'), 'slack_post', ['kind'])
    op.create_table('exception_announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exception_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('announced_at', UTCDateTime(), nullable=False),
    sa.Column('reply_wanted', sa.Boolean(), nullable=False),
    sa.Column('new_reply_at', UTCDateTime(), nullable=True),
    sa.Column('closed_reply_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['exception_id'], ['exception_item.id'],
                            name=op.f('fk_exception_announcement_exception_id_exception_item')),
    sa.ForeignKeyConstraint(['post_id'], ['slack_post.id'], name=op.f('fk_exception_announcement_post_id_slack_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exception_announcement')),
    sa.UniqueConstraint('exception_id', name=op.f('uq_exception_announcement_exception_id'))
    )
    op.create_index(op.f('ix_exception_announcement_post_id'), 'exception_announcement', ['post_id'])
    op.execute("INSERT INTO exception_announcement (exception_id, how, announced_at, reply_wanted) "
               "SELECT id, 'before_feed', created_at, false FROM exception_item")


def downgrade() -> None:
    op.drop_table('exception_announcement')
    op.drop_table('slack_post')
