"""Run an ASGI app under uvicorn in a background thread on an ephemeral port (tests, the demo)."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn


@dataclass
class RunningServer:
    """An ASGI app listening on 127.0.0.1:`port` until `stop()`."""

    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(asgi_app: Any, *, port: int = 0, host: str = "127.0.0.1",
                    sock: socket.socket | None = None) -> RunningServer:
    """Bind first (port 0 = ephemeral), then serve on that socket so the port is known and race-free.

    `sock`: a socket the caller bound already (the demo binds before it seeds anything).
    """
    sock = sock or bind_socket(host, port)
    host, bound_port = sock.getsockname()[:2]
    # Keep idle connections longer than any poll interval (uvicorn's 5 s default met the demo's 5 s poll
    # exactly, and the client then reused a connection the server was closing).
    config = uvicorn.Config(asgi_app, log_level="warning", lifespan="on", access_log=False, timeout_keep_alive=75)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_started(server, thread)
    return RunningServer(url=f"http://{host}:{bound_port}", port=bound_port, server=server, thread=thread)


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("server thread died during start-up")
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start within 10 s")
        time.sleep(0.01)
