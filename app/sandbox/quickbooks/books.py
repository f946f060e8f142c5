"""One QuickBooks company (realm) held in memory: its objects, id counters, deletions, stored replies."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.sandbox.quickbooks.faults import format_time, not_found

ENTITIES = ("Customer", "Item", "Term", "Invoice", "Payment", "CreditMemo")
TRANSACTIONS = ("Invoice", "Payment", "CreditMemo")


@dataclass(frozen=True)
class StoredResponse:
    """What the first request with a given requestid got back; replayed verbatim."""

    status: int
    body: bytes
    media_type: str


@dataclass
class RealmBook:
    realm_id: str
    company_name: str = "Sandbox Company_US_1"
    timezone: str = "America/Los_Angeles"
    custom_txn_numbers: bool = True     # Preferences.SalesFormsPrefs.CustomTxnNumbers (Ledgerbridge sets DocNumber)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    deleted: dict[str, dict[str, datetime]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    last_ids: dict[str, int] = field(default_factory=lambda: {e: 0 for e in ENTITIES})
    responses: dict[str, StoredResponse] = field(default_factory=dict)

    def preferences(self, now: datetime) -> dict[str, Any]:
        """The Preferences object (GET /v3/company/<realm>/preferences): the sections Intuit documents, with the
        values of a new US company, and the switch tests turn (custom transaction numbers)."""
        stamp = self.stamp(now)
        return {
            "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
            "AccountingInfoPrefs": {"TrackDepartments": False, "ClassTrackingPerTxn": False,
                                    "CustomerTerminology": "Customers", "BookCloseDate": None},
            "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True, "QuantityWithPriceAndRate": True,
                                        "QuantityOnHand": True},
            "SalesFormsPrefs": {"CustomTxnNumbers": self.custom_txn_numbers, "AllowDeposit": False,
                                "AllowDiscount": True, "AllowEstimates": True, "AllowShipping": False,
                                "AutoApplyCredit": True, "AutoApplyPayments": True, "DefaultTerms": {"value": "3"},
                                "UsingPriceLevels": False, "ETransactionEnabledStatus": "NotApplicable"},
            "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}},
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
            "OtherPrefs": {"NameValue": []},
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }

    def local_time(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone)).replace(microsecond=0)

    def stamp(self, now: datetime) -> str:
        return format_time(self.local_time(now))

    def new_id(self, entity: str) -> str:
        self.last_ids[entity] += 1
        return str(self.last_ids[entity])

    def get(self, entity: str, object_id: str) -> dict[str, Any]:
        found = self.objects[entity].get(str(object_id))
        if found is None:
            raise not_found(entity, str(object_id))
        return found

    def find(self, entity: str, object_id: Any) -> dict[str, Any] | None:
        return self.objects[entity].get(str(object_id))

    def rows(self, entity: str) -> list[dict[str, Any]]:
        return sorted(self.objects[entity].values(), key=lambda row: int(row["Id"]))
