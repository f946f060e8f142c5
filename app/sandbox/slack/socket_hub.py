"""SocketHub: the emulator's Socket Mode connections, tickets and the acks the app sends back.

The WebSocket endpoint runs on the emulator's event loop (a uvicorn thread); the Slack side calls `deliver`
from any other thread. Each connection keeps the loop it was opened on, so sends are scheduled onto that loop
with `run_coroutine_threadsafe`, and acks come back through thread-safe `concurrent.futures.Future`s.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol


class TextSocket(Protocol):
    async def send_text(self, data: str) -> None: ...


class NoLiveSocket(LookupError):
    """Nothing is connected: the app never called apps.connections.open, or its socket closed."""


class AckTimeout(TimeoutError):
    """The app did not ack the envelope in time (Slack waits 3 s)."""


@dataclass
class SocketConnection:
    """One app-side WebSocket as the emulator saw it."""

    id: str
    websocket: TextSocket = field(repr=False)
    loop: asyncio.AbstractEventLoop = field(repr=False)
    opened_at: float
    close_code: int | None = None
    closed: bool = False
    received: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ack:
    """What the app sent back for one envelope."""

    envelope_id: str
    raw: str
    message: dict[str, Any]
    elapsed: float

    @property
    def payload(self) -> Any:
        return self.message.get("payload")


class SocketHub:
    """Single-use tickets, live connections and pending envelopes; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[SocketConnection] = []
        self._pending: dict[str, Future[tuple[str, dict[str, Any]]]] = {}
        self._ids = itertools.count(1)
        self._turn = itertools.count()
        self.stray_messages: list[str] = []

    # ---- tickets and connections ---------------------------------------------------------------
    def issue_ticket(self) -> str:
        with self._lock:
            ticket = secrets.token_hex(16)
            self._tickets.add(ticket)
            return ticket

    def redeem(self, ticket: str) -> bool:
        """A ticket opens one socket, once."""
        with self._lock:
            if ticket not in self._tickets:
                return False
            self._tickets.discard(ticket)
            return True

    def open(self, websocket: TextSocket, loop: asyncio.AbstractEventLoop) -> SocketConnection:
        with self._lock:
            connection = SocketConnection(f"sock-{next(self._ids)}", websocket, loop, time.time())
            self._connections.append(connection)
            self._lock.notify_all()
            return connection

    def close(self, connection: SocketConnection, code: int | None) -> None:
        with self._lock:
            connection.closed, connection.close_code = True, code
            self._lock.notify_all()

    @property
    def connections(self) -> list[SocketConnection]:
        """Every socket ever opened, oldest first (closed ones have `closed` set)."""
        with self._lock:
            return list(self._connections)

    def live(self) -> list[SocketConnection]:
        with self._lock:
            return [c for c in self._connections if not c.closed]

    def wait_for(self, *, live: int = 1, timeout: float = 5.0) -> list[SocketConnection]:
        """Block until exactly `live` sockets are open (apps connect and close on their own schedule)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.live()) == live, timeout=timeout):
                raise NoLiveSocket(f"{len(self.live())} live socket(s) after {timeout}s, wanted {live}")
            return self.live()

    # ---- messages from the app -----------------------------------------------------------------
    def received(self, connection: SocketConnection, raw: str) -> None:
        """A text frame from the app: an ack resolves its envelope; anything else is kept as stray."""
        with self._lock:
            connection.received.append(raw)
            message = _json_object(raw)
            envelope_id = message.get("envelope_id") if message else None
            waiting = self._pending.pop(envelope_id, None) if isinstance(envelope_id, str) else None
            if waiting is None:
                self.stray_messages.append(raw)
        if waiting is not None and message is not None:
            waiting.set_result((raw, message))

    # ---- messages to the app -------------------------------------------------------------------
    def deliver(self, envelope: dict[str, Any], *, timeout: float = 3.0) -> Ack:
        """Send an envelope to one live socket (round robin, like Slack) and wait for its ack."""
        envelope_id = envelope["envelope_id"]
        connection = self._next_live()
        waiting: Future[tuple[str, dict[str, Any]]] = Future()
        with self._lock:
            self._pending[envelope_id] = waiting
        started = time.monotonic()
        try:
            self.send(connection, envelope, timeout=timeout)
            raw, message = waiting.result(timeout=max(0.0, timeout - (time.monotonic() - started)))
        except FutureTimeout:
            raise AckTimeout(f"no ack for envelope {envelope_id} within {timeout}s") from None
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)
        return Ack(envelope_id, raw, message, time.monotonic() - started)

    def send(self, connection: SocketConnection, message: dict[str, Any], *, timeout: float = 3.0) -> None:
        """Write one JSON text frame on the connection's own event loop (never call from that loop)."""
        sent = asyncio.run_coroutine_threadsafe(connection.websocket.send_text(json.dumps(message)),
                                                connection.loop)
        try:
            sent.result(timeout=timeout)
        except FutureTimeout:
            sent.cancel()
            raise AckTimeout(f"could not write to {connection.id} within {timeout}s") from None
        except Exception as error:  # the socket closed under us: the app went away
            raise NoLiveSocket(f"{connection.id} is gone: {error!r}") from error

    def disconnect(self, reason: str = "refresh_requested") -> int:
        """Slack's `disconnect` message to every live socket; a well-behaved client reconnects."""
        targets = self.live()
        for connection in targets:
            self.send(connection, {"type": "disconnect", "reason": reason,
                                   "debug_info": {"host": "applink-sandbox"}})
        return len(targets)

    def _next_live(self) -> SocketConnection:
        live = self.live()
        if not live:
            raise NoLiveSocket("no live Socket Mode connection: did the app call apps.connections.open?")
        return live[next(self._turn) % len(live)]


def _json_object(raw: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None
    return decoded if isinstance(decoded, dict) else None
