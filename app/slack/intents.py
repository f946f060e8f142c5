"""What a person asked for in Slack, as small typed intents parsed from bolt's bodies by pure functions.

The web process parses a click, a command or a submission into one of these, records it as queued work
(`Intent.payload()`) and acks; the worker reads it back (`Intent.from_payload`) and does the work. An intent
carries only what the worker needs to act and to answer: who, where, the clicked value, the submitted
values. Never a token: Slack's verification token stays out, and so does the trigger_id, except in
`OpenCloseForm` (the worker opens that form with it: it is single-use, lives 3 s and opens a view for that
one click only). A body that lacks what its
control needs parses into a `TellUser` note instead, so the person hears why and nothing changes.
"""
from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict

from app.approvals.models import Decision
from app.exception_queue.models import ExceptionStatus
from app.slack.blocks.exceptions import close_values, item_id_of, parse_page_value
from app.slack.ids import ActionId, BlockId, parse_id
from app.slack.metadata import ActivationMetadata, CloseExceptionMetadata, MetadataError, RejectReasonMetadata
from app.work_queue.kinds import WorkKind

STALE_BUTTON = "This button does not belong to an approval request any more"
ControlKind = Literal["tag", "assign", "retry", "page"]


class BadInput(ValueError):
    """The payload lacks what the control needs (an id, a choice): told to the user, never a crash."""


def refusal_note(reason: object) -> str:
    """How every refusal reads in Slack."""
    return f":no_entry: {reason}. Nothing was changed."


class Intent(BaseModel):
    """`user_id`: who clicked, typed or submitted (and is answered)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    user_id: str

    def payload(self) -> dict[str, Any]:
        """The work item's JSON payload."""
        return self.model_dump(mode="json")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        return cls.model_validate(payload)


class TellUser(Intent):
    """A note to one person: through `response_url` when given, else ephemeral in `channel`, else by DM."""

    text: str
    response_url: str | None = None
    channel: str | None = None


class ActivationValues(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    terms: str | None = None
    credit_limit: str | None = None
    """As typed (checked by the listener before it acked); the worker parses it again."""
    customer: str | None = None


class DecideApproval(Intent):
    """Approve (a click) or reject (the reason modal) one approval request. `channel`/`message_ts` are where the
    click happened: notes go there, and the message is updated there when the request does not know its own."""

    user_name: str | None = None
    request_id: int
    decision: Decision
    comment: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    activation: ActivationValues | None = None
    """A customer activation approved from its modal: the approver's terms, credit limit and customer choice."""


class AnswerInvoiceStatus(Intent):
    query: str
    response_url: str


class AnswerApprovals(Intent):
    everyone: bool
    response_url: str


class AnswerExceptions(Intent):
    """`/exceptions <text>`: a list, help, or `resolve|dismiss <id> <why>`."""

    text: str
    response_url: str


class ClickedMessage(BaseModel):
    """The message a control sits in, so the worker can swap one item's blocks in place."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str | None = None
    ts: str | None = None
    ephemeral: bool = False
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    """None when the body carried no message (then the answer goes through response_url)."""


class ExceptionControl(Intent):
    """Tag cause, Assign, Retry on one exception, or a list page (`query`, `offset`)."""

    control: ControlKind
    response_url: str | None = None
    item_id: int | None = None
    cause: str | None = None
    owner: str | None = None
    query: str = ""
    offset: int = 0
    message: ClickedMessage = ClickedMessage()


class CloseException(Intent):
    """The Resolve modal was submitted: resolve or dismiss, with the note, shown where it was clicked."""

    status: ExceptionStatus
    note: str
    where: CloseExceptionMetadata


class OpenCloseForm(Intent):
    """Resolve was clicked and the web process could not tell from the database whether this person may resolve:
    the worker checks (Slack user groups) and opens the form with `trigger_id`, or tells them why not."""

    item_id: int
    trigger_id: str
    private_metadata: str
    response_url: str | None = None


class PublishHome(Intent):
    """Publish this person's App Home tab."""


class ProposeCorrection(Intent):
    """The correction form was submitted: a credit memo (lines or an amount) or a write-off, with its reason."""

    user_name: str | None = None
    opportunity_id: str
    kind: Literal["lines", "amount", "write_off"]
    line_indexes: list[int] = []
    amount: str | None = None
    reason: str
    root_cause: str | None = None
    channel: str | None = None


# ---- parsing bolt's bodies ----------------------------------------------------------------------------------

def response_url_of(body: dict[str, Any]) -> str | None:
    """The request's response_url, where bolt would find it (a modal's first `response_urls` entry)."""
    url = body.get("response_url")
    if not url:
        urls = body.get("response_urls")
        first = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], dict) else {}
        url = first.get("response_url")
    return url if isinstance(url, str) and url else None


def approval_click(body: dict[str, Any], *, approvals_channel: str) -> DecideApproval | TellUser:
    """An Approve click; a button that names no request becomes a note to the clicker."""
    user_id, user_name = _person(body)
    channel = _text((body.get("channel") or {}).get("id"))
    request_id = clicked_request_id(body)
    if request_id is None:
        return TellUser(user_id=user_id, text=refusal_note(STALE_BUTTON), channel=channel or approvals_channel)
    return DecideApproval(user_id=user_id, user_name=user_name, request_id=request_id, decision=Decision.APPROVED,
                          channel=channel, message_ts=_text((body.get("message") or {}).get("ts")))


def reject_submission(body: dict[str, Any], view: dict[str, Any], reason: str, *,
                      approvals_channel: str) -> DecideApproval | TellUser:
    """The reject-reason modal; metadata we cannot read becomes a note to the submitter."""
    user_id, user_name = _person(body)
    try:
        request_id = RejectReasonMetadata.decode(view.get("private_metadata")).request_id
    except MetadataError as unreadable:
        return TellUser(user_id=user_id, text=refusal_note(unreadable), channel=approvals_channel)
    return DecideApproval(user_id=user_id, user_name=user_name, request_id=request_id, decision=Decision.REJECTED,
                          comment=reason, channel=approvals_channel)


def activation_submission(body: dict[str, Any], view: dict[str, Any], values: dict[str, str | None], *,
                          approvals_channel: str) -> DecideApproval | TellUser:
    """The customer-activation modal: an approval with the approver's terms, credit limit and customer choice."""
    user_id, user_name = _person(body)
    try:
        where = ActivationMetadata.decode(view.get("private_metadata"))
    except MetadataError as unreadable:
        return TellUser(user_id=user_id, text=refusal_note(unreadable), channel=approvals_channel)
    chosen = ActivationValues(terms=values["terms"], credit_limit=values["credit_limit"], customer=values["customer"])
    return DecideApproval(user_id=user_id, user_name=user_name, request_id=where.request_id,
                          decision=Decision.APPROVED, channel=where.channel or approvals_channel,
                          message_ts=where.message_ts, activation=chosen)


def reject_reason(view: dict[str, Any]) -> str:
    values = view.get("state", {}).get("values", {})
    typed = values.get(BlockId.REJECT_REASON_INPUT.value, {}).get(ActionId.REJECT_REASON_TEXT.value, {}).get("value")
    return (typed or "").strip()


def clicked_request_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or [{}]
    return parse_id(actions[0].get("value"))


def invoice_status(command: dict[str, Any], query: str) -> AnswerInvoiceStatus:
    return AnswerInvoiceStatus(user_id=str(command.get("user_id") or ""), query=query,
                               response_url=str(command.get("response_url") or ""))


def approvals_command(command: dict[str, Any]) -> AnswerApprovals:
    return AnswerApprovals(user_id=str(command.get("user_id") or ""),
                           response_url=str(command.get("response_url") or ""),
                           everyone=(command.get("text") or "").strip().lower() == "all")


def exceptions_command(command: dict[str, Any]) -> AnswerExceptions:
    return AnswerExceptions(user_id=str(command.get("user_id") or ""), text=str(command.get("text") or ""),
                            response_url=str(command.get("response_url") or ""))


def exception_control(body: dict[str, Any], control: ControlKind) -> ExceptionControl | TellUser:
    """Tag / Assign / Retry / a page button; input a control cannot use becomes a note through response_url."""
    try:
        return _exception_control(body, control)
    except BadInput as bad:
        return TellUser(user_id=str((body.get("user") or {}).get("id") or ""), text=refusal_note(bad),
                        response_url=response_url_of(body))


def _exception_control(body: dict[str, Any], control: ControlKind) -> ExceptionControl:
    action, actor = action_of(body), actor_of(body)
    common: dict[str, Any] = {"control": control, "user_id": actor, "response_url": response_url_of(body),
                              "message": clicked_message(body)}
    if control == "page":
        query, offset = parse_page_value(str(action.get("value") or ""))
        return ExceptionControl(**common, query=query, offset=offset)
    item_id = clicked_item_id(body)
    if control == "tag":
        option = action.get("selected_option")
        cause = str(option.get("value") or "") if isinstance(option, dict) else ""
        if not cause:
            raise BadInput("Pick a root cause from the list")
        return ExceptionControl(**common, item_id=item_id, cause=cause)
    if control == "assign":
        picked = action.get("selected_user")
        if not (isinstance(picked, str) and picked):
            raise BadInput("Pick the person to assign it to")
        return ExceptionControl(**common, item_id=item_id, owner=picked)
    return ExceptionControl(**common, item_id=item_id)


def close_submission(body: dict[str, Any], view: dict[str, Any]) -> CloseException | TellUser:
    """The Resolve modal; unreadable metadata becomes a note by DM (a modal has no channel of its own)."""
    status, note = close_values(view)
    actor = actor_of(body)
    try:
        where = CloseExceptionMetadata.decode(view.get("private_metadata"))
    except MetadataError as unreadable:
        return TellUser(user_id=actor, text=refusal_note(unreadable))
    return CloseException(user_id=actor, status=status, note=note, where=where)


def clicked_message(body: dict[str, Any]) -> ClickedMessage:
    message = body.get("message") or {}
    container = body.get("container") or {}
    return ClickedMessage(channel=_text(container.get("channel_id")) or _text((body.get("channel") or {}).get("id")),
                          ts=_text(container.get("message_ts")) or _text(message.get("ts")),
                          ephemeral=bool(container.get("is_ephemeral")), text=_text(message.get("text")),
                          blocks=list(message.get("blocks") or []) if message else None)


def action_of(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadInput("This control sent no action")
    return actions[0]


def actor_of(body: dict[str, Any]) -> str:
    actor = str((body.get("user") or {}).get("id") or "")
    if not actor:
        raise BadInput("Slack did not say who clicked")
    return actor


def clicked_item_id(body: dict[str, Any]) -> int:
    action = action_of(body)
    found = item_id_of(action.get("block_id"))
    if found is None:
        found = parse_id(action.get("value"))
    if found is None:
        raise BadInput("This control does not name an exception")
    return found


def _person(body: dict[str, Any]) -> tuple[str, str | None]:
    user = body.get("user") or {}
    return str(user.get("id") or ""), _text(user.get("name")) or _text(user.get("username"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


WORK_KIND: dict[type[Intent], WorkKind] = {
    DecideApproval: WorkKind.DECIDE_APPROVAL, AnswerInvoiceStatus: WorkKind.ANSWER_INVOICE_STATUS,
    AnswerApprovals: WorkKind.ANSWER_APPROVALS, AnswerExceptions: WorkKind.ANSWER_EXCEPTIONS,
    ExceptionControl: WorkKind.EXCEPTION_CONTROL, CloseException: WorkKind.CLOSE_EXCEPTION,
    PublishHome: WorkKind.PUBLISH_HOME, TellUser: WorkKind.TELL_USER,
    ProposeCorrection: WorkKind.PROPOSE_CORRECTION, OpenCloseForm: WorkKind.OPEN_CLOSE_FORM,
}
"""The queued work each intent becomes (the worker's table in app/jobs/interactive.py reads it back)."""
