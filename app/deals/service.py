"""Deals as we last saw them in Salesforce: upsert from a Salesforce read, and turn rows into DealFacts."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from app.db import persisted_id
from app.deals.facts import AccountFacts, DealFacts, LineFacts
from app.deals.models import Account, Deal, DealLine
from app.deals.scope import ScopeFacts
from app.integrations.exact_json import plain_json
from app.integrations.salesforce_models import SfAccount, SfLineItem, SfOpportunity

_ZERO = Decimal(0)


def upsert_from_salesforce(session: Session, opportunity: SfOpportunity, *, now: datetime,
                           home_currency: str = "USD") -> Deal:
    """Store the opportunity (with its account and lines) as the newest snapshot; Salesforce wins.

    An org without multi-currency has no CurrencyIsoCode: its amounts are taken to be in `home_currency`.
    """
    account = _upsert_account(session, opportunity.account, now=now) if opportunity.account else None
    deal = find_deal(session, sf_id=opportunity.id)
    if deal is None:
        deal = Deal(sf_id=opportunity.id, name=opportunity.name, stage="", sf_modstamp=now,
                    first_seen_at=now, updated_at=now)
        session.add(deal)
    _copy_opportunity(deal, opportunity, account_id=account.id if account else None, now=now)
    deal.currency = opportunity.currency or home_currency
    session.flush()
    _replace_lines(session, deal, opportunity.lines)
    return deal


def find_deal(session: Session, *, sf_id: str) -> Deal | None:
    return session.exec(select(Deal).where(Deal.sf_id == sf_id)).first()


def lines_of(session: Session, deal: Deal) -> list[DealLine]:
    statement = select(DealLine).where(DealLine.deal_id == deal.id).order_by(col(DealLine.sort_order), col(DealLine.id))
    return list(session.exec(statement))


def account_of(session: Session, deal: Deal) -> Account | None:
    return session.get(Account, deal.account_id) if deal.account_id else None


def deal_facts(session: Session, deal: Deal) -> DealFacts:
    """The pure view of a stored deal that the gate and approval rules read."""
    account = account_of(session, deal)
    return DealFacts(
        opportunity_id=deal.sf_id, name=deal.name, stage=deal.stage, is_won=deal.is_won,
        billing_status=deal.billing_status, amount=deal.amount, close_date=deal.close_date,
        payment_terms=_payment_terms(deal, account), po_number=deal.po_number, owner_email=deal.owner_email,
        currency=deal.currency or "USD", account=_account_facts(account, deal),
        lines=tuple(_line_facts(line) for line in lines_of(session, deal)),
    )


def scope_facts(session: Session, deal: Deal) -> ScopeFacts:
    """What the pilot filter reads: the deal, its account, and the optional fields of its Salesforce snapshot."""
    account = account_of(session, deal)
    record_type = deal.snapshot.get("RecordType") if isinstance(deal.snapshot, dict) else None
    return ScopeFacts(
        business_unit=_text(deal.snapshot.get("Business_Unit__c")),
        record_type=_text(record_type.get("Name")) if isinstance(record_type, dict) else None,
        owner_id=deal.owner_sf_id, owner_email=deal.owner_email,
        account_id=account.sf_id if account else None, account_name=account.name if account else None,
        segment=account.segment if account else None, amount=deal.amount,
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _account_facts(account: Account | None, deal: Deal) -> AccountFacts:
    if account is None:
        return AccountFacts(account_id="", name="")
    credit_limit = account.credit_limit
    if _activated(account, "credit_limit", account.credit_limit):
        credit_limit = account.activated_credit_limit
    return AccountFacts(
        account_id=account.sf_id, name=account.name, segment=account.segment,
        billing_street=account.billing_street, billing_city=account.billing_city,
        billing_state=account.billing_state, billing_postal_code=account.billing_postal_code,
        billing_country=account.billing_country, shipping_street=account.shipping_street,
        shipping_city=account.shipping_city, shipping_state=account.shipping_state,
        shipping_postal_code=account.shipping_postal_code, shipping_country=account.shipping_country,
        tax_exempt=account.tax_exempt, credit_limit=credit_limit,
        has_qbo_customer=account.qbo_customer_id is not None,
        tax_exemption_reason=account.tax_exemption_reason, resale_number=account.resale_number,
        billing_email=account.billing_email,
    )


def _payment_terms(deal: Deal, account: Account | None) -> str | None:
    if account is not None and account.activated_terms and _activated(account, "payment_terms", deal.payment_terms):
        return account.activated_terms
    return deal.payment_terms


def _activated(account: Account, field: str, salesforce_value: object) -> bool:
    """Finance's value at activation applies while Salesforce still says what it said then (a later change in
    Salesforce is a change of a locked value, approved again)."""
    over = account.activated_over or {}
    if field not in over or (field == "credit_limit" and account.activated_credit_limit is None):
        return False
    said = over[field]
    if field == "credit_limit":
        return (None if said is None else Decimal(str(said))) == salesforce_value
    return (said or None) == (salesforce_value or None)


def _line_facts(line: DealLine) -> LineFacts:
    return LineFacts(product_name=line.product_name, product_code=line.product_code, quantity=line.quantity,
                     unit_price=line.unit_price, discount_percent=line.discount_percent,
                     total_price=line.total_price, list_price=line.list_price)


def _upsert_account(session: Session, source: SfAccount, *, now: datetime) -> Account:
    account = session.exec(select(Account).where(Account.sf_id == source.id)).first()
    if account is None:
        account = Account(sf_id=source.id, name=source.name or "", created_at=now, updated_at=now)
        session.add(account)
    for name in ("billing_street", "billing_city", "billing_state", "billing_postal_code", "billing_country",
                 "shipping_street", "shipping_city", "shipping_state", "shipping_postal_code",
                 "shipping_country", "segment", "tax_exempt", "credit_limit", "tax_exemption_reason",
                 "resale_number", "billing_email"):
        setattr(account, name, getattr(source, name))
    account.name = source.name or account.name
    account.updated_at = now
    session.flush()
    return account


def _copy_opportunity(deal: Deal, source: SfOpportunity, *, account_id: int | None, now: datetime) -> None:
    deal.account_id = account_id
    deal.name = source.name
    deal.stage = source.stage_name or ""
    deal.is_won = source.is_won
    deal.billing_status = source.billing_status
    deal.amount = source.amount
    deal.close_date = source.close_date
    deal.payment_terms = source.payment_terms
    deal.po_number = source.po_number
    deal.owner_sf_id = source.owner_id
    deal.owner_name = source.owner_name
    deal.owner_email = source.owner_email
    deal.sf_modstamp = source.system_modstamp or now
    deal.snapshot = plain_json(source.raw)      # the client parses numbers as Decimal
    deal.updated_at = now
    if source.is_won and deal.won_seen_at is None:
        deal.won_seen_at = now


def _replace_lines(session: Session, deal: Deal, items: tuple[SfLineItem, ...]) -> None:
    existing = {line.sf_id: line for line in lines_of(session, deal)}
    for position, item in enumerate(items):
        line = existing.pop(item.id, None) or DealLine(deal_id=persisted_id(deal), sf_id=item.id, product_name="",
                                                       quantity=_ZERO, unit_price=_ZERO, total_price=_ZERO)
        _copy_line(line, item, position)
        session.add(line)
    for stale in existing.values():
        session.delete(stale)
    session.flush()


def _copy_line(line: DealLine, item: SfLineItem, position: int) -> None:
    line.product_sf_id = item.product_id
    line.product_name = item.product_name or item.product_code or ""
    line.product_code = item.product_code
    line.quantity = item.quantity if item.quantity is not None else _ZERO
    line.unit_price = item.unit_price if item.unit_price is not None else _ZERO
    line.list_price = item.list_price
    line.discount_percent = item.discount_percent
    line.total_price = item.total_price if item.total_price is not None else _ZERO
    line.description = item.description
    line.service_date = item.service_date
    line.sort_order = position
