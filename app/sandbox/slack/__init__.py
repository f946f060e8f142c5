"""Slack emulator: the Web API the app calls, and "the Slack side" that calls the app (HTTP or Socket Mode)."""
from app.sandbox.slack.emulator import create_slack_emulator
from app.sandbox.slack.slack_side import DeliveryResult, SlackSide, SlackSideError
from app.sandbox.slack.socket_side import SocketAckTimeout, SocketSide
from app.sandbox.slack.state import DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID, SlackState

__all__ = ["DEFAULT_APP_TOKEN", "DEFAULT_BOT_TOKEN", "DEFAULT_CHANNEL_ID", "DeliveryResult", "SlackSide",
           "SlackSideError", "SlackState", "SocketAckTimeout", "SocketSide", "create_slack_emulator"]
