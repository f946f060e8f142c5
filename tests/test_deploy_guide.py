"""docs/deploy.md stays true: every setting it documents exists and every setting is documented; every
`ledgerbridge ...` command it (or a file under docs/deploy/) names parses as written."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from app.cli import COMMANDS, build_parser
from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "deploy.md"
SETTING = re.compile(r"\b(DATABASE_URL|(?:SLACK|SALESFORCE|QBO|LEDGERBRIDGE)_[A-Z0-9_]+)\b")
CODE = re.compile(r"```\w*\n(.*?)```|`([^`\n]+)`", re.S)
COMMAND = re.compile(r"(?:^|[\s:]|bin/)ledgerbridge ([a-z][^\n|&;()]*)", re.M)
PLACEHOLDER = re.compile(r"<[^>]*>")


def _texts() -> dict[str, str]:
    files = [GUIDE, *sorted((ROOT / "docs" / "deploy").iterdir())]
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in files}


def test_the_readme_links_the_guide() -> None:
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_and_every_documented_one_exists() -> None:
    documented = set(SETTING.findall(GUIDE.read_text(encoding="utf-8")))
    settings = {name.upper() for name in Settings.model_fields}
    assert documented - settings == set(), "named in docs/deploy.md but not a setting"
    assert settings - documented == set(), "a setting docs/deploy.md does not document"


def _named_commands() -> list[tuple[str, list[str]]]:
    """`ledgerbridge ...` in code (`spans`, fenced blocks, the unit and Procfile lines), a `<placeholder>` one word."""
    named = []
    for where, text in _texts().items():
        code = "\n".join(block or span for block, span in CODE.findall(text)) if where.endswith(".md") else text
        for match in COMMAND.finditer(code):
            line = PLACEHOLDER.sub("PLACEHOLDER", match.group(1).replace("$PORT", "8000"))
            words = shlex.split(line.split("#", 1)[0])
            if words:
                named.append((where, words))
    return named


def test_the_guide_names_commands() -> None:
    names = {words[0] for _, words in _named_commands()}
    assert {"web", "worker", "db", "qbo", "check", "serve"} <= names


@pytest.mark.parametrize(("where", "words"), _named_commands(), ids=lambda value: " ".join(value)
                         if isinstance(value, list) else value)
def test_every_named_command_parses(where: str, words: list[str]) -> None:
    assert words[0] in COMMANDS, f"{where}: ledgerbridge {words[0]} is not a command"
    args = build_parser(words[0]).parse_args(words)
    assert args.command == words[0]
