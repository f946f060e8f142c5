"""Text formatting for Block Kit: money, times, mentions, links, escaping and Block Kit length limits.

Times people read in Slack go through `slack_time` (Slack's own date formatting: each reader sees their zone);
people through `mention` (`<@U…>`, which Slack shows as their name). Pages and exports use `zoned_text` with the
viewer's zone (Slack users.info `tz`), the zone named.

Everything a user or a vendor typed (deal names, reasons, comments) goes through `safe_text` (escape, then
truncate) before it lands in mrkdwn, so `<!channel>`, `<@U…>` or `<http://evil|click>` in a deal name shows
as literal text. plain_text objects (headers, button labels, modal titles) are not parsed by Slack, so
they only need `truncate`.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, localcontext

from app.clock import zoned_text as zoned_text  # pages and exports (lives in app.clock so the dashboard may use it)

SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
CONTEXT_TEXT_LIMIT = 2000
MODAL_TITLE_LIMIT = 24
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
NAME_LIMIT = 200
SLACK_DATE_STYLE = "{date_short_pretty} {time}"
"""Slack's date formatting tokens: 'Nov 26, 2026 9:05 AM' (or 'Today 9:05 AM') in the reader's own zone."""

ELLIPSIS = "…"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_SAFE_URL = re.compile(r"https?://[^\s<>|\"]+")
_CENT = Decimal("0.01")


def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    if limit < 1:
        raise ValueError(f"truncate limit must be at least 1, got {limit}")
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS


def safe_text(text: str, limit: int) -> str:
    """Escape for mrkdwn and fit in `limit` characters without splitting an `&amp;`-style entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = truncate(escaped, limit)[:-1]
    amp = cut.rfind("&", max(0, len(cut) - 4))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS


def money(amount: Decimal, currency: str = "USD") -> str:
    """'$12,500.00' from a Decimal, rounded half up to cents. Floats are refused: they are not money."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money() needs a Decimal, got {type(amount).__name__}: {amount!r}")
    if not amount.is_finite():
        raise ValueError(f"money() needs a finite amount, got {amount}")
    if not _CURRENCY_CODE.fullmatch(currency):
        raise ValueError(f"currency must be a 3-letter ISO code like 'USD', got {currency!r}")
    with localcontext() as ctx:
        ctx.prec = max(28, len(amount.as_tuple().digits) + 4)
        cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
        sign = "-" if cents < 0 else ""
        number = f"{abs(cents):,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"time must be timezone-aware (UTC in storage), got naive {moment.isoformat()}")


def when(moment: datetime, tz: tzinfo) -> str:
    """'26 Nov 2026 09:05 EST': an aware time shown in the reader's zone."""
    _require_aware(moment)
    local = moment.astimezone(tz)
    return f"{local.day:02d} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} {local.tzname()}"


def utc_text(moment: datetime) -> str:
    """'2026-11-26 14:05 UTC': plain text, for where Slack's date formatting does not apply (plain_text, logs)."""
    _require_aware(moment)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def slack_time(moment: datetime, *, style: str = SLACK_DATE_STYLE) -> str:
    """'<!date^1795701900^{date_short_pretty} {time}|2026-11-26 14:05 UTC>' (mrkdwn only).

    Slack renders the token in each reader's own time zone (their profile setting), so one channel message
    shows every reader their local time; a client that cannot render it shows the UTC fallback."""
    _require_aware(moment)
    return f"<!date^{int(moment.timestamp())}^{style}|{utc_text(moment)}>"


def when_utc(moment: datetime) -> str:
    """A time in a message many readers in different zones share: Slack shows it in each reader's zone."""
    return slack_time(moment)


def day(value: date) -> str:
    """'26 Dec 2026' for calendar dates (due dates have no time zone)."""
    return f"{value.day:02d} {_MONTHS[value.month - 1]} {value.year}"


def age(elapsed: timedelta) -> str:
    """Compact age of a pending item: '3d 4h', '5h 10m', '12m', 'just now'."""
    minutes = max(0, int(elapsed.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m" if mins else "just now"


def mention(slack_id: str | None, fallback_name: str) -> str:
    """'<@U123>' when we know a well-formed Slack user id, else the escaped display name."""
    if slack_id and _SLACK_USER_ID.fullmatch(slack_id):
        return f"<@{slack_id}>"
    return safe_text(fallback_name.strip(), NAME_LIMIT) or "unknown user"


def link(url: str | None, label: str, limit: int = NAME_LIMIT) -> str:
    """mrkdwn link '<url|label>'; a missing or odd-looking URL degrades to the escaped label alone."""
    text = safe_text(label, limit)
    if url and len(url) <= 1000 and _SAFE_URL.fullmatch(url):
        return f"<{escape(url)}|{text}>"
    return text


def join_within(lines: Sequence[str], limit: int, *, max_lines: int | None = None) -> str:
    """Join already-safe lines with newlines; when they do not fit, end with '…and N more'."""
    cap = len(lines) if max_lines is None else max_lines
    whole = "\n".join(lines)
    if len(lines) <= cap and len(whole) <= limit:
        return whole
    kept: list[str] = []
    used = 0
    for line in lines[:cap]:
        more = f"\n…and {len(lines) - len(kept) - 1} more"
        cost = len(line) + (1 if kept else 0)
        if used + cost + len(more) > limit:
            break
        kept.append(line)
        used += cost
    kept.append(f"…and {len(lines) - len(kept)} more")
    return truncate("\n".join(kept), limit)
