"""Levels of approval requests, stored: open them, read them, decide one (and the request once all are decided).

Services add and flush; the caller commits. A request without level rows (asked before levels existed, or a
kind that opens its own requests) is one level of its role: the row is stored when that level is decided.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.approvals import levels as rules
from app.approvals.level_models import ApprovalLevel
from app.approvals.levels import LevelSpec, LevelState, LevelStatus, Outcome
from app.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStatus, Decision
from app.approvals.wording import refusal_text
from app.audit.service import Links, record_event
from app.clock import Clock
from app.db import persisted_id
from app.deals.models import Deal
from app.errors import InvalidTransition, NotAllowed
from app.policy import Policy


@dataclass(frozen=True)
class LevelDecided:
    """The request after one level was decided; `newly_open`: levels whose approvers should hear it is their turn."""

    request: ApprovalRequest
    level: LevelState
    levels: tuple[LevelState, ...]
    finished: bool
    newly_open: tuple[LevelState, ...]


def open_request_levels(session: Session, request: ApprovalRequest, specs: Sequence[LevelSpec]) -> None:
    """Store a new request's levels (once: a request that has levels keeps them)."""
    if request.id is None or not specs or _rows(session, request.id):
        return
    for spec in specs:
        session.add(ApprovalLevel(request_id=request.id, position=spec.position, step=spec.step, role=spec.role))
    request.role, request.level = specs[0].role, specs[0].position
    session.add(request)
    session.flush()


def level_states(session: Session, request: ApprovalRequest) -> tuple[LevelState, ...]:
    rows = _rows(session, request.id)
    if rows:
        return tuple(_state(row) for row in rows)
    return (LevelState(1, 1, request.role, _legacy_status(request)),)


def level_specs(session: Session, request: ApprovalRequest) -> tuple[LevelSpec, ...]:
    """The levels a request was opened with, to open the same ones again (a fresh request after expiry)."""
    return tuple(LevelSpec(level.position, level.step, level.role) for level in level_states(session, request))


def refusal_before_opening(session: Session, request: ApprovalRequest, *, actor_id: str, policy: Policy) -> str | None:
    """From the database alone (the web process calls no vendor): the refusal, if one is certain already."""
    refusal = rules.may_open(actor_id=actor_id, levels=level_states(session, request),
                             requesters=requesters(request), submitters=submitters(request))
    return refusal_text(refusal, policy) if refusal else None


def decide_level(session: Session, *, request_id: int, actor_id: str, actor_name: str | None, decision: Decision,
                 comment: str | None, members_by_role: Mapping[str, frozenset[str]], policy: Policy,
                 clock: Clock) -> LevelDecided:
    """Decide the open level `actor_id` may decide. Raises NotAllowed (with the one wording) or InvalidTransition.

    Two people on one level: the conditional update lets one win. One person on two parallel levels at once: the
    unique (request_id, decided_by) makes the second flush fail (IntegrityError, reported by the caller)."""
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise InvalidTransition(f"Approval request {request_id} does not exist")
    if request.status != ApprovalStatus.PENDING:
        raise InvalidTransition(already_decided(session, request))
    levels = level_states(session, request)
    if rules.outcome(levels) != Outcome.PENDING:     # decided in another session since this one read the request
        session.refresh(request)
        raise InvalidTransition(already_decided(session, request))
    choice = rules.choose_level(actor_id=actor_id, levels=levels, requesters=requesters(request),
                                submitters=submitters(request), members_by_role=members_by_role,
                                barred=_barred(session, request, policy))
    if choice.refusal is not None or choice.level is None:
        raise NotAllowed(refusal_text(choice.refusal, policy) if choice.refusal else "Nothing to decide")
    if decision == Decision.REJECTED and not (comment or "").strip():
        raise InvalidTransition("A rejection needs a reason")
    now, status = clock.now(), LevelStatus(decision.value)
    after = rules.decide(levels, choice.level, decision=status, actor_id=actor_id, actor_name=actor_name, at=now,
                         comment=comment)
    decided = next(level for level in after if level.position == choice.level.position)
    _store(session, request, decided)
    _audit_level(session, request, decided, policy=policy, clock=clock)
    result = rules.outcome(after)
    if result == Outcome.PENDING:
        waiting = rules.open_levels(after)
        request.role, request.level = waiting[0].role, waiting[0].position
        session.add(request)
        session.flush()
        newly = tuple(level for level in waiting if level.step > decided.step)
        return LevelDecided(request, decided, after, finished=False, newly_open=newly)
    _finish(session, request, decided, decision=decision, clock=clock)
    return LevelDecided(request, decided, after, finished=True, newly_open=())


def requesters(request: ApprovalRequest) -> tuple[str | None, ...]:
    return (request.requester_slack_id,)


def submitters(request: ApprovalRequest) -> tuple[str | None, ...]:
    """Whoever submitted the deal (matched in Slack by the e-mail of their Salesforce User), when known."""
    return (request.submitter_slack_id,)


def already_decided(session: Session, request: ApprovalRequest) -> str:
    if request.status == ApprovalStatus.SUPERSEDED:
        return "This request is out of date: the deal's terms changed, so a new request was posted"
    if request.status == ApprovalStatus.EXPIRED:
        return "This request expired: a fresh request was posted in its place"
    decided = session.exec(select(ApprovalDecision).where(ApprovalDecision.request_id == request.id)).first()
    who = (decided.slack_user_name or decided.slack_user_id) if decided else "someone"
    return f"Already {request.status} by {who}"


def _store(session: Session, request: ApprovalRequest, decided: LevelState) -> None:
    if not _rows(session, request.id):
        session.add(ApprovalLevel(request_id=persisted_id(request), position=1, step=1, role=request.role))
        session.flush()
    claimed = session.execute(
        update(ApprovalLevel)
        .where(col(ApprovalLevel.request_id) == request.id, col(ApprovalLevel.position) == decided.position,
               col(ApprovalLevel.status) == LevelStatus.PENDING)
        .values(status=decided.status, decided_by=decided.decided_by, decided_by_name=decided.decided_by_name,
                decided_at=decided.decided_at, comment=decided.comment)
        .execution_options(synchronize_session=False))
    session.expire_all()
    if getattr(claimed, "rowcount", 1) != 1:             # someone else decided this level a moment ago
        winner = next((row for row in _rows(session, request.id) if row.position == decided.position), None)
        who = (winner.decided_by_name or winner.decided_by) if winner and winner.decided_by else "someone else"
        status = winner.status if winner and winner.decided_by else "decided"
        single = len(_rows(session, request.id)) == 1
        raise InvalidTransition(f"Already {status} by {who}" if single
                                else f"Level {decided.position} was already {status} by {who}")


def _finish(session: Session, request: ApprovalRequest, last: LevelState, *, decision: Decision,
            clock: Clock) -> None:
    now = clock.now()
    session.add(ApprovalDecision(request_id=persisted_id(request), slack_user_id=last.decided_by or "",
                                 slack_user_name=last.decided_by_name, decision=decision, comment=last.comment,
                                 decided_at=now))
    session.flush()
    request = session.get(ApprovalRequest, request.id) or request
    request.status, request.decided_at = ApprovalStatus(decision.value), now
    session.add(request)
    record_event(session, actor=last.decided_by or "", actor_name=last.decided_by_name,
                 action=f"approval.{decision.value}", subject_type="approval_request", subject_id=str(request.id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "comment": last.comment,
                          "terms_fingerprint": request.terms_fingerprint}, clock=clock,
                 before={"status": ApprovalStatus.PENDING.value}, after={"status": request.status},
                 links=Links(deal_id=request.deal_id, approval_id=request.id))


def _audit_level(session: Session, request: ApprovalRequest, level: LevelState, *, policy: Policy,
                 clock: Clock) -> None:
    record_event(session, actor=level.decided_by or "", actor_name=level.decided_by_name,
                 action=f"approval.level_{level.status}", subject_type="approval_request",
                 subject_id=str(request.id),
                 details={"deal_id": request.deal_id, "kind": request.kind, "level": level.position,
                          "step": level.step, "role": level.role, "comment": level.comment,
                          "terms_fingerprint": request.terms_fingerprint}, clock=clock,
                 before={"level": level.position, "role": level.role, "status": LevelStatus.PENDING.value},
                 after={"level": level.position, "role": level.role, "status": level.status,
                        "decided_by": level.decided_by},
                 links=Links(deal_id=request.deal_id, approval_id=request.id))


def _barred(session: Session, request: ApprovalRequest, policy: Policy) -> Collection[str]:
    """Whoever decided the other of (customer activation, credit limit) for the same account, when they must differ."""
    pair = {rules.ACTIVATION_KIND: rules.CREDIT_LIMIT_KIND, rules.CREDIT_LIMIT_KIND: rules.ACTIVATION_KIND}
    other = pair.get(request.kind)
    if other is None or not policy.approval_controls.separate_activation_and_credit_limit:
        return frozenset()
    deal = session.get(Deal, request.deal_id)
    if deal is None or deal.account_id is None:
        return frozenset()
    statement = (select(ApprovalLevel.decided_by)
                 .join(ApprovalRequest, col(ApprovalRequest.id) == ApprovalLevel.request_id)
                 .join(Deal, col(Deal.id) == ApprovalRequest.deal_id)
                 .where(Deal.account_id == deal.account_id, ApprovalRequest.kind == other,
                        col(ApprovalLevel.decided_by).is_not(None)))
    return frozenset(who for who in session.exec(statement) if who)


def _rows(session: Session, request_id: int | None) -> list[ApprovalLevel]:
    statement = select(ApprovalLevel).where(ApprovalLevel.request_id == request_id).order_by(
        col(ApprovalLevel.position))
    return list(session.exec(statement))


def _state(row: ApprovalLevel) -> LevelState:
    return LevelState(row.position, row.step, row.role, LevelStatus(row.status), row.decided_by, row.decided_by_name,
                      row.decided_at, row.comment)


def _legacy_status(request: ApprovalRequest) -> LevelStatus:
    if request.status in (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED):
        return LevelStatus(request.status)
    return LevelStatus.PENDING
