"""The customer-activation modal: the proposed customer, the terms and credit limit the approver may adjust, and,
when QuickBooks has look-alikes, "use this one" or "create new"."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from app.slack.blocks.common import context, fields_section, section
from app.slack.blocks.format import NAME_LIMIT, safe_text, truncate
from app.slack.ids import ActionId, BlockId, CallbackId

CREATE_NEW = "create"
OPTION_TEXT_LIMIT = 75
MAX_OPTIONS = 100
MAX_LOOK_ALIKES = 9


@dataclass(frozen=True, kw_only=True)
class Alike:
    customer_id: str
    name: str
    email: str
    address: str
    why: str


@dataclass(frozen=True, kw_only=True)
class ActivationModal:
    deal_name: str
    name: str
    email: str
    bill_to: str
    ship_to: str
    tax_status: str
    terms: str | None
    credit_limit: Decimal | None
    currency: str
    terms_options: tuple[str, ...]
    exact: Alike | None
    look_alikes: tuple[Alike, ...]


def activation_modal(modal: ActivationModal, *, private_metadata: str) -> View:
    customer = [("Name", modal.name), ("Email", modal.email or "(none in Salesforce)"),
                ("Bill-to", modal.bill_to or "(none)"), ("Ship-to", modal.ship_to or "(same as bill-to)"),
                ("Tax status", modal.tax_status), ("Terms in Salesforce", modal.terms or "(none)")]
    blocks: list[Block] = [
        section(f"*New customer for {safe_text(modal.deal_name, NAME_LIMIT)}*: approving creates it in QuickBooks "
                "with the terms and credit limit below (adjust them first if needed)."),
        fields_section([(label, safe_text(value, NAME_LIMIT)) for label, value in customer]),
        _terms_input(modal), _credit_limit_input(modal)]
    if modal.exact is not None:
        blocks.append(context(f"QuickBooks already has *{safe_text(modal.exact.name, NAME_LIMIT)}*: approving links "
                              "it; no new customer is made."))
    elif modal.look_alikes:
        blocks.append(_customer_input(modal))
    return View(type="modal", callback_id=CallbackId.CUSTOMER_ACTIVATION.value, private_metadata=private_metadata,
                title=PlainTextObject(text="Activate customer"), submit=PlainTextObject(text="Approve"),
                close=PlainTextObject(text="Cancel"), blocks=blocks)


def activation_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The submitted terms, credit limit (as typed) and customer choice; None where nothing was given."""
    values = (view.get("state") or {}).get("values") or {}

    def element(block: BlockId, action: ActionId) -> dict[str, Any]:
        return (values.get(block.value) or {}).get(action.value) or {}

    terms = element(BlockId.ACTIVATION_TERMS_INPUT, ActionId.ACTIVATION_TERMS).get("selected_option") or {}
    customer = element(BlockId.ACTIVATION_CUSTOMER_INPUT, ActionId.ACTIVATION_CUSTOMER).get("selected_option") or {}
    limit = element(BlockId.ACTIVATION_CREDIT_LIMIT_INPUT, ActionId.ACTIVATION_CREDIT_LIMIT).get("value")
    return {"terms": terms.get("value") or None, "credit_limit": str(limit).strip() if limit else None,
            "customer": customer.get("value") or None,
            "offers_customer": "yes" if BlockId.ACTIVATION_CUSTOMER_INPUT.value in _block_ids(view) else None}


def _terms_input(modal: ActivationModal) -> InputBlock:
    options = [_option(name, name) for name in modal.terms_options[:MAX_OPTIONS]]
    initial = next((option for option in options if option.value == modal.terms), None)
    element = StaticSelectElement(action_id=ActionId.ACTIVATION_TERMS.value, options=options,
                                  placeholder="Payment terms", initial_option=initial)
    return InputBlock(block_id=BlockId.ACTIVATION_TERMS_INPUT.value, label=PlainTextObject(text="Payment terms"),
                      element=element)


def _credit_limit_input(modal: ActivationModal) -> InputBlock:
    initial = f"{modal.credit_limit:.2f}" if modal.credit_limit is not None else None
    element = PlainTextInputElement(action_id=ActionId.ACTIVATION_CREDIT_LIMIT.value, max_length=20,
                                    initial_value=initial, placeholder="50000.00")
    return InputBlock(block_id=BlockId.ACTIVATION_CREDIT_LIMIT_INPUT.value, element=element, optional=True,
                      label=PlainTextObject(text=f"Credit limit ({modal.currency})"),
                      hint=PlainTextObject(text="An amount like 50000.00; left empty, Salesforce's stays."))


def _customer_input(modal: ActivationModal) -> InputBlock:
    options = [_option(alike.customer_id, f"Use this one: {alike.name} ({alike.why})",
                       " · ".join(part for part in (alike.email, alike.address) if part))
               for alike in modal.look_alikes[:MAX_LOOK_ALIKES]]
    options.append(_option(CREATE_NEW, f"Create new: {modal.name}"))
    return InputBlock(block_id=BlockId.ACTIVATION_CUSTOMER_INPUT.value,
                      label=PlainTextObject(text="QuickBooks has customers like this one"),
                      element=RadioButtonsElement(action_id=ActionId.ACTIVATION_CUSTOMER.value, options=options))


def _option(value: str, label: str, description: str = "") -> Option:
    return Option(value=value, text=PlainTextObject(text=truncate(label, OPTION_TEXT_LIMIT)),
                  description=PlainTextObject(text=truncate(description, OPTION_TEXT_LIMIT)) if description else None)


def _block_ids(view: dict[str, Any]) -> set[str]:
    return {str(block.get("block_id")) for block in view.get("blocks") or [] if isinstance(block, dict)}
