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
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, TextIO

from crisisplay.export.redact import Pseudonyms

if TYPE_CHECKING:
    from crisisplay.store.chain import ChainCheck
    from crisisplay.store.sealing import LogSeal

Event = dict[str, Any]
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
_BATCH = 512  # events opened in a row; members of `clear` written to its spool at a time
_text = encode_basestring  # a text as JSON writes it (json.dumps of a str, ensure_ascii=False)
# What `incident.started` holds that is the playbook's or the scenario's own text (never personal), or a key's fingerprint.
STARTED_KEEPS = frozenset(("snapshot", "snapshot_order", "scenario", "playbook", "key_fingerprint"))


class Reading:
    """Opens (and, with `pseudonyms`, redacts) each event read; keeps the json's `clear` values when asked."""

    def __init__(
        self,
        seal: LogSeal,
        *,
        clear: bool = False,
        pseudonyms: Pseudonyms | None = None,
        check: ChainCheck | None = None,
    ) -> None:
        self.seal = seal
        self.check = check  # the pass the events come from: each event's line says whether it holds an envelope
        self.track = False  # whether a reader asks `changed` of each event (the csv's rows)
        self.pseudonyms = pseudonyms
        self._clear: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, mode="w+") if clear else None  # noqa: SIM115 (closed in close())
        self._separator = ""
        self._pending: list[str] = []  # members of `clear` not written to the spool yet
        self.changed = False  # whether the last event read is not as logged (opened, or redacted)

    @property
    def redacting(self) -> bool:
        return self.pseudonyms is not None

    def __call__(self, events: Iterable[Event]) -> Iterator[Event]:
        """The events, each opened (in place: the pass parsed it for this reading alone), then
        redacted when asked. They are opened a batch at a time, ahead of the reader: decrypting
        many values in a row is several times faster than one between every two lines parsed."""
        check = self.check
        batch: list[tuple[Event, bytes | None]] = []
        for event in events:
            batch.append((event, check.line if check is not None else None))
            if len(batch) == _BATCH:
                yield from self._opened(batch)
                batch.clear()
        yield from self._opened(batch)

    def _opened(self, batch: list[tuple[Event, bytes | None]]) -> Iterator[Event]:
        pseudonyms = self.pseudonyms
        found: list[tuple[int, str, Any]] | None = [] if self._clear is not None else None
        opened = self.seal.open_batch(batch, found)  # in place
        if pseudonyms is not None:
            for index in opened:
                pseudonyms.learn(batch[index][0].get("data"))
        if found:
            self._keep(batch, found)
        if pseudonyms is None and not self.track:
            yield from (event for event, _line in batch)
            return
        changed = set(opened)
        for index, (event, _line) in enumerate(batch):
            shown = redacted(event, pseudonyms) if pseudonyms is not None else event
            self.changed = index in changed or shown is not event
            yield shown

    def event(self, event: Event) -> Event:
        """One event read again (the json's `events` of a redacted export), parsed for this reading
        alone: opened in place, then redacted."""
        self.seal.open_read(event, None)
        return redacted(event, self.pseudonyms) if self.pseudonyms is not None else event

    def _keep(self, batch: list[tuple[Event, bytes | None]], found: list[tuple[int, str, Any]]) -> None:
        """The members of `clear` for the values a batch opened: `"seq": {"place": value, …}` (as
        `json.dumps` writes them), one per event."""
        value_of = self.pseudonyms.value if self.pseudonyms is not None else None
        pending, last = self._pending, found[0][0]
        members: list[str] = []
        for index, place, value in [*found, (-1, "", None)]:  # the last: a mark that ends the last member
            if index != last:
                pending.append(f"{self._separator}{_text(str(batch[last][0].get('seq')))}: {{{', '.join(members)}}}")
                self._separator, last = ",\n", index
                members = []
                if index < 0:
                    break
            shown = value_of(value) if value_of is not None else value
            text = _text(shown) if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
            members.append(f"{_text(place.lstrip('/'))}: {text}")
        if len(pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._clear.write("".join(self._pending))
        self._pending.clear()

    def write_clear(self, out: TextIO) -> None:
        """The `clear` map's members, as spooled: `"seq": {"place": value, …}`, one per line."""
        if self._clear is None:
            return
        self._flush()
        self._clear.seek(0)
        while chunk := self._clear.read(_CHUNK):
            out.write(chunk)

    def close(self) -> None:
        if self._clear is not None:
            self._clear.close()


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
