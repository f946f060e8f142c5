"""The audit trail an auditor can rely on: a sequence number per event (deletions show as gaps), linked ids,
before/after values, the policy version and the actor's Salesforce user id in every event; and the cache of
Slack users matched to Salesforce users. Events written before this migration keep their hashes (chain version 1)
and are numbered in id order.

Revision ID: 0010c
Revises: 0012a
Create Date: 2026-12-07 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import UTCDateTime

revision: str = '0010c'
down_revision: str | None = '0012a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_event') as batch:
        batch.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('chain_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('actor_sf_id', sa.String(length=18), nullable=True))
        batch.add_column(sa.Column('before', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('after', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('policy_version', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('deal_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('approval_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('invoice_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('exception_id', sa.Integer(), nullable=True))
    op.execute("UPDATE audit_event SET chain_version = 1, seq = numbered.n "
               "FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_event) AS numbered "
               "WHERE numbered.id = audit_event.id")       # SQLite 3.33+ and PostgreSQL
    with op.batch_alter_table('audit_event') as batch:
        batch.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column('chain_version', existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint(batch.f('uq_audit_event_seq'), ['seq'])
        batch.create_index(batch.f('ix_audit_event_occurred_at'), ['occurred_at'])
        batch.create_index(batch.f('ix_audit_event_action'), ['action'])
        batch.create_index(batch.f('ix_audit_event_deal_id'), ['deal_id'])
        batch.create_index(batch.f('ix_audit_event_approval_id'), ['approval_id'])
        batch.create_index(batch.f('ix_audit_event_exception_id'), ['exception_id'])
    op.create_table('audit_identity',
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('slack_name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('sf_user_id', sa.String(length=18), nullable=True),
    sa.Column('checked_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('slack_user_id', name=op.f('pk_audit_identity'))
    )


def downgrade() -> None:
    op.drop_table('audit_identity')
    with op.batch_alter_table('audit_event') as batch:
        for index in ('exception_id', 'approval_id', 'deal_id', 'action', 'occurred_at'):
            batch.drop_index(batch.f(f'ix_audit_event_{index}'))
        batch.drop_constraint(batch.f('uq_audit_event_seq'), type_='unique')
        for column in ('exception_id', 'invoice_id', 'approval_id', 'deal_id', 'policy_version', 'after',
                       'before', 'actor_sf_id', 'chain_version', 'seq'):
            batch.drop_column(column)
