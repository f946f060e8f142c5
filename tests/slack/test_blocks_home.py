"""The App Home tab builder: pure, no I/O."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.slack.blocks.home import HomeView, PendingApprovalRow, RecentInvoiceRow, home_view
from app.slack.ids import ActionId, BlockId

HOSTILE = "<!channel> & <@U0BOSS>"


def pending(n: int, name: str = "Acme renewal") -> tuple[PendingApprovalRow, ...]:
    return tuple(
        PendingApprovalRow(f"{name} {i}", "Net 90 where Net 30 is standard", timedelta(hours=5 + i),
                           f"https://acme.slack.com/archives/C1/p{i}")
        for i in range(n)
    )


def invoices(n: int) -> tuple[RecentInvoiceRow, ...]:
    return tuple(RecentInvoiceRow(f"{1000 + i}", "Acme Corp", Decimal("12500.5")) for i in range(n))


def test_home_structure_refresh_button_and_counters(texts: Callable[[Any], list[str]]) -> None:
    view = home_view(HomeView(is_approver=True, pending_approvals=pending(2), recent_invoices=invoices(1),
                              open_exceptions=3, deals_awaiting_data=7)).to_dict()
    assert view["type"] == "home" and "submit" not in view and "close" not in view
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1 and actions[0]["block_id"] == BlockId.HOME_ACTIONS
    (refresh,) = actions[0]["elements"]
    assert refresh["action_id"] == ActionId.HOME_REFRESH and refresh["text"]["text"] == "Refresh"
    body = "\n".join(texts(view))
    assert "*Waiting for you*\n2" in body and "*Open exceptions*\n3" in body and "*Deals awaiting data*\n7" in body
    assert "*<https://acme.slack.com/archives/C1/p0|Acme renewal 0>*" in body
    assert "Net 90 where Net 30 is standard · waiting 5h" in body
    assert "*1000* · Acme Corp · $12,500.50" in body
    json.dumps(view)


def test_home_for_non_approver_hides_the_queue(texts: Callable[[Any], list[str]]) -> None:
    view = home_view(HomeView(is_approver=False, pending_approvals=pending(3))).to_dict()
    body = "\n".join(texts(view))
    assert "not an approver" in body and "Acme renewal" not in body and "Waiting for you*" not in body
    assert "No invoices yet" in body


def test_home_empty_queue_for_approver(texts: Callable[[Any], list[str]]) -> None:
    body = "\n".join(texts(home_view(HomeView(is_approver=True)).to_dict()))
    assert "Nothing waits for you" in body and "*Waiting for you*\n0" in body


def test_home_with_200_pending_and_200_invoices_stays_under_100_blocks(texts: Callable[[Any], list[str]]) -> None:
    view = home_view(HomeView(is_approver=True, pending_approvals=pending(200, "x" * 3000),
                              recent_invoices=invoices(200))).to_dict()  # to_dict validates <= 100 blocks
    blocks = view["blocks"]
    assert len(blocks) <= 100
    body = "\n".join(texts(view))
    assert "…and 160 more; see `/approvals` for the full list." in body
    assert "…and 180 more; older ones are in QuickBooks." in body
    assert "*Waiting for you*\n200" in body
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_home_escapes_hostile_rows_and_refuses_float_amounts(texts: Callable[[Any], list[str]]) -> None:
    rows = (PendingApprovalRow(HOSTILE, HOSTILE, timedelta(days=2), "javascript:alert(1)"),)
    inv = (RecentInvoiceRow(HOSTILE, HOSTILE, Decimal("1"), qbo_url=None),)
    body = "\n".join(texts(home_view(HomeView(is_approver=True, pending_approvals=rows,
                                              recent_invoices=inv)).to_dict()))
    assert "<!channel>" not in body and "<@U0BOSS>" not in body and "javascript" not in body
    assert body.count("&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;") == 4
    with pytest.raises(TypeError):
        home_view(HomeView(is_approver=True, recent_invoices=(RecentInvoiceRow("1", "A", 1.5),)))  # type: ignore[arg-type]


def test_a_pending_row_names_every_open_levels_role() -> None:
    row = PendingApprovalRow("Globex - Expansion", "35% discount", timedelta(hours=3),
                             waiting_for=("Finance approver", "CFO"))
    shown = json.dumps(home_view(HomeView(is_approver=True, pending_approvals=(row,))).to_dict())
    assert "waiting 3h for Finance approver, CFO" in shown
