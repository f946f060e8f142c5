"""JSON log lines carry the ids known where they were written, and never a secret (the redaction filter)."""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from app.config import load_settings
from app.logging_setup import JsonFormatter, RedactSecrets, TextFormatter, log_ids

BOT_TOKEN = "xoxb-1234567890-abcdefghijkl"
CLIENT_SECRET = "qbo-client-secret-value-987"
SESSION_SECRET = "session-secret-" + "k" * 40


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    settings = load_settings(slack_bot_token=BOT_TOKEN, qbo_client_secret=CLIENT_SECRET,
                             ledgerbridge_session_secret=SESSION_SECRET, database_url="sqlite://")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(settings.secret_values()))
    logger = logging.getLogger("ledgerbridge.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)


def parsed(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_event_with_the_ids_in_scope(lines: io.StringIO) -> None:
    logger = logging.getLogger("ledgerbridge.test.json")
    with log_ids(work_item_id=41, deal_id=7):
        with log_ids(invoice_id="1042"):
            logger.info("invoice %s created", "1042")
        logger.warning("second line\nwith a newline")
    logger.info("outside")
    first, second, third = parsed(lines)
    assert first["message"] == "invoice 1042 created" and first["level"] == "INFO"
    assert (first["work_item_id"], first["deal_id"], first["invoice_id"]) == (41, 7, "1042")
    assert second["deal_id"] == 7 and "invoice_id" not in second and second["message"].endswith("newline")
    assert "deal_id" not in third and third["logger"] == "ledgerbridge.test.json"


def test_secrets_never_reach_a_line(lines: io.StringIO) -> None:
    logger = logging.getLogger("ledgerbridge.test.json")
    logger.info("calling Slack with %s", BOT_TOKEN)
    logger.info("headers {'Authorization': 'Bearer %s'}", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJVMSJ9.c2lnbmF0dXJl")
    logger.info("posted client_secret=%s&code=abc", CLIENT_SECRET)
    logger.info("a stray token xoxp-999-888-another and the session %s", SESSION_SECRET)
    try:
        raise RuntimeError(f"refresh failed for {CLIENT_SECRET}")
    except RuntimeError:
        logger.exception("QuickBooks said no")
    text = lines.getvalue()
    records = parsed(lines)
    assert len(records) == 5 and "[REDACTED]" in records[0]["message"]
    for secret in (BOT_TOKEN, CLIENT_SECRET, SESSION_SECRET, "xoxp-999-888-another", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in text
    assert "code=abc" in records[2]["message"]                     # what is not secret stays readable
    assert "RuntimeError" in records[4]["exception"] and "QuickBooks said no" == records[4]["message"]


def test_text_lines_are_readable_and_name_the_ids() -> None:
    record = logging.LogRecord("ledgerbridge.jobs", logging.INFO, __file__, 1, "invoice created", None, None)
    record.deal_id = 7
    line = TextFormatter().format(record)
    assert "INFO ledgerbridge.jobs: invoice created [deal_id=7]" in line


def test_a_process_configured_for_json_writes_parsable_lines_without_secrets() -> None:
    """configure_logging as the commands call it, in a fresh interpreter (its own root logger)."""
    script = ("import logging; from app.config import load_settings; from app.logging_setup import configure_logging"
              ", log_ids\n"
              f"s = load_settings(slack_bot_token={BOT_TOKEN!r}, database_url='sqlite://', "
              f"ledgerbridge_log_format='json')\n"
              "configure_logging(log_format=s.ledgerbridge_log_format, secrets=s.secret_values())\n"
              "with log_ids(work_item_id=5, approval_id=9):\n"
              f"    logging.getLogger('app.jobs').warning('Slack refused %s', {BOT_TOKEN!r})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert records == [{"ts": records[0]["ts"], "level": "WARNING", "logger": "app.jobs",
                        "message": "Slack refused [REDACTED]", "approval_id": 9, "work_item_id": 5}]
    assert BOT_TOKEN not in done.stderr
