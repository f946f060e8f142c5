"""The field lock's values on each approval request (so a change can be shown old -> new), why a request was
superseded and which one a re-approval replaces; customer activations (the proposed customer, its look-alikes and
the approver's choice); and the terms and credit limit finance approved at activation, on the account.

Requests made before this revision have no locked values: the first read of their deal after the upgrade gives each
live one the deal's values of that moment as its lock (app/approvals/service.py `_adopt_lock`), so in-flight
approvals are not all asked again.

Revision ID: 0010b
Revises: 0010a
Create Date: 2026-12-07 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import Money, UTCDateTime

revision: str = '0010b'
down_revision: str | None = '0010a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('approval_request') as batch:
        batch.add_column(sa.Column('locked_values', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('superseded_why', sa.Text(), nullable=True))
        batch.add_column(sa.Column('reapproval_of', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('activated_terms', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('activated_credit_limit', Money(), nullable=True))
        batch.add_column(sa.Column('activated_over', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('billing_email', sa.String(length=255), nullable=True))
    op.create_table('customer_activation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('look_alikes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('terms', sa.String(length=40), nullable=True),
    sa.Column('credit_limit', Money(), nullable=True),
    sa.Column('choice', sa.String(length=40), nullable=True),
    sa.Column('qbo_customer_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_customer_activation_account_id_account')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_request.id'],
                            name=op.f('fk_customer_activation_request_id_approval_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_activation')),
    sa.UniqueConstraint('request_id', name=op.f('uq_customer_activation_request_id'))
    )
    op.create_index(op.f('ix_customer_activation_account_id'), 'customer_activation', ['account_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_customer_activation_account_id'), table_name='customer_activation')
    op.drop_table('customer_activation')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('billing_email')
        batch.drop_column('activated_over')
        batch.drop_column('activated_credit_limit')
        batch.drop_column('activated_terms')
    with op.batch_alter_table('approval_request') as batch:
        batch.drop_column('changes')
        batch.drop_column('reapproval_of')
        batch.drop_column('superseded_why')
        batch.drop_column('locked_values')
