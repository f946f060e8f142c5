"""Separation of duties: whoever submitted the deal (the policy's `approval_controls.submitter_field`), stored on
the deal and on each approval request (Salesforce user id, e-mail, and the Slack user matched by that e-mail).

Revision ID: 0010d
Revises: 0013a
Create Date: 2026-12-07 18:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = '0010d'
down_revision: str | None = '0013a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deal') as batch:
        batch.add_column(sa.Column('submitter_sf_id', sa.String(length=18), nullable=True))
        batch.add_column(sa.Column('submitter_email', sa.String(length=255), nullable=True))
    with op.batch_alter_table('approval_request') as batch:
        batch.add_column(sa.Column('submitter_sf_user_id', sa.String(length=18), nullable=True))
        batch.add_column(sa.Column('submitter_email', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('submitter_slack_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('approval_request') as batch:
        batch.drop_column('submitter_slack_id')
        batch.drop_column('submitter_email')
        batch.drop_column('submitter_sf_user_id')
    with op.batch_alter_table('deal') as batch:
        batch.drop_column('submitter_email')
        batch.drop_column('submitter_sf_id')
