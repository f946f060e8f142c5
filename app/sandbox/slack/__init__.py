"""Slack emulator: the Web API the app calls, and "the Slack side" that calls the app."""
from app.sandbox.slack.emulator import create_slack_emulator
from app.sandbox.slack.slack_side import DeliveryResult, SlackSide, SlackSideError
from app.sandbox.slack.state import DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID, SlackState

__all__ = ["DEFAULT_BOT_TOKEN", "DEFAULT_CHANNEL_ID", "DeliveryResult", "SlackSide", "SlackSideError",
           "SlackState", "create_slack_emulator"]
