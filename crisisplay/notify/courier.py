"""Delivery in the background: a `Notice` goes to its targets in order, each attempt reported to the caller.

The courier never appends to the log: `report(attempt)` is the caller's, called from the
worker thread for every attempt, in order. Worker threads block SIGINT first (Ctrl-C stays
with the main thread, which pauses the run cleanly) and never render templates: a notice
carries the exact text to send.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from crisisplay.i18n import N_, _
from crisisplay.notify.targets import Target, scrub

TIMEOUT_VARIABLE = "CRISISPLAY_NOTIFY_TIMEOUT"  # seconds per attempt, for a slow network (and tests)
TIMEOUT_S, MAX_TIMEOUT_S = 10.0, 600.0


def attempt_timeout() -> float:
    """Seconds an attempt may take: CRISISPLAY_NOTIFY_TIMEOUT, else 10; UsageError (exit 2) for a value
    that is not a number of seconds above 0 and at most 600."""
    from crisisplay.errors import UsageError

    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= MAX_TIMEOUT_S:
        raise UsageError(
            _("{variable}={value}: give the seconds an attempt may take, more than 0 and at most 600").format(
                variable=TIMEOUT_VARIABLE, value=text
            )
        )
    return seconds


SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"  # the state reads "failed: <reason>"


@dataclass(frozen=True)
class Notice:
    """What to send, and to whom: tried target after target until one delivers."""

    key: str  # unique within the run, chosen by the caller
    title: str
    body: str  # the exact text to send (e-mail: plain text)
    targets: tuple[Target, ...]

    def message_hash(self) -> str:
        """SHA-256 hex of the exact body sent."""
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One try at one target: delivered, or failed with a one-line reason that holds no secret."""

    notice: Notice
    target: Target
    attempt: int  # 1-based, counted across the notice's targets and retries
    ok: bool
    error: str | None


def block_sigint() -> None:
    """Keep SIGINT away from this (helper) thread, so Ctrl-C reaches the main thread."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


_warming: threading.Thread | None = None


def warm() -> None:
    """Start importing Apprise and loading its plugins in the background, so the first send does not pay it."""
    global _warming
    if _warming is not None:
        return

    def load() -> None:
        block_sigint()
        try:
            from crisisplay.notify import apprise_bridge

            apprise_bridge.schemas()
        except Exception:  # the first send reports what is wrong, in its own words
            pass

    _warming = threading.Thread(target=load, name="crisisplay-notify-warm", daemon=True)
    _warming.start()


def _wait_for_warming(timeout: float | None = None) -> None:
    if _warming is not None and _warming is not threading.current_thread():
        _warming.join(timeout)


class Courier:
    """Delivers notices on worker threads (one per notice), each attempt bounded by `timeout` seconds.

    `send` only hands the notice to a dispatcher thread, which starts the notice's worker: the
    main thread pays a queue's `put`, not a thread's start-up, so the next prompt never waits.
    """

    def __init__(self, report: Callable[[Attempt], None], *, timeout: float = 10.0, retries: int = 1):
        self._report = report
        self._timeout = timeout
        self._retries = max(0, retries)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified whenever a notice finishes
        self._states: dict[str, str] = {}
        self._in_flight: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._queue: queue.SimpleQueue[Notice | None] = queue.SimpleQueue()
        self._dispatcher = threading.Thread(target=self._dispatch, name="crisisplay-notify", daemon=True)
        self._dispatcher.start()

    def send(self, notice: Notice) -> None:
        """Start delivering `notice`; returns at once."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the courier is closed")
            if notice.key in self._in_flight:
                raise ValueError(f"notice {notice.key!r} is already being sent")
            self._states[notice.key] = SENDING
            self._in_flight.add(notice.key)
        self._queue.put(notice)

    def state(self, key: str) -> str | None:
        """`sending`, `delivered` or `failed: <reason>`; None for a key never sent."""
        with self._lock:
            return self._states.get(key)

    def states(self) -> dict[str, str]:
        """The state of every notice sent, by key."""
        with self._lock:
            return dict(self._states)

    def wait(self, timeout: float | None = None) -> None:
        """Until every notice in flight has finished (each is bounded by its attempts), or `timeout` passes."""
        with self._idle:
            self._idle.wait_for(lambda: not self._in_flight, timeout)

    def close(self) -> None:
        """Wait for every delivery, then stop: no thread of the courier outlives this."""
        with self._lock:
            self._closed = True
        self.wait()
        self._queue.put(None)
        self._dispatcher.join()
        for thread in self._threads:
            thread.join()
        _wait_for_warming()

    def _dispatch(self) -> None:
        block_sigint()
        while (notice := self._queue.get()) is not None:
            thread = threading.Thread(
                target=self._deliver, args=(notice,), name=f"crisisplay-notify-{notice.key}", daemon=True
            )
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    # -- on the worker thread

    def _deliver(self, notice: Notice) -> None:
        block_sigint()
        number = 0
        reason = N_("no target to send to")
        try:
            for target in notice.targets:
                for retry in range(1 + self._retries):
                    if retry:
                        time.sleep(min(1.0, self._timeout / 4))  # a moment for a server to come back
                    number += 1
                    error = self._attempt(notice, target)
                    self._tell(Attempt(notice, target, number, error is None, error))
                    if error is None:
                        self._set(notice.key, DELIVERED)
                        return
                    reason = error
        except BaseException:  # nothing escapes the thread; the state says it failed
            reason = N_("could not send: internal error")
        self._set(notice.key, f"{FAILED}: {reason}")

    def _set(self, key: str, state: str) -> None:
        """The notice's final state; it is no longer in flight."""
        with self._idle:
            self._states[key] = state
            self._in_flight.discard(key)
            self._idle.notify_all()

    def _tell(self, attempt: Attempt) -> None:
        try:
            self._report(attempt)
        except Exception:
            # The caller's report failing (a full disk) must not stop delivery to the next target;
            # the caller learns of it through its own log's error handling.
            logging.getLogger(__name__).debug("report failed", exc_info=True)

    def _attempt(self, notice: Notice, target: Target) -> str | None:
        """One try: None when delivered, else the reason (one line, no secret)."""
        if target.missing:
            return N_("{variable} is not set").format(variable="${" + target.missing[0] + "}")
        from crisisplay.notify import apprise_bridge

        try:
            with apprise_bridge.captured() as records:
                plugin = apprise_bridge.instantiate(target.url)
                if plugin is None:
                    return N_("not a valid {service}:// address").format(service=target.service)
                apprise = apprise_bridge.load()
                # Apprise's own socket timeouts bound the attempt: connecting, then each read.
                plugin.socket_connect_timeout = self._timeout
                plugin.socket_read_timeout = self._timeout
                if "format=" not in target.url.lower():
                    plugin.notify_format = apprise.NotifyFormat.TEXT  # the exact text, e-mail as plain text
                ok = plugin.notify(body=notice.body, title=notice.title, body_format=apprise.NotifyFormat.TEXT)
        except Exception as err:
            return N_("could not send: {kind}").format(kind=type(err).__name__)
        if ok:
            return None
        return reason(apprise_bridge.messages(records), target, self._timeout)


_HTTP = re.compile(r"(?:error=|HTTP Error |status(?: code)?[= :]+)(\d{3})\b", re.I)
_SMTP = re.compile(r"\((\d{3}), b?['\"]")


def reason(messages: list[str], target: Target, timeout: float) -> str:
    """Why an attempt failed, in one line, from what Apprise logged; no part of the URL."""
    text = "\n".join(messages)
    lowered = text.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return N_("timed out after {seconds} s").format(seconds=f"{timeout:g}")
    if "connection refused" in lowered:
        return N_("connection refused")
    if any(
        words in lowered
        for words in ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
    ):
        return N_("host not found")
    if any(words in lowered for words in ("ssl", "certificate", "tls")):
        return N_("TLS error")
    if "authentication" in lowered or "(535" in lowered:
        return N_("authentication failed")
    http = _HTTP.search(text)
    if http:
        return f"HTTP {http[1]}"
    smtp = _SMTP.search(text)
    if smtp:
        return f"SMTP {smtp[1]}"
    if "reset by peer" in lowered or "remote end closed" in lowered or "disconnected" in lowered:
        return N_("the server closed the connection")
    if "connection" in lowered:
        return N_("connection failed")
    for message in messages[::-1]:
        line = scrub(" ".join(message.split()), target)
        if line:
            return line[:200]
    return N_("not delivered")
