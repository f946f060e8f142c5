"""Process-wide logging for the CLI entry points (never at import time).

LEDGERBRIDGE_LOG_FORMAT=text (the default, and always in the demo): one readable line per event.
LEDGERBRIDGE_LOG_FORMAT=json: one JSON object per line with ts, level, logger, message, the deal, approval,
invoice and work-item ids known where it happened (`log_ids`), and the exception when there is one.
Either way a redaction filter replaces every configured secret's value and anything shaped like a Slack token,
a bearer token, a JWT or a `secret=`/`password=`/`token=` value with [REDACTED] before a line is written.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

# These libraries log request headers or bodies (bearer tokens) at DEBUG: keep them quieter than that.
_CHATTY = ("requests_oauthlib", "oauthlib", "urllib3", "slack_sdk", "slack_bolt", "apscheduler", "httpx")
ID_FIELDS = ("deal_id", "approval_id", "invoice_id", "work_item_id", "exception_id")
REDACTED = "[REDACTED]"
SECRET_SHAPES = re.compile(
    r"xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
    r"|(?i:(?:client_secret|secret|password|refresh_token|access_token|token)[\"']?\s*[=:]\s*[\"']?)[^\s&,\"'}]+")
_ids: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar("ledgerbridge_log_ids",
                                                                                    default=())


def current_ids() -> dict[str, Any]:
    return dict(_ids.get())


@contextmanager
def log_ids(**ids: Any) -> Iterator[None]:
    """Every line logged inside names these ids (None values are left out), on top of the outer ones."""
    merged = {**current_ids(), **{key: value for key, value in ids.items() if value is not None}}
    token = _ids.set(tuple(merged.items()))
    try:
        yield
    finally:
        _ids.reset(token)


class RedactSecrets(logging.Filter):
    """Renders each record's message once and scrubs it (the args are dropped: they are in the message)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({value for value in secrets if len(value) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, REDACTED)
        return SECRET_SHAPES.sub(_keep_key, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.scrub(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        known = current_ids()
        for name in ID_FIELDS:
            if not hasattr(record, name) and name in known:
                setattr(record, name, known[name])
        return True


def _keep_key(match: re.Match[str]) -> str:
    text = match.group(0)
    key = re.match(r"(?i)(?:client_secret|secret|password|refresh_token|access_token|token)[\"']?\s*[=:]\s*[\"']?",
                   text)
    if key:
        return key.group(0) + REDACTED
    return "Bearer " + REDACTED if text.lower().startswith("bearer") else REDACTED


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({name: getattr(record, name) for name in ID_FIELDS if getattr(record, name, None) is not None})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{name}={getattr(record, name)}" for name in ID_FIELDS
                       if getattr(record, name, None) is not None)
        return super().format(record) + (f" [{ids}]" if ids else "")


def configure_logging(level: int = logging.INFO, *, log_format: str = "text", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RedactSecrets(secrets))
    logging.basicConfig(level=level, handlers=[handler])
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
