"""Imports every module that defines tables, so SQLModel.metadata (and Alembic) sees the whole schema.

Import this module, then use `SQLModel.metadata`; nothing here has side effects beyond the imports.
"""
from __future__ import annotations

from app.approvals import activation_models
from app.approvals import level_models as approval_level_models
from app.approvals import models as approvals_models
from app.audit import models as audit_models
from app.deals import models as deals_models
from app.exactly_once import models as exactly_once_models
from app.exactly_once import slack_posts
from app.exception_queue import feed as exception_feed
from app.exception_queue import models as exception_queue_models
from app.exception_queue import team_snapshot
from app.integrations import token_store_db
from app.invoicing import correction_models, milestone_models, qbo_change_models
from app.invoicing import models as invoicing_models
from app.rollout import models as rollout_models
from app.work_queue import models as work_queue_models

MODEL_MODULES = (
    deals_models,
    approvals_models,
    approval_level_models,
    activation_models,
    invoicing_models,
    correction_models,
    milestone_models,
    qbo_change_models,
    exception_queue_models,
    exception_feed,
    team_snapshot,
    audit_models,
    exactly_once_models,
    slack_posts,
    work_queue_models,
    rollout_models,
    token_store_db,
)
