"""Repository config files people copy as is: the Slack app manifest and .env.example."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from app.config import Settings, load_settings
from app.slack.ids import SlashCommand

ROOT = Path(__file__).resolve().parents[1]
REQUEST_URL = "https://ledgerbridge.example.com/slack/events"

# Bot scopes each Slack Web API method needs (docs.slack.dev/reference/methods/<method>, "Scopes").
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
    "views.push": set(),
    "conversations.open": {"im:write"},
    # SLA pings look for their own earlier post before retrying: in the exceptions channel (public or
    # private) and in people's DMs.
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "usergroups.users.list": {"usergroups:read"},
}
# Scopes that must come together (users:read.email "must be requested at the same time as users:read").
SCOPE_COMPANIONS = {"users:read.email": {"users:read"}}
SLACK_FAMILIES = ("auth", "chat", "views", "conversations", "users", "usergroups", "apps", "reactions", "files")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))


def methods_called_by_the_app() -> set[str]:
    """Slack methods named in app/ (outside the emulators): "chat.update" strings and client.chat_update( calls."""
    found: set[str] = set()
    families = "|".join(SLACK_FAMILIES)
    for source in (ROOT / "app").rglob("*.py"):
        if "sandbox" in source.parts:
            continue
        text = source.read_text(encoding="utf-8")
        found |= set(re.findall(rf"[\"']((?:{families})\.[A-Za-z.]+)[\"']", text))
        found |= {call.replace("_", ".") for call in re.findall(rf"client\.((?:{families})_[A-Za-z_]+)\(", text)}
    return found


def test_manifest_has_the_required_structure(manifest: dict) -> None:
    assert manifest["_metadata"]["major_version"] == 1
    assert manifest["display_information"]["name"] == "Ledgerbridge"
    assert 0 < len(manifest["display_information"]["description"]) <= 140
    features = manifest["features"]
    assert features["bot_user"]["display_name"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True          # the app's DMs show there
    assert features["app_home"]["messages_tab_read_only_enabled"] is True
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["socket_mode_enabled"] is False


def test_slash_commands_match_the_app(manifest: dict) -> None:
    commands = {command["command"]: command for command in manifest["features"]["slash_commands"]}
    assert set(commands) == {str(command) for command in SlashCommand}
    assert commands["/invoice-status"]["usage_hint"] == "<opportunity id | name | invoice number>"
    assert commands["/exceptions"]["usage_hint"] == "[mine | all | <root cause>]"
    for name, command in commands.items():
        assert re.fullmatch(r"/[a-z0-9_-]{1,31}", name)
        assert command["description"]
        assert command["should_escape"] is False


def test_every_request_url_is_the_one_bolt_endpoint(manifest: dict) -> None:
    urls = [command["url"] for command in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"],
             manifest["settings"]["interactivity"]["request_url"]]
    assert len(urls) == 5
    assert set(urls) == {REQUEST_URL}


def test_scopes_cover_every_method_the_app_calls_and_nothing_more(manifest: dict) -> None:
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    called = methods_called_by_the_app() | {"chat.postMessage", "chat.update", "conversations.open", "views.publish",
                                            "usergroups.users.list", "users.lookupByEmail"}
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {sorted(unknown)} to METHOD_SCOPES and to manifest.yaml"
    needed = {"commands"}.union(*(METHOD_SCOPES[method] for method in called))
    for scope in set(needed):
        needed |= SCOPE_COMPANIONS.get(scope, set())
    assert scopes == needed, f"missing {sorted(needed - scopes)}, unneeded {sorted(scopes - needed)}"


def test_method_scan_sees_the_slack_wrapper() -> None:
    """Guards the scan itself: the app's Slack wrapper calls users.lookupByEmail."""
    assert "users.lookupByEmail" in methods_called_by_the_app()


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
