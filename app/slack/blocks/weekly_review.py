"""The weekly metric review message: last week's numbers, the change from the week before, a dashboard link."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from slack_sdk.models.blocks import Block

from app.metrics.invoicing import Rate
from app.metrics.weekly import WeeklyNumbers
from app.slack.blocks.common import context, fields_section, header, section
from app.slack.blocks.format import NAME_LIMIT, escape, join_within, link, money, safe_text, slack_time

NO_VALUE = "—"


def weekly_review_text(numbers: WeeklyNumbers) -> str:
    median = _days(numbers.days_to_invoice.median)
    return (f"Weekly billing review: {median} to invoice (median), first pass {_rate(numbers.first_pass)}, "
            f"error rate {_rate(numbers.error_rate)}")


def weekly_review_blocks(numbers: WeeklyNumbers, *, cause_label: Callable[[str], str],
                         dashboard_url: str | None) -> list[Block]:
    dti, before = numbers.days_to_invoice, numbers.days_to_invoice_before
    fields = [
        ("Days to invoice (median)", f"{_days(dti.median)} {_change(dti.median, before.median)}"),
        ("Days to invoice (p90)", f"{_days(dti.p90)} {_change(dti.p90, before.p90)}"),
        ("First-pass acceptance", _rate_detail(numbers.first_pass, "invoiced deals needed no fix")),
        ("Error rate", _rate_detail(numbers.error_rate, "won deals had an exception")),
        ("Credit memos issued", _credit_memos(numbers)),
        ("SLA breach rate", _share(numbers.sla_breach_rate)),
        ("Billable completeness", _rate_detail(numbers.billable_completeness, "deals reached the gate complete")),
        ("Invoiced deals", f"{dti.count} (week before: {before.count})"),
    ]
    window = f"{slack_time(numbers.since)} to {slack_time(numbers.until)}"
    footer = "Same definitions as the dashboard"
    if dashboard_url:
        footer += f" · {link(dashboard_url, 'open the dashboard')}"
    return [header(":bar_chart: Weekly billing review"), section(f"The 7 days from {window}"),
            fields_section(fields), section(_causes(numbers, cause_label)), context(footer)]


def _causes(numbers: WeeklyNumbers, cause_label: Callable[[str], str]) -> str:
    title = "*Exceptions by root cause* (opened / closed)\n"
    causes = list(dict.fromkeys([*numbers.opened_by_cause, *numbers.closed_by_cause]))
    if not causes:
        return title + "_None opened or closed this week._"
    lines = [f"• {safe_text(cause_label(cause), NAME_LIMIT)}: {numbers.opened_by_cause.get(cause, 0)} / "
             f"{numbers.closed_by_cause.get(cause, 0)}" for cause in causes]
    return title + join_within(lines, 2500)


def _credit_memos(numbers: WeeklyNumbers) -> str:
    memos = numbers.credit_memos
    if memos is None:
        return NO_VALUE
    totals = " + ".join(money(amount, currency) for currency, amount in memos.total_by_currency.items())
    return f"{memos.count}" + (f" ({totals})" if totals else "")


def _days(value: Decimal | None) -> str:
    return NO_VALUE if value is None else f"{value} days"


def _change(now: Decimal | None, before: Decimal | None) -> str:
    if now is None or before is None:
        return "(no week before to compare)" if now is not None else ""
    delta = now - before
    if delta == 0:
        return "(same as the week before)"
    arrow = ":arrow_down_small: faster" if delta < 0 else ":arrow_up_small: slower"
    return f"({arrow} by {abs(delta)} days)"


def _rate(rate: Rate) -> str:
    return NO_VALUE if rate.percent is None else f"{rate.percent}%"


def _rate_detail(rate: Rate, what: str) -> str:
    return f"{_rate(rate)} ({rate.part} of {rate.whole} {escape(what)})" if rate.whole else NO_VALUE


def _share(share: float | None) -> str:
    if share is None:
        return NO_VALUE
    return f"{(Decimal(repr(share)) * 100).quantize(Decimal('0.1'))}%"

