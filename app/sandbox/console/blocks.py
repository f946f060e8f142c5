"""Block Kit as Slack's client draws it, as HTML: header, section (text, fields, accessory), context, divider,
actions (buttons with their primary / danger style, static and user selects, overflow, radio buttons), images,
and modal inputs with their validation errors. Generic: any blocks the app sends, no special cases.

Every interactive element is a small form the console turns into the signed request Slack would send; text goes
through the mrkdwn renderer (escaped); attribute values are escaped with quote=True.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.console.mrkdwn import Reader, mrkdwn_html, plain_html

SELECTS = frozenset({"static_select", "external_select", "users_select", "conversations_select", "channels_select",
                     "overflow", "radio_buttons"})
MULTI_PICKERS = frozenset({"checkboxes", "multi_static_select"})
TEXT_INPUTS = frozenset({"plain_text_input", "number_input", "email_text_input", "url_text_input"})
VALUE_PREFIX = "v|"
"""Modal inputs are posted as "v|<block_id>|<action_id>"."""


@dataclass(frozen=True)
class Where:
    """Where a control sits: a message (channel, ts; ephemeral or not) or a view (modal or Home tab)."""

    kind: str
    channel: str = ""
    ts: str = ""
    view_id: str = ""


@dataclass
class Renderer:
    reader: Reader
    people: Sequence[tuple[str, str]]
    """(Slack id, real name) of everyone a user select offers."""
    acting: str
    page: str
    extra_forms: list[str] = field(default_factory=list)

    def text(self, obj: Any) -> str:
        if not isinstance(obj, dict):
            return ""
        if obj.get("type") == "mrkdwn" and not obj.get("verbatim"):
            return mrkdwn_html(str(obj.get("text", "")), self.reader)
        return plain_html(str(obj.get("text", "")), with_emoji=obj.get("emoji", True) is not False)

    def blocks(self, blocks: Sequence[dict[str, Any]], where: Where, *, errors: dict[str, str] | None = None,
               in_form: bool = False) -> str:
        return "".join(self.block(block, where, errors or {}, in_form) for block in blocks if isinstance(block, dict))

    def block(self, block: dict[str, Any], where: Where, errors: dict[str, str], in_form: bool) -> str:
        kind = block.get("type")
        if kind == "header":
            return f'<div class="bk-header">{self.text(block.get("text"))}</div>'
        if kind == "divider":
            return '<hr class="bk-divider">'
        if kind == "section":
            return self._section(block, where, in_form)
        if kind == "context":
            parts = [self._context_element(element) for element in block.get("elements", [])]
            return f'<div class="bk-context">{" ".join(parts)}</div>'
        if kind == "actions":
            parts = [self.element(element, block, where, in_form) for element in block.get("elements", [])]
            return f'<div class="bk-actions">{"".join(parts)}</div>'
        if kind == "image":
            title = f'<div class="bk-image-title">{self.text(block.get("title"))}</div>' if block.get("title") else ""
            return f'<div class="bk-image">{title}{_image(block)}</div>'
        if kind == "input":
            return self._input(block, errors)
        return f'<div class="bk-unknown">[{html.escape(str(kind))} block]</div>'

    def _section(self, block: dict[str, Any], where: Where, in_form: bool) -> str:
        text = f'<div class="bk-text">{self.text(block["text"])}</div>' if block.get("text") else ""
        fields = "".join(f'<div class="bk-field">{self.text(item)}</div>' for item in block.get("fields", []))
        fields = f'<div class="bk-fields">{fields}</div>' if fields else ""
        accessory = block.get("accessory")
        side = ""
        if isinstance(accessory, dict):
            side = _image(accessory) if accessory.get("type") == "image" else \
                self.element(accessory, block, where, in_form)
            side = f'<div class="bk-accessory">{side}</div>'
        return f'<div class="bk-section"><div class="bk-main">{text}{fields}</div>{side}</div>'

    def _context_element(self, element: dict[str, Any]) -> str:
        if element.get("type") == "image":
            return _image(element, css="bk-context-image")
        return f"<span>{self.text(element)}</span>"

    # ---- interactive elements -------------------------------------------------------------------------------
    def element(self, element: dict[str, Any], block: dict[str, Any], where: Where, in_form: bool) -> str:
        kind = element.get("type")
        if kind == "button":
            return self._button(element, block, where, in_form)
        if kind in SELECTS:
            return self._form(self._select(element, "value", submit=True), element, block, where, in_form, "select")
        return f'<span class="bk-unknown">[{html.escape(str(kind))}]</span>'

    def _button(self, element: dict[str, Any], block: dict[str, Any], where: Where, in_form: bool) -> str:
        style = element.get("style") if element.get("style") in ("primary", "danger") else "default"
        label = self.text(element.get("text"))
        if element.get("url") and str(element["url"]).lower().startswith(("https://", "http://")):
            url = html.escape(str(element["url"]), quote=True)
            return f'<a class="btn {style}" href="{url}" target="_blank" rel="noopener noreferrer">{label}</a>'
        button = f'<button type="submit" class="btn {style}">{label}</button>'
        return self._form(button, element, block, where, in_form, "button")

    def _form(self, control: str, element: dict[str, Any], block: dict[str, Any], where: Where, in_form: bool,
              control_kind: str) -> str:
        hidden = _hidden({"as": self.acting, "page": self.page, "where": where.kind, "channel": where.channel,
                          "ts": where.ts, "view_id": where.view_id, "block_id": str(block.get("block_id", "")),
                          "action_id": str(element.get("action_id", "")), "control": control_kind})
        if not in_form:
            return f'<form method="post" action="act" class="inline">{hidden}{control}</form>'
        form_id = f"f{len(self.extra_forms)}"
        self.extra_forms.append(f'<form method="post" action="act" id="{form_id}">{hidden}</form>')
        return control.replace("<button ", f'<button form="{form_id}" ', 1).replace(
            "<select ", f'<select form="{form_id}" ', 1)

    def _select(self, element: dict[str, Any], name: str, *, submit: bool, value: Any = None) -> str:
        kind = element.get("type")
        name_attr = html.escape(name, quote=True)
        if kind == "radio_buttons":
            return self._radios(element, name_attr)
        chosen = value if value is not None else _initial(element)
        placeholder = self.text(element.get("placeholder")) or ("…" if kind == "overflow" else "Select")
        options = [f'<option value="">{placeholder}</option>']
        for option_value, option_label in self._options(element):
            selected = " selected" if option_value == chosen else ""
            options.append(f'<option value="{html.escape(option_value, quote=True)}"{selected}>{option_label}</option>')
        change = ' onchange="this.form.requestSubmit()"' if submit else ""
        action = html.escape(str(element.get("action_id", "")), quote=True)
        return (f'<select name="{name_attr}" class="bk-select" data-action="{action}"{change}>'
                f'{"".join(options)}</select>')

    def _options(self, element: dict[str, Any]) -> list[tuple[str, str]]:
        if element.get("type") == "users_select":
            return [(user_id, html.escape(name)) for user_id, name in self.people]
        options = list(element.get("options", []))
        for group in element.get("option_groups", []):
            options += group.get("options", [])
        return [(str(option.get("value", "")), self.text(option.get("text"))) for option in options]

    def _radios(self, element: dict[str, Any], name: str) -> str:
        chosen = _initial(element)
        items = []
        for option_value, option_label in self._options(element):
            checked = " checked" if option_value == chosen else ""
            items.append(f'<label class="bk-radio"><input type="radio" name="{name}" '
                         f'value="{html.escape(option_value, quote=True)}"{checked}> {option_label}</label>')
        return "".join(items)

    # ---- modal inputs ---------------------------------------------------------------------------------------
    def _input(self, block: dict[str, Any], errors: dict[str, str]) -> str:
        element = block.get("element") or {}
        block_id, action_id = str(block.get("block_id", "")), str(element.get("action_id", ""))
        name = f"{VALUE_PREFIX}{block_id}|{action_id}"
        optional = ' <span class="optional">(optional)</span>' if block.get("optional") else ""
        label = f'<label class="bk-label">{self.text(block.get("label"))}{optional}</label>'
        control = self._input_control(element, name)
        hint = f'<div class="bk-hint">{self.text(block.get("hint"))}</div>' if block.get("hint") else ""
        error = errors.get(block_id)
        shown_error = f'<div class="bk-error" role="alert">{plain_html(str(error))}</div>' if error else ""
        css = "bk-input has-error" if error else "bk-input"
        data_block = html.escape(block_id, quote=True)
        return f'<div class="{css}" data-block="{data_block}">{label}{control}{shown_error}{hint}</div>'

    def _input_control(self, element: dict[str, Any], name: str) -> str:
        kind = element.get("type")
        name_attr = html.escape(name, quote=True)
        if kind in TEXT_INPUTS:
            initial = html.escape(str(element.get("initial_value", "")))
            placeholder = html.escape(plain_text_of(element.get("placeholder")), quote=True)
            limit = f' maxlength="{int(element["max_length"])}"' if isinstance(element.get("max_length"), int) else ""
            if element.get("multiline"):
                return f'<textarea name="{name_attr}" placeholder="{placeholder}"{limit}>{initial}</textarea>'
            return f'<input type="text" name="{name_attr}" value="{initial}" placeholder="{placeholder}"{limit}>'
        if kind in SELECTS:
            return self._select(element, name, submit=False)
        if kind in MULTI_PICKERS:
            return self._checkboxes(element, name_attr)
        return f'<span class="bk-unknown">[{html.escape(str(kind))}]</span>'

    def _checkboxes(self, element: dict[str, Any], name: str) -> str:
        """Checkboxes (and a multi-select, drawn the same way): each chosen option is posted under the name."""
        chosen = {str(option.get("value", "")) for option in element.get("initial_options") or []
                  if isinstance(option, dict)}
        items = []
        for option_value, option_label in self._options(element):
            checked = " checked" if option_value in chosen else ""
            items.append(f'<label class="bk-radio"><input type="checkbox" name="{name}" '
                         f'value="{html.escape(option_value, quote=True)}"{checked}> {option_label}</label>')
        return "".join(items)


def plain_text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _initial(element: dict[str, Any]) -> str | None:
    if element.get("type") == "users_select":
        return element.get("initial_user")
    option = element.get("initial_option")
    return str(option.get("value")) if isinstance(option, dict) else None


def _image(element: dict[str, Any], css: str = "bk-img") -> str:
    url = str(element.get("image_url", ""))
    if not url.lower().startswith(("https://", "http://")):
        return ""
    return (f'<img class="{css}" src="{html.escape(url, quote=True)}" '
            f'alt="{html.escape(str(element.get("alt_text", "")), quote=True)}">')


def _hidden(fields: dict[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{html.escape(name, quote=True)}" '
                   f'value="{html.escape(value, quote=True)}">' for name, value in fields.items())
