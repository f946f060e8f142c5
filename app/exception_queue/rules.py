"""Exception queue rules (pure): SLA clocks in business hours, reminder timing, dedupe keys, suggested causes.

Every function takes plain values and returns plain values; times go in and come out aware UTC and are
converted to the policy's zone only to find the working day.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from app.policy import BusinessHours, Digest, ExceptionKind, Policy

MAX_DAYS_SCANNED = 3660
DUE_SOON_HOURS = 4
"""An item is 'due soon' when its SLA falls within this many business hours (like the SLA itself)."""
_WORD = re.compile(r"[a-z0-9]+")


class Ping(StrEnum):
    """The SLA pings, each sent at most once per exception."""

    REMINDER = "reminder"
    BREACH = "breach"
    ESCALATION = "escalation"


@dataclass(frozen=True, slots=True, kw_only=True)
class PingState:
    """What the reminder job knows about one open exception."""

    sla_due_at: datetime
    reminded_before_at: datetime | None = None
    breach_posted_at: datetime | None = None
    escalated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PingPlan:
    """`send` is what to send now; `settle` also holds pings whose moment passed unsent (never sent late)."""

    send: tuple[Ping, ...]
    settle: tuple[Ping, ...]


# ---- business-hours arithmetic -----------------------------------------------------------------------

def add_business_hours(start: datetime, hours: float, *, business_hours: BusinessHours, tz: tzinfo) -> datetime:
    """The moment `hours` working hours after `start` (working days and hours in `tz`)."""
    _require_aware(start)
    remaining = timedelta(hours=hours)
    if remaining <= timedelta(0):
        return start.astimezone(UTC)
    moment = start.astimezone(UTC)
    for day in _days_from(moment.astimezone(tz).date()):
        window = _window(day, business_hours, tz)
        if window is None or moment >= window[1]:
            continue
        moment = max(moment, window[0])
        available = window[1] - moment
        if remaining <= available:
            return moment + remaining
        remaining -= available
    raise ValueError("business hours never open: check business_hours.weekdays")


def subtract_business_hours(end: datetime, hours: float, *, business_hours: BusinessHours, tz: tzinfo) -> datetime:
    """The moment `hours` working hours before `end`."""
    _require_aware(end)
    remaining = timedelta(hours=hours)
    if remaining <= timedelta(0):
        return end.astimezone(UTC)
    moment = end.astimezone(UTC)
    for day in _days_from(moment.astimezone(tz).date(), step=-1):
        window = _window(day, business_hours, tz)
        if window is None or moment <= window[0]:
            continue
        moment = min(moment, window[1])
        available = moment - window[0]
        if remaining <= available:
            return moment - remaining
        remaining -= available
    raise ValueError("business hours never open: check business_hours.weekdays")


def _days_from(first: date, *, step: int = 1):
    for offset in range(MAX_DAYS_SCANNED):
        yield first + timedelta(days=offset * step)


def _window(day: date, business_hours: BusinessHours, tz: tzinfo) -> tuple[datetime, datetime] | None:
    if day.weekday() not in {int(weekday) for weekday in business_hours.weekdays}:
        return None
    return _at(day, business_hours.start, tz), _at(day, business_hours.end, tz)


def _at(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware UTC, got naive {moment.isoformat()}")


# ---- SLA, reminders, escalation ----------------------------------------------------------------------

def sla_due_at(*, opened_at: datetime, kind: ExceptionKind, policy: Policy) -> datetime:
    """Policy hours for this kind, counted in business hours from when the exception opened."""
    return add_business_hours(opened_at, policy.sla_hours.hours_for(kind),
                              business_hours=policy.business_hours, tz=policy.zone)


def reminder_at(sla_due: datetime, policy: Policy) -> datetime | None:
    """When the owner hears that the SLA is near; None when the policy asks for no reminder."""
    lead = policy.reminders.before_breach_hours
    if lead == 0:
        return None
    return subtract_business_hours(sla_due, lead, business_hours=policy.business_hours, tz=policy.zone)


def escalation_at(sla_due: datetime, policy: Policy) -> datetime:
    """A breach lasting `escalate_after_hours` business hours goes to the escalation role."""
    return add_business_hours(sla_due, policy.reminders.escalate_after_hours,
                              business_hours=policy.business_hours, tz=policy.zone)


def plan_pings(state: PingState, *, now: datetime, policy: Policy) -> PingPlan:
    """Which pings are due now. A reminder whose moment passed after the breach is settled, never sent late."""
    due = state.sla_due_at
    send: list[Ping] = []
    settle: list[Ping] = []
    remind = reminder_at(due, policy)
    if state.reminded_before_at is None and remind is not None and now >= remind:
        settle.append(Ping.REMINDER)
        if now < due:
            send.append(Ping.REMINDER)
    if state.breach_posted_at is None and now >= due:
        settle.append(Ping.BREACH)
        send.append(Ping.BREACH)
    if state.escalated_at is None and now >= escalation_at(due, policy):
        settle.append(Ping.ESCALATION)
        send.append(Ping.ESCALATION)
    return PingPlan(send=tuple(send), settle=tuple(settle))


def is_breached(sla_due: datetime, now: datetime) -> bool:
    return now >= sla_due


def due_soon_until(now: datetime, policy: Policy, hours: float = DUE_SOON_HOURS) -> datetime:
    """The end of the 'due soon' window: `hours` business hours from now in the policy's zone."""
    return add_business_hours(now, hours, business_hours=policy.business_hours, tz=policy.zone)


def is_due_soon(sla_due: datetime, now: datetime, policy: Policy, hours: float = DUE_SOON_HOURS) -> bool:
    return now < sla_due <= due_soon_until(now, policy, hours)


# ---- dedupe keys and causes --------------------------------------------------------------------------

def gate_key(deal_id: int, code: str) -> str:
    """One billing-gate problem of one deal (codes are stable: "missing_field:po_number")."""
    return _key(f"gate:{deal_id}:{code}")


def gate_key_prefix(deal_id: int) -> str:
    return f"gate:{deal_id}:"


def rejection_key(deal_id: int) -> str:
    return f"rejected:{deal_id}"


def work_key(kind: str, subject: str) -> str:
    """A step of queued work that failed for good: one exception per step and subject."""
    return _key(f"work:{kind}:{subject}")


def _key(text: str) -> str:
    return text[:200]


def suggested_cause(kind: ExceptionKind, policy: Policy, code: str | None = None) -> str | None:
    """The cause whose key names the problem ("missing_field:po_number" -> `missing_po`), else the first
    cause the policy offers for this kind, else 'other' if the taxonomy has it."""
    matched = cause_matching(code, policy) if code else None
    if matched is not None:
        return matched
    offered = policy.root_causes_for(kind)
    if offered and kind in offered[0].suggested_for:
        return offered[0].key
    return next((cause.key for cause in policy.root_causes if cause.key == "other"), None)


def cause_matching(code: str, policy: Policy) -> str | None:
    """The cause whose key words all appear in the problem code's words; the most specific (most words) wins,
    ties go to the policy's order. 'missing_po' matches 'missing_field:po_number'; 'other' matches nothing."""
    words = set(_WORD.findall(code.casefold()))
    best: tuple[int, str] | None = None
    for cause in policy.root_causes:
        needed = set(_WORD.findall(cause.key.casefold()))
        if needed and needed <= words and (best is None or len(needed) > best[0]):
            best = (len(needed), cause.key)
    return best[1] if best else None


def cause_label(key: str | None, policy: Policy) -> str | None:
    if key is None:
        return None
    return next((cause.label for cause in policy.root_causes if cause.key == key), key)


def kind_of_code(code: str) -> ExceptionKind:
    """"unmapped_product:HW-BUNDLE" -> UNMAPPED_PRODUCT; unknown prefixes are vendor errors."""
    prefix = code.partition(":")[0]
    try:
        return ExceptionKind(prefix)
    except ValueError:
        return ExceptionKind.VENDOR_ERROR


# ---- the digest slot -----------------------------------------------------------------------------------

def latest_digest_slot(now: datetime, digest: Digest, tz: tzinfo) -> datetime | None:
    """The most recent scheduled digest time at or before `now` (UTC); the key of 'one digest per slot'."""
    _require_aware(now)
    local_day = now.astimezone(tz).date()
    days = {int(weekday) for weekday in digest.days}
    for offset in range(8):
        day = local_day - timedelta(days=offset)
        slot = _at(day, time(digest.hour, digest.minute), tz)
        if day.weekday() in days and slot <= now:
            return slot
    return None
