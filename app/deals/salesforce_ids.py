"""Salesforce record ids: 15 case-sensitive characters, plus a 3-character suffix that encodes their case.

The 18-character form exists so that ids survive case-insensitive systems: each suffix character says
which of five characters are capitals. So an 18-character id names one record whatever case it was
typed in, while two 15-character ids that differ only in case are two different records.
"""
from __future__ import annotations

import re

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def case_suffix(id15: str) -> str:
    """The checksum: one character per five, bit i set when character i is a capital A-Z."""
    return "".join(SUFFIX_ALPHABET[sum(1 << i for i, char in enumerate(id15[start:start + 5]) if "A" <= char <= "Z")]
                   for start in (0, 5, 10))


def canonical_id(text: str) -> str | None:
    """The 18-character id, in the case it encodes; None when `text` is not an id (never a guess)."""
    if not _ID.fullmatch(text):
        return None
    if len(text) == 15:
        return text + case_suffix(text)
    suffix = text[15:].upper()
    if any(char not in SUFFIX_ALPHABET for char in suffix):
        return None
    chars = list(text[:15])
    for chunk, code in enumerate(suffix):
        capitals = SUFFIX_ALPHABET.index(code)
        for offset in range(5):
            position, char = chunk * 5 + offset, chars[chunk * 5 + offset]
            if capitals >> offset & 1:
                if not char.isalpha():
                    return None             # the suffix marks a capital where there is a digit
                chars[position] = char.upper()
            else:
                chars[position] = char.lower()
    return "".join(chars) + suffix
