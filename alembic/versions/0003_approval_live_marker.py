"""Approval requests: a superseded request no longer blocks asking again for the same terms.

Terms can change A -> B -> A. The request for A was superseded on the way, and the old
UNIQUE(deal_id, kind, terms_fingerprint) forbade a fresh request for A. `live_marker` is 1 while a
request counts and NULL once superseded; NULLs never collide in a UNIQUE on SQLite or PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 20:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = 'uq_approval_request_deal_id_kind_terms_fingerprint'
NEW = 'uq_approval_request_deal_id_kind_terms_fingerprint_live_marker'


def upgrade() -> None:
    with op.batch_alter_table('approval_request') as batch:
        batch.add_column(sa.Column('live_marker', sa.Integer(), nullable=True))
    op.execute("UPDATE approval_request SET live_marker = 1 WHERE status <> 'superseded'")
    with op.batch_alter_table('approval_request') as batch:
        batch.drop_constraint(OLD, type_='unique')
        batch.create_unique_constraint(NEW, ['deal_id', 'kind', 'terms_fingerprint', 'live_marker'])


def downgrade() -> None:
    with op.batch_alter_table('approval_request') as batch:
        batch.drop_constraint(NEW, type_='unique')
        batch.create_unique_constraint(OLD, ['deal_id', 'kind', 'terms_fingerprint'])
        batch.drop_column('live_marker')
