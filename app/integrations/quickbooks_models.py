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
    currency: str | None = None      # CurrencyRef: a customer has one currency
    taxable: bool | None = None


@dataclass(frozen=True)
class QboCustomerTax:
    """How a new customer is taxed: Taxable, and for an exempt one QuickBooks' reason id and resale number."""

    taxable: bool = True
    exemption_reason_id: int | None = None
    resale_number: str | None = None


@dataclass(frozen=True)
class QboCustomerDraft:
    """A customer to create: the Salesforce account's name, addresses, tax status and currency."""

    display_name: str
    company_name: str | None = None
    email: str | None = None
    billing_address: QboAddress | None = None
    shipping_address: QboAddress | None = None
    tax: QboCustomerTax | None = None
    currency: str | None = None     # only for a currency other than the company's home one
    term_id: str | None = None      # SalesTermRef: the customer's default terms
    notes: str | None = None        # Notes (QuickBooks Online's API has no credit-limit field: it is written here)


def customer_payload(draft: QboCustomerDraft) -> dict[str, Any]:
    payload: dict[str, Any] = {"DisplayName": draft.display_name}
    if draft.email:
        payload["PrimaryEmailAddr"] = {"Address": draft.email}
    if draft.company_name:
        payload["CompanyName"] = draft.company_name
    for key, address in (("BillAddr", draft.billing_address), ("ShipAddr", draft.shipping_address)):
        if address is not None and address_payload(address):
            payload[key] = address_payload(address)
    if draft.tax is not None:
        payload["Taxable"] = draft.tax.taxable
        if not draft.tax.taxable and draft.tax.exemption_reason_id is not None:
            payload["TaxExemptionReasonId"] = draft.tax.exemption_reason_id
        if not draft.tax.taxable and draft.tax.resale_number:
            payload["ResaleNum"] = draft.tax.resale_number
    if draft.currency:
        payload["CurrencyRef"] = {"value": draft.currency}
    if draft.term_id:
        payload["SalesTermRef"] = {"value": draft.term_id}
    if draft.notes:
        payload["Notes"] = draft.notes[:2000]
    return payload


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
class QboInvoiceLine:
    """A sales line of an invoice as QuickBooks stored it (a credit memo copies it to credit the line)."""

    item_id: str
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax_code: str | None = None
    item_name: str | None = None                # ItemRef.name, as QuickBooks answers it


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
    total_tax: Decimal = Decimal("0.00")        # TxnTaxDetail.TotalTax, as QuickBooks computed it
    currency: str | None = None
    exchange_rate: Decimal | None = None        # home-currency units per invoice-currency unit (multicurrency)
    home_total: Decimal | None = None           # HomeTotalAmt
    lines: tuple[QboInvoiceLine, ...] = ()      # the sales lines, in order
    customer_name: str | None = None
    tax_calculation: str | None = None          # GlobalTaxCalculation (non-US companies)
    transaction_tax_code: str | None = None     # TxnTaxDetail.TxnTaxCodeRef
    ship_address: QboAddress | None = None
    terms_name: str | None = None               # SalesTermRef.name


@dataclass(frozen=True)
class InvoiceLineDraft:
    item_id: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal | None = None  # None: quantity x unit price, rounded to the cent
    tax_code: str | None = None
    """TaxCodeRef: "TAX"/"NON" in a US company, a TaxCode Id elsewhere; None sends none (QuickBooks' default)."""
    tax_inclusive: bool = False
    """The amount includes tax (GlobalTaxCalculation TaxInclusive): sent as TaxInclusiveAmt too."""

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
    currency: str | None = None                 # CurrencyRef, only for a currency other than the home one
    global_tax_calculation: str | None = None   # TaxExcluded / TaxInclusive (non-US companies)
    transaction_tax_code: str | None = None     # TxnTaxDetail.TxnTaxCodeRef (US without automated sales tax)
    bill_address: QboAddress | None = None
    ship_address: QboAddress | None = None      # automated sales tax follows the ship-to


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
    payload.update(sale_extras(draft))
    return payload


def sale_extras(draft: InvoiceDraft) -> dict[str, Any]:
    """Currency, tax calculation and addresses of a sale (an invoice or a credit memo)."""
    extras: dict[str, Any] = {}
    if draft.currency:
        extras["CurrencyRef"] = {"value": draft.currency}
    if draft.global_tax_calculation:
        extras["GlobalTaxCalculation"] = draft.global_tax_calculation
    if draft.transaction_tax_code:
        extras["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": draft.transaction_tax_code}}
    for key, address in (("BillAddr", draft.bill_address), ("ShipAddr", draft.ship_address)):
        if address is not None and address_payload(address):
            extras[key] = address_payload(address)
    return extras


def _line_payload(line: InvoiceLineDraft) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": line.item_id}, "Qty": line.quantity, "UnitPrice": line.unit_price}
    if line.tax_code:
        detail["TaxCodeRef"] = {"value": line.tax_code}
    if line.tax_inclusive:
        detail["TaxInclusiveAmt"] = line.line_amount
    payload: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": line.line_amount,
                               "SalesItemLineDetail": detail}
    if line.description:
        payload["Description"] = line.description
    return payload


def parse_customer(data: dict[str, Any]) -> QboCustomer:
    email = (data.get("PrimaryEmailAddr") or {}).get("Address")
    taxable = data.get("Taxable")
    return QboCustomer(id=str(data["Id"]), display_name=str(data["DisplayName"]), sync_token=str(data["SyncToken"]),
                       company_name=data.get("CompanyName") or None, email=email or None,
                       active=data.get("Active", True) is not False,
                       billing_address=parse_address(data.get("BillAddr")),
                       currency=(data.get("CurrencyRef") or {}).get("value"),
                       taxable=taxable if isinstance(taxable, bool) else None)


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
        terms_name=terms.get("name"),
        status=invoice_status(total, balance, due_date, today), private_note=data.get("PrivateNote") or None,
        email_status=data.get("EmailStatus"),
        total_tax=to_decimal((data.get("TxnTaxDetail") or {}).get("TotalTax")) or Decimal("0.00"),
        currency=(data.get("CurrencyRef") or {}).get("value"), exchange_rate=to_decimal(data.get("ExchangeRate")),
        home_total=to_decimal(data.get("HomeTotalAmt")), lines=parse_sales_lines(data.get("Line")),
        customer_name=(data.get("CustomerRef") or {}).get("name"),
        tax_calculation=data.get("GlobalTaxCalculation"),
        transaction_tax_code=((data.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef") or {}).get("value"),
        ship_address=parse_address(data.get("ShipAddr")),
    )


def parse_sales_lines(lines: Any) -> tuple[QboInvoiceLine, ...]:
    found = []
    for line in lines or []:
        detail = line.get("SalesItemLineDetail") if isinstance(line, dict) else None
        if line.get("DetailType") != "SalesItemLineDetail" or not isinstance(detail, dict):
            continue
        found.append(QboInvoiceLine(
            item_id=str((detail.get("ItemRef") or {}).get("value", "")), description=line.get("Description"),
            item_name=(detail.get("ItemRef") or {}).get("name"),
            quantity=to_decimal(detail.get("Qty")), unit_price=to_decimal(detail.get("UnitPrice")),
            amount=to_decimal(detail.get("TaxInclusiveAmt", line.get("Amount"))) or Decimal("0.00"),
            tax_code=(detail.get("TaxCodeRef") or {}).get("value")))
    return tuple(found)


def _date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None
