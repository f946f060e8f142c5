"""The readiness report as titled sections of notes and tables (pure): one shape every output renders
(terminal, CSV, HTML, Slack)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.golive.readiness import ReadinessReport
from app.golive.readiness_deals import Completeness, Offender


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str
    notes: tuple[str, ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)


def report_sections(report: ReadinessReport) -> list[Section]:
    return [_completeness(report.pipeline), _completeness(report.won), _customers(report), _mappings(report),
            _approvals(report), _exceptions(report)]


def _completeness(part: Completeness) -> Section:
    share = f" ({_percent(part.complete, part.deals)})" if part.deals else ""
    fields = Table("Deals with a problem, per field the gate checks", ("Field", "Deals", "Missing", "Invalid",
                                                                        "Unmapped"),
                   tuple((gap.field, *(str(n) for n in (gap.deals, gap.missing, gap.invalid, gap.unmapped)))
                         for gap in part.fields))
    note = f"{part.deals} deals, {part.complete} complete{share}: the others would stop at the billing gate."
    return Section(f"Billable completeness: {part.label}", (note,),
                   (fields, _offenders("Worst offenders by owner", "Owner", part.owners),
                    _offenders("Worst offenders by segment", "Segment", part.segments)))


def _offenders(title: str, who: str, offenders: tuple[Offender, ...]) -> Table:
    return Table(title, (who, "Incomplete", "Deals", "Share"),
                 tuple((o.name, str(o.incomplete), str(o.total), _percent(o.incomplete, o.total)) for o in offenders))


def _customers(report: ReadinessReport) -> Section:
    matches = report.customers
    notes = (f"{matches.accounts} accounts on the deals read; {len(matches.exact)} have a QuickBooks customer of the "
             f"same name, {len(matches.without_customer)} have none (a new customer each, from the account).",)
    candidates = {account: [m.customer for m in matches.look_alikes if m.account == account]
                  for account in matches.without_customer}
    return Section("Customers", notes, (
        Table("Accounts with no QuickBooks customer", ("Account", "Look-alike customers"),
              tuple((account, ", ".join(found) or "-") for account, found in candidates.items())),
        Table("Look-alike matches", ("Account", "QuickBooks customer", "Alike by"),
              tuple((m.account, m.customer, ", ".join(m.reasons)) for m in matches.look_alikes)),
        Table("QuickBooks customers two accounts would map to", ("QuickBooks customer", "Accounts"),
              tuple((customer, ", ".join(accounts)) for customer, accounts in matches.shared)),
    ))


def _mappings(report: ReadinessReport) -> Section:
    return Section("Products and payment terms", (), (
        Table("Products used in Salesforce with no mapping", ("Product", "Deals"),
              tuple((use.name, str(use.deals)) for use in report.unmapped_products)),
        Table("Payment terms used in Salesforce with no mapping", ("Payment terms", "Deals"),
              tuple((use.name, str(use.deals)) for use in report.unmapped_terms)),
        Table("Mappings to missing or inactive QuickBooks items and terms", ("Kind", "QuickBooks name",
                                                                             "Mapped from", "State"),
              tuple((gap.kind, gap.quickbooks_name, ", ".join(gap.salesforce_names), gap.state)
                    for gap in report.mapping_gaps)),
    ))


def _approvals(report: ReadinessReport) -> Section:
    first, last = report.window.last_month
    notes = (f"{report.approval_deals} deals won {_day(first)} to {_day(last)}; the approvals the policy would have "
             "asked for, per role (the approvers' expected load):",)
    return Section("Approvals last month", notes, (
        Table("Approvals per role", ("Role", "Approvals", "For"),
              tuple((load.label, str(load.approvals), ", ".join(f"{kind} {n}" for kind, n in load.by_kind) or "-")
                    for load in report.approvals)),))


def _exceptions(report: ReadinessReport) -> Section:
    estimate, window = report.exceptions, report.window
    notes = (f"About {estimate.per_week} exceptions a week: {estimate.total} from the deals won since "
             f"{_day(window.won_since)} ({window.weeks.quantize(1)} weeks), at the data as it is today.",)
    return Section("Exceptions to expect", notes, (
        Table("Exceptions by kind", ("Kind", "Exceptions"), tuple((kind, str(n)) for kind, n in estimate.by_kind)),))


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "-"


def _day(day: date) -> str:
    return day.isoformat()
