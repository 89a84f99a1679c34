"""How an export reads the events the verifying pass yields: opened with the incident's key, redacted when asked.

The chain check yields each event as logged (envelopes and all); every view of an export
(metrics, timeline, key events, scorecard, csv rows) is computed from the event opened here:
its personal values as text, or None once erased. Only events that hold an envelope are
opened (`LogSeal.open` gives the others back as they are). For the json, each opened value
is also written, as the pass goes, to a spool (`clear`): a few MiB in memory, then an unnamed
owner-only file, like the timeline. With `redact`, every event is then redacted
(`redact.Pseudonyms`), so no view ever sees a personal value.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from crisisplay.export.redact import Pseudonyms
from crisisplay.store.sealing import ENVELOPE

if TYPE_CHECKING:
    from crisisplay.store.sealing import LogSeal

Event = dict[str, Any]
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
# What `incident.started` holds that is the playbook's or the scenario's own text (never personal), or a key's fingerprint.
STARTED_KEEPS = frozenset(("snapshot", "snapshot_order", "scenario", "playbook", "key_fingerprint"))


class Reading:
    """Opens (and, with `pseudonyms`, redacts) each event read; keeps the json's `clear` values when asked."""

    def __init__(self, seal: LogSeal, *, clear: bool = False, pseudonyms: Pseudonyms | None = None) -> None:
        self.seal = seal
        self.pseudonyms = pseudonyms
        self._clear: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, mode="w+") if clear else None  # noqa: SIM115 (closed in close())
        self._separator = ""
        self.changed = False  # whether the last event read is not as logged (opened, or redacted)

    @property
    def redacting(self) -> bool:
        return self.pseudonyms is not None

    def __call__(self, events: Iterable[Event]) -> Iterator[Event]:
        open_, pseudonyms = self.seal.open, self.pseudonyms
        for event in events:
            opened = open_(event)
            if opened is not event:
                if pseudonyms is not None:
                    pseudonyms.learn(opened.get("data"))
                if self._clear is not None:
                    self._keep(event, opened)
            if pseudonyms is not None:
                opened = redacted(opened, pseudonyms)
            self.changed = opened is not event
            yield opened

    def event(self, event: Event) -> Event:
        """One event read again (the json's `events` of a redacted export): opened, then redacted."""
        opened = self.seal.open(event)
        return redacted(opened, self.pseudonyms) if self.pseudonyms is not None else opened

    def _keep(self, logged: Event, opened: Event) -> None:
        values: dict[str, Any] = {}
        _opened_places(logged.get("data"), opened.get("data"), "", values)
        if self.pseudonyms is not None:
            values = {place: self.pseudonyms.value(value) for place, value in values.items()}
        self._clear.write(
            self._separator
            + json.dumps(str(logged.get("seq")), ensure_ascii=False)
            + ": "
            + json.dumps(values, ensure_ascii=False)
        )
        self._separator = ",\n"

    def write_clear(self, out: TextIO) -> None:
        """The `clear` map's members, as spooled: `"seq": {"place": value, …}`, one per line."""
        if self._clear is None:
            return
        self._clear.seek(0)
        while chunk := self._clear.read(_CHUNK):
            out.write(chunk)

    def close(self) -> None:
        if self._clear is not None:
            self._clear.close()


def _opened_places(logged: Any, opened: Any, place: str, into: dict[str, Any]) -> None:
    """Each envelope's place in `data` (as sealing names it: `answer`, `contact/name`) and its opened value."""
    if type(logged) is dict:
        if ENVELOPE in logged:
            into[place.lstrip("/")] = opened
            return
        if type(opened) is dict:
            for key, item in logged.items():
                _opened_places(item, opened.get(key), f"{place}/{key}", into)
    elif type(logged) is list and type(opened) is list:
        for index, (item, again) in enumerate(zip(logged, opened, strict=False)):
            _opened_places(item, again, f"{place}/{index}", into)


def redacted(event: Event, pseudonyms: Pseudonyms) -> Event:
    """The event with its data redacted; `incident.started` keeps its playbook and scenario
    snapshots as they are (playbook and scenario text is never personal)."""
    data = event.get("data")
    if type(data) is not dict:
        return event
    if event.get("type") == "incident.started":
        kept = {key: value for key, value in data.items() if key in STARTED_KEEPS}
        rest = pseudonyms.value({key: value for key, value in data.items() if key not in STARTED_KEEPS})
        return {**event, "data": {key: kept[key] if key in kept else rest[key] for key in data}}
    return {**event, "data": pseudonyms.value(data)}
