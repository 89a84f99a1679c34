"""Appending only onto the head a decision was computed on (until the store interface lands)."""

from __future__ import annotations

from typing import Any

from crisisplay.errors import JournalError
from crisisplay.events import Event


class HeadMoved(JournalError):
    """Another writer appended since the head this decision was computed on."""

    exit_code = 3

    def __init__(self, message: str, newer: list[Event]):
        super().__init__(message)
        self.newer = newer


def append_expecting(log: Any, events: list[Event], head: str | None) -> list[Event]:
    """Append `events` only if the log's head is still `head`; HeadMoved with the newer events otherwise."""
    current = log.head()
    if current is not None and current["hash"] != head:
        newer = []
        seen = False
        for event in log.events(tolerate_torn=True):
            if seen:
                newer.append(event)
            seen = seen or event["hash"] == head
        raise HeadMoved("the log moved", newer)
    logged: list[Event] = log.append(events)
    return logged


def wait_for(log: Any, after_seq: int, timeout: float) -> bool:
    """Block until the log holds an event after `after_seq` (True) or `timeout` seconds pass (False).

    The store's `wait` where it has one; else a 100 ms poll of the head."""
    import time

    waiting = getattr(log, "wait", None)
    if callable(waiting):
        return bool(waiting(after_seq, timeout))
    deadline = time.monotonic() + timeout
    while True:
        head = log.head()
        if head is not None and head.get("seq", -1) > after_seq:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
