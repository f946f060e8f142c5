"""`ledgerbridge serve` started while Slack's Web API cannot be reached: a signed slash command and a signed click
are still acked (the web process makes no Slack call before it acks; auth.test runs in the background)."""
from __future__ import annotations

import json
import subprocess
from urllib.parse import urlencode

from app.sandbox.people import ANN, SAM
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.split import child_environment
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, sandbox_settings, start_emulators
from app.slack.ids import ActionId, SlashCommand
from tests.e2e.conftest import eventually
from tests.e2e.test_serve import CLI, WAIT, _healthy
from tests.test_commands import _free_port

FORM = "application/x-www-form-urlencoded"


def test_serve_acks_a_command_and_a_click_while_slack_is_unreachable(tmp_path):
    emulators = start_emulators()
    try:
        closed = f"http://127.0.0.1:{_free_port()}/api/"             # nobody listens there
        settings = sandbox_settings(emulators, database_url=f"sqlite:///{tmp_path / 'ledgerbridge.db'}",
                                    slack_api_url=closed)
        env = child_environment(settings)
        upgraded = subprocess.run(CLI + ["db", "upgrade"], env=env, cwd=tmp_path, capture_output=True, timeout=120)
        assert upgraded.returncode == 0, upgraded.stderr
        port = _free_port()
        with (tmp_path / "serve.log").open("wb") as output:
            process = subprocess.Popen(CLI + ["serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=output,
                                       stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            eventually(lambda: _healthy(url), timeout=WAIT, what="serve to answer /healthz")
            side = SlackSide(emulators.slack, request_url=url + "/slack/events",
                             signing_secret=SANDBOX_SIGNING_SECRET, emulator_url=emulators.url("slack"))
            command = side.send_slash_command(SAM.slack_id, SlashCommand.INVOICE_STATUS.value, "Globex")
            assert command.status_code == 200 and "Looking up" in command.body
            click = {"type": "block_actions", "user": {"id": ANN.slack_id, "name": "ann"}, "team": {"id": "T0001"},
                     "channel": {"id": "C05APPR0VAL"}, "trigger_id": "1.2.3",
                     "container": {"type": "message", "channel_id": "C05APPR0VAL", "message_ts": "1.1"},
                     "response_url": emulators.slack.issue_response_url(user_id=ANN.slack_id,
                                                                        channel_id="C05APPR0VAL"),
                     "actions": [{"action_id": ActionId.APPROVE.value, "block_id": "b", "type": "button",
                                  "value": "7", "action_ts": "1.1"}]}
            clicked = side.deliver_raw(urlencode({"payload": json.dumps(click)}), FORM)
            assert clicked.status_code == 200
        finally:
            process.terminate()
            assert process.wait(timeout=60) == 0
    finally:
        emulators.stop()
