"""The one place that imports Apprise: loading it, silencing its logging, and reading what it logged.

Apprise reports most failures by logging rather than raising, and its log lines often hold
the URL with its secrets. Its logger is cut off from the application's (nothing reaches the
terminal) and its records are kept per thread, for the one call that made them, to be read
as a reason; never shown as they are.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_captures: dict[int, list[logging.LogRecord]] = {}
_module: ModuleType | None = None


class _Capture(logging.Handler):
    """Keeps each record for the thread that is capturing; drops every other one."""

    def emit(self, record: logging.LogRecord) -> None:
        kept = _captures.get(threading.get_ident())
        if kept is not None:
            kept.append(record)


def load() -> ModuleType:
    """The `apprise` module, imported once, its logging silenced and captured."""
    global _module
    if _module is not None:
        return _module
    with _lock:
        if _module is None:
            logger = logging.getLogger("apprise")
            # Before the import: a record logged while plugins load must not reach stderr either.
            logger.propagate = False
            logger.addHandler(_Capture())
            logger.setLevel(logging.DEBUG)  # the socket errors that say why come at debug level
            import apprise

            _module = apprise
    return _module


def schemas() -> dict[str, Any]:
    """Every scheme Apprise knows, with its plugin class (loaded on the first call)."""
    load()
    plugins: Any = importlib.import_module("apprise.manager_plugins")  # Apprise 2.0 ships no type hints here
    manager = plugins.NotificationManager()  # one per process: it loads the plugins once
    return {schema: manager[schema] for schema in manager.schemas(include_disabled=True)}


def instantiate(url: str) -> Any:
    """The Apprise plugin for `url`, or None when Apprise cannot use it; delivery in the calling thread."""
    apprise = load()
    asset = apprise.AppriseAsset(async_mode=False)  # no pool of Apprise's own threads: ours must be the last
    return apprise.Apprise.instantiate(url, asset=asset)


@contextmanager
def captured() -> Iterator[list[logging.LogRecord]]:
    """The records Apprise logs in this thread while the block runs."""
    records: list[logging.LogRecord] = []
    ident = threading.get_ident()
    _captures[ident] = records
    try:
        yield records
    finally:
        _captures.pop(ident, None)


def messages(records: list[logging.LogRecord], level: int = logging.DEBUG) -> list[str]:
    """The text of each record at `level` or above (formatting failures skipped)."""
    found = []
    for record in records:
        if record.levelno >= level:
            try:
                found.append(record.getMessage())
            except Exception:  # a malformed record of Apprise's must not end a delivery
                continue
    return found
