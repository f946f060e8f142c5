"""Month-end burst data: N billable opportunities in the Salesforce emulator, a realistic mix of customers.

Most deals belong to accounts QuickBooks knows already (seeded there as customers, linked at intake); one in
twenty belongs to a new account, whose first invoice creates the QuickBooks customer. Each deal has 1 to 20
lines of the demo company's mapped products, no discount, standard terms: billable without an approval.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import yaml

from app.sandbox.book import Book, Line
from app.sandbox.quickbooks.demo import DEMO_REALM_ID
from app.sandbox.salesforce.state import SalesforceState
from app.sandbox.stack import DEMO_POLICY

MAPPED_PRODUCTS = ("Consulting Services", "Annual Subscription", "Implementation", "Support Plan")
NEW_CUSTOMER_EVERY = 20      # one deal in 20 is for an account QuickBooks does not know yet
DEALS_PER_ACCOUNT = 40       # existing accounts: about this many deals each (at least 20 accounts)
DEALS_PER_NEW_ACCOUNT = 5    # so a new customer is created once and then reused


@dataclass(frozen=True)
class BurstMix:
    deals: int
    existing_accounts: int
    new_accounts: int
    deals_for_new_accounts: int
    lines: int


def seed_burst(salesforce: SalesforceState, *, quickbooks_url: str, deals: int, owner_id: str,
               seed: int = 8) -> tuple[BurstMix, list[str]]:
    """Returns the mix and the opportunity ids (each is its invoice's DocNumber)."""
    rng = random.Random(seed)
    book = Book(salesforce)
    existing = [f"Burst Customer {n:03d}" for n in range(max(20, deals // DEALS_PER_ACCOUNT))]
    new = [f"Burst Newcomer {n:03d}" for n in range(max(1, deals // (NEW_CUSTOMER_EVERY * DEALS_PER_NEW_ACCOUNT)))]
    with httpx.Client(base_url=quickbooks_url, timeout=30) as admin:
        for name in existing:
            admin.post(f"/_admin/realms/{DEMO_REALM_ID}/objects/Customer",
                       json={"DisplayName": name, "CompanyName": name}).raise_for_status()
    for name in existing + new:
        book.add_account(name, Segment__c="SMB")
    ids, lines, for_new = [], 0, 0
    for index in range(deals):
        if index % NEW_CUSTOMER_EVERY == NEW_CUSTOMER_EVERY - 1:
            account, for_new = new[for_new % len(new)], for_new + 1
        else:
            account = existing[rng.randrange(len(existing))]
        deal_lines = [Line(rng.choice(MAPPED_PRODUCTS), Decimal(rng.randint(1, 5))) for _ in range(rng.randint(1, 20))]
        lines += len(deal_lines)
        ids.append(book.add_deal(f"Month-end {index:05d}", account=account, owner_id=owner_id, lines=deal_lines))
    return BurstMix(deals, len(existing), len(new), for_new, lines), ids


def write_burst_policy(directory: Path) -> Path:
    """The demo policy without the new-customer approval: every seeded deal is billable as it stands."""
    policy = yaml.safe_load(DEMO_POLICY.read_text(encoding="utf-8"))
    policy["approval_rules"].pop("customer_activation", None)
    path = directory / "burst_policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path
