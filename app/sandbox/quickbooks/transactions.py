"""Rules of the sales transactions: Invoice and CreditMemo lines, totals, dates, numbers, balances."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.sandbox.quickbooks.books import RealmBook
from app.sandbox.quickbooks.currency import home_amounts, transaction_currency
from app.sandbox.quickbooks.faults import (
    QboFault,
    business_rule,
    duplicate_doc_number,
    invalid_reference,
    invalid_value,
    made_inactive,
    required,
)
from app.sandbox.quickbooks.links import applied_to
from app.sandbox.quickbooks.tax import apply_tax, line_tax_code
from app.sandbox.quickbooks.values import CENT, as_amount, as_date, ref_id, referenced

MAX_DOC_NUMBER = 21
FIRST_DOC_NUMBER = 1001


def prepare_sale(
    book: RealmBook, entity: str, obj: dict[str, Any], *, now: datetime, own_id: str | None,
    check_doc_numbers: bool,
) -> dict[str, Any]:
    """Validate an Invoice/CreditMemo and compute what QBO computes (lines, tax, totals, currency, dates, number)."""
    customer = referenced(book, obj, "CustomerRef", "Customer")
    txn_date = as_date(obj["TxnDate"], "TxnDate") if obj.get("TxnDate") else book.local_time(now).date()
    obj["TxnDate"] = txn_date.isoformat()
    rate = transaction_currency(book, obj, customer, txn_date)
    _addresses(obj, customer)
    lines, _, discount = _lines(book, obj.get("Line") or [])
    sales = [line for line in lines if line["DetailType"] == "SalesItemLineDetail"]
    tax = apply_tax(book, obj, sales, customer, now)
    subtotal = sum((line["Amount"] for line in sales), Decimal("0.00"))
    next(line for line in lines if line["DetailType"] == "SubTotalLineDetail")["Amount"] = subtotal
    total = subtotal - discount + tax
    obj["Line"], obj["TotalAmt"] = lines, total
    obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    if entity == "Invoice":
        obj["DueDate"] = _due_date(book, obj, txn_date).isoformat()
    number = _doc_number(book, entity, obj.get("DocNumber"), own_id, check_doc_numbers)
    if number is None:
        obj.pop("DocNumber", None)
    else:
        obj["DocNumber"] = number
    balance = total - applied_to(book, entity, own_id)
    if balance < 0:
        raise business_rule(f"the new total {total} is less than the {total - balance} already applied")
    obj["Balance"] = balance
    if entity == "CreditMemo":
        obj["RemainingCredit"] = balance
    home_amounts(book, obj, rate, entity)
    _defaults(obj, customer)
    return obj


def _addresses(obj: dict[str, Any], customer: dict[str, Any]) -> None:
    """A sale without its own addresses takes the customer's (the ship-to decides automated sales tax)."""
    for address in ("BillAddr", "ShipAddr"):
        if not obj.get(address) and customer.get(address):
            obj[address] = dict(customer[address])


def _lines(book: RealmBook, raw_lines: list[Any]) -> tuple[list[dict[str, Any]], Decimal, Decimal]:
    lines: list[dict[str, Any]] = []
    discounts: list[dict[str, Any]] = []
    subtotal, discount = Decimal("0.00"), Decimal("0.00")
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise invalid_value("Line", "each line must be an object")
        kind = raw.get("DetailType")
        if kind == "SubTotalLineDetail":
            continue
        if kind == "SalesItemLineDetail":
            line = _sales_line(book, raw, len(lines) + 1)
            subtotal += line["Amount"]
        elif kind == "DescriptionOnly":
            line = {"Id": str(len(lines) + 1), "LineNum": len(lines) + 1, "DetailType": kind,
                    "Description": raw.get("Description", ""), "DescriptionLineDetail": {}}
        elif kind == "DiscountLineDetail":
            amount = as_amount(raw.get("Amount"), "Line.Amount")
            discounts.append({"Amount": amount, "DetailType": kind,
                              "DiscountLineDetail": raw.get("DiscountLineDetail") or {"PercentBased": False}})
            discount += amount
            continue
        else:
            raise invalid_value("Line.DetailType", f"unsupported DetailType {kind!r}")
        lines.append(line)
    if not any(line["DetailType"] == "SalesItemLineDetail" for line in lines):
        raise required("Line")
    subtotal_line = {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    return lines + [subtotal_line] + discounts, subtotal, discount


def _sales_line(book: RealmBook, raw: dict[str, Any], number: int) -> dict[str, Any]:
    detail = raw.get("SalesItemLineDetail") or {}
    item = referenced(book, detail, "ItemRef", "Item", path="Line.SalesItemLineDetail.ItemRef")
    qty = as_amount(detail.get("Qty"), "Qty", places=None)
    price = as_amount(detail.get("UnitPrice"), "UnitPrice", places=None)
    sent = raw.get("Amount") if raw.get("Amount") not in (None, "") else detail.get("TaxInclusiveAmt")
    amount = _line_amount(sent, qty, price)
    out_detail: dict[str, Any] = {"ItemRef": {"value": item["Id"], "name": item["Name"]}}
    if qty or price:
        out_detail.update(UnitPrice=price, Qty=qty)
    code = line_tax_code(book, detail, item)
    if code is not None:
        out_detail["TaxCodeRef"] = code
    if detail.get("TaxInclusiveAmt") not in (None, ""):
        out_detail["TaxInclusiveAmt"] = as_amount(detail["TaxInclusiveAmt"], "TaxInclusiveAmt")
    if detail.get("ServiceDate"):
        out_detail["ServiceDate"] = as_date(detail["ServiceDate"], "ServiceDate").isoformat()
    line: dict[str, Any] = {"Id": str(number), "LineNum": number}
    if raw.get("Description"):
        line["Description"] = str(raw["Description"])
    line.update(Amount=amount, DetailType="SalesItemLineDetail", SalesItemLineDetail=out_detail)
    return line


def _line_amount(raw_amount: Any, qty: Decimal, price: Decimal) -> Decimal:
    if raw_amount in (None, ""):
        if not (qty and price):
            raise required("Line.Amount")
        return (qty * price).quantize(CENT)
    amount = as_amount(raw_amount, "Line.Amount")
    if qty and price and abs(qty * price - amount) > Decimal("0.005"):  # QBO rounds Qty x UnitPrice to the cent
        raise QboFault("6070", "Amount calculation incorrect in the request",
                       f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}", element="Line.Amount")
    return amount


def _due_date(book: RealmBook, obj: dict[str, Any], txn_date: date) -> date:
    term_id = ref_id(obj, "SalesTermRef")
    term = None
    if term_id is not None:
        term = book.find("Term", term_id)
        if term is None:
            raise invalid_reference("Term", term_id)
        if term.get("Active") is False:
            raise made_inactive()
        obj["SalesTermRef"] = {"value": term["Id"], "name": term["Name"]}
    if obj.get("DueDate"):
        return as_date(obj["DueDate"], "DueDate")
    return txn_date + timedelta(days=int(term.get("DueDays", 0))) if term else txn_date


def _doc_number(book: RealmBook, entity: str, wanted: Any, own_id: str | None, check: bool) -> str | None:
    """As Intuit documents DocNumber: none sent with Custom transaction numbers on stays none; with them off,
    QuickBooks numbers the sale itself (the last number plus one)."""
    if wanted in (None, "") and book.custom_txn_numbers:
        return None
    if wanted in (None, ""):
        numbers = [int(row["DocNumber"]) for row in book.rows(entity) if str(row.get("DocNumber", "")).isdigit()]
        return str(max(numbers, default=FIRST_DOC_NUMBER - 1) + 1)
    number = str(wanted)
    if len(number) > MAX_DOC_NUMBER:
        raise QboFault("2050", "String length is either shorter or longer than supported by specification",
                       f"DocNumber is longer than {MAX_DOC_NUMBER} characters", element="DocNumber")
    for row in book.rows(entity):
        if check and row["Id"] != own_id and row.get("DocNumber") == number:
            raise duplicate_doc_number(number, entity, row["Id"])
    return number


def _defaults(obj: dict[str, Any], customer: dict[str, Any]) -> None:
    for flag in ("AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment"):
        obj.setdefault(flag, False)
    obj["ApplyTaxAfterDiscount"] = False
    obj.setdefault("PrintStatus", "NeedToPrint")
    obj.setdefault("EmailStatus", "NotSet")
    obj.setdefault("LinkedTxn", [])
    if "BillEmail" not in obj and customer.get("PrimaryEmailAddr"):
        obj["BillEmail"] = dict(customer["PrimaryEmailAddr"])
