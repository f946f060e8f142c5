"""Our view of QuickBooks objects: frozen dataclasses with Decimal money, and pure converters to/from QBO JSON."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from app.integrations.exact_json import to_decimal

CENT = Decimal("0.01")
InvoiceStatus = Literal["Paid", "Open", "Overdue"]


@dataclass(frozen=True)
class QboAddress:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None  # QBO CountrySubDivisionCode
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class QboCustomer:
    id: str
    display_name: str
    sync_token: str
    company_name: str | None = None
    email: str | None = None
    active: bool = True
    billing_address: QboAddress | None = None


@dataclass(frozen=True)
class QboItem:
    id: str
    name: str
    sku: str | None = None
    unit_price: Decimal | None = None
    active: bool = True


@dataclass(frozen=True)
class QboTerm:
    id: str
    name: str
    due_days: int | None = None
    active: bool = True


@dataclass(frozen=True)
class QboPreferences:
    """The company settings we depend on (Preferences.SalesFormsPrefs)."""

    custom_txn_numbers: bool


@dataclass(frozen=True)
class QboInvoice:
    id: str
    doc_number: str | None
    sync_token: str
    customer_id: str
    total: Decimal
    balance: Decimal
    due_date: date | None
    txn_date: date | None
    terms_id: str | None
    status: InvoiceStatus
    private_note: str | None = None
    email_status: str | None = None


@dataclass(frozen=True)
class InvoiceLineDraft:
    item_id: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal | None = None  # None: quantity x unit price, rounded to the cent

    @property
    def line_amount(self) -> Decimal:
        if self.amount is not None:
            return self.amount
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class InvoiceDraft:
    customer_id: str
    doc_number: str | None
    txn_date: date
    lines: tuple[InvoiceLineDraft, ...]
    terms_id: str | None = None
    due_date: date | None = None
    private_note: str | None = None
    customer_memo: str | None = None
    bill_email: str | None = None


def invoice_status(total: Decimal, balance: Decimal, due_date: date | None, today: date) -> InvoiceStatus:
    if balance == 0 and total > 0:
        return "Paid"
    if balance > 0 and due_date is not None and due_date < today:
        return "Overdue"
    return "Open"


def invoice_payload(draft: InvoiceDraft) -> dict[str, Any]:
    """The QBO Invoice JSON for a draft (money stays Decimal; send it with dumps_exact)."""
    if not draft.lines:
        raise ValueError("an invoice needs at least one line")
    payload: dict[str, Any] = {"CustomerRef": {"value": draft.customer_id}, "TxnDate": draft.txn_date.isoformat(),
                               "Line": [_line_payload(line) for line in draft.lines]}
    optional = {
        "DocNumber": draft.doc_number,
        "SalesTermRef": {"value": draft.terms_id} if draft.terms_id else None,
        "DueDate": draft.due_date.isoformat() if draft.due_date else None,
        "PrivateNote": draft.private_note,
        "CustomerMemo": {"value": draft.customer_memo} if draft.customer_memo else None,
        "BillEmail": {"Address": draft.bill_email} if draft.bill_email else None,
    }
    payload.update({key: value for key, value in optional.items() if value})
    return payload


def _line_payload(line: InvoiceLineDraft) -> dict[str, Any]:
    payload: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": line.line_amount,
                               "SalesItemLineDetail": {"ItemRef": {"value": line.item_id},
                                                       "Qty": line.quantity, "UnitPrice": line.unit_price}}
    if line.description:
        payload["Description"] = line.description
    return payload


def parse_customer(data: dict[str, Any]) -> QboCustomer:
    email = (data.get("PrimaryEmailAddr") or {}).get("Address")
    return QboCustomer(id=str(data["Id"]), display_name=str(data["DisplayName"]), sync_token=str(data["SyncToken"]),
                       company_name=data.get("CompanyName") or None, email=email or None,
                       active=data.get("Active", True) is not False,
                       billing_address=parse_address(data.get("BillAddr")))


def parse_address(data: dict[str, Any] | None) -> QboAddress | None:
    if not data:
        return None
    return QboAddress(line1=data.get("Line1"), line2=data.get("Line2"), city=data.get("City"),
                      region=data.get("CountrySubDivisionCode"), postal_code=data.get("PostalCode"),
                      country=data.get("Country"))


def address_payload(address: QboAddress) -> dict[str, str]:
    fields = {"Line1": address.line1, "Line2": address.line2, "City": address.city,
              "CountrySubDivisionCode": address.region, "PostalCode": address.postal_code, "Country": address.country}
    return {key: value for key, value in fields.items() if value}


def parse_item(data: dict[str, Any]) -> QboItem:
    return QboItem(id=str(data["Id"]), name=str(data["Name"]), sku=data.get("Sku") or None,
                   unit_price=to_decimal(data.get("UnitPrice")), active=data.get("Active", True) is not False)


def parse_term(data: dict[str, Any]) -> QboTerm:
    due_days = data.get("DueDays")
    return QboTerm(id=str(data["Id"]), name=str(data["Name"]), due_days=int(due_days) if due_days is not None else None,
                   active=data.get("Active", True) is not False)


def parse_preferences(data: dict[str, Any]) -> QboPreferences:
    sales_forms = data.get("SalesFormsPrefs") or {}
    return QboPreferences(custom_txn_numbers=sales_forms.get("CustomTxnNumbers") is True)


def parse_invoice(data: dict[str, Any], *, today: date) -> QboInvoice:
    total = to_decimal(data.get("TotalAmt")) or Decimal("0")
    balance = to_decimal(data.get("Balance"))
    balance = total if balance is None else balance
    due_date = _date(data.get("DueDate"))
    terms = data.get("SalesTermRef") or {}
    return QboInvoice(
        id=str(data["Id"]), doc_number=data.get("DocNumber"), sync_token=str(data["SyncToken"]),
        customer_id=str((data.get("CustomerRef") or {}).get("value", "")), total=total, balance=balance,
        due_date=due_date, txn_date=_date(data.get("TxnDate")), terms_id=terms.get("value"),
        status=invoice_status(total, balance, due_date, today), private_note=data.get("PrivateNote") or None,
        email_status=data.get("EmailStatus"),
    )


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
