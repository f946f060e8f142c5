"""The readiness report as one Slack message (pure): a header, each section's notes, and its tables as aligned
text in code blocks. Long tables are cut to their first rows; the CSV or HTML file has them all."""
from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock

from app.golive.readiness_render import text_table
from app.golive.readiness_sections import Section, Table
from app.slack.blocks.common import header, section
from app.slack.blocks.format import SECTION_TEXT_LIMIT, escape

MAX_TABLE_ROWS = 12
MAX_BLOCKS = 50


def readiness_blocks(title: str, sections: Sequence[Section]) -> list[Block]:
    blocks: list[Block] = [header(title)]
    for part in sections:
        blocks += [DividerBlock(), section(f"*{escape(part.title)}*\n" + "\n".join(escape(n) for n in part.notes))]
        blocks += [section(_table_text(table)) for table in part.tables if table.rows]
    return blocks[:MAX_BLOCKS]


def _table_text(table: Table) -> str:
    shown = Table(table.title, table.headers, table.rows[:MAX_TABLE_ROWS])
    more = len(table.rows) - len(shown.rows)
    lines = text_table(shown) + ([f"  ... and {more} more (the CSV or HTML report lists them all)"] if more else [])
    text = f"_{escape(table.title)}_\n```" + escape("\n".join(lines)) + "```"
    return text if len(text) <= SECTION_TEXT_LIMIT else text[:SECTION_TEXT_LIMIT - 4] + "…```"
