"""SLA pings at least once and never twice.

The decision to ping (the item's *_at column claimed once) and the ping itself (one `sla_ping` row per
recipient, and the work item that sends it) are written in one transaction. The worker then sends; it
marks a ping sent only on Slack's ok, and before trying again it looks for the message by the ping's
key in the metadata Slack keeps with it. The work kind's value lives here so the domain need not import
the pipeline (app.pipeline.follow_ups.WorkKind reuses it).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.clock import Clock
from app.errors import NotFound
from app.exception_queue import rules
from app.exception_queue.models import ExceptionItem, ExceptionStatus, SlaPing, SlaPingStatus
from app.exception_queue.service import claim_pings
from app.work_queue.kinds import WorkKind
from app.work_queue.service import enqueue

SLA_PING_KIND = WorkKind.SEND_SLA_PING.value
PING_EVENT_TYPE = "ledgerbridge_sla_ping"
"""The metadata event_type of every ping message; its event_payload carries the ping's key."""


def ping_key(exception_id: int, kind: rules.Ping, recipient: str) -> str:
    return f"sla-ping:{exception_id}:{kind.value}:{recipient}"


def record_due(session: Session, *, item_id: int, settle: Sequence[rules.Ping],
               recipients: Mapping[rules.Ping, Sequence[str]], clock: Clock) -> list[SlaPing]:
    """Claim the pings of `settle` (each once per item) and, for each one claimed that has recipients,
    record it as due and queue its sending. A ping another run claimed first is left to that run."""
    recorded = []
    for kind in claim_pings(session, item_id=item_id, pings=settle, clock=clock):
        for recipient in dict.fromkeys(recipients.get(kind, ())):
            ping = SlaPing(exception_id=item_id, kind=kind.value, recipient=recipient, due_at=clock.now(),
                           dedupe_key=ping_key(item_id, kind, recipient))
            session.add(ping)
            session.flush()
            enqueue(session, kind=SLA_PING_KIND, payload={"ping_id": ping.id}, dedupe_key=ping.dedupe_key,
                    clock=clock)
            recorded.append(ping)
    return recorded


@dataclass(frozen=True)
class Attempt:
    """What the worker needs to send (or find) one ping."""

    ping_id: int
    exception_id: int
    kind: rules.Ping
    recipient: str
    channel: str | None
    key: str
    first_tried_at: datetime
    retried: bool
    """An earlier attempt may have reached Slack: look for its message before posting."""


def begin_attempt(session: Session, *, ping_id: int, clock: Clock) -> Attempt | None:
    """The attempt to make, with its first try stamped (committed before any Slack call); None when the
    ping is settled already, or its item closed meanwhile (the ping is then cancelled)."""
    ping = _ping(session, ping_id)
    if ping.status != SlaPingStatus.DUE:
        return None
    item = session.get(ExceptionItem, ping.exception_id)
    if item is None or item.status != ExceptionStatus.OPEN:
        ping.status = SlaPingStatus.CANCELLED
        session.add(ping)
        return None
    retried = ping.first_tried_at is not None
    ping.first_tried_at = ping.first_tried_at or clock.now()
    session.add(ping)
    session.flush()
    return Attempt(ping_id=ping_id, exception_id=ping.exception_id, kind=rules.Ping(ping.kind),
                   recipient=ping.recipient, channel=ping.channel, key=ping.dedupe_key,
                   first_tried_at=ping.first_tried_at, retried=retried)


def set_channel(session: Session, *, ping_id: int, channel: str) -> None:
    ping = _ping(session, ping_id)
    ping.channel = channel
    session.add(ping)


def mark_sent(session: Session, *, ping_id: int, channel: str, ts: str, clock: Clock) -> None:
    ping = _ping(session, ping_id)
    ping.status, ping.channel, ping.slack_ts, ping.sent_at = SlaPingStatus.SENT, channel, ts, clock.now()
    session.add(ping)


def mark_failed(session: Session, *, ping_id: int) -> None:
    ping = _ping(session, ping_id)
    if ping.status == SlaPingStatus.DUE:
        ping.status = SlaPingStatus.FAILED
        session.add(ping)


def _ping(session: Session, ping_id: int) -> SlaPing:
    ping = session.get(SlaPing, ping_id)
    if ping is None:
        raise NotFound(f"SLA ping {ping_id} does not exist")
    return ping
