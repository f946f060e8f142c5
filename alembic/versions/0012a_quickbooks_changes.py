"""What QuickBooks CDC shows after issue: credit memos (ours and made by hand) and changes to an invoice's total.

Revision ID: 0012a
Revises: 0010b
Create Date: 2026-12-07 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import Money, UTCDateTime

revision: str = '0012a'
down_revision: str | None = '0010b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('qbo_credit_memo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('realm_id', sa.String(length=40), nullable=False),
    sa.Column('qbo_id', sa.String(length=40), nullable=False),
    sa.Column('doc_number', sa.String(length=21), nullable=True),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('txn_date', sa.Date(), nullable=True),
    sa.Column('total', Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('home_total', Money(), nullable=True),
    sa.Column('created_in_qbo_at', UTCDateTime(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('invoice_job_id', sa.Integer(), nullable=True),
    sa.Column('seen_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_job_id'], ['invoice_job.id'],
                            name=op.f('fk_qbo_credit_memo_invoice_job_id_invoice_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qbo_credit_memo')),
    sa.UniqueConstraint('realm_id', 'qbo_id', name=op.f('uq_qbo_credit_memo_realm_id_qbo_id'))
    )
    op.create_index(op.f('ix_qbo_credit_memo_created_in_qbo_at'), 'qbo_credit_memo', ['created_in_qbo_at'])
    op.create_index(op.f('ix_qbo_credit_memo_invoice_job_id'), 'qbo_credit_memo', ['invoice_job_id'])
    with op.batch_alter_table('invoice_job') as batch:
        batch.add_column(sa.Column('changed_in_qbo_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoice_job') as batch:
        batch.drop_column('changed_in_qbo_at')
    op.drop_table('qbo_credit_memo')
