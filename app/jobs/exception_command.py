"""`/exceptions [mine | all | <root cause>]`, and `/exceptions resolve|dismiss <id> <why>`: answered by the worker
through the command's response_url (the web process recorded the command and acked)."""
from __future__ import annotations

from typing import Any

from app.db import session_scope
from app.exception_queue import queries, service
from app.exception_queue.digest import PAGE_SIZE, page_bounds
from app.exception_queue.models import ExceptionStatus
from app.exception_queue.permissions import Control
from app.jobs.exception_access import Refusal, finance_team
from app.policy import normalize_name
from app.runtime import Runtime
from app.slack.blocks.common import to_dicts
from app.slack.blocks.exceptions import exceptions_list_blocks, exceptions_usage_text
from app.slack.exception_views import record_link, render_item
from app.slack.ids import SlashCommand, parse_id
from app.slack.intents import AnswerExceptions, refusal_note


def answer_exceptions(rt: Runtime, intent: AnswerExceptions) -> None:
    reply = command_reply(rt, user_id=intent.user_id, text=intent.text)
    rt.slack.respond(intent.response_url, **reply, replace_original=True)


def command_reply(rt: Runtime, *, user_id: str, text: str) -> dict[str, Any]:
    words = text.split()
    verb = words[0].lower() if words else "all"
    if verb in ("resolve", "dismiss"):
        return _close_command(rt, user_id=user_id, verb=verb, words=words[1:])
    if verb in ("help", "?"):
        return _note(exceptions_usage_text([cause.key for cause in rt.policy.root_causes]))
    return list_reply(rt, user_id=user_id, query=" ".join(words), offset=0)


def list_reply(rt: Runtime, *, user_id: str, query: str, offset: int) -> dict[str, Any]:
    filter_, title = _filter(rt, user_id=user_id, query=query)
    if filter_ is None:
        return _note(f"`{query[:80]}` is neither `mine`, `all` nor a root cause.\n"
                     + exceptions_usage_text([cause.key for cause in rt.policy.root_causes]))
    now = rt.clock.now()
    with session_scope(rt.engine) as session:
        total = queries.count_open(session, filter_=filter_)
        start, previous, following = page_bounds(total, offset, PAGE_SIZE)
        rows = queries.page_rows(session, filter_=filter_, offset=start, limit=PAGE_SIZE)
        views = queries.views(rows, now=now, policy=rt.policy, record_link=record_link(rt))
    blocks = exceptions_list_blocks(views, title=title, total=total, offset=start, previous=previous,
                                    following=following, query=query, policy=rt.policy, tz=rt.policy.zone, now=now)
    return {"text": f"{title}: {total} open", "blocks": to_dicts(blocks), "response_type": "ephemeral"}


def _filter(rt: Runtime, *, user_id: str, query: str) -> tuple[queries.Filter | None, str]:
    wanted = normalize_name(query)
    if wanted in ("", "all"):
        return queries.Filter(), "Open exceptions"
    if wanted == "mine":
        return queries.Filter(owner=user_id), "Your open exceptions"
    for cause in rt.policy.root_causes:
        if wanted in (normalize_name(cause.key), normalize_name(cause.label)):
            return queries.Filter(cause=cause.key), f"Open exceptions caused by: {cause.label}"
    return None, ""


def _close_command(rt: Runtime, *, user_id: str, verb: str, words: list[str]) -> dict[str, Any]:
    item_id = parse_id(words[0]) if words else None
    if item_id is None:
        return _note(f"Usage: `{SlashCommand.EXCEPTIONS.value} {verb} <id> <why>` (the id is the #number).")
    why = " ".join(words[1:])
    status = ExceptionStatus.RESOLVED if verb == "resolve" else ExceptionStatus.DISMISSED
    control = Control.RESOLVE if verb == "resolve" else Control.DISMISS
    try:
        finance = finance_team(rt)
        with session_scope(rt.engine) as session:
            service.authorize(session, item_id=item_id, control=control, actor=user_id, finance=finance)
            service.close(session, item_id=item_id, status=status, actor=user_id, note=why or None, clock=rt.clock)
    except Refusal as refusal:
        return _note(refusal_note(refusal))
    return {**_note(f"Exception #{item_id} {status.value}."), "blocks": render_item(rt, item_id).blocks}


def _note(text: str) -> dict[str, Any]:
    return {"text": text, "response_type": "ephemeral"}
