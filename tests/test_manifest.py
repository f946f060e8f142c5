"""Repository config files people copy as is: the Slack app manifest and .env.example."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from app.config import Settings, load_settings
from app.integrations.slack_scopes import METHOD_SCOPES, scopes_for
from app.sandbox.slack.scopes import DEFAULT_BOT_SCOPES
from app.slack.ids import SlashCommand

ROOT = Path(__file__).resolve().parents[1]
REQUEST_URL = "https://ledgerbridge.example.com/slack/events"

SLACK_FAMILIES = ("admin", "apps", "auth", "bookmarks", "bots", "calls", "chat", "conversations", "dialog", "dnd",
                  "emoji", "files", "functions", "pins", "reactions", "reminders", "search", "stars", "team",
                  "usergroups", "users", "views", "workflows")
_FAMILIES = "|".join(SLACK_FAMILIES)
# "chat.update" as a string (slack_errors("chat.update"), api_call("chat.update")), or a slack_sdk client method
# call such as `.chat_update(` or `.usergroups_users_list(` on any client object (WebClient, AsyncWebClient).
_QUOTED_METHOD = re.compile(rf"[\"']((?:{_FAMILIES})\.[A-Za-z]+(?:\.[A-Za-z]+)*)[\"']")
_CLIENT_CALL = re.compile(rf"\.((?:{_FAMILIES})_[A-Za-z]+(?:_[A-Za-z]+)*)\(")
# The scope table itself names every method it knows: it is the reference, not a caller.
NOT_CALLERS = ("sandbox", "slack_scopes.py")


def methods_in(source: str) -> set[str]:
    return set(_QUOTED_METHOD.findall(source)) | {call.replace("_", ".") for call in _CLIENT_CALL.findall(source)}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))


def methods_called_by_the_app() -> set[str]:
    """Slack Web API methods named anywhere in app/ outside the emulators and the scope table."""
    found: set[str] = set()
    for source in (ROOT / "app").rglob("*.py"):
        if not any(part in source.parts for part in NOT_CALLERS):
            found |= methods_in(source.read_text(encoding="utf-8"))
    return found


def test_manifest_has_the_required_structure(manifest: dict) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert manifest["display_information"]["name"] == "Ledgerbridge"
    assert 0 < len(manifest["display_information"]["description"]) <= 140
    features = manifest["features"]
    assert features["bot_user"]["display_name"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True           # DMs from the app are readable
    assert features["app_home"]["messages_tab_read_only_enabled"] is True  # the app does not read replies
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["socket_mode_enabled"] is False


def test_slash_commands_match_the_app(manifest: dict) -> None:
    commands = {command["command"]: command for command in manifest["features"]["slash_commands"]}
    assert set(commands) == {str(command) for command in SlashCommand}
    assert commands["/invoice-status"]["usage_hint"] == "<opportunity id | name | invoice number>"
    assert commands["/exceptions"]["usage_hint"] == \
        "[mine | all | <root cause> | resolve <id> <why> | dismiss <id> <why>]"
    assert commands["/approvals"]["usage_hint"] == "[all]"
    for name, command in commands.items():
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", name)
        assert command["description"]
        assert 0 < len(command["usage_hint"]) <= 1000, f"{name} needs a usage hint"
        assert command["should_escape"] is False


def test_every_request_url_is_the_one_bolt_endpoint(manifest: dict) -> None:
    urls = [command["url"] for command in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]]
    assert len(urls) == 5
    assert set(urls) == {REQUEST_URL}


def test_every_method_the_app_calls_is_in_the_scope_table() -> None:
    unknown = methods_called_by_the_app() - set(METHOD_SCOPES)
    assert not unknown, f"add {sorted(unknown)} to METHOD_SCOPES in app/integrations/slack_scopes.py"


def test_manifest_scopes_cover_every_method_the_app_calls_and_nothing_more(manifest: dict) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = scopes_for(methods_called_by_the_app() & set(METHOD_SCOPES))
    assert scopes == needed, f"manifest.yaml is missing {sorted(needed - scopes)}, needs not {sorted(scopes - needed)}"


def test_method_scan_sees_the_slack_wrapper() -> None:
    """Guards the scan itself: the wrapper names these methods in strings and client calls."""
    assert {"users.lookupByEmail", "usergroups.users.list", "users.conversations", "conversations.info",
            "conversations.history", "chat.postMessage"} <= methods_called_by_the_app()


def test_method_scan_catches_a_new_call_written_either_way() -> None:
    source = ("self._client.reactions_add(channel=c, name='eyes')\n"
              "await client.usergroups_users_list(usergroup=g)\n"
              "with slack_errors('pins.add'):\n    client.api_call(\"bookmarks.list\")\n")
    assert methods_in(source) == {"reactions.add", "usergroups.users.list", "pins.add", "bookmarks.list"}
    with pytest.raises(KeyError):
        scopes_for({"reactions.add"})       # a method missing from the table cannot pass unnoticed


def test_the_slack_emulator_grants_what_the_manifest_asks_for(manifest: dict) -> None:
    """The sandbox stands for an app installed from manifest.yaml."""
    assert DEFAULT_BOT_SCOPES == set(manifest["oauth_config"]["scopes"]["bot"])


def test_socket_mode_is_explained_where_it_is_switched(manifest: dict) -> None:
    """README and manifest agree: HTTP by default; Socket Mode with SLACK_APP_TOKEN (connections:write)."""
    assert manifest["settings"]["socket_mode_enabled"] is False
    text = (ROOT / "manifest.yaml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for words in ("socket_mode_enabled: true", "SLACK_APP_TOKEN", "connections:write"):
        assert words in text and words in readme, words


# --- .env.example -------------------------------------------------------------------------------------

ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def env_example_entries() -> dict[str, tuple[bool, str, list[str]]]:
    """NAME -> (active, value, comment lines right above it)."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    entries: dict[str, tuple[bool, str, list[str]]] = {}
    for number, line in enumerate(lines):
        match = ENV_LINE.match(line)
        if not match:
            continue
        name = match.group(2)
        assert name not in entries, f"{name} appears twice"
        comments = []
        for previous in reversed(lines[:number]):
            if not previous.startswith("#") or ENV_LINE.match(previous):
                break
            comments.insert(0, previous)
        entries[name] = (match.group(1) is None, match.group(3), comments)
    return entries


def test_env_example_lists_exactly_the_settings() -> None:
    names = set(env_example_entries())
    fields = {name.upper() for name in Settings.model_fields}
    assert names - fields == set(), "in .env.example but not a setting"
    assert fields - names == set(), "a setting missing from .env.example"


def test_every_setting_is_explained_with_its_default() -> None:
    for name, (_, _, comments) in env_example_entries().items():
        text = " ".join(comments)
        assert comments, f"{name} has no comment"
        assert "Default:" in text, f"{name}: say what the default is"


def test_secrets_are_empty_in_env_example() -> None:
    entries = env_example_entries()
    secrets = [name for name, field in Settings.model_fields.items() if SecretStr in _types(field.annotation)]
    assert len(secrets) >= 8
    for name in secrets:
        _, value, comments = entries[name.upper()]
        assert value == "", f"{name.upper()} must be empty"
        assert "Secret" in " ".join(comments)


def _types(annotation: object) -> set[object]:
    return {annotation, *getattr(annotation, "__args__", ())}


def test_a_copy_of_env_example_loads_with_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loaded = load_settings()
    defaults = Settings.model_construct()
    for name in Settings.model_fields:
        assert getattr(loaded, name) == getattr(defaults, name), name
    active = {name for name, (is_active, _, _) in env_example_entries().items() if is_active}
    assert "DATABASE_URL" in active and "LEDGERBRIDGE_POLICY" in active
