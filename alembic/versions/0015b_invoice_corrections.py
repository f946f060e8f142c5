"""Corrections to issued invoices (credit memos, write-offs, credit-and-rebill), approved in Slack and made once.

Revision ID: 0015b
Revises: 0015a
Create Date: 2026-12-05 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import Money, UTCDateTime

revision: str = '0015b'
down_revision: str | None = '0015a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invoice_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('invoice_job_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('root_cause', sa.String(length=40), nullable=True),
    sa.Column('proposer_slack_id', sa.String(length=32), nullable=True),
    sa.Column('proposer_name', sa.String(length=255), nullable=True),
    sa.Column('approval_request_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=50), nullable=False),
    sa.Column('doc_number', sa.String(length=21), nullable=False),
    sa.Column('invoice_id', sa.String(length=40), nullable=False),
    sa.Column('invoice_doc_number', sa.String(length=21), nullable=True),
    sa.Column('qbo_credit_memo_id', sa.String(length=40), nullable=True),
    sa.Column('credit_total', Money(), nullable=True),
    sa.Column('qbo_payment_id', sa.String(length=40), nullable=True),
    sa.Column('observed_total', Money(), nullable=True),
    sa.Column('rebill_invoice_id', sa.String(length=40), nullable=True),
    sa.Column('rebill_doc_number', sa.String(length=21), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('decided_at', UTCDateTime(), nullable=True),
    sa.Column('done_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approval_request_id'], ['approval_request.id'],
                            name=op.f('fk_invoice_correction_approval_request_id_approval_request')),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_invoice_correction_deal_id_deal')),
    sa.ForeignKeyConstraint(['invoice_job_id'], ['invoice_job.id'],
                            name=op.f('fk_invoice_correction_invoice_job_id_invoice_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_correction')),
    sa.UniqueConstraint('deal_id', 'number', name=op.f('uq_invoice_correction_deal_id_number')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_invoice_correction_idempotency_key'))
    )
    op.create_index(op.f('ix_invoice_correction_deal_id'), 'invoice_correction', ['deal_id'])
    op.create_index(op.f('ix_invoice_correction_status'), 'invoice_correction', ['status'])


def downgrade() -> None:
    op.drop_table('invoice_correction')
