"""What going live needs from each QuickBooks company: it answers, every mapped item and term exists and is
active, and custom transaction numbers are on when our invoices carry their own DocNumber. Reads only."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.config import Settings
from app.errors import IntegrationError, RateLimited, VendorUnavailable
from app.golive.findings import Finding, problem, ready
from app.golive.mapping_gaps import MappingGap, mapping_gaps
from app.integrations.quickbooks_models import QboItem, QboPreferences, QboTerm
from app.invoicing.mapping import uses_custom_doc_numbers
from app.policy import Policy

VENDOR = "quickbooks"
CUSTOM_NUMBERS_SETTING = ("QuickBooks > Settings (gear) > Account and settings > Sales > Sales form content > "
                          "Custom transaction numbers: On")


class QuickBooksCompany(Protocol):
    def check_connection(self) -> str: ...
    def all_items(self) -> list[QboItem]: ...
    def all_terms(self) -> list[QboTerm]: ...
    def preferences(self) -> QboPreferences: ...


def configured_realms(settings: Settings) -> list[str]:
    """The QuickBooks companies Ledgerbridge connects to (today the one QBO_REALM_ID)."""
    return [settings.qbo_realm_id] if settings.qbo_realm_id else []


def unconnected_policy_realms(policy: Policy, connected: Sequence[str]) -> list[Finding]:
    """Companies the policy sends invoices to that Ledgerbridge is not connected to (those deals would stop)."""
    entities = policy.mappings.entities
    named = [("mappings.entities.default_realm_id", entities.default_realm_id),
             *((f"mappings.entities.by_segment[{segment!r}]", realm) for segment, realm in entities.by_segment.items())]
    return [problem(VENDOR, f"{key} sends invoices to company {realm}, but Ledgerbridge is connected to "
                            f"{', '.join(connected) or 'no company'} (QBO_REALM_ID)",
                    f"set QBO_REALM_ID to {realm}, or change {key} in the policy")
            for key, realm in named if realm not in connected]


def check_quickbooks(company: QuickBooksCompany, realm_id: str, policy: Policy) -> list[Finding]:
    try:
        name = company.check_connection()
    except (VendorUnavailable, RateLimited):
        raise       # QuickBooks itself cannot be reached: the caller names the address to check
    except IntegrationError as error:
        return [problem(VENDOR, f"company {realm_id} does not answer: {error}",
                        "check QBO_REALM_ID, QBO_CLIENT_ID, QBO_CLIENT_SECRET and the refresh token "
                        "(QBO_REFRESH_TOKEN, or the one stored in the database)")]
    findings = [ready(VENDOR, f"company {realm_id} answers ({name})")]
    try:
        gaps = mapping_gaps(policy, company.all_items(), company.all_terms())
        findings += [_gap(gap, realm_id) for gap in gaps] or [ready(VENDOR, _mapped(policy, realm_id))]
        findings.append(_custom_numbers(company.preferences(), realm_id, policy))
    except IntegrationError as error:
        findings.append(problem(VENDOR, f"could not read the lists of company {realm_id}: {error}",
                                "check that the connected user may see Products and services and Terms"))
    return findings


def _gap(gap: MappingGap, realm_id: str) -> Finding:
    names = ", ".join(f"'{name}'" for name in gap.salesforce_names)
    what = f"{gap.kind} '{gap.quickbooks_name}' (mapped from {names} in {gap.policy_key})"
    place = "Sales > Products and services" if gap.kind == "item" else "Settings > All lists > Terms"
    if gap.state == "inactive":
        return problem(VENDOR, f"company {realm_id}: {what} is inactive, so invoices naming it are refused",
                       f"make it active again ({place} > Make active), or map to an active {gap.kind}")
    return problem(VENDOR, f"company {realm_id}: {what} does not exist",
                   f"create the {gap.kind} '{gap.quickbooks_name}' ({place}), or correct {gap.policy_key}")


def _mapped(policy: Policy, realm_id: str) -> str:
    items, terms = set(policy.mappings.products.values()), set(policy.mappings.payment_terms.values())
    return f"company {realm_id}: the {len(items)} mapped items and {len(terms)} mapped terms exist and are active"


def _custom_numbers(preferences: QboPreferences, realm_id: str, policy: Policy) -> Finding:
    if not uses_custom_doc_numbers(policy) and not preferences.custom_txn_numbers:
        return ready(VENDOR, f"company {realm_id}: QuickBooks numbers the invoices itself")
    if not uses_custom_doc_numbers(policy):
        return problem(VENDOR, f"company {realm_id}: custom transaction numbers are on, so invoices Ledgerbridge "
                               "creates without a number (invoice_number: quickbooks) would get none",
                       f"turn them off: {CUSTOM_NUMBERS_SETTING.removesuffix('On')}Off (or set invoice_number: "
                       "opportunity in the policy)")
    if preferences.custom_txn_numbers:
        return ready(VENDOR, f"company {realm_id}: custom transaction numbers are on (invoice numbers come from "
                             "the opportunity)")
    return problem(VENDOR, f"company {realm_id}: custom transaction numbers are off, so QuickBooks numbers invoices "
                           "itself and does not check the numbers Ledgerbridge sets (from the opportunity) for "
                           "duplicates",
                   f"turn them on: {CUSTOM_NUMBERS_SETTING}")
