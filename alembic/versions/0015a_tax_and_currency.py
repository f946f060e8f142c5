"""Tax and currency: an account's exemption reason, resale number and its QuickBooks customer's currency; an
invoice's tax, currency, exchange rate and home-currency total as QuickBooks computed them.

Revision ID: 0015a
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from app.db import Money

revision: str = '0015a'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('tax_exemption_reason', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('resale_number', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('qbo_currency', sa.String(length=3), nullable=True))
    with op.batch_alter_table('invoice_job') as batch:
        batch.add_column(sa.Column('tax_total', Money(), nullable=True))
        batch.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('exchange_rate', sa.Numeric(precision=18, scale=6), nullable=True))
        batch.add_column(sa.Column('home_total', Money(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoice_job') as batch:
        for name in ('home_total', 'exchange_rate', 'currency', 'tax_total'):
            batch.drop_column(name)
    with op.batch_alter_table('account') as batch:
        for name in ('qbo_currency', 'resale_number', 'tax_exemption_reason'):
            batch.drop_column(name)
