"""A Salesforce opportunity as DealFacts without storing it: what `readiness` feeds the gate and approval rules.

The same reading as `deals.service` (which stores the deal first): a missing quantity, price or total is zero,
a line without a product name is named by its code.
"""
from __future__ import annotations

from decimal import Decimal

from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.integrations.salesforce_models import SfAccount, SfLineItem, SfOpportunity

_ZERO = Decimal(0)


def deal_facts_from(opportunity: SfOpportunity, *, has_qbo_customer: bool) -> DealFacts:
    return DealFacts(
        opportunity_id=opportunity.id, name=opportunity.name, stage=opportunity.stage_name or "",
        is_won=opportunity.is_won, billing_status=opportunity.billing_status, amount=opportunity.amount,
        close_date=opportunity.close_date, payment_terms=opportunity.payment_terms,
        po_number=opportunity.po_number, owner_email=opportunity.owner_email,
        account=_account(opportunity.account, has_qbo_customer),
        lines=tuple(_line(item) for item in opportunity.lines),
    )


def _account(account: SfAccount | None, has_qbo_customer: bool) -> AccountFacts:
    if account is None:
        return AccountFacts(account_id="", name="")
    return AccountFacts(
        account_id=account.id, name=account.name or "", segment=account.segment,
        billing_street=account.billing_street, billing_city=account.billing_city,
        billing_state=account.billing_state, billing_postal_code=account.billing_postal_code,
        billing_country=account.billing_country, shipping_street=account.shipping_street,
        shipping_city=account.shipping_city, shipping_state=account.shipping_state,
        shipping_postal_code=account.shipping_postal_code, shipping_country=account.shipping_country,
        tax_exempt=account.tax_exempt, credit_limit=account.credit_limit, has_qbo_customer=has_qbo_customer,
    )


def _line(item: SfLineItem) -> LineFacts:
    return LineFacts(product_name=item.product_name or item.product_code or "", product_code=item.product_code,
                     quantity=item.quantity if item.quantity is not None else _ZERO,
                     unit_price=item.unit_price if item.unit_price is not None else _ZERO,
                     discount_percent=item.discount_percent, list_price=item.list_price,
                     total_price=item.total_price if item.total_price is not None else _ZERO)
