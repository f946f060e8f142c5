"""Slack mrkdwn as Slack's client shows it, as safe HTML: bold, italics, strikethrough, code, links, user and
channel mentions by name, date tokens in the reader's own zone, emoji shortcodes as emoji.

Every piece of text is HTML-escaped; markup is added only around escaped text, and only http(s)/mailto links
become hrefs. Slack's own escapes (&amp; &lt; &gt;) are undone first, exactly once.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import emoji

_TOKEN = re.compile(r"<([^<>\n]+)>")
_CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_EMOJI = re.compile(r":([a-z0-9_+\-']+):")
_SAFE_URL = re.compile(r"(https?://|mailto:)[^\s\"'<>]+", re.IGNORECASE)
_HOLE = "\ue000{}\ue001"
_HOLE_RE = re.compile("\ue000(\\d+)\ue001")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


@dataclass(frozen=True)
class Reader:
    """Who reads: their time zone (Slack profile `tz`) and how to name people and channels."""

    tz: str
    user_name: Callable[[str], str]
    channel_name: Callable[[str], str]
    now: datetime | None = None


def shortcodes(text: str) -> str:
    """':warning:' -> the emoji (Slack's names are the common aliases); unknown codes stay as typed."""
    return _EMOJI.sub(lambda match: emoji.emojize(match.group(0), language="alias"), text)


def plain_html(text: str, *, with_emoji: bool = True) -> str:
    """plain_text objects: not parsed as mrkdwn, only emoji shortcodes (when `emoji` is true)."""
    return html.escape(shortcodes(text) if with_emoji else text).replace("\n", "<br>")


def mrkdwn_html(text: str, reader: Reader) -> str:
    holes: list[str] = []

    def hole(rendered: str) -> str:
        holes.append(rendered)
        return _HOLE.format(len(holes) - 1)

    text = _CODE_BLOCK.sub(lambda m: hole(f"<pre>{_escape_slack(m.group(1))}</pre>"), text)
    text = _INLINE_CODE.sub(lambda m: hole(f"<code>{_escape_slack(m.group(1))}</code>"), text)
    text = _TOKEN.sub(lambda m: hole(_token(m.group(1), reader)), text)
    body = html.escape(_unescape_slack(text), quote=False)
    body = _STRIKE.sub(r"<s>\1</s>", _ITALIC.sub(r"<i>\1</i>", _BOLD.sub(r"<b>\1</b>", body)))
    body = shortcodes(body)
    body = "<br>".join(_quote(line) for line in body.split("\n"))
    return _HOLE_RE.sub(lambda m: holes[int(m.group(1))], body)


def _quote(line: str) -> str:
    return f"<blockquote>{line[4:].lstrip()}</blockquote>" if line.startswith("&gt;") else line


def _escape_slack(text: str) -> str:
    return html.escape(_unescape_slack(text))


def _unescape_slack(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(inner: str, reader: Reader) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{html.escape(label or reader.user_name(target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{html.escape(label or reader.channel_name(target[1:]))}</span>'
    if target.startswith("!date^"):
        return _date(target, label, reader)
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        return f'<span class="mention">@{html.escape(label or word)}</span>'
    url = _unescape_slack(target)
    shown = html.escape(shortcodes(_unescape_slack(label or target)))
    if _SAFE_URL.fullmatch(url):
        return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">{shown}</a>'
    return shown


def _date(target: str, fallback: str, reader: Reader) -> str:
    parts = target.split("^")
    try:
        moment = datetime.fromtimestamp(int(parts[1]), UTC)
        zone = ZoneInfo(reader.tz)
    except (IndexError, ValueError, OverflowError, ZoneInfoNotFoundError):
        return html.escape(_unescape_slack(fallback))
    local = moment.astimezone(zone)
    shown = _format_date(parts[2] if len(parts) > 2 else "{date_short_pretty} {time}", local, reader)
    title = f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({reader.tz})"
    return f'<time datetime="{moment.isoformat()}" title="{html.escape(title)}">{html.escape(shown)}</time>'


def _format_date(style: str, local: datetime, reader: Reader) -> str:
    hour = local.hour % 12 or 12
    short = f"{_MONTHS[local.month - 1]} {local.day}, {local.year}"
    long = f"{_LONG_MONTHS[local.month - 1]} {local.day}, {local.year}"
    values = {"date_num": f"{local:%Y-%m-%d}", "date": long, "date_short": short, "date_long": f"{local:%A}, {long}",
              "date_pretty": _pretty(local, reader) or short, "date_short_pretty": _pretty(local, reader) or short,
              "date_long_pretty": _pretty(local, reader) or short,
              "time": f"{hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}",
              "time_secs": f"{hour}:{local:%M:%S} {'AM' if local.hour < 12 else 'PM'}"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), style)


def _pretty(local: datetime, reader: Reader) -> str | None:
    today = (reader.now or datetime.now(UTC)).astimezone(local.tzinfo).date()
    names = {today: "Today", today - timedelta(days=1): "Yesterday", today + timedelta(days=1): "Tomorrow"}
    return names.get(local.date())
