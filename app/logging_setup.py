"""Process-wide logging for the CLI entry points (never at import time)."""
from __future__ import annotations

import logging

# These libraries log request headers or bodies (bearer tokens) at DEBUG: keep them quieter than that.
_CHATTY = ("requests_oauthlib", "oauthlib", "urllib3", "slack_sdk", "slack_bolt", "apscheduler", "httpx")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
