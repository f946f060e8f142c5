"""SlackState: everything the Slack emulator knows, shared by the Web API, the admin API and the Slack side.

All access goes through `lock` (the emulator serves from a uvicorn thread while tests read from theirs).
"""
from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from app.clock import Clock, SystemClock
from app.sandbox.slack.faults import Fault, Faults
from app.sandbox.slack.interactions import ResponseUrlBook, TriggerBook
from app.sandbox.slack.models import CallRecord, Ephemeral, ResponseUrl, SeededUser, StoredMessage
from app.sandbox.slack.rate_limit import DEFAULT_METHOD_LIMITS, METHOD_WINDOW_SECONDS, KeyedLimiter, MethodLimiter
from app.sandbox.slack.scopes import DEFAULT_BOT_SCOPES
from app.sandbox.slack.socket_hub import SocketHub

DEFAULT_BOT_TOKEN = "xoxb-ledgerbridge-sandbox"
DEFAULT_APP_TOKEN = "xapp-1-A0001-ledgerbridge-sandbox"  # app-level: Socket Mode only
DEFAULT_CHANNEL_ID = "C0001"
DEFAULT_CHANNEL_NAME = "general"


class SlackState:
    """One emulated workspace with one installed bot."""

    limiter: KeyedLimiter

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        tokens: Iterable[str] = (DEFAULT_BOT_TOKEN,),
        app_tokens: Iterable[str] = (DEFAULT_APP_TOKEN,),
        team_id: str = "T0001",
        team_domain: str = "ledgerbridge",
        app_id: str = "A0001",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0001",
        post_message_rate: float = 1.0,
        post_message_burst: int = 3,
        retry_after_override: int | None = None,
        base_url: str = "http://127.0.0.1:3000",
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or SystemClock()
        self.team_id, self.team_domain, self.app_id = team_id, team_domain, app_id
        self.bot_user_id, self.bot_id = bot_user_id, bot_id
        self.retry_after_override = retry_after_override
        self.base_url = base_url.rstrip("/")
        self.tokens: set[str] = set(tokens)
        self.revoked_tokens: set[str] = set()
        self.token_scopes: dict[str, frozenset[str]] = {}   # a token not listed has DEFAULT_BOT_SCOPES
        self.app_tokens: set[str] = set(app_tokens)
        self.sockets = SocketHub()  # Socket Mode connections outlive reset(), like tokens
        self.limiter: KeyedLimiter
        self.method_limiter: MethodLimiter
        self.set_rate_limit(rate=post_message_rate, burst=post_message_burst)
        self.set_method_limits(DEFAULT_METHOD_LIMITS)
        self.reset()

    # ---- configuration and seeding -------------------------------------------------------------
    def reset(self) -> None:
        """Forget seeds and activity; tokens and the rate limit settings stay."""
        with self.lock:
            self.users: dict[str, SeededUser] = {}
            self.usergroups: dict[str, list[str]] = {}
            self.channels: dict[str, str] = {DEFAULT_CHANNEL_ID: DEFAULT_CHANNEL_NAME}
            self.private_channels: set[str] = set()
            self.bot_channels: set[str] = {DEFAULT_CHANNEL_ID}    # conversations the bot is a member of
            self.dm_channels: dict[str, str] = {}
            self.calls: list[CallRecord] = []
            self._messages: list[StoredMessage] = []
            self._ephemerals: list[Ephemeral] = []
            self._views: dict[str, dict[str, Any]] = {}
            self._home: dict[str, str] = {}
            self._view_users: dict[str, str] = {}
            self._view_errors: dict[str, dict[str, str]] = {}
            self._last_ts_micros = 0
            self._view_counter = 0
            self.triggers = TriggerBook()
            self.response_urls = ResponseUrlBook()
            self.limiter = KeyedLimiter(rate=self.limiter.rate, burst=self.limiter.burst)
            self.method_limiter = MethodLimiter(self.method_limiter.limits,
                                                window_seconds=self.method_limiter.window_seconds)
            self.faults = Faults()
            self.add_user(self.bot_user_id, "ledgerbridge", real_name="Ledgerbridge", is_bot=True)

    def set_rate_limit(self, *, rate: float, burst: int) -> None:
        with self.lock:
            self.limiter = KeyedLimiter(rate=rate, burst=burst)

    def set_method_limits(self, limits: dict[str, int], *,
                          window_seconds: float = METHOD_WINDOW_SECONDS) -> None:
        """Calls allowed per method in a window (Slack: usergroups.users.list 20/min, users.lookupByEmail 50/min);
        replaces the previous limits and forgets the calls counted so far."""
        with self.lock:
            self.method_limiter = MethodLimiter(limits, window_seconds=window_seconds)

    def set_tokens(self, tokens: Iterable[str]) -> None:
        with self.lock:
            self.tokens = {token for token in tokens if token}
            self.revoked_tokens -= self.tokens

    def set_token_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """The scopes `token` was granted (as if the app had been installed with them)."""
        with self.lock:
            self.token_scopes[token] = frozenset(scopes)

    def scopes_of(self, token: str) -> frozenset[str]:
        with self.lock:
            return self.token_scopes.get(token, DEFAULT_BOT_SCOPES)

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self.tokens.discard(token)
            self.revoked_tokens.add(token)

    def plan_fault(self, fault: Fault, *, method: str | None = None, times: int | None = 1) -> None:
        """The next `times` calls of `method` (any method when None; until cleared when `times` is None) fail."""
        with self.lock:
            self.faults.add(fault, method=method, times=times)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def add_user(self, user_id: str, name: str, **fields: Any) -> SeededUser:
        user = SeededUser.from_dict({"id": user_id, "name": name, **fields})
        with self.lock:
            self.users[user.id] = user
        return user

    def add_usergroup(self, group_id: str, user_ids: Iterable[str]) -> None:
        with self.lock:
            self.usergroups[group_id] = list(user_ids)

    def add_channel(self, channel_id: str, name: str, *, is_private: bool = False, bot_member: bool = True) -> None:
        """A channel; the bot is in it unless `bot_member` is False (then posting there is `not_in_channel`, or
        `channel_not_found` for a private one)."""
        with self.lock:
            self.channels[channel_id] = name.lstrip("#")
            (self.private_channels.add if is_private else self.private_channels.discard)(channel_id)
            self.set_bot_member(channel_id, bot_member)

    def set_bot_member(self, channel_id: str, member: bool) -> None:
        with self.lock:
            (self.bot_channels.add if member else self.bot_channels.discard)(channel_id)

    def channel_kind(self, channel_id: str | None) -> str | None:
        """"public", "private" or "im" for a known conversation, else None."""
        with self.lock:
            if channel_id in self.dm_channels.values():
                return "im"
            if channel_id in self.channels:
                return "private" if channel_id in self.private_channels else "public"
            return None

    # ---- lookups -------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def auth_error(self, token: str | None, *, app_level: bool = False) -> str | None:
        """Why `token` may not call a method; app-level methods take only app tokens, the rest only others."""
        if not token:
            return "not_authed"
        if token in self.revoked_tokens:
            return "token_revoked"
        if app_level:
            if token in self.app_tokens:
                return None
            return "not_allowed_token_type" if token in self.tokens else "invalid_auth"
        if token in self.app_tokens:
            return "not_allowed_token_type"
        return None if token in self.tokens else "invalid_auth"

    def user(self, user_id: str) -> SeededUser | None:
        return self.users.get(user_id)

    def user_by_email(self, email: str) -> SeededUser | None:
        wanted = email.strip().lower()
        return next((u for u in self.users.values() if u.email and u.email.lower() == wanted), None)

    def channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        return self.channels.get(channel_id, channel_id)

    def resolve_channel(self, channel: Any) -> str | None:
        """A channel id, `#name`/name, a DM id or a user id (posting to a user means their DM)."""
        if not isinstance(channel, str) or not channel:
            return None
        with self.lock:
            if channel in self.channels or channel in self.dm_channels.values():
                return channel
            by_name = {name: cid for cid, name in self.channels.items()}
            if channel.lstrip("#") in by_name:
                return by_name[channel.lstrip("#")]
            return self.open_dm(channel) if channel in self.users else None

    def open_dm(self, user_id: str) -> str:
        with self.lock:
            return self.dm_channels.setdefault(user_id, "D" + user_id[1:].rjust(8, "0"))

    # ---- messages ------------------------------------------------------------------------------
    def next_ts(self) -> str:
        """Slack-style "seconds.micros" timestamps, unique and increasing."""
        with self.lock:
            micros = max(int(self.now().timestamp() * 1_000_000), self._last_ts_micros + 100)
            self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def add_message(self, channel: str, *, text: str, blocks: list[dict[str, Any]] | None = None,
                    user: str | None = None, thread_ts: str | None = None,
                    metadata: dict[str, Any] | None = None) -> StoredMessage:
        """Store a message; without `user` it is the bot's own (which chat.update may edit)."""
        with self.lock:
            is_bot = user is None or user == self.bot_user_id
            message = StoredMessage(channel=channel, ts=self.next_ts(), text=text, blocks=list(blocks or []),
                                    user=user or self.bot_user_id, team=self.team_id,
                                    bot_id=self.bot_id if is_bot else None, thread_ts=thread_ts,
                                    metadata=metadata)
            self._messages.append(message)
            return message

    def messages(self, channel: str | None = None) -> list[StoredMessage]:
        with self.lock:
            return [m for m in self._messages if channel is None or m.channel == channel]

    def find_message(self, channel: str, ts: str) -> StoredMessage | None:
        with self.lock:
            return next((m for m in self._messages if m.channel == channel and m.ts == ts), None)

    def delete_message(self, channel: str, ts: str) -> bool:
        with self.lock:
            found = self.find_message(channel, ts)
            if found is not None:
                self._messages.remove(found)
            return found is not None

    def add_ephemeral(self, channel: str, user: str, *, text: str, blocks: list[dict[str, Any]] | None = None,
                      thread_ts: str | None = None) -> Ephemeral:
        with self.lock:
            ephemeral = Ephemeral(channel, user, self.next_ts(), text, list(blocks or []), thread_ts)
            self._ephemerals.append(ephemeral)
            return ephemeral

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self.lock:
            return [e for e in self._ephemerals if user is None or e.user == user]

    def find_ephemeral(self, user: str, channel: str, ts: str) -> Ephemeral | None:
        with self.lock:
            return next((e for e in self._ephemerals if (e.user, e.channel, e.ts) == (user, channel, ts)), None)

    def delete_ephemeral(self, ephemeral: Ephemeral) -> None:
        with self.lock:
            if ephemeral in self._ephemerals:
                self._ephemerals.remove(ephemeral)

    def link_response_url(self, url: str, message_ts: str) -> None:
        """The message a response_url replaces (a slash command's immediate answer, shown as an ephemeral)."""
        with self.lock:
            issued = self.response_urls.get(url.rsplit("/", 1)[-1])
            if issued is not None:
                issued.message_ts = message_ts

    # ---- views ---------------------------------------------------------------------------------
    def new_view_id(self) -> str:
        with self.lock:
            self._view_counter += 1
            return f"V{self._view_counter:08d}"

    def save_view(self, view: dict[str, Any], *, user_id: str) -> dict[str, Any]:
        """Store (or replace) a view shown to `user_id`; a home view becomes that user's Home tab."""
        with self.lock:
            self._views[view["id"]] = copy.deepcopy(view)
            self._view_users[view["id"]] = user_id
            if view.get("type") == "home":
                self._home[user_id] = view["id"]
            return copy.deepcopy(view)

    def view_user(self, view_id: str) -> str | None:
        with self.lock:
            return self._view_users.get(view_id)

    def home_view_id(self, user_id: str) -> str | None:
        with self.lock:
            return self._home.get(user_id)

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found else None

    def view_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = next((v for v in self._views.values() if external_id and v.get("external_id") == external_id), None)
            return copy.deepcopy(found) if found else None

    def close_view(self, view_id: str) -> None:
        with self.lock:
            self._views.pop(view_id, None)
            self._view_errors.pop(view_id, None)

    def set_view_errors(self, view_id: str, errors: dict[str, str]) -> None:
        """What the app answered a submission with (response_action "errors"): Slack shows each under its block."""
        with self.lock:
            self._view_errors[view_id] = {str(block): str(text) for block, text in errors.items()}

    def view_errors(self, view_id: str) -> dict[str, str]:
        with self.lock:
            return dict(self._view_errors.get(view_id, {}))

    def views_of(self, user_id: str) -> list[dict[str, Any]]:
        """The modals open for one user, oldest first."""
        with self.lock:
            return [copy.deepcopy(view) for view_id, view in self._views.items()
                    if view.get("type") == "modal" and self._view_users.get(view_id) == user_id]

    @property
    def views(self) -> list[dict[str, Any]]:
        """Open modals, oldest first."""
        with self.lock:
            return [copy.deepcopy(v) for v in self._views.values() if v.get("type") == "modal"]

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """The published Home tab of each user."""
        with self.lock:
            return {user: copy.deepcopy(self._views[view_id]) for user, view_id in self._home.items()}

    # ---- calls, triggers, response URLs --------------------------------------------------------
    def record_call(self, method: str, params: dict[str, Any], response: dict[str, Any], status: int) -> None:
        with self.lock:
            self.calls.append(CallRecord(method, params, response, status, self.now(), time.monotonic()))

    def calls_to(self, method: str) -> list[CallRecord]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def issue_trigger(self, user_id: str) -> str:
        with self.lock:
            return self.triggers.issue(user_id, self.now())

    def issue_response_url(self, *, user_id: str, channel_id: str, message_ts: str | None = None) -> str:
        with self.lock:
            issued = self.response_urls.issue(user_id=user_id, channel_id=channel_id,
                                              message_ts=message_ts, now=self.now())
            return f"{self.base_url}/_responses/{issued.id}"

    def responses(self, response_url_id: str) -> list[dict[str, Any]]:
        """The JSON bodies the app posted to one response_url (id or full URL)."""
        with self.lock:
            issued = self.response_urls.get(response_url_id.rsplit("/", 1)[-1])
            return [dict(post) for post in issued.posts] if issued else []

    def all_responses(self) -> list[ResponseUrl]:
        with self.lock:
            return [copy.deepcopy(issued) for issued in self.response_urls.all()]
