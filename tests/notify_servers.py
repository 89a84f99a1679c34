"""Real notification servers on 127.0.0.1 for tests: an SMTP server (aiosmtpd) and a JSON webhook.

tests/conftest.py imports the two fixtures, so every test can ask for them by name:

- `smtp_server` → `SmtpServer`: `.url(to="maria@example.com")` is a `mailto://` URL for it;
  `.messages` holds what arrived (`Received`: `sender`, `recipients`, `subject`, `body`, `raw`);
  `.wait_for(count)` waits until that many arrived.
- `webhook` → `Webhook`: `.url(path="/hook")` is a `json://` URL for it; `.requests` holds what
  arrived (`Request`: `path`, `headers`, `body`, `.json()`); `.status = 500` makes it fail,
  `.hang = True` makes it accept and never answer (until the test ends); `.delay = 2.0`
  answers after a delay.
- `refused_port()`: a port on 127.0.0.1 where nothing listens (connection refused).
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


def refused_port() -> int:
    """A port on 127.0.0.1 with nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    sender: str
    recipients: list[str]
    subject: str
    body: str  # the text part, decoded: SMTP's CRLF line ends back to \n, without the final one MIME adds
    raw: bytes


class SmtpServer:
    """aiosmtpd on 127.0.0.1, no TLS, no authentication."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Received] = []
        self._arrived = threading.Condition()
        self.port = refused_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        body = part.get_content().replace("\r\n", "\n") if part is not None else ""
        body = body.removesuffix("\n")
        with self._arrived:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), str(message["subject"] or ""), body, raw)
            )
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def url(self, to: str = "maria@example.com", sender: str = "crisisplay@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from={sender}"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Webhook:
    """A JSON webhook on 127.0.0.1: records each request, answers `status` (after `delay`, or never if `hang`)."""

    status: int = 200
    delay: float = 0.0
    hang: bool = False
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._released = threading.Event()
        self._arrived = threading.Condition()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.path, dict(self.headers.items()), self.rfile.read(length))
                with hook._arrived:
                    hook.requests.append(request)
                    hook._arrived.notify_all()
                if hook.hang:
                    hook._released.wait()
                    return
                if hook.delay:
                    hook._released.wait(hook.delay)
                self.send_response(hook.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # quiet: no lines on the test's stderr
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", query: str = "") -> str:
        return f"json://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return self.requests

    def start(self) -> Webhook:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # a hanging request returns, so its thread ends
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 for the test; see `SmtpServer`."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A JSON webhook on 127.0.0.1 for the test; see `Webhook`."""
    server = Webhook().start()
    yield server
    server.stop()


def settle(predicate: Any, timeout: float = 10.0) -> bool:
    """Wait until `predicate()` is true (or `timeout` passes); the result of the last check."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return bool(predicate())
        time.sleep(0.02)
    return True
