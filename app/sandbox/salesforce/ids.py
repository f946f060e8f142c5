"""Salesforce-like record ids: 15 case-sensitive characters plus the 3-character case checksum."""
from __future__ import annotations

import re

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_PATTERN = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


def checksum(id15: str) -> str:
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(id15[chunk * 5:chunk * 5 + 5]) if "A" <= char <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return suffix


def make_id(key_prefix: str, number: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    id15 = f"{key_prefix}Lb{digits.rjust(10, '0')}"
    return id15 + checksum(id15)


def to_18(record_id: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when it is not id-shaped."""
    if not ID_PATTERN.match(record_id):
        return None
    return record_id if len(record_id) == 18 else record_id + checksum(record_id)
