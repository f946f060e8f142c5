"""The Resolve form, opened by the worker when the web process could not tell who may resolve.

The web process opens the form at once when the database says the person may resolve (the item's owner, a
user the policy names, or a fresh snapshot of the role's Slack user group), and refuses at once when a fresh
snapshot says they may not. Otherwise it records `OpenCloseForm` with the click's trigger_id, and this step
reads the user groups (the worker's cached look-ups, which also refresh the snapshot), then opens the form or
tells them why not. A trigger_id lives 3 s: when Slack no longer takes it, the person is asked to click again
(the snapshot is fresh by then, so the web process answers that click by itself).
"""
from __future__ import annotations

from app.db import session_scope
from app.errors import InvalidTransition, VendorValidationError
from app.exception_queue import service
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control, may_act
from app.jobs.exception_access import Refusal, finance_team
from app.jobs.notes import tell_user
from app.runtime import Runtime
from app.slack.blocks.exceptions import close_modal
from app.slack.exception_views import view_of
from app.slack.intents import OpenCloseForm, TellUser, refusal_note

EXPIRED_TRIGGER = frozenset({"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"})
CLICK_AGAIN = ("Slack closed the window for opening the Resolve form of exception {item} while your permission "
               "was checked. Click *Resolve* again: it opens at once now.")


def open_close_form(rt: Runtime, intent: OpenCloseForm) -> None:
    actor, item_id = intent.user_id, intent.item_id
    try:
        finance = finance_team(rt)
        with session_scope(rt.engine) as session:
            service.authorize(session, item_id=item_id, control=Control.RESOLVE, actor=actor, finance=finance)
        view = view_of(rt, item_id)
        if view.status != ExceptionStatus.OPEN:
            raise InvalidTransition(f"Exception {item_id} is already {view.status} by {view.resolved_by or 'someone'}")
    except Refusal as refusal:
        _tell(rt, intent, refusal_note(refusal))
        return
    modal = close_modal(view, private_metadata=intent.private_metadata,
                        may_dismiss=may_act(Control.DISMISS, actor=actor, owner=view.owner_slack_id, finance=finance))
    try:
        rt.slack.open_view(intent.trigger_id, modal)
    except VendorValidationError as refused:
        if refused.code not in EXPIRED_TRIGGER:
            raise
        _tell(rt, intent, CLICK_AGAIN.format(item=item_id))


def _tell(rt: Runtime, intent: OpenCloseForm, text: str) -> None:
    tell_user(rt, TellUser(user_id=intent.user_id, text=text, response_url=intent.response_url))
