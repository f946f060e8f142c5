"""What Slack sends us, one strict model per payload type (extra fields allowed: Slack adds fields).

Field rules follow Slack's documented limits (ids and action/block/callback ids up to 255 characters,
private_metadata up to 3000) and what bolt and our listeners read without checking: a field bolt reads
as an object must be an object, an id it matches on must be text. app/slack/envelope.py applies them.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

MAX_ACTIONS = 25                    # an actions block holds at most 25 elements
Id = Annotated[str, StringConstraints(max_length=255)]          # ids, ts, action/block/callback ids
Value = Annotated[str, StringConstraints(max_length=2000)]      # button and option values (Block Kit limit)
Metadata = Annotated[str, StringConstraints(max_length=3000)]   # a view's private_metadata (Block Kit limit)
Url = Annotated[str, StringConstraints(max_length=3000)]
Command = Annotated[str, StringConstraints(pattern=r"^/[^\s/]{1,63}$")]
Blocks = list[dict[str, Any]]


def _id_or_object(value: Any) -> Any:
    """bolt reads `team`, `user`, `channel`, `enterprise` either as an id or as an object's "id"."""
    if value is None or (isinstance(value, str) and len(value) <= 255):
        return value
    if isinstance(value, dict):
        inner = value.get("id")
        if inner is None or (isinstance(inner, str) and len(inner) <= 255):
            return value
    raise PydanticCustomError("id_or_object", "must be an id or an object with a text id")


IdOrObject = Annotated[Any, BeforeValidator(_id_or_object)]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class UserRef(_Shape):
    id: Id
    name: Id | None = None
    username: Id | None = None
    team_id: Id | None = None


class Authorization(_Shape):
    enterprise_id: Id | None = None
    team_id: Id | None = None
    user_id: Id | None = None
    is_bot: bool | None = None
    is_enterprise_install: bool | None = None


class ResponseUrlRef(_Shape):
    response_url: Url
    block_id: Id | None = None
    action_id: Id | None = None
    channel_id: Id | None = None


class Option(_Shape):
    value: Value
    text: dict[str, Any] | None = None


class ElementState(_Shape):
    """One `state.values[block_id][action_id]` entry; what the listeners read from a submitted form."""

    type: Id | None = None
    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_user: Id | None = None
    selected_users: list[Id] | None = None
    selected_channel: Id | None = None
    selected_conversation: Id | None = None
    selected_date: Id | None = None
    selected_time: Id | None = None


class State(_Shape):
    values: dict[Id, dict[Id, ElementState]]


class Message(_Shape):
    ts: Id | None = None
    thread_ts: Id | None = None
    text: str | None = None
    user: Id | None = None
    bot_id: Id | None = None
    blocks: Blocks | None = None


class Container(_Shape):
    type: Id | None = None
    message_ts: Id | None = None
    channel_id: Id | None = None
    view_id: Id | None = None
    thread_ts: Id | None = None
    is_ephemeral: bool | None = None


class View(_Shape):
    id: Id | None = None
    type: Id | None = None
    team_id: Id | None = None
    app_installed_team_id: Id | None = None
    callback_id: Id | None = None
    private_metadata: Metadata | None = None
    external_id: Id | None = None
    hash: Id | None = None
    root_view_id: Id | None = None
    previous_view_id: Id | None = None
    state: State | None = None
    blocks: Blocks | None = None


class SubmittedView(View):
    callback_id: Id
    private_metadata: Metadata
    state: State


class _Fields(_Shape):
    """Fields bolt's extractors read on a payload and, again, on its `event`."""

    team: IdOrObject = None
    enterprise: IdOrObject = None
    user: IdOrObject = None
    channel: IdOrObject = None
    authorizations: list[Authorization] | None = None
    enterprise_id: Id | None = None
    team_id: Id | None = None
    user_id: Id | None = None
    channel_id: Id | None = None
    thread_ts: Id | None = None
    message: Message | None = None
    previous_message: Message | None = None
    item: dict[str, Any] | None = None
    assistant_thread: dict[str, Any] | None = None
    function_execution_id: Id | None = None
    function_data: dict[str, Any] | None = None
    bot_access_token: Id | None = None
    view: View | None = None


class _Payload(_Fields):
    type: Id
    token: Id | None = None
    api_app_id: Id | None = None
    trigger_id: Id | None = None
    response_url: Url | None = None
    response_urls: list[ResponseUrlRef] | None = None
    is_enterprise_install: bool | None = None
    is_ext_shared_channel: bool | None = None


class Event(_Fields):
    type: Id
    event_ts: Id | None = None
    user_team: Id | None = None
    subtype: Id | None = None
    channel_type: Id | None = None
    bot_id: Id | None = None
    inputs: dict[str, Any] | None = None


class AppHomeOpened(Event):
    type: Literal["app_home_opened"]
    user: Id
    tab: Id | None = None


class EventCallback(_Payload):
    type: Literal["event_callback"]
    event: Event
    event_id: Id
    event_time: int | None = None


class UrlVerification(_Payload):
    type: Literal["url_verification"]
    challenge: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class AppRateLimited(_Payload):
    type: Literal["app_rate_limited"]
    minute_rate_limited: int | None = None


class Action(_Shape):
    """bolt matches on action_id; the values a control sends are the listeners' to judge (junk there gets the
    clicker a polite "Nothing was changed" note, not a 400 that Slack would show as an error)."""

    action_id: Id
    block_id: Id | None = None
    type: Id | None = None
    action_ts: Id | None = None


class _Interaction(_Payload):
    user: UserRef


class BlockActions(_Interaction):
    type: Literal["block_actions"]
    actions: Annotated[list[Action], Field(min_length=1, max_length=MAX_ACTIONS)]
    container: Container | None = None
    state: State | None = None


class ViewSubmission(_Interaction):
    type: Literal["view_submission"]
    view: SubmittedView


class ViewClosed(_Interaction):
    type: Literal["view_closed"]
    view: SubmittedView
    is_cleared: bool | None = None


class Shortcut(_Interaction):
    type: Literal["shortcut", "message_action"]
    callback_id: Id


class BlockSuggestion(_Interaction):
    type: Literal["block_suggestion"]
    action_id: Id
    block_id: Id | None = None
    value: str | None = None


class LegacyInteraction(_Payload):
    """Attachments' buttons, dialogs and workflow-step edits: bolt matches them on callback_id."""

    type: Literal["interactive_message", "dialog_submission", "dialog_cancellation", "dialog_suggestion",
                  "workflow_step_edit"]
    callback_id: Id
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_ACTIONS)] | None = None
    submission: dict[str, Any] | None = None


class SlashCommandForm(_Shape):
    command: Command
    user_id: Id
    text: str = ""
    team_id: Id | None = None
    channel_id: Id | None = None
    enterprise_id: Id | None = None
    response_url: Url | None = None
    trigger_id: Id | None = None


PAYLOADS: dict[str, type[_Payload]] = {
    "event_callback": EventCallback, "url_verification": UrlVerification, "app_rate_limited": AppRateLimited,
    "block_actions": BlockActions, "view_submission": ViewSubmission, "view_closed": ViewClosed,
    "shortcut": Shortcut, "message_action": Shortcut, "block_suggestion": BlockSuggestion,
    **{kind: LegacyInteraction for kind in ("interactive_message", "dialog_submission", "dialog_cancellation",
                                             "dialog_suggestion", "workflow_step_edit")},
}
EVENTS: dict[str, type[Event]] = {"app_home_opened": AppHomeOpened}
# Keys bolt and the listeners read as objects or lists: a form-encoded body can only carry text.
OBJECT_KEYS = frozenset({"type", "event", "actions", "view", "message", "previous_message", "authorizations",
                         "response_urls", "item", "assistant_thread", "function_data", "container", "state"})
