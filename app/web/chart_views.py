"""The dashboard's charts and metric definitions: ChartData in, SVG figures and plain text out (pure)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.metrics.dashboard import ChartData
from app.metrics.position import AGING_BUCKETS
from app.policy import Policy
from app.web.charts import Axes, Series, bar_chart, line_chart
from app.web.overview import Overview
from app.web.views import Tile, money, percent

WEEK = "Week (starting Monday)"


@dataclass(frozen=True, slots=True)
class Definition:
    key: str
    name: str
    text: str


def week_labels(data: ChartData) -> list[str]:
    return [f"{week:%d %b}" for week in data.weeks]


def charts(data: ChartData, cause_label: Callable[[str], str]) -> list[str]:
    """Every chart of the page, in reading order (SVG markup, escaped inside)."""
    weeks, home = week_labels(data), data.home_currency
    unbilled = list(data.unbilled.items())
    funnel = data.funnel
    return [
        bar_chart(Axes("invoices-per-week", "Invoices created per week", WEEK, "Invoices"), weeks,
                  [Series("Invoices", data.invoices)]),
        bar_chart(Axes("amount-per-week", f"Invoiced amount per week ({home})", WEEK, f"Amount ({home})"), weeks,
                  [Series(f"Invoiced ({home})", data.invoiced_amount)]),
        line_chart(Axes("days-to-invoice", "Days to invoice per week", WEEK, "Days", " days"), weeks,
                   [Series("Median", data.dti_median), Series("p90", data.dti_p90)]),
        line_chart(Axes("first-pass", "First-pass acceptance and error rate per week", WEEK, "Percent", "%"), weeks,
                   [Series("First-pass acceptance", data.first_pass), Series("Error rate", data.error_rate)]),
        bar_chart(Axes("exceptions-opened", "Exceptions opened per week, by root cause", WEEK, "Exceptions"), weeks,
                  [Series(cause_label(key), counts) for key, counts in data.opened_by_cause.items()], stacked=True),
        bar_chart(Axes("exceptions-closed", "Exceptions closed per week, by root cause", WEEK, "Exceptions"), weeks,
                  [Series(cause_label(key), counts) for key, counts in data.closed_by_cause.items()], stacked=True),
        line_chart(Axes("sla-breach", "SLA breach rate per week (by week opened)", WEEK, "Percent", "%"), weeks,
                   [Series("SLA breach rate", data.breach_rate)]),
        bar_chart(Axes("aging", f"Invoice aging by segment ({home}, open balance today)", "Segment",
                       f"Open balance ({home})"), list(data.aging),
                  [Series(f"{bucket} days" if bucket != "current" else "current", [
                      row[bucket] for row in data.aging.values()]) for bucket in AGING_BUCKETS], stacked=True),
        bar_chart(Axes("backlog", f"Billed in the period vs unbilled backlog today ({home})", "State",
                       f"Amount ({home})"),
                  [f"billed ({data.billed.count})", *[f"{reason} ({amounts.count})" for reason, amounts in unbilled]],
                  [Series(f"Amount ({home})", [data.billed.home_total, *[a.home_total for _, a in unbilled]])]),
        bar_chart(Axes("conversion", f"Pipeline to bill: {_percent(funnel.conversion.percent)} of deals closed in "
                       "the period are invoiced", "Stage", "Deals"),
                  ["closed (won or lost)", "won", "invoiced"],
                  [Series("Deals", [funnel.closed, funnel.won, funnel.invoiced])]),
    ]


def more_tiles(overview: Overview, policy: Policy) -> list[Tile]:
    data, completeness = overview.charts, overview.completeness
    memos = data.credit_memos
    amounts = " + ".join(money(amount, currency) for currency, amount in memos.total_by_currency.items())
    funnel = data.funnel
    return [
        Tile("credit_memos_issued", "Credit memos issued", str(memos.count),
             (amounts or "none") + " · from Slack and made by hand in QuickBooks, each once"),
        Tile("billable_completeness", "Billable completeness", percent(completeness),
             f"{completeness.part} of {completeness.whole} won deals reached the gate with every field"
             + (" (all segments and companies)" if overview.scope.segment or overview.scope.realm_id else "")),
        Tile("conversion", "Pipeline-to-bill conversion", percent(funnel.conversion),
             f"{funnel.invoiced} invoiced of {funnel.closed} deals closed in the period ({funnel.won} won)"),
        Tile("manual_hours", "Manual hours eliminated (estimate)", f"{data.manual_hours} h",
             f"at {policy.metrics.minutes_per_manual_invoice} min per invoice and "
             f"{policy.metrics.minutes_per_exception_fix} min per exception fix (policy)"),
    ]


def _percent(value: object) -> str:
    return "—" if value is None else f"{value}%"


def definitions(window_days: int, minutes_per_invoice: object, minutes_per_fix: object, home: str,
                zone: str) -> list[Definition]:
    return [
        Definition("days_to_invoice", "Days to invoice",
                   f"From the opportunity's close date (midnight, {zone}), or from when it was first seen won, to "
                   "the moment the QuickBooks invoice was created. Median: half the invoices took less; p90: 9 in "
                   "10 took less."),
        Definition("first_pass", "First-pass invoice acceptance",
                   "Invoices that needed no human fix: no exception on the deal, no rejected approval, created on "
                   f"the first attempt, and no credit memo or change in QuickBooks within {window_days} days of "
                   "issue (credit memos approved in Slack, and those made by hand in QuickBooks, read through "
                   "QuickBooks' change data capture)."),
        Definition("error_rate", "Invoice error rate",
                   "Won deals (first seen won in the period) that raised at least one exception."),
        Definition("credit_memos", "Credit-memo frequency",
                   f"Invoices of the period that got a credit memo or a correction within {window_days} days of "
                   "issue. Credit memos issued counts each QuickBooks credit memo once, whether it was approved in "
                   "Slack or made by hand in QuickBooks."),
        Definition("billable_completeness", "Billable completeness rate",
                   "Won deals that reached the billing gate with every required field (never a missing- or "
                   "invalid-field exception)."),
        Definition("exceptions_by_cause", "Exceptions by root cause",
                   "Exceptions opened and closed each week, by the root cause a person tagged (else the suggested "
                   "one)."),
        Definition("sla_breach_rate", "SLA breach rate",
                   "Of the exceptions opened in a week whose deadline has come (closed, or past due), the share "
                   "closed late or still open after it."),
        Definition("conversion", "Pipeline-to-bill conversion",
                   "Of the opportunities whose close date falls in the period and that are closed (won or lost), "
                   "the share that has a QuickBooks invoice today."),
        Definition("backlog", "Billed vs unbilled backlog",
                   "Billed: invoices created in the period. Unbilled: won deals with no invoice today, by why: "
                   "waiting for an approval, blocked (a missing field, a mapping, a rejection), not yet eligible "
                   "(not delivered or accepted), or being invoiced now. Deals in another currency are counted, "
                   "their amount left out until QuickBooks stores a rate."),
        Definition("aging", "Invoice aging by segment",
                   "The open balance of every unpaid invoice today, by days past its due date: current (not yet "
                   "due), 1-30, 31-60, 61-90, over 90."),
        Definition("manual_hours", "Estimated manual hours eliminated",
                   f"Invoices created in the period x {minutes_per_invoice} minutes (typing one by hand), plus "
                   f"exceptions that closed themselves when the data was fixed x {minutes_per_fix} minutes "
                   "(finding and chasing one by hand); minutes from the policy (`metrics`)."),
        Definition("home_currency", "Amounts",
                   f"In the home currency ({home}), each invoice at the exchange rate QuickBooks stored on it."),
    ]
