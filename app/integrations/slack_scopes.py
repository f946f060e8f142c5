"""The one table of which bot scopes each Slack Web API method the app calls needs.

Source: the "Scopes" section of docs.slack.dev/reference/methods/<method>. `tests/test_manifest.py` finds every
method the code calls (by scanning app/) and fails when one is missing here or when manifest.yaml lacks a scope;
`ledgerbridge check --live` compares the token's granted scopes with manifest.yaml. Add a row when you call a
new method.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

METHOD_SCOPES: Mapping[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.update": frozenset(),
    "views.push": frozenset(),
    "conversations.open": frozenset({"im:write"}),              # reminders are sent as DMs
    # SLA pings look for their own earlier post before retrying: in the exceptions channel (public or private)
    # and in people's DMs.
    "conversations.history": frozenset({"channels:history", "groups:history", "im:history"}),
    # check --live: is the bot in every policy channel (public or private)?
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "users.conversations": frozenset({"channels:read", "groups:read"}),
    "users.info": frozenset({"users:read"}),
    "users.lookupByEmail": frozenset({"users:read.email"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "apps.connections.open": frozenset(),                       # Socket Mode: the app-level token's connections:write
}
# Scopes that must be requested together ("users:read.email must be requested at the same time as users:read").
SCOPE_COMPANIONS: Mapping[str, frozenset[str]] = {"users:read.email": frozenset({"users:read"})}
# Not tied to a Web API method: the slash commands themselves.
ALWAYS_NEEDED = frozenset({"commands"})


def scopes_for(methods: Iterable[str]) -> frozenset[str]:
    """Every bot scope the given methods need, with companions; KeyError names a method missing from the table."""
    needed = set(ALWAYS_NEEDED).union(*(METHOD_SCOPES[method] for method in methods))
    for scope in list(needed):
        needed |= SCOPE_COMPANIONS.get(scope, frozenset())
    return frozenset(needed)
