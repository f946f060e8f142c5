"""Where rotated QuickBooks OAuth tokens live. QBO_REFRESH_TOKEN seeds it once; the store wins after."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class StoredTokens:
    refresh_token: str
    access_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


class TokenStore(Protocol):
    def load(self, realm_id: str) -> StoredTokens | None:
        """The newest tokens for a QuickBooks company, or None before the first refresh."""

    def save(self, realm_id: str, tokens: StoredTokens) -> None:
        """Persist tokens right after every refresh (Intuit may rotate the refresh token on any refresh)."""


class MemoryTokenStore:
    """A TokenStore in memory, for one-off scripts and unit tests of the QuickBooks wrapper."""

    def __init__(self) -> None:
        self._tokens: dict[str, StoredTokens] = {}

    def load(self, realm_id: str) -> StoredTokens | None:
        return self._tokens.get(realm_id)

    def save(self, realm_id: str, tokens: StoredTokens) -> None:
        self._tokens[realm_id] = tokens
