"""Rollout in phases: shadow mode's would-be invoices, mode changes, backfill grants, milestone invoices.

Revision ID: 0013a
Revises: 0010c
Create Date: 2026-12-07 17:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import Money, UTCDateTime

revision: str = '0013a'
down_revision: str | None = '0010c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shadow_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('qbo_realm_id', sa.String(length=40), nullable=False),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('qbo_customer_id', sa.String(length=40), nullable=True),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('terms', sa.String(length=100), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('txn_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('deal_id')
    )
    op.create_table('rollout_mode_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rollout_mode_change_at'), 'rollout_mode_change', ['at'], unique=False)
    op.create_table('backfill_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('granted_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('deal_id')
    )
    op.create_table('milestone_invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('qbo_realm_id', sa.String(length=40), nullable=False),
    sa.Column('milestone_sf_id', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('qbo_invoice_id', sa.String(length=40), nullable=True),
    sa.Column('doc_number', sa.String(length=21), nullable=True),
    sa.Column('total', Money(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('milestone_sf_id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_index(op.f('ix_milestone_invoice_deal_id'), 'milestone_invoice', ['deal_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_milestone_invoice_deal_id'), table_name='milestone_invoice')
    op.drop_table('milestone_invoice')
    op.drop_table('backfill_grant')
    op.drop_index(op.f('ix_rollout_mode_change_at'), table_name='rollout_mode_change')
    op.drop_table('rollout_mode_change')
    op.drop_table('shadow_invoice')
