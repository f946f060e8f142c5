"""The demo's processes: the three emulators (and the demo console) in this process; `ledgerbridge web` and
`ledgerbridge worker` as child OS processes, supervised as `ledgerbridge serve` supervises them.

The children are configured the way an operator configures them, through the environment: every setting
from `sandbox_settings`, none of the caller's own (a `.env` file included: they run in a folder of their own).
"""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import AnyHttpUrl, SecretStr
from sqlalchemy import Engine
from starlette.types import ASGIApp

from app.config import Settings
from app.db import make_engine
from app.db_migrate import upgrade
from app.processes.supervisor import Child, Supervisor, child_argv
from app.sandbox.front import create_front
from app.sandbox.server import RunningServer, bind_socket, serve_in_thread
from app.sandbox.slack.slack_side import SlackSide
from app.sandbox.stack import SANDBOX_SIGNING_SECRET, Emulators

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0


def child_environment(settings: Settings, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment an operator would export for `settings`: each one set, none inherited from `base`."""
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in (os.environ if base is None else base).items() if key.upper() not in names}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[name.upper()] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return env


@dataclass
class SplitStack:
    """What the walkthrough and the console use: the emulators, the Slack side, our database, the public URL."""

    emulators: Emulators
    supervisor: Supervisor
    engine: Engine
    web_url: str
    home: Path
    slack_side: SlackSide = field(init=False)
    front: RunningServer | None = None
    _watcher: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.slack_side = SlackSide(self.emulators.slack, request_url=self.web_url + "/slack/events",
                                    signing_secret=SANDBOX_SIGNING_SECRET, emulator_url=self.emulators.url("slack"))

    @property
    def app_url(self) -> str:
        return self.front.url if self.front is not None else self.web_url

    @property
    def logs(self) -> list[Path]:
        return [child.log_file for child in self.supervisor.children if child.log_file is not None]

    def stop(self) -> None:
        if self.front is not None:
            self.front.stop()
        self.supervisor.stop()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self.engine.dispose()
        shutil.rmtree(self.home, ignore_errors=True)


def start_split(emulators: Emulators, settings: Settings, *, sock: socket.socket,
                console: Callable[[SplitStack], ASGIApp]) -> SplitStack:
    """Migrate, start web and worker, wait until the web process answers, then serve the front door on `sock`."""
    upgrade(settings.database_url)                        # `ledgerbridge db upgrade`, as the README says
    home = Path(tempfile.mkdtemp(prefix="ledgerbridge-processes-"))
    public_url = "http://{}:{}".format(*sock.getsockname()[:2])
    web_port = _free_port()
    env = child_environment(settings.model_copy(update={"ledgerbridge_public_url": AnyHttpUrl(public_url)}))
    children = [Child("web", child_argv("web", "--host", HOST, "--port", str(web_port)), env=env, cwd=home,
                      log_file=home / "web.log"),
                Child("worker", child_argv("worker"), env=env, cwd=home, log_file=home / "worker.log")]
    stack = SplitStack(emulators=emulators, supervisor=Supervisor(children), engine=make_engine(settings.database_url),
                       web_url=f"http://{HOST}:{web_port}", home=home)
    try:
        stack.supervisor.start()
        stack._watcher = threading.Thread(target=stack.supervisor.watch, name="ledgerbridge-demo-supervisor",
                                          daemon=True)
        stack._watcher.start()
        _wait_healthy(stack)
        stack.front = serve_in_thread(create_front(console(stack), upstream=stack.web_url), sock=sock)
    except BaseException:
        stack.stop()
        raise
    return stack


def _wait_healthy(stack: SplitStack) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(stack.web_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if stack.supervisor.stopping.is_set():
            break
        time.sleep(0.2)
    raise TimeoutError(f"the web process did not answer at {stack.web_url} (its log: {stack.logs[0]})")


def _free_port() -> int:
    with bind_socket(HOST, 0) as probe:
        return int(probe.getsockname()[1])
