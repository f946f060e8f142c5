"""Reusable validated field types of the policy file, each with an error message a human can act on.

Errors are `PydanticCustomError("policy", "{message}", ctx)`. A validator that judges a whole list or model
can point at one element below it with `ctx["at"]` (e.g. "[1].above_percent"); `app.policy.problems`
appends it to the error's path.
"""
from __future__ import annotations

import calendar
import re
from datetime import time
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, ValidationInfo
from pydantic_core import PydanticCustomError

from app.policy.vocabulary import Weekday

ROLES_CONTEXT_KEY = "roles"


def policy_error(message: str, *, at: str = "") -> PydanticCustomError:
    """An error whose message is used verbatim (no template expansion of user input)."""
    return PydanticCustomError("policy", "{message}", {"message": message, "at": at})


def _pattern(regex: str, explain: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise policy_error(f"{value!r} is not {explain}")
        return value

    return AfterValidator(check)


def _known_role(value: str, info: ValidationInfo) -> str:
    roles = (info.context or {}).get(ROLES_CONTEXT_KEY)
    if roles is not None and value not in roles:
        raise policy_error(f"unknown role {value!r} (known: {', '.join(sorted(roles)) or 'none'})")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise policy_error(f"unknown time zone {value!r} (use an IANA name like 'America/New_York')") from None
    return value


def _clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        raise policy_error("is empty: give a time of day written HH:MM (e.g. '09:00')")
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", text):
        raise policy_error(f"{text!r} is not a time of day written HH:MM (24-hour clock, e.g. '09:00')")
    hour, minute = text.split(":")
    return time(int(hour), int(minute))


_DAY_NAMES = {name: day for day in Weekday for name in (day.short_name, calendar.day_name[day].lower())}


def _day(name: str) -> Weekday:
    day = _DAY_NAMES.get(name.strip().lower())
    if day is None:
        allowed = ", ".join(day.short_name for day in Weekday)
        raise policy_error(f"unknown day {name!r} (use {allowed}, or a range like 'mon-fri')")
    return day


def _day_range(text: str) -> list[Weekday]:
    first, _, last = text.partition("-")
    start, end = _day(first), _day(last or first)
    if start > end:
        raise policy_error(f"day range {text!r} runs backwards (write it Monday first, e.g. 'mon-fri')")
    return [Weekday(number) for number in range(start, end + 1)]


def _weekdays(value: Any) -> tuple[Weekday, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise policy_error("give days as a range like 'mon-fri' or a list like [mon, wed, fri]")
    days: set[Weekday] = set()
    for item in items:
        days.update(_day_range(str(item)) if not isinstance(item, Weekday) else [item])
    return tuple(sorted(days))


NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, _pattern(r"[a-z][a-z0-9_]*", "a lower-case key (letters, digits, '_'; e.g. 'finance_approver')")]
RoleName = Annotated[Slug, AfterValidator(_known_role)]
SlackChannelId = Annotated[str, _pattern(
    r"[CG][A-Z0-9]{2,}", "a Slack channel id like 'C0123ABCD' (channel details > About, at the bottom)")]
SlackUserId = Annotated[str, _pattern(
    r"[UW][A-Z0-9]{2,}", "a Slack user id like 'U0123ABCD' (profile > ⋮ > Copy member ID)")]
SlackUsergroupId = Annotated[str, _pattern(r"S[A-Z0-9]{2,}", "a Slack user-group id like 'S0123ABCD'")]
SalesforceFieldName = Annotated[str, _pattern(
    r"[A-Za-z][A-Za-z0-9_]*", "a Salesforce field API name like 'PO_Number__c'")]
RealmId = Annotated[str, BeforeValidator(str), _pattern(r"[0-9]{1,30}", "a QuickBooks company (realm) id: digits only")]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Weekdays = Annotated[tuple[Weekday, ...], BeforeValidator(_weekdays)]
Percent = Annotated[Decimal, Field(ge=0, lt=100, allow_inf_nan=False)]
Money = Annotated[Decimal, Field(ge=0, decimal_places=2, allow_inf_nan=False)]
Hours = Annotated[int, Field(gt=0, le=24 * 90)]
HoursOrZero = Annotated[int, Field(ge=0, le=24 * 90)]
