"""What going live needs from Slack: the token's scopes against manifest.yaml, the bot in every policy channel,
and every approver role's users and user group present in the workspace. Reads only."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from app.errors import AuthenticationFailed, IntegrationError, VendorNotFound
from app.golive.findings import Finding, problem, ready
from app.integrations.slack_api import SlackUser
from app.integrations.slack_models import SlackChannel, SlackIdentity
from app.policy import Policy

VENDOR = "slack"
REINSTALL = ("add {scopes} under OAuth & Permissions > Scopes > Bot Token Scopes (or paste manifest.yaml again "
             "under App Manifest), reinstall the app to the workspace, and set SLACK_BOT_TOKEN to the new token")


class SlackDirectory(Protocol):
    def identity(self) -> SlackIdentity: ...
    def member_channels(self) -> list[SlackChannel]: ...
    def channel_info(self, channel_id: str) -> SlackChannel: ...
    def user_info(self, user_id: str) -> SlackUser: ...
    def usergroup_members(self, group_id: str) -> list[str]: ...


def check_slack(slack: SlackDirectory, policy: Policy, *, manifest_scopes: frozenset[str]) -> list[Finding]:
    try:
        identity = slack.identity()
    except AuthenticationFailed as error:      # unreachable or failing: the caller names the address to check
        return [problem(VENDOR, f"Slack refused the bot token: {error}",
                        "set SLACK_BOT_TOKEN to the Bot User OAuth Token (OAuth & Permissions) of the installed app")]
    findings = [_scopes(identity, manifest_scopes)]
    findings += _channels(slack, policy)
    findings += [*_roles(slack, policy)]
    return findings


def _scopes(identity: SlackIdentity, wanted: frozenset[str]) -> Finding:
    if identity.scopes is None:
        return problem(VENDOR, "Slack did not say which scopes the bot token has (no x-oauth-scopes header)",
                       "check that SLACK_BOT_TOKEN is a bot token (xoxb-) and SLACK_API_URL is Slack's")
    missing = sorted(wanted - identity.scopes)
    if missing:
        listed = ", ".join(missing)
        return problem(VENDOR, f"the bot token lacks the scope{'s' if len(missing) > 1 else ''} {listed} that "
                               "manifest.yaml asks for", REINSTALL.format(scopes=listed))
    return ready(VENDOR, f"the bot token has every scope manifest.yaml asks for ({len(wanted)})")


def policy_channels(policy: Policy) -> dict[str, list[str]]:
    """Channel id -> the policy keys that name it (a channel may serve several purposes)."""
    named = [("channels.approvals", policy.channels.approvals), ("channels.exceptions", policy.channels.exceptions),
             ("channels.digest", policy.channels.digest), ("digest.channel", policy.digest.channel)]
    found: dict[str, list[str]] = {}
    for key, channel_id in named:
        if channel_id:
            found.setdefault(channel_id, []).append(key)
    return found


def _channels(slack: SlackDirectory, policy: Policy) -> list[Finding]:
    channels = policy_channels(policy)
    try:
        member_of = {channel.id for channel in slack.member_channels()}
    except IntegrationError:
        member_of = set()       # e.g. channels:read missing (reported with the scopes): ask channel by channel
    findings = [_channel(slack, channel_id, " and ".join(keys))
                for channel_id, keys in channels.items() if channel_id not in member_of]
    return findings or [ready(VENDOR, f"the bot is in every policy channel ({len(channels)})")]


def _channel(slack: SlackDirectory, channel_id: str, keys: str) -> Finding:
    try:
        channel = slack.channel_info(channel_id)
    except VendorNotFound:
        return problem(VENDOR, f"channel {channel_id} ({keys}) does not exist, or is private and the bot is not in it",
                       f"check {keys} in the policy (channel details > About, id at the bottom), or invite the "
                       "bot to that private channel: /invite @Ledgerbridge")
    except IntegrationError as error:
        return problem(VENDOR, f"could not look up channel {channel_id} ({keys}): {error}",
                       "give the app the channels:read and groups:read scopes (see manifest.yaml) and reinstall it")
    if channel.is_archived:
        return problem(VENDOR, f"#{channel.name} ({channel_id}, {keys}) is archived",
                       f"unarchive it, or point {keys} in the policy at a live channel")
    if channel.is_member:
        return ready(VENDOR, f"the bot is in #{channel.name} ({keys})")
    return problem(VENDOR, f"the bot is not in #{channel.name} ({channel_id}, {keys}), so it cannot post there",
                   f"invite it: type /invite @Ledgerbridge in #{channel.name}")


def _roles(slack: SlackDirectory, policy: Policy) -> Iterator[Finding]:
    for name, role in policy.approver_roles.items():
        where = f"approver_roles.{name}"
        problems = [found for user_id in role.users if (found := _user(slack, user_id, where)) is not None]
        if role.usergroup is not None:
            problems += [found for found in [_usergroup(slack, role.usergroup, where)] if found is not None]
        yield from problems
        if not problems:
            yield ready(VENDOR, f"role {name}: {_people(role.users, role.usergroup)} found in Slack")


def _user(slack: SlackDirectory, user_id: str, where: str) -> Finding | None:
    fix = f"correct {where}.users in the policy (in Slack: profile > ⋮ > Copy member ID)"
    try:
        user = slack.user_info(user_id)
    except VendorNotFound:
        return problem(VENDOR, f"{where}: user {user_id} does not exist in this workspace", fix)
    except IntegrationError as error:
        return problem(VENDOR, f"{where}: could not look up user {user_id}: {error}",
                       "give the app the users:read scope (see manifest.yaml) and reinstall it")
    if user.deleted:
        return problem(VENDOR, f"{where}: user {user_id} ({user.real_name or user.name}) is deactivated",
                       f"remove them from {where}.users, or add whoever approves now")
    return None


def _usergroup(slack: SlackDirectory, group_id: str, where: str) -> Finding | None:
    try:
        members = slack.usergroup_members(group_id)
    except VendorNotFound:
        return problem(VENDOR, f"{where}: user group {group_id} does not exist in this workspace",
                       f"correct {where}.usergroup in the policy (the S... id of the group)")
    except IntegrationError as error:
        return problem(VENDOR, f"{where}: could not read user group {group_id}: {error}",
                       "give the app the usergroups:read scope (see manifest.yaml) and reinstall it")
    if not members:
        return problem(VENDOR, f"{where}: user group {group_id} has no members, so nobody in it can approve",
                       f"add the approvers to the group in Slack, or list them in {where}.users")
    return None


def _people(users: tuple[str, ...], usergroup: str | None) -> str:
    parts = [f"{len(users)} user{'s' if len(users) != 1 else ''}"] if users else []
    return " and ".join(parts + ([f"user group {usergroup}"] if usergroup else []))
