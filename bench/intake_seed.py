"""Seed the Salesforce emulator with N opportunities of 1-3 lines, billable or not, deterministically."""
from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_CUSTOMERS, DEMO_REALM_ID
from app.sandbox.quickbooks.state import QuickBooksState
from app.sandbox.salesforce.state import SalesforceState

MAPPED_PRODUCTS = ["Consulting Services", "Annual Subscription", "Implementation", "Support Plan"]
NEW_ACCOUNTS = 17        # plus the QuickBooks demo company's customers, found by exact name


@dataclass(frozen=True)
class Mix:
    """How many of the seeded deals fall in each case (for the printed note)."""

    billable: int
    not_delivered: int
    pipeline: int
    discounted: int
    unmapped: int


def seed_opportunities(salesforce: SalesforceState, *, count: int, owner_id: str,
                       quickbooks: QuickBooksState | None = None, seed: int = 7) -> Mix:
    """With `quickbooks`, every account also exists there as a customer, so intake links it on first sight.

    Without, most accounts are unknown to QuickBooks and every poll looks each of their deals up again.
    """
    rng = random.Random(seed)
    book = Book(salesforce)
    accounts = [name for name, *_ in DEMO_CUSTOMERS] + [f"Bench Account {n:02d}" for n in range(NEW_ACCOUNTS)]
    for name in accounts:
        book.add_account(name, Segment__c="SMB")
        if quickbooks is not None and name.startswith("Bench"):
            quickbooks.seed(DEMO_REALM_ID, "Customer", {"DisplayName": name, "CompanyName": name})
    tally = dict.fromkeys(Mix.__dataclass_fields__, 0)
    for index in range(count):
        kind, lines, fields = _deal_shape(index, rng)
        tally[kind] += 1
        book.add_deal(f"Bench opportunity {index:05d}", account=accounts[index % len(accounts)],
                      owner_id=owner_id, lines=lines, **fields)
    return Mix(**tally)


def _deal_shape(index: int, rng: random.Random) -> tuple[str, list[Line], dict[str, object]]:
    lines = [Line(rng.choice(MAPPED_PRODUCTS), Decimal(rng.randint(1, 5))) for _ in range(rng.randint(1, 3))]
    match index % 10:
        case 0 | 1:
            return "not_delivered", lines, {"Billing_Status__c": "Not Started"}
        case 2 | 3:
            return "pipeline", lines, {"StageName": "Negotiation", "Billing_Status__c": None}
        case 4:     # 3 x list price x 0.75: fractional amounts, as Salesforce sends them
            return "discounted", [Line(lines[0].product, Decimal(3), discount=Decimal(25)), *lines[1:]], {}
        case 5:
            return "unmapped", [*lines[:-1], Line("Hardware Bundle", Decimal(2))], {}
        case _:
            return "billable", lines, {}
