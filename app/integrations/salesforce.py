"""Narrow Salesforce wrapper: our dataclasses out, our errors raised, one simple_salesforce client inside."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from simple_salesforce import Salesforce, format_soql

from app.clock import Clock, SystemClock
from app.config import Settings
from app.errors import VendorNotFound
from app.integrations.exact_json import dumps_exact
from app.integrations.salesforce_client import VENDOR, build_salesforce, translated_errors
from app.integrations.salesforce_models import (
    MilestoneFields,
    SfAccount,
    SfLineItem,
    SfMilestone,
    SfObjectDescription,
    SfOpportunity,
    parse_account,
    parse_decimal,
    parse_description,
    parse_line_item,
    parse_opportunity,
)
from app.integrations.salesforce_soql import (
    ACCOUNT_FIELDS,
    DESCRIBED_AS,
    LINE_ITEM_FIELDS,
    OPPORTUNITY_FIELDS,
    OPTIONAL_ACCOUNT_FIELDS,
    OPTIONAL_OPPORTUNITY_FIELDS,
    OrgFields,
    by_ids_query,
    changed_since_query,
    checked_ids,
    count_pipeline_and_won_since_query,
    name_search_query,
    pipeline_and_won_since_query,
)
from app.integrations.write_guard import WriteGuard

__all__ = [
    "ACCOUNT_FIELDS", "LINE_ITEM_FIELDS", "OPPORTUNITY_FIELDS", "SalesforceGateway", "SfAccount", "SfLineItem",
    "SfObjectDescription", "SfOpportunity", "build_salesforce", "parse_account", "parse_line_item", "parse_opportunity",
]

IDS_PER_QUERY = 200
NAME_SEARCH_LIMIT = 50
_CENT = Decimal("0.01")


class SalesforceGateway:
    """Reads opportunities and writes invoice status back. Every call has a timeout (set on the session)."""

    def __init__(self, client: Salesforce, *, clock: Clock | None = None, batch_size: int | None = None,
                 submitter_field: str | None = None) -> None:
        self._sf = client
        self.submitter_field = submitter_field
        """The policy's `approval_controls.submitter_field`: read with the opportunity when the org has it."""
        self._clock: Clock = clock or SystemClock()
        self._headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        self._org_fields: OrgFields | None = None
        self.guard = WriteGuard()

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None,
                      submitter_field: str | None = None) -> SalesforceGateway:
        return cls(build_salesforce(settings), clock=clock, submitter_field=submitter_field)

    def opportunities_changed_since(self, watermark: datetime | None, *,
                                    limit: int | None = None) -> Iterator[SfOpportunity]:
        """Oldest change first (SystemModstamp, then Id), fetching one page at a time as you iterate.

        `>=` re-reads records stamped exactly at the watermark: de-duplicate by id downstream.
        """
        for record in self._records(changed_since_query(watermark, limit=limit, optional=self.org_fields())):
            yield parse_opportunity(record)

    def opportunities_by_ids(self, ids: Sequence[str]) -> list[SfOpportunity]:
        wanted = checked_ids(ids)
        found: dict[str, SfOpportunity] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            for record in self._records(by_ids_query(wanted[start:start + IDS_PER_QUERY],
                                                     optional=self.org_fields())):
                opportunity = parse_opportunity(record)
                found[opportunity.id[:15]] = opportunity
        return [found[record_id[:15]] for record_id in wanted if record_id[:15] in found]

    def billing_milestones(self, opportunity_id: str, *, fields: MilestoneFields) -> list[SfMilestone]:
        """A deal's billing schedule: the child records the policy names, in Name then Id order."""
        (wanted,) = checked_ids([opportunity_id])
        soql = format_soql("SELECT Id, Name, {:literal}, {:literal}, {:literal} FROM {:literal} WHERE {:literal} = {} "
                           "ORDER BY Name, Id", fields.amount, fields.percent, fields.status, fields.object,
                           fields.parent, wanted)
        with translated_errors("query the billing milestones"):
            rows = list(self._sf.query_all_iter(soql, headers=self._headers))
        return [SfMilestone(id=str(row["Id"]), name=str(row.get("Name") or ""),
                            amount=parse_decimal(row.get(fields.amount)),
                            percent=parse_decimal(row.get(fields.percent)), status=row.get(fields.status))
                for row in rows]

    def find_opportunities_by_name(self, text: str) -> list[SfOpportunity]:
        if not text.strip():
            return []
        query = name_search_query(text, limit=NAME_SEARCH_LIMIT, optional=self.org_fields())
        return [parse_opportunity(r) for r in self._records(query)]

    def get_opportunity(self, opportunity_id: str) -> SfOpportunity:
        found = self.opportunities_by_ids([opportunity_id])
        if not found:
            raise VendorNotFound(f"Salesforce has no opportunity {opportunity_id}", vendor=VENDOR,
                                 code="NOT_FOUND", status=404)
        return found[0]

    def user_id_by_email(self, email: str) -> str | None:
        """The Salesforce User with this e-mail (an active one first), or None."""
        query = format_soql("SELECT Id, IsActive FROM User WHERE Email = {} LIMIT 10", email.strip())
        with translated_errors("query users"):
            records = self._sf.query(query)["records"]
        ranked = sorted(records, key=lambda record: record.get("IsActive") is not True)
        return ranked[0]["Id"] if ranked else None

    def user_emails_by_ids(self, ids: Sequence[str]) -> dict[str, str | None]:
        """The e-mail of each Salesforce User by id (keyed by the 15-character id); unknown ids are left out."""
        wanted = checked_ids(ids)
        found: dict[str, str | None] = {}
        for start in range(0, len(wanted), IDS_PER_QUERY):
            query = format_soql("SELECT Id, Email FROM User WHERE Id IN {}", wanted[start:start + IDS_PER_QUERY])
            with translated_errors("query users"):
                for record in self._sf.query_all_iter(query):
                    email = record.get("Email")
                    found[str(record["Id"])[:15]] = str(email).strip() if email else None
        return found

    def write_invoice_status(self, opportunity_id: str, *, invoice_id: str | None, invoice_number: str | None,
                             status: str | None, balance: Decimal | None) -> None:
        """PATCH only the QBO_* status fields and QBO_Last_Sync__c."""
        checked_ids([opportunity_id])
        self.guard.check(vendor=VENDOR, what="the opportunity's invoice status")
        payload: dict[str, Any] = {
            "QBO_Invoice_Id__c": invoice_id, "QBO_Invoice_Number__c": invoice_number,
            "QBO_Invoice_Status__c": status,
            "QBO_Balance__c": None if balance is None else balance.quantize(_CENT),
            "QBO_Last_Sync__c": self._clock.now().astimezone(UTC).isoformat(timespec="seconds"),
        }
        with translated_errors("update the opportunity's invoice status"):
            # restful (not sf.Opportunity) so the client's api_usage sees this response's Sforce-Limit-Info
            self._sf.restful(f"sobjects/Opportunity/{opportunity_id}", method="PATCH", data=dumps_exact(payload))

    def count_opportunities(self) -> int:
        """How many opportunities the org has (the backfill's progress total)."""
        with translated_errors("count opportunities"):
            return int(self._sf.query("SELECT COUNT() FROM Opportunity", headers=self._headers)["totalSize"])

    def org_fields(self) -> OrgFields:
        """The optional fields this org has (CurrencyIsoCode in a multi-currency org, the exemption fields when
        an admin added them), from the Opportunity and Account describe, read once per gateway."""
        if self._org_fields is None:
            opportunity = {field.name for field in self.describe("Opportunity").fields}
            account = {field.name for field in self.describe("Account").fields}
            wanted = OPTIONAL_OPPORTUNITY_FIELDS + ((self.submitter_field,) if self.submitter_field else ())
            self._org_fields = OrgFields(
                opportunity=tuple(dict.fromkeys(name for name in wanted
                                                if DESCRIBED_AS.get(name, name) in opportunity)),
                account=tuple(name for name in OPTIONAL_ACCOUNT_FIELDS if name in account))
        return self._org_fields

    def pipeline_and_won_since(self, won_since: date) -> Iterator[SfOpportunity]:
        """Open opportunities and those won on or after `won_since`, page by page as you iterate (read only)."""
        for record in self._records(pipeline_and_won_since_query(won_since, optional=self.org_fields())):
            yield parse_opportunity(record)

    def count_pipeline_and_won_since(self, won_since: date) -> int:
        soql = count_pipeline_and_won_since_query(won_since)
        with translated_errors("count opportunities"):
            return int(self._sf.query(soql, headers=self._headers)["totalSize"])

    def describe(self, sobject: str) -> SfObjectDescription:
        """The sObject Describe: which fields the API user can read, their types, and which it may update."""
        with translated_errors(f"describe {sobject}"):
            return parse_description(self._sf.restful(f"sobjects/{sobject}/describe") or {})

    def api_usage(self) -> tuple[int, int] | None:
        """(used, total) from the last response's Sforce-Limit-Info header, None before any call."""
        usage = self._sf.api_usage.get("api-usage")
        return (usage.used, usage.total) if usage is not None else None

    def _records(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every record, lazily (query_all_iter): the next page is fetched only when this one is consumed."""
        with translated_errors("query opportunities"):
            yield from self._sf.query_all_iter(soql, headers=self._headers)
