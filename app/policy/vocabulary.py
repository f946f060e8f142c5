"""The fixed words of the policy file: exception kinds, gate field names, weekdays."""
from __future__ import annotations

from enum import IntEnum, StrEnum


class ExceptionKind(StrEnum):
    """Why a deal landed in the exception queue; each kind has its own SLA."""

    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNMAPPED_PRODUCT = "unmapped_product"
    UNMAPPED_TERMS = "unmapped_terms"
    DUPLICATE_CUSTOMER = "duplicate_customer"
    VENDOR_ERROR = "vendor_error"
    APPROVAL_REJECTED = "approval_rejected"
    UNMAPPED_TAX = "unmapped_tax"
    """The deal's ship-to region or a product's tax category has no QuickBooks tax code in the policy."""


class RequiredField(StrEnum):
    """Deal data the billing gate can insist on before a deal may be invoiced."""

    BILL_TO_ADDRESS = "bill_to_address"
    SHIP_TO_ADDRESS = "ship_to_address"
    PAYMENT_TERMS = "payment_terms"
    LINE_ITEMS = "line_items"
    ITEM_CODES = "item_codes"
    TAXABILITY = "taxability"
    AMOUNT = "amount"
    CLOSE_DATE = "close_date"
    OWNER_EMAIL = "owner_email"


class Weekday(IntEnum):
    """Same numbering as `date.weekday()`: Monday is 0."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6

    @property
    def short_name(self) -> str:
        return self.name.lower()
