"""SOQL tokenizer: text in, a list of tokens out (pure)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from app.sandbox.salesforce.soql_ast import malformed

ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f",
            "%": "%", "_": "_"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?![\w.]))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),.])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | number | date | datetime | op | punct | eof
    text: str
    value: object = None
    position: int = 0

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise malformed(f"unexpected token: '{text[position:].split()[0]}'")
        kind = match.lastgroup or ""
        if kind == "string":
            token, position = _read_string(text, position)
            tokens.append(token)
            continue
        if kind != "ws":
            tokens.append(_make(kind, match.group(), match.start()))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", None, len(text)))
    return tokens


def _make(kind: str, raw: str, position: int) -> Token:
    if kind == "number":
        return Token(kind, raw, Decimal(raw), position)
    if kind == "date":
        return Token(kind, raw, _parse_date(raw), position)
    if kind == "datetime":
        return Token(kind, raw, parse_datetime_literal(raw), position)
    return Token(kind, raw, raw, position)


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise malformed(f"line 1:0 no viable alternative at character '{raw}'") from None


def parse_datetime_literal(raw: str) -> datetime:
    """2024-05-01T00:00:00Z, ...+01:00, ...+0100, with optional fractional seconds -> aware UTC."""
    normalized = raw[:-1] + "+00:00" if raw.endswith("Z") else raw
    if re.search(r"[+-]\d{4}$", normalized):
        normalized = normalized[:-2] + ":" + normalized[-2:]
    head, _, fraction_and_zone = normalized.partition(".")
    if fraction_and_zone:
        digits = re.match(r"\d+", fraction_and_zone).group()  # type: ignore[union-attr]
        normalized = f"{head}.{digits[:6].ljust(6, '0')}{fraction_and_zone[len(digits):]}"
    try:
        return datetime.fromisoformat(normalized).astimezone(UTC)
    except ValueError:
        raise malformed(f"line 1:0 no viable alternative at character '{raw}'") from None


def _read_string(text: str, start: int) -> tuple[Token, int]:
    """Read a quoted literal; value has escapes decoded, text keeps them (LIKE needs \\% and \\_)."""
    chars: list[str] = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "'":
            raw = text[start + 1:position]
            return Token("string", raw, "".join(chars), start), position + 1
        if char == "\\":
            escaped = text[position + 1:position + 2]
            if escaped not in ESCAPES:
                raise malformed(f"Invalid string literal '{text[start:position + 2]}'. "
                                "Illegal escape sequence")
            chars.append(ESCAPES[escaped])
            position += 2
            continue
        chars.append(char)
        position += 1
    raise malformed(f"line 1:{start} mismatched character '<EOF>' expecting '''")
