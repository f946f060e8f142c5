"""The Salesforce custom fields Ledgerbridge reads and writes (README "Going live", step 4), with the types they
may have. `ledgerbridge check --live` compares this table with each object's describe; tests check that it
names every `__c` field our SOQL selects and write-back sends, and that the README lists them all."""
from __future__ import annotations

from dataclasses import dataclass

TEXT, PICKLIST = "string", "picklist"
CURRENCY, NUMBER = "currency", "double"
# How Setup names each describe `type` (what the fix tells an admin to pick).
SETUP_NAMES = {"string": "Text", "picklist": "Picklist", "currency": "Currency", "double": "Number",
               "boolean": "Checkbox", "datetime": "Date/Time", "date": "Date", "textarea": "Text Area"}


@dataclass(frozen=True)
class CustomField:
    sobject: str
    name: str
    types: tuple[str, ...]      # describe `type` values that work, the preferred one first
    written: bool = False       # Ledgerbridge updates it (write-back), so the API user needs Edit access

    @property
    def path(self) -> str:
        return f"{self.sobject}.{self.name}"

    @property
    def setup_type(self) -> str:
        return " or ".join(SETUP_NAMES.get(kind, kind) for kind in self.types)


CUSTOM_FIELDS: tuple[CustomField, ...] = (
    CustomField("Opportunity", "Billing_Status__c", (PICKLIST, TEXT)),
    CustomField("Opportunity", "PO_Number__c", (TEXT,)),
    CustomField("Opportunity", "Payment_Terms__c", (PICKLIST, TEXT)),
    CustomField("Opportunity", "QBO_Invoice_Id__c", (TEXT,), written=True),
    CustomField("Opportunity", "QBO_Invoice_Number__c", (TEXT,), written=True),
    CustomField("Opportunity", "QBO_Invoice_Status__c", (PICKLIST, TEXT), written=True),
    CustomField("Opportunity", "QBO_Balance__c", (CURRENCY, NUMBER), written=True),
    CustomField("Opportunity", "QBO_Last_Sync__c", ("datetime",), written=True),
    CustomField("Account", "Segment__c", (PICKLIST, TEXT)),
    CustomField("Account", "Tax_Exempt__c", ("boolean",)),
    CustomField("Account", "Credit_Limit__c", (CURRENCY, NUMBER)),
)
