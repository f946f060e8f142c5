"""Faults the Slack emulator can inject into its Web API, for tests of what the app does when Slack fails.

- OUTAGE: the call has no effect and is answered HTTP 503 (Slack down, or unreachable behind its edge).
- LOST_RESPONSE: the call takes effect (a message is stored), but the answer is HTTP 503 all the same:
  the client cannot tell it from an outage, and must look before it tries again.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    OUTAGE = "outage"
    LOST_RESPONSE = "lost_response"


@dataclass
class _Planned:
    fault: Fault
    method: str | None       # None: every method
    remaining: int | None    # None: until cleared


class Faults:
    """Planned faults, taken in order; callers hold the state's lock."""

    def __init__(self) -> None:
        self._planned: list[_Planned] = []

    def add(self, fault: Fault, *, method: str | None = None, times: int | None = 1) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        self._planned.append(_Planned(Fault(fault), method, times))

    def take(self, method: str) -> Fault | None:
        for planned in self._planned:
            if planned.method in (None, method):
                if planned.remaining is not None:
                    planned.remaining -= 1
                    if planned.remaining == 0:
                        self._planned.remove(planned)
                return planned.fault
        return None

    def clear(self) -> None:
        self._planned.clear()
