"""Settings problems in our words: validation errors as sentences, and unknown names with the closest known one.

Pure functions of plain values (field descriptions, variable names): app/config.py feeds them. No message
ever carries a setting's value, so a secret typed into the wrong variable is never echoed.
"""
from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

OUR_PREFIXES = ("LEDGERBRIDGE_", "SLACK_", "SALESFORCE_", "QBO_")
# A name this close to one of ours is a typo of it, whatever its prefix (SLAKC_BOT_TOKEN, DATABSE_URL).
NEAR_MISS = 0.85
# How close a known name must be to be offered for an unknown name that has our prefix.
SUGGESTION = 0.8

# pydantic error type -> what is wrong, said plainly (the field's description then says what is right)
_PROBLEMS = {
    "url_parsing": "is not a URL", "url_syntax_violation": "is not a URL", "url_type": "is not a URL",
    "url_scheme": "is not an http:// or https:// URL", "url_too_long": "is too long for a URL",
    "string_pattern_mismatch": "is not in the expected form",
    "string_too_short": "is too short", "string_too_long": "is too long",
    "int_parsing": "is not a whole number", "int_from_float": "is not a whole number", "int_type": "is not a number",
    "float_parsing": "is not a number", "float_type": "is not a number",
    "greater_than": "is out of range", "greater_than_equal": "is out of range",
    "less_than": "is out of range", "less_than_equal": "is out of range",
    "bool_parsing": "is neither true nor false", "bool_type": "is neither true nor false",
    "enum": "is not one of the allowed values",
    "path_type": "is not a file path",
}


def explain_errors(errors: Iterable[Mapping[str, Any]], descriptions: Mapping[str, str | None]) -> list[str]:
    """One sentence per pydantic error, naming the variable, what is wrong and what a valid value looks like."""
    return [explain_error(error, descriptions) for error in errors]


def explain_error(error: Mapping[str, Any], descriptions: Mapping[str, str | None]) -> str:
    location = error.get("loc") or ()
    field = str(location[0]) if location else ""
    name = field.upper() or "a setting"
    if error.get("type") == "value_error":     # raised by our own validators: already our words
        return f"invalid setting {name}: {error.get('ctx', {}).get('error', 'invalid value')}"
    problem = _PROBLEMS.get(str(error.get("type")), "has a value Ledgerbridge cannot use")
    wanted = descriptions.get(field)
    fix = f"set it to {wanted}" if wanted else "see .env.example for the expected form"
    return f"invalid setting {name}: {problem}; {fix}"


@dataclass(frozen=True)
class TokenKind:
    """A kind of Slack token, told apart by its prefix."""

    variable: str
    prefix: str
    what: str
    where: str          # where the Slack app settings show it


BOT_TOKEN = TokenKind("SLACK_BOT_TOKEN", "xoxb-", "a bot token", "OAuth & Permissions > Bot User OAuth Token")
APP_TOKEN = TokenKind("SLACK_APP_TOKEN", "xapp-", "an app-level token",
                      "Basic Information > App-Level Tokens, scope connections:write")
_OTHER_SLACK_TOKENS = {"xoxp-": "a user token", "xoxe": "a token-rotation token"}


def token_kind_problem(expected: TokenKind, token: str) -> str | None:
    """None when `token` is of the expected kind; otherwise what it is and where it belongs, never its value."""
    if token.startswith(expected.prefix) and not any(char.isspace() for char in token):
        return None
    wanted = f"{expected.variable} takes {expected.what} ({expected.prefix}..., from {expected.where})"
    if any(char.isspace() for char in token):
        return f"contains spaces or a line break: paste the token alone; {wanted}"
    for other in (BOT_TOKEN, APP_TOKEN):
        if token.startswith(other.prefix):
            return f"holds {other.what} ({other.prefix}...), which belongs in {other.variable}; {wanted}"
    for prefix, what in _OTHER_SLACK_TOKENS.items():
        if token.startswith(prefix):
            return f"holds {what} ({prefix}...), which Ledgerbridge does not use; {wanted}"
    return f"is not {expected.what}: it must start with {expected.prefix}; {wanted}"


@dataclass(frozen=True)
class UnknownSetting:
    """A variable that looks meant for Ledgerbridge but is not one of its settings."""

    name: str
    source: str             # "the environment" or the .env file's path
    suggestion: str | None

    def __str__(self) -> str:
        hint = f"did you mean {self.suggestion}?" if self.suggestion else \
            "remove it, or see .env.example for the setting names"
        return f"{self.name} (in {self.source}) is not a Ledgerbridge setting: {hint}"


def find_unknown(names_by_source: Mapping[str, Iterable[str]], known: Collection[str]) -> list[UnknownSetting]:
    """Unknown names with our prefixes, and any name that is a near miss of a known one (case-insensitive)."""
    known_upper = {name.upper() for name in known}
    found: list[UnknownSetting] = []
    for source, names in names_by_source.items():
        for name in sorted(set(names)):
            upper = name.upper()
            if upper in known_upper:
                continue
            if upper.startswith(OUR_PREFIXES):
                found.append(UnknownSetting(name, source, closest(upper, known_upper, cutoff=SUGGESTION)))
            elif suggestion := closest(upper, known_upper, cutoff=NEAR_MISS):
                found.append(UnknownSetting(name, source, suggestion))
    return found


def closest(name: str, known: Collection[str], *, cutoff: float) -> str | None:
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None
