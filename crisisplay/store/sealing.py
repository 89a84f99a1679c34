"""Personal values sealed at rest: each one encrypted with its incident's own key (AES-256-GCM).

The engine marks what is personal (`crisisplay.personal.Personal`); a store hands the events
of each append to its incident's `LogSeal`, which puts an envelope in place of every marked
value before the canonical line is made, and opens envelopes again as events are read:

    {"$enc": "<base64 of a 12-byte random nonce and the AES-GCM ciphertext>", "kind": "customer"}

The ciphertext is the value's UTF-8 text, bound (as AES-GCM's associated data) to the incident,
the event type and the value's place in `data`, so an envelope moved elsewhere does not open.
The hash chain covers the envelope's bytes: `verify` needs no key, and a key cannot be
rotated without rewriting the chain (docs/privacy.md). `incident.started` carries
`key_fingerprint`, an HMAC-SHA256 of a fixed text under the key, so a wrong key is told from a
missing one exactly. Once the key is gone (purged, lost, or not this incident's) every
envelope opens as None: erased. `cryptography` is imported only when a value is sealed or opened.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import os
from binascii import a2b_base64
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from crisisplay.errors import JournalError
from crisisplay.i18n import _
from crisisplay.personal import TEXT, Personal, Sealed, unseal

if TYPE_CHECKING:
    from crisisplay.events import Event

ENVELOPE = "$enc"
_ENVELOPE_MARK = b'"$enc"'  # in a canonical line that holds an envelope (and rarely in one that does not)
PURGED_TEXT = b'"type":"incident.purged"'  # in the canonical line of an `incident.purged`
KIND = "kind"
FINGERPRINT = "key_fingerprint"  # the key's fingerprint, in `incident.started`'s data
PURGED = "incident.purged"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96-bit random nonces, as NIST SP 800-38D recommends for GCM
KEY_TEXT_PREFIX = "crisisplay-key-v1"
_FINGERPRINT_LABEL = b"crisisplay incident key fingerprint v1"

# How a seal stands with its key (`LogSeal.status`).
PLAIN = "plain"  # the incident has no key: written before encryption, or by a store without keys
READY = "ready"  # the key is there and is this incident's
MISSING = "missing"  # the log names a key and none is kept: lost or purged
WRONG = "wrong"  # a key is kept but its fingerprint is not the log's (or it is not a key at all)


class KeyProblem(JournalError):
    """A key file that must not be used as it is (wrong permissions, not a file): exit 2."""


class KeyRing(Protocol):
    """Where a store keeps its incidents' keys, apart from their logs."""

    def where(self, incident_id: str) -> str:
        """The key's place, for messages (a path, or the database table)."""
        ...

    def get(self, incident_id: str) -> bytes | None:
        """The incident's key as kept (None when there is none); KeyProblem when it may not be read."""
        ...

    def put(self, incident_id: str, key: bytes, replace: bool = False) -> None:
        """Keep the key durably (on disk, or committed) before returning; JournalError when one is
        there already and `replace` is false."""
        ...

    def delete(self, incident_id: str) -> bool:
        """Delete the key durably; whether there was one."""
        ...

    def ids(self) -> list[str]:
        """Every incident id that has a key kept."""
        ...


def is_purge_line(line: bytes) -> bool:
    """Whether a logged line is an `incident.purged` event (not merely a line that holds its words)."""
    import json

    try:
        event = json.loads(line)
    except ValueError:
        return False
    return type(event) is dict and event.get("type") == PURGED


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def fingerprint(key: bytes) -> str:
    """The key's fingerprint as `incident.started` logs it: HMAC-SHA256 of a fixed text, hex."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def key_text(incident_id: str, key: bytes) -> str:
    """A key as one line of text (its file's content, and what `keys export` writes)."""
    return f"{KEY_TEXT_PREFIX} {incident_id} {base64.b64encode(key).decode('ascii')}\n"


def read_key_text(text: str) -> tuple[str, bytes] | None:
    """(incident id, key) from `key_text`'s line; None when the text is not one."""
    parts = text.strip().split(" ")
    if len(parts) != 3 or parts[0] != KEY_TEXT_PREFIX or not parts[1]:
        return None
    try:
        key = base64.b64decode(parts[2], validate=True)
    except (binascii.Error, ValueError):
        return None
    return (parts[1], key) if len(key) == KEY_BYTES else None


def _aad(incident_id: str, event_type: str, place: str, label: str) -> bytes:
    """What a ciphertext is bound to: its incident, its event's type, its place in `data` and its kind."""
    return f"crisisplay\0{incident_id}\0{event_type}\0{place}\0{label}".encode()


def is_envelope(value: Any) -> bool:
    return type(value) is dict and ENVELOPE in value


class _Tally:
    __slots__ = ("decrypted", "unopened")

    def __init__(self) -> None:
        self.decrypted = self.unopened = 0


class LogSeal:
    """One incident's personal values: sealed as they are appended, opened as they are read.

    `first` reads the log's first event when the seal needs the fingerprint before it has seen
    that event (an append, or a read of the head alone)."""

    def __init__(
        self,
        incident_id: str,
        keys: KeyRing | None,
        first: Callable[[], Event | None],
        purge_logged: Callable[[], bool] | None = None,
    ):
        self.incident_id = incident_id
        self.keys = keys
        self._first = first
        self._purge_logged = purge_logged  # whether the log holds an `incident.purged` (checked before any key is used)
        self._fingerprint: str | None = None
        self._learnt = False
        self._key: bytes | None = None  # the key, once loaded and checked (READY)
        self._aead: Any = None  # cryptography's AESGCM under it, made at the first value sealed or opened
        self._invalid_tag: type[Exception] = ValueError  # cryptography's InvalidTag, once imported
        self._status: str | None = None
        self._damaged = False  # WRONG because what is kept is not a key at all (a damaged file, another incident's)
        self.purged = False  # an `incident.purged` was read
        # Whether loading the key first scans the log for a purge: a reader that opens values as it
        # reads needs it; one that reads every line before it shows anything (an export) may turn
        # it off, and then throws away what it made if `opened_before_purge` says it must.
        self.scan_for_purge = True
        self.opened_before_purge = False  # values were opened, then a purge was read (its key still kept)
        # Envelopes opened (a lazy replay opens only what its state still holds), and those that did
        # not open (erased, or a wrong key): kept apart from the seal, so that the opener it keeps
        # does not refer to it (a cycle would keep a PostgreSQL store's connection open until the
        # garbage collector ran).
        self._tally = _Tally()
        self._made_key = False
        self._aads: dict[tuple[str, str, str], bytes] = {}
        self._opener: Callable[[dict[str, Any], str, str], Personal | None] | None = None  # made at the first envelope

    @property
    def decrypted(self) -> int:
        """How many envelopes were opened."""
        return self._tally.decrypted

    @property
    def unopened(self) -> int:
        """How many envelopes did not open (erased, or a wrong key)."""
        return self._tally.unopened

    # -- what the log says --

    def learn(self, first_event: Event) -> None:
        """Take the fingerprint from the log's first event (`incident.started`)."""
        data = first_event.get("data")
        value = data.get(FINGERPRINT) if type(data) is dict else None
        self._fingerprint = value if isinstance(value, str) else None
        self._learnt = True

    @property
    def fingerprint(self) -> str | None:
        """The key's fingerprint as the log names it (None: the incident has no key)."""
        return self._fingerprint if self.keyed else None

    @property
    def keyed(self) -> bool:
        """Whether the incident was logged with a key (its `incident.started` names one)."""
        if not self._learnt:
            first = self._first()
            if first is not None:
                self.learn(first)
            else:
                self._learnt = True
        return self._fingerprint is not None

    @property
    def status(self) -> str:
        """PLAIN, READY, MISSING or WRONG (KeyProblem when the key file may not be read)."""
        if self._status is None:
            self._load()
        assert self._status is not None
        return self._status

    def _load(self) -> None:
        if not self.keyed:
            self._status = PLAIN
            return
        if self.scan_for_purge and self.purge_found():
            # A purged incident never opens, whatever key is still kept (a purge killed before it
            # deleted the key, a key put back from a backup): the purge was finished instead.
            self._status = MISSING
            return
        key = self.keys.get(self.incident_id) if self.keys is not None else None
        if key is None:
            self._status = MISSING
        elif len(key) != KEY_BYTES or not hmac.compare_digest(fingerprint(key), self._fingerprint or ""):
            self._status, self._damaged = WRONG, len(key) != KEY_BYTES
        else:
            self._key, self._status = key, READY  # `cryptography` waits for the first value sealed or opened

    def warning(self) -> str | None:
        """One line for the reader when personal values cannot be shown; None when they can
        (or when the incident was purged: erased is what purge is for)."""
        status = self.status  # first: loading it finds a purge the log records
        if self.purged:
            return None
        where = self.keys.where(self.incident_id) if self.keys is not None else self.incident_id
        if status == MISSING:
            return _(
                "incident {incident}: its key is missing, not purged ({where}): personal values show as [erased]; "
                "`crisisplay keys import {incident}` puts back a copy of it"
            ).format(incident=self.incident_id, where=where)
        if status == WRONG and self._damaged:
            return _(
                "incident {incident}: {where} does not hold a key (the file is damaged, or another incident's): "
                "personal values show as [erased]; `crisisplay keys import {incident} --replace` puts the right one back"
            ).format(incident=self.incident_id, where=where)
        if status == WRONG:
            return _(
                "incident {incident}: the key at {where} is not this incident's (its fingerprint differs): personal "
                "values show as [erased]; `crisisplay keys import {incident} --replace` puts the right one back"
            ).format(incident=self.incident_id, where=where)
        return None

    # -- creating, writing --

    def prepare_first(self, first_event: Event) -> Event:
        """The first event as it will be logged: with a new key kept (durably, before the log
        exists) and its fingerprint in `data`, when the store keeps keys."""
        if self.keys is None or FINGERPRINT in first_event["data"]:  # no keys kept, or a copy carrying its own
            self.learn(first_event)
            return first_event
        key = new_key()
        self.keys.put(self.incident_id, key)
        self._made_key = True
        event = {**first_event, "data": {**first_event["data"], FINGERPRINT: fingerprint(key)}}
        self.learn(event)
        return self.seal([event])[0]

    def forget_key(self) -> None:
        """Undo `prepare_first` when the log could not be created (its key would be an orphan)."""
        if self.keys is not None and self._made_key:
            self.keys.delete(self.incident_id)

    def seal(self, events: list[Event]) -> list[Event]:
        """The events as they will be logged: every personal value in an envelope. Events with
        none come back as they are; an incident without a key logs them as plain text."""
        if not any(_holds(event.get("data")) for event in events):
            return events
        if not self.keyed:
            if self.keys is not None:  # a store that keeps keys never writes personal data in clear
                raise JournalError(
                    _(
                        "incident {incident} has no key (it was written before encryption): personal data cannot be "
                        "logged to it in clear; it can still be read, verified and exported"
                    ).format(incident=self.incident_id)
                )
            return events
        if self.status != READY:
            raise JournalError(self._cannot_write())
        return [self._sealed_event(event) if _holds(event.get("data")) else event for event in events]

    def _cannot_write(self) -> str:
        if self.purged:
            return _("incident {incident} was purged: nothing personal can be logged to it").format(
                incident=self.incident_id
            )
        return _("incident {incident}: personal data cannot be logged without its key ({problem})").format(
            incident=self.incident_id, problem=self.warning() or self.status
        )

    def _cipher(self) -> Any:
        """AES-GCM under the incident's key (READY only): `cryptography` is imported here, once."""
        if self._aead is None:
            assert self._key is not None  # READY: the key was loaded and checked
            from cryptography.exceptions import InvalidTag
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead, self._invalid_tag = AESGCM(self._key), InvalidTag
        return self._aead

    def _sealed_event(self, event: Event) -> Event:
        kind = event["type"]
        return {**event, "data": self._seal_value(event["data"], kind, "")}

    def _seal_value(self, value: Any, kind: str, place: str) -> Any:
        if isinstance(value, Personal):
            nonce = os.urandom(NONCE_BYTES)
            sealed = self._cipher().encrypt(
                nonce, str(value).encode("utf-8"), _aad(self.incident_id, kind, place, value.kind)
            )
            return {ENVELOPE: base64.b64encode(nonce + sealed).decode("ascii"), KIND: value.kind}
        if type(value) is dict:
            return {key: self._seal_value(item, kind, f"{place}/{key}") for key, item in value.items()}
        if type(value) is list:
            return [self._seal_value(item, kind, f"{place}/{index}") for index, item in enumerate(value)]
        return value

    # -- reading --

    def open(self, event: Event) -> Event:
        """The event with every envelope opened: a `Personal` text, or None once erased. The event
        given is left as it is (its `data` is copied when it holds an envelope)."""
        if not _has_envelope(event.get("data")):
            self._notice(event)
            return event
        copied = {**event, "data": copy.deepcopy(event["data"])}
        self.open_read(copied, None)
        return copied

    def _notice(self, event: Event) -> None:
        """What every reader learns from an event, whether it opens it or not: the fingerprint, a purge."""
        if event.get("seq") == 0 and not self._learnt:
            self.learn(event)
        if event.get("type") == PURGED:
            self.purge_seen()

    def purge_found(self) -> bool:
        """Whether the log records a purge, from a scan of its lines (nothing decrypted); one found
        is finished as `purge_seen` finishes it."""
        if not self.purged and self._purge_logged is not None and self._purge_logged():
            self.purge_seen()
        return self.purged

    def purge_seen(self) -> None:
        """An `incident.purged` was read: a key still kept is what a purge interrupted between its
        event and the key's deletion left behind, so it is deleted now (durably, as purge does)."""
        self.purged = True
        if self.keys is None or not self.keyed:
            return
        if self._key is not None and self.decrypted:  # opened under the key this purge should have deleted
            self.opened_before_purge = True
        self._aead = self._opener = self._key = None
        self._status = MISSING
        self.finish_purge()

    def finish_purge(self, refused_too: bool = False) -> bool:
        """Delete a key still kept for a purged incident if it is this log's own (never another
        incident's key kept under its name); whether one was deleted. A key file that may not be
        read (KeyProblem: others could read it) is left for its reader to report, or with
        `refused_too` (the purge itself) deleted: a key that may have leaked is what purge is for."""
        if self.keys is None:
            return False
        try:
            key = self.keys.get(self.incident_id)
        except KeyProblem:
            return self.keys.delete(self.incident_id) if refused_too else False
        if key is not None and len(key) == KEY_BYTES and hmac.compare_digest(fingerprint(key), self._fingerprint or ""):
            return self.keys.delete(self.incident_id)
        return False

    def opened(self, events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            yield self.open(event)

    def opened_lines(self, read: Iterable[tuple[Event, bytes]]) -> Iterator[Event]:
        """`opened` for events read with their lines (each parsed for this reader alone)."""
        open_read = self.open_read
        for event, line in read:
            open_read(event, line)
            yield event

    def open_read(self, event: Event, line: bytes | None) -> bool:
        """Open the envelopes of an event parsed for this reader alone, in place; whether it held
        any. `line` is the line it was read from (None: unknown)."""
        return bool(self.open_batch([(event, line)]))

    def open_batch(
        self, read: list[tuple[Event, bytes | None]], found: list[tuple[int, str, Any]] | None = None
    ) -> list[int]:
        """Open the envelopes of events read ahead, each parsed for this reader alone, in place:
        the indexes of those that held any. `found` receives (index, place, value) for each value
        opened, its place as sealing names it (`/answer`, `/contact/name`)."""
        opened: list[int] = []
        envelope_mark = _ENVELOPE_MARK
        for index, (event, line) in enumerate(read):
            if line is not None and envelope_mark not in line and self._learnt and event.get("type") != PURGED:
                continue  # most lines: nothing to notice, nothing to open (`_sealed_data`'s answer, without the call)
            sealed = self._sealed_data(event, line)
            if sealed is not None:
                # The opener is asked for at each event: a purge read just now deleted the key.
                _in_place(*sealed, "", self._opener or self._open_envelope, found, index)
                opened.append(index)
        return opened

    def lazy_lines(self, read: Iterable[tuple[Event, bytes]]) -> Iterator[Event]:
        """The events read with their lines, each envelope left sealed as a `Sealed` (nothing is
        decrypted) for `reveal` to open once the replay is over, if the state still holds it."""
        for event, line in read:
            sealed = self._sealed_data(event, line)
            if sealed is not None:
                _in_place(*sealed, "", Sealed)
            yield event

    def _sealed_data(self, event: Event, line: bytes | None) -> tuple[dict[str, Any], str] | None:
        """What every reader does with an event read from `line` (None: unknown) before it opens
        anything: notice the fingerprint and a purge; then the event's `data` and type when it
        holds envelopes to open, None when not. A line without `"$enc"` holds no envelope, so only
        the first event and a purge are looked at more closely."""
        if line is None or not self._learnt or event.get("type") == PURGED:
            self._notice(event)
        if not (_ENVELOPE_MARK in line if line is not None else _has_envelope(event.get("data"))):
            return None
        data, kind = event.get("data"), event.get("type")
        if type(data) is not dict or not self.keyed:  # the incident has no key: nothing is sealed
            return None
        return data, kind if isinstance(kind, str) else ""

    def reveal(self, value: Any) -> Any:
        """`value` (a replayed `State`, or anything holding `Sealed` values) with each one opened."""
        return unseal(value, self._open_sealed)

    def _open_sealed(self, sealed: Sealed) -> Any:
        text = self._open_envelope(sealed.envelope, sealed.event_type, sealed.place)
        if sealed.number and text is not None:
            try:
                return Decimal(text)
            except InvalidOperation:  # not a number (an edited log): the text, as it was logged
                return text
        return text

    def _open_envelope(self, envelope: dict[str, Any], kind: str, place: str) -> Personal | None:
        """An envelope opened: its text, a `Personal` of its kind; None when it does not open."""
        opener = self._opener
        if opener is None:
            opener = self._opener = self._make_opener()
        return opener(envelope, kind, place)

    def _make_opener(self) -> Callable[[dict[str, Any], str, str], Personal | None]:
        """`_open_envelope` for this seal as it stands (its key, or none): one closure, its names bound."""
        tally = self._tally
        if self.status != READY:

            def erased(envelope: dict[str, Any], kind: str, place: str) -> None:
                tally.unopened += 1

            return erased
        decrypt, aads, incident = self._cipher().decrypt, self._aads, self.incident_id
        invalid_tag = self._invalid_tag

        def open_one(envelope: dict[str, Any], kind: str, place: str) -> Personal | None:
            sealed, label = envelope.get(ENVELOPE), envelope.get(KIND)
            if type(label) is not str:
                label = ""
            aad = aads.get((kind, place, label))
            if aad is None:
                aad = _aad(incident, kind, place, label)
                if len(aads) < _AADS_KEPT:
                    aads[(kind, place, label)] = aad
            try:
                raw = a2b_base64(sealed, strict_mode=True) if type(sealed) is str else b""
                text = decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode("utf-8")
            except (invalid_tag, ValueError, binascii.Error, UnicodeDecodeError):
                tally.unopened += 1
                return None
            opened = _new_str(Personal, text)  # Personal(text, label), without its constructor's call
            opened.kind = label or TEXT
            tally.decrypted += 1
            return opened

        return open_one


_new_str = str.__new__
_AADS_KEPT = 4096  # associated data by (event type, place, kind): a log has few of them


def _in_place(
    value: dict[str, Any] | list[Any],
    kind: str,
    place: str,
    make: Callable[[dict[str, Any], str, str], Any],
    found: list[tuple[int, str, Any]] | None = None,
    index: int = 0,
) -> None:
    """A logged value (an event's `data`, parsed for this reader alone) with each envelope in it
    replaced, in place, by `make(envelope, event type, place)`: opened, or left sealed as a
    `Sealed`; each made value also added to `found` as (index, place, value). Only containers are walked."""
    for key, item in value.items() if type(value) is dict else enumerate(value):
        if type(item) is dict:
            if ENVELOPE in item:
                where = f"{place}/{key}"
                value[key] = made = make(item, kind, where)  # type: ignore[index]
                if found is not None:
                    found.append((index, where, made))
            else:
                _in_place(item, kind, f"{place}/{key}", make, found, index)
        elif type(item) is list:
            _in_place(item, kind, f"{place}/{key}", make, found, index)


def _holds(value: Any) -> bool:
    if isinstance(value, Personal):
        return True
    if type(value) is dict:
        return any(_holds(item) for item in value.values())
    if type(value) is list:
        return any(_holds(item) for item in value)
    return False


def _has_envelope(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        if ENVELOPE in value:
            return True
        for item in value.values():
            if type(item) in _CONTAINERS and _has_envelope(item):
                return True
    elif kind is list:
        for item in value:
            if type(item) in _CONTAINERS and _has_envelope(item):
                return True
    return False


_CONTAINERS = (dict, list)


def strip_envelopes(value: Any) -> Any:
    """A logged value with every envelope replaced by None: what is left once the key is gone
    (a redacted export carries no ciphertext)."""
    if type(value) is dict:
        if ENVELOPE in value:
            return None
        return {key: strip_envelopes(item) for key, item in value.items()}
    if type(value) is list:
        return [strip_envelopes(item) for item in value]
    return value
