"""How the worker answers the person who clicked or typed: through our Slack wrapper (response_url included)."""
from __future__ import annotations

from collections.abc import Sequence

from app.integrations.slack_api import BlockLike
from app.runtime import Runtime
from app.slack.intents import TellUser


def respond(rt: Runtime, response_url: str | None, *, text: str, blocks: Sequence[BlockLike] | None = None,
            response_type: str | None = None, replace_original: bool | None = None) -> None:
    """Answer through the request's response_url (Slack keeps one for 30 minutes and 5 posts)."""
    if not response_url:
        raise ValueError("this request has no response_url to answer")
    rt.slack.respond(response_url, text=text, blocks=blocks, response_type=response_type,
                     replace_original=replace_original)


def tell_user(rt: Runtime, note: TellUser) -> None:
    """A note to one person: through response_url when there is one, else ephemeral in the channel, else by DM."""
    if note.response_url:
        respond(rt, note.response_url, text=note.text, response_type="ephemeral", replace_original=False)
    elif note.channel:
        rt.slack.post_ephemeral(note.channel, note.user_id, text=note.text)
    else:
        rt.slack.post_message(note.user_id, text=note.text)
