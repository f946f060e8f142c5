"""What going live needs from Salesforce: every custom field Ledgerbridge reads exists with a type it can use,
and the API user may edit the fields it writes back. One describe per object; reads only."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from app.errors import AuthenticationFailed, IntegrationError, RateLimited, VendorUnavailable
from app.golive.findings import Finding, problem, ready
from app.integrations.salesforce_fields import CUSTOM_FIELDS, SETUP_NAMES, CustomField
from app.integrations.salesforce_models import SfObjectDescription

VENDOR = "salesforce"
FIELDS_PAGE = "Setup > Object Manager > {sobject} > Fields & Relationships"


class SalesforceSchema(Protocol):
    def describe(self, sobject: str) -> SfObjectDescription: ...


def check_salesforce(salesforce: SalesforceSchema, fields: Sequence[CustomField] = CUSTOM_FIELDS) -> list[Finding]:
    descriptions: dict[str, SfObjectDescription] = {}
    findings: list[Finding] = []
    for sobject in dict.fromkeys(field.sobject for field in fields):
        try:
            descriptions[sobject] = salesforce.describe(sobject)
        except (AuthenticationFailed, VendorUnavailable, RateLimited):
            raise       # not about this object: the caller reports it once, with the setting to check
        except IntegrationError as error:
            findings.append(problem(VENDOR, f"could not describe {sobject}: {error}",
                                    f"give the integration user the View Setup permission and Read on {sobject}"))
    return findings + field_findings(fields, descriptions)


def field_findings(fields: Iterable[CustomField], descriptions: Mapping[str, SfObjectDescription]) -> list[Finding]:
    """One problem per missing, mistyped or read-only field; one line for all that are fine (pure)."""
    checked = [field for field in fields if field.sobject in descriptions]
    findings = [found for field in checked if (found := _field(field, descriptions[field.sobject])) is not None]
    if not findings and checked:
        written = sum(1 for field in checked if field.written)
        findings.append(ready(VENDOR, f"{len(checked)} custom fields exist with the right types; the API user may "
                                      f"edit the {written} that Ledgerbridge writes back"))
    return findings


def _field(expected: CustomField, description: SfObjectDescription) -> Finding | None:
    where = FIELDS_PAGE.format(sobject=expected.sobject)
    found = description.field(expected.name)
    if found is None:
        return problem(VENDOR, f"{expected.path} is missing, or the integration user cannot read it",
                       f"create it as a {expected.setup_type} field ({where}), then give the integration user "
                       f"Read{' and Edit' if expected.written else ''} access to it (Set Field-Level Security)")
    if found.type not in expected.types:
        actual = SETUP_NAMES.get(found.type, found.type)
        return problem(VENDOR, f"{expected.path} is a {actual} field; Ledgerbridge needs {expected.setup_type}",
                       f"change its type to {SETUP_NAMES.get(expected.types[0], expected.types[0])} ({where}), "
                       "or create a field of that type and use it instead")
    if expected.written and not (found.updateable and description.updateable):
        return problem(VENDOR, f"the integration user may read {expected.path} but not edit it, so invoice "
                               "write-back would fail",
                       f"give it Edit access: {where} > {expected.name} > Set Field-Level Security (or in the "
                       "permission set of the integration user)")
    return None
