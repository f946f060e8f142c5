"""`/approvals`: the pending approval requests a user may decide (or all of them), oldest first."""
from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from app.approvals.level_service import level_states
from app.approvals.levels import deciders, open_levels
from app.approvals.models import ApprovalRequest, ApprovalStatus
from app.deals.models import Account, Deal

MAX_LISTED = 8          # each card is a handful of blocks; a response stays well under Slack's 50


def pending_requests(session: Session, *, user_id: str, members_by_role: Mapping[str, frozenset[str]],
                     everyone: bool = False) -> tuple[list[tuple[ApprovalRequest, Deal, Account | None]], int]:
    """Up to MAX_LISTED (request, deal, account) rows, and how many there are in all. A request is the user's to
    decide when one of its open levels is of a role they hold, they did not ask for it and decided no level of it."""
    roles = {role for role, members in members_by_role.items() if everyone or user_id in members}
    if not roles:
        return [], 0
    statement = (select(ApprovalRequest, Deal, Account).join(Deal, col(Deal.id) == ApprovalRequest.deal_id)
                 .join(Account, col(Account.id) == Deal.account_id, isouter=True)
                 .where(ApprovalRequest.status == ApprovalStatus.PENDING)
                 .order_by(col(ApprovalRequest.created_at), col(ApprovalRequest.id)))
    rows: list[tuple[ApprovalRequest, Deal, Account | None]] = [
        (request, deal, account) for request, deal, account in session.exec(statement)
        if everyone or waits_for(session, request, user_id=user_id, roles=roles)]
    return rows[:MAX_LISTED], len(rows)


def waits_for(session: Session, request: ApprovalRequest, *, user_id: str, roles: set[str]) -> bool:
    """One of the request's open levels is of a role the user holds, and they neither asked nor decided a level."""
    if request.requester_slack_id == user_id:
        return False
    levels = level_states(session, request)
    return user_id not in deciders(levels) and any(level.role in roles for level in open_levels(levels))
