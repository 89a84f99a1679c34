"""The canonical form of an event and the hash chain: what both stores write, and `verify`.

Every event is stored as its canonical line (sorted keys, no spaces, UTF-8 as is) with
`,"hash":"…"` added as its last member; `hash` is the SHA-256 of that canonical text and
`prev` is the previous event's `hash`. The file store keeps the lines in `<id>.jsonl`, the
PostgreSQL store keeps the same text in a column: `ChainCheck` reads either through a
`LineSource` and gives the same answers on both.

`ChainCheck` is the one verifier: `verify` runs it, and `export` reads the log through it,
so a report is checked in the pass that reads it. Every line is parsed by `_loads`, which
bounds how deep it may nest: a hostile log ends in a one-line error, never a traceback.

Nothing here prints: problems come back as `VerifyResult` or as typed errors.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]  # CPython's C encoder, not in the stubs
from pathlib import Path
from typing import IO, Any, NoReturn, Protocol, TypeGuard

from crisisplay.errors import JournalError, UsageError
from crisisplay.i18n import N_, _
from crisisplay.times import format_ts

VERSION = 1
ZERO_HASH = "0" * 64

# Problem kinds a `VerifyResult` can carry.
TORN = "torn"
CORRUPT = "corrupt"
EDITED = "edited"
DELETED = "deleted"
INSERTED = "inserted"
REORDERED = "reordered"
VERSION_MISMATCH = "version"
HEAD_MISSING = "head-missing"
MISNAMED = "misnamed"  # the file name disagrees with the incident id inside

# How deep arrays and objects may nest in a line. Real events nest under 10 deep (the
# playbook snapshot is the deepest); the parser and the encoder recurse, so a line nested
# hundreds deep would end in a RecursionError: it is a corrupt line instead.
MAX_DEPTH = 100


_STARTED = "incident.started"  # the first event, holding the incident id (events.STARTED)
_EVENT_KEYS = frozenset(("v", "seq", "ts", "type", "actor", "step", "data", "prev"))
_REQUIRED = _EVENT_KEYS | {"hash"}
_CALLER_KEYS = frozenset(("type", "actor", "step", "data", "ts"))
_TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")


def _make_dumps() -> Callable[[object], str]:
    """The canonical encoder: `json.dumps(sort_keys, compact, ensure_ascii=False, allow_nan=False)`.

    `verify` runs it on every line, so it is built once and, where CPython's C encoder is
    there, called directly: the same function `JSONEncoder.encode` ends up in, minus the
    per-call Python set-up. Events are trees (parsed JSON, or checked by `_check_loggable`),
    so the circular-reference bookkeeping is off.
    """
    encoder = json.JSONEncoder(
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        check_circular=False,
    )
    if c_make_encoder is None:
        return encoder.encode
    fast = c_make_encoder(None, encoder.default, encode_basestring, None, ":", ",", True, False, False)
    sample = {"b": [1, True, None, 'é\u2028"\n🙂'], "a": {"z": -0, "y": ""}}
    if "".join(fast(sample, 0)) != encoder.encode(sample):
        return encoder.encode
    return lambda event: "".join(fast(event, 0))


_dumps = _make_dumps()


class EventNotLoggable(JournalError, ValueError):
    """An event that cannot be logged canonically: a float, a non-text key, a bad field."""


class _FloatInLine(ValueError):
    """Raised while parsing a line that holds a float (or NaN/Infinity)."""


def _refuse_float(text: str) -> NoReturn:
    raise _FloatInLine(f"holds a float ({text}); events hold no floats")


# One decoder too, refusing floats as it meets them: `json.loads(..., parse_float=...)`
# would build a new decoder for every line.
_DECODER = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_float)
_scan = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__, not in the stubs
_BLANKS = " \t\n\r"  # JSON's whitespace


class _TooDeep(ValueError):
    """Raised while parsing a line nested deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")


def _loads(raw: bytes) -> Any:
    """Parse one line strictly: UTF-8 only, no floats, no NaN or Infinity, at most MAX_DEPTH deep.

    Every reader of log lines comes through here, so the depth bound holds everywhere. It
    costs one count of the brackets per line: only a line with more brackets than MAX_DEPTH (the
    playbook snapshot, or brackets inside text) is measured after parsing.
    """
    text = raw.decode("utf-8")
    try:
        try:
            # The decoder's C scanner, called directly: `decode` adds a layer of Python per line.
            value, end = _scan(text, 0)
        except StopIteration:
            value, end = _DECODER.decode(text), len(text)  # leading blanks, or no JSON: it says which
        size = len(text)
        # A logged line ends in its newline right after the JSON: no slice to strip then.
        if end != size and not (end == size - 1 and text[end] == "\n") and text[end:].strip(_BLANKS):
            _DECODER.decode(text)  # raises "Extra data" at the right column
    except RecursionError:
        raise _TooDeep() from None
    # The brackets, counted in one pass (the line without them is shorter by their number).
    if len(raw) - len(raw.translate(None, b"[{")) > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise _TooDeep()
    return value


def _depth(value: object) -> int:
    """How deep arrays and objects nest in a parsed value (a scalar is 0), without recursion."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if type(item) is dict:
            item = item.values()
        elif type(item) is not list:
            continue
        if level > deepest:
            deepest = level
            if deepest > MAX_DEPTH:
                break
        pending.extend((child, level + 1) for child in item if type(child) in (dict, list))
    return deepest


# --- canonical form -----------------------------------------------------------------------


def _loggable(value: Any) -> bool:
    """The fast check: True when every value is text, a whole number, a boolean or null."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            pending.extend(item.values())
        elif kind is list or kind is tuple:
            pending.extend(item)
        elif isinstance(item, (str, int)):
            continue  # StrEnum, IntEnum: encoded as their plain values
        else:
            return False  # a float, a subclass of dict or list, anything else: let the slow walk say
    return True


def _check_loggable(value: object, where: str) -> None:
    """Refuse anything whose JSON text would not read back to the same canonical text."""
    # str and int subclasses (StrEnum, IntEnum, bool) encode as their plain values.
    if value is None or isinstance(value, (str, int)):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise EventNotLoggable(f"{where} has a non-text key {key!r}; keys must be text")
            _check_loggable(item, f"{where}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_loggable(item, f"{where}[{index}]")
        return
    if isinstance(value, float):
        raise EventNotLoggable(f"{where} is a float ({value!r}); log whole numbers (e.g. milliseconds) or text")
    raise EventNotLoggable(f"{where} is a {type(value).__name__}, which the incident log cannot hold")


def canonical_line(event: dict[str, Any]) -> tuple[str, str]:
    """Return (line without its newline, hash) for an event given without `hash`."""
    if "hash" in event:
        raise EventNotLoggable("the event already has a `hash`; give it without one")
    if not _loggable(event):
        _check_loggable(event, "event")  # walks again, this time to name what is wrong
    canonical = _dumps(event)
    try:
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    except UnicodeEncodeError as err:
        raise EventNotLoggable(f"the event holds text that is not valid Unicode ({err.reason})") from None
    return f'{canonical[:-1]},"hash":"{digest}"}}', digest


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """What is wrong with a log, as a message of the catalogue (marked with N_) and its values.

    `str()` is the English words that `verify -f json` and the json/csv exports keep (data for
    other tools, the same in every language); `shown()` is the same in the reader's language.
    """

    text: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return self.text.format(**dict(self.values))

    def shown(self) -> str:
        return _(self.text).format(**dict(self.values))


def _reason(text: str, **values: object) -> Reason:
    return Reason(text, tuple(values.items()))


@dataclass(frozen=True)
class VerifyResult:
    """What `verify` found (either store): the chain's state, and the first problem if any."""

    ok: bool
    path: Path | str  # the log file, or the PostgreSQL incident (`where()`)
    head: str | None  # hash of the last event that verified (the whole log's head if ok)
    count: int  # events that verified before the first problem (all of them if ok)
    line: int | None = None  # 1-based line of the first problem
    kind: str | None = None  # one of the problem kinds above: TORN, EDITED, DELETED, …
    message: str = ""  # one line for the user: "path:line: what is wrong"
    reason: str = ""  # what is wrong, without the path and line
    left_out: tuple[int, ...] = ()  # lines a lenient `ChainCheck` read past: not events at all
    why: Reason | None = None  # `reason` as a message of the catalogue, to show it translated

    @property
    def shown_reason(self) -> str:
        """`reason` in the reader's language (`reason` itself stays English: it is data in json)."""
        return self.why.shown() if self.why is not None else self.reason

    @property
    def shown_message(self) -> str:
        """`message` in the reader's language: `path:line: what is wrong`, or the intact chain."""
        if self.ok:
            return _("{path}: {count} events, chain intact, head {head}").format(
                path=self.path, count=self.count, head=self.head
            )
        return f"{self.path}:{self.line}: {self.shown_reason}"

    @property
    def verdict(self) -> str:
        """What every export says about its log: `chain verified`, or `log not verified: line N: …`."""
        if self.ok:
            return "chain verified"
        words = f"log not verified: line {self.line}: {self.reason}"
        if self.left_out:
            shown = ", ".join(map(str, self.left_out[:5])) + (", …" if len(self.left_out) > 5 else "")
            words += f"; left out of this export: line{'s' if len(self.left_out) > 1 else ''} {shown}"
        return words


# Lines as a store yields them: (1-based number, raw line with its newline, is it the last).
Lines = Iterator[tuple[int, bytes, bool]]


class LineSource(Protocol):
    """What `ChainCheck` reads: one incident's stored lines, in order, from either store."""

    @property
    def incident_id(self) -> str: ...

    @property
    def label(self) -> Path | str:
        """What a message puts before `:line`: the log's path, or the PostgreSQL incident."""
        ...

    @property
    def stored_name(self) -> str:
        """The name the store keeps the log under (a file name), for the misnamed-log message."""
        ...

    def snapshot(self) -> AbstractContextManager[tuple[int, Lines]]:
        """(size, lines) over the log as it stood when no append was mid-write."""
        ...

    def reread(self, size: int) -> AbstractContextManager[Lines]:
        """The lines again, up to the `size` an earlier snapshot gave."""
        ...


# --- diagnosis -------------------------------------------------------------------------------


def _broken_of(source: LineSource, line: int, kind: str, why: Reason, head: str | None) -> VerifyResult:
    """A failed result: the lines before `line` verified, and `head` is the last one's hash."""
    reason = str(why)
    return VerifyResult(
        ok=False,
        path=source.label,
        head=None if line <= 1 or head == ZERO_HASH else head,
        count=line - 1,
        line=line,
        kind=kind,
        message=f"{source.label}:{line}: {reason}",
        reason=reason,
        why=why,
    )


def diagnose(
    source: LineSource, number: int, expected_seq: int, prev: str, event: dict[str, Any], digest: str
) -> VerifyResult:
    """Say how line `number` breaks the chain: a second pass, run only on failure.

    Each line is self-consistent here (its hash matches), so what is wrong is where it
    sits. The prev links tell the story: a line that chains onto an earlier line than
    the one before it exposes inserted lines, a missing seq that turns up further down
    is a reordering, and one that is nowhere was deleted.
    """
    broken = functools.partial(_broken_of, source)
    seq, link = event["seq"], event["prev"]
    if type(seq) is not int:
        return broken(
            number, CORRUPT, _reason(N_("not an event: seq {seq} is not a whole number"), seq=repr(seq)), prev
        )
    hashes: list[str | None] = []  # each line's hash, in order
    line_of: dict[str, int] = {}  # hash -> first line holding it
    successor_of: dict[str, int] = {}  # prev -> first line chaining onto it
    later_seqs: set[int] = set()
    with source.snapshot() as (_size, lines):
        for other, raw, _last in lines:
            try:
                candidate = _loads(raw)
                other_hash, other_prev = candidate["hash"], candidate["prev"]
                other_seq = candidate["seq"]
            except (ValueError, TypeError, KeyError, IndexError):
                hashes.append(None)
                continue
            other_hash = other_hash if type(other_hash) is str else None
            hashes.append(other_hash)
            if other_hash is not None:
                line_of.setdefault(other_hash, other)
            if type(other_prev) is str:
                successor_of.setdefault(other_prev, other)
            if other > number and type(other_seq) is int:
                later_seqs.add(other_seq)

    def head_before(line: int) -> str | None:
        return hashes[line - 2] if line >= 2 else None

    previous = number - 1
    if line_of.get(digest, number) < number:
        return broken(number, INSERTED, _reason(N_("inserted: a copy of line {line}"), line=line_of[digest]), prev)
    linked = 0 if link == ZERO_HASH else line_of.get(link)
    if linked is not None and linked < previous:
        first = linked + 1
        text = (
            N_("inserted: line {first} was put into the chain (line {line} chains onto line {linked})")
            if first == previous
            else N_("inserted: lines {first}-{last} were put into the chain (line {line} chains onto line {linked})")
        )
        why = _reason(text, first=first, last=previous, line=number, linked=linked)
        return broken(first, INSERTED, why, head_before(first))
    if linked == previous:
        text = (
            N_("edited: seq is {seq} where {expected} follows the first event, and its hash recomputed")
            if previous == 0
            else N_("edited: seq is {seq} where {expected} follows line {previous}, and its hash recomputed")
        )
        return broken(number, EDITED, _reason(text, seq=seq, expected=expected_seq, previous=previous), prev)
    belongs_later = expected_seq in later_seqs or successor_of.get(prev, 0) > number
    if seq >= expected_seq and belongs_later:
        # The event that belongs here comes further down: this line is out of place.
        if linked is None:
            why = _reason(N_("inserted: seq {seq} chains onto no event in this log"), seq=seq)
            return broken(number, INSERTED, why, prev)
        missing = expected_seq if seq == expected_seq + 1 else f"{expected_seq}-{seq - 1}"
        why = _reason(N_("reordered: seq {seq} comes before seq {missing}"), seq=seq, missing=missing)
        return broken(number, REORDERED, why, prev)
    if seq > expected_seq:
        count = seq - expected_seq
        missing = expected_seq if count == 1 else f"{expected_seq}-{seq - 1}"
        text = (
            N_("deleted: 1 event (seq {missing}) missing before this line")
            if count == 1
            else N_("deleted: {count} events (seq {missing}) missing before this line")
        )
        return broken(number, DELETED, _reason(text, count=count, missing=missing), prev)
    if seq == expected_seq:
        if previous == 0:
            return broken(number, EDITED, _reason(N_("edited: the first event's prev is not 64 zeros")), None)
        text = N_("edited: line {previous} was changed and its hash recomputed (line {line} no longer chains onto it)")
        return broken(previous, EDITED, _reason(text, previous=previous, line=number), head_before(previous))
    if linked is not None:
        why = _reason(N_("reordered: seq {seq} comes after seq {before}"), seq=seq, before=expected_seq - 1)
        return broken(number, REORDERED, why, prev)
    text = N_("inserted: seq {seq} where {expected} was expected, chaining onto no event")
    return broken(number, INSERTED, _reason(text, seq=seq, expected=expected_seq), prev)


# -- the run lock --


class ChainCheck:
    """One pass over a log that checks every line against the hash chain as it parses it.

    This is `verify`: each store's `verify` runs it to the end, and `export` folds the events it
    yields into the report as they come, so a report is checked in the pass that reads it.
    It stops at the first problem (`result` says which), unless `lenient`: then it reads on,
    checking no more, and yields every later line that is an event, leaving out (and
    listing) the lines that are not. With `fingerprint`, it also hashes the raw lines it
    yields, so that a second pass (`lines_again`, `events_again`) can prove it read the same.
    """

    def __init__(
        self, source: LineSource, head: str | None = None, *, lenient: bool = False, fingerprint: bool = False
    ):
        self.source = source
        self.wanted = _normalise_head(head) if head is not None else None
        self.lenient = lenient
        self.result: VerifyResult | None = None  # set when the pass ends
        self.size = 0  # bytes of the log the pass covered
        self._left_out: list[int] = []
        self._fingerprint = hashlib.sha256() if fingerprint else None
        self.line: bytes | None = None  # the line of the event just yielded (None past a problem)

    def run(self) -> VerifyResult:
        """Read to the end; the result."""
        for _event in self.events():
            pass
        assert self.result is not None
        return self.result

    def events(self) -> Iterator[dict[str, Any]]:
        """The events, each checked before it is yielded (with its `hash`)."""
        source = self.source
        broken = functools.partial(_broken_of, source)
        wanted, found_head = self.wanted, False
        expected_seq, prev = 0, ZERO_HASH
        problem: VerifyResult | None = None
        number, raw, event = 0, b"", None
        # The hot path: one decode, one loads, one canonical dumps, one sha256 per line,
        # with the names it calls bound locally.
        loads, dumps, sha256, fingerprint = _loads, _dumps, hashlib.sha256, self._fingerprint
        with source.snapshot() as (self.size, lines):
            for number, raw, is_last in lines:
                event = None
                if is_last and _is_torn(raw):
                    problem = broken(number, TORN, _reason(N_("torn last line (a crash mid-write cut it off)")), prev)
                    break
                try:
                    event = loads(raw)
                    digest = event.pop("hash")
                    canonical = dumps(event).encode("utf-8")
                except (ValueError, TypeError, KeyError, AttributeError) as err:
                    problem = broken(number, CORRUPT, _corrupt_reason(err), prev)
                    event = None
                    break
                if sha256(canonical).hexdigest() != digest:
                    problem = broken(number, EDITED, _reason(N_("edited: its hash does not match its content")), prev)
                elif raw != b'%s,"hash":"%s"}\n' % (canonical[:-1], digest.encode("ascii")):
                    problem = broken(number, EDITED, _reason(N_("edited: the line is not in canonical form")), prev)
                elif not event.keys() >= _EVENT_KEYS or type(event["data"]) is not dict:
                    why = _reason(N_("not an event: a field is missing or `data` is not an object"))
                    problem = broken(number, CORRUPT, why, prev)
                elif event["v"] != VERSION or type(event["v"]) is not int:
                    text = N_("event format version {version}; this crisisplay reads {supported}")
                    why = _reason(text, version=repr(event["v"]), supported=VERSION)
                    problem = broken(number, VERSION_MISMATCH, why, prev)
                elif (seq := event["seq"]) != expected_seq or type(seq) is not int or event["prev"] != prev:
                    problem = diagnose(source, number, expected_seq, prev, event, digest)
                elif number == 1:
                    problem = self._first_event_problem(event)
                event["hash"] = digest
                if problem is not None:
                    break
                if digest == wanted:
                    found_head = True
                expected_seq, prev = expected_seq + 1, digest
                if fingerprint is not None:
                    fingerprint.update(raw)
                self.line = raw
                yield event
            else:
                number = 0  # read to the end: no line was stopped at
                if expected_seq == 0:
                    problem = broken(1, DELETED, _reason(N_("the log is empty: its first event was deleted")), None)
                elif wanted is not None and not found_head:
                    text = N_(
                        "the log does not hold the head {head}: events were cut off after "
                        "line {line}, or the hash is another incident's"
                    )
                    problem = broken(
                        expected_seq + 1, HEAD_MISSING, _reason(text, head=wanted, line=expected_seq), prev
                    )
            if problem is not None and self.lenient:
                # Read on, no longer checking: the line the check stopped at, then the rest.
                self.line = None
                if number:
                    if _is_event(event):
                        yield self._taken(event, raw)
                    else:
                        self._left_out.append(number)
                yield from self._read_on(lines)
        if problem is None:
            problem = VerifyResult(
                ok=True,
                path=source.label,
                head=prev,
                count=expected_seq,
                message=f"{source.label}: {expected_seq} events, chain intact, head {prev}",
            )
        elif self._left_out:
            problem = dataclasses.replace(problem, left_out=tuple(self._left_out))
        self.result = problem

    def _first_event_problem(self, event: dict[str, Any]) -> VerifyResult | None:
        """The first event must start the incident that the file is named after."""
        source = self.source
        if event["type"] != _STARTED:
            text = N_("not an incident log: its first event is {type}, not {started}")
            return _broken_of(source, 1, CORRUPT, _reason(text, type=_quoted(event["type"]), started=_STARTED), None)
        inside = event["data"].get("incident_id")
        if inside != source.incident_id:
            text = N_(
                "the log holds incident {inside} but its file is named {name}: "
                "a log copied or renamed over another incident's file"
            )
            why = _reason(text, inside=_quoted(inside), name=_quoted(source.stored_name))
            return _broken_of(source, 1, MISNAMED, why, None)
        return None

    def _read_on(self, lines: Iterator[tuple[int, bytes, bool]]) -> Iterator[dict[str, Any]]:
        """After a problem (lenient only): every remaining line that is an event, unchecked."""
        for number, raw, is_last in lines:
            event = None
            if not (is_last and _is_torn(raw)):
                with suppress(ValueError):
                    read = _loads(raw)
                    # Text that is not valid Unicode (a lone surrogate escaped): no report could write it.
                    _dumps(read).encode("utf-8")
                    event = read
            if _is_event(event):
                yield self._taken(event, raw)
            else:
                self._left_out.append(number)

    def _taken(self, event: dict[str, Any], raw: bytes) -> dict[str, Any]:
        if self._fingerprint is not None:
            self._fingerprint.update(raw)
        return event

    def lines_again(self) -> Iterator[bytes]:
        """A second pass: the raw lines the first one yielded, proved to be the same bytes."""
        if self._fingerprint is None or self.result is None:
            raise RuntimeError("lines_again needs a finished ChainCheck made with fingerprint=True")
        again = hashlib.sha256()
        left_out = set(self._left_out)
        # Only up to the size the first pass read: appends since then are not part of this export.
        with self.source.reread(self.size) as lines:
            for number, raw, _last in lines:
                if number in left_out:
                    continue
                again.update(raw)
                yield raw
        if again.digest() != self._fingerprint.digest():
            raise JournalError(
                _("{path}: the log changed while it was being exported; export it again").format(path=self.source.label)
            )

    def events_again(self) -> Iterator[dict[str, Any]]:
        """A second pass: the events the first one yielded, parsed again from the same bytes."""
        for raw in self.lines_again():
            yield _loads(raw)


# --- module helpers --------------------------------------------------------------------------


def _lines_upto(handle: IO[bytes], size: int) -> Iterator[tuple[int, bytes, bool]]:
    """(1-based number, raw line with its newline, is it the last) up to `size` bytes."""
    offset = 0
    if size == 0:
        return
    for number, raw in enumerate(handle, 1):
        if offset + len(raw) >= size:
            yield number, raw[: size - offset], True
            return
        offset += len(raw)
        yield number, raw, False


def _quoted(value: object, limit: int = 80) -> str:
    """A value from a log, quoted for a message: its repr, cut short (a forged log can hold anything)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_event(value: object) -> TypeGuard[dict[str, Any]]:
    """An object with every field of an event and an object as its `data`: something a report can fold."""
    return type(value) is dict and value.keys() >= _REQUIRED and type(value["data"]) is dict


def _is_torn(raw: bytes) -> bool:
    """A last line is torn if a crash could have left it: no newline yet, or only the zero
    bytes a filesystem shows when a crash kept the new size but not the data. Any other
    complete line that does not parse was written that way: `verify` calls it corrupt."""
    return not raw.endswith(b"\n") or not raw.rstrip(b"\n").strip(b"\x00")


def _complete(given: dict[str, Any], *, seq: int, prev: str, stamp: str) -> dict[str, Any]:
    """Build the full event (without `hash`) from what the caller gave."""
    if not isinstance(given, dict):
        raise EventNotLoggable(f"an event must be a dict, not {type(given).__name__}")
    unknown = given.keys() - _CALLER_KEYS
    if unknown:
        raise EventNotLoggable(
            f"the journal sets {', '.join(sorted(unknown))} itself; give only type, actor, step, data and optionally ts"
        )
    missing = {"type", "actor", "data"} - given.keys()
    if missing:
        raise EventNotLoggable(f"an event needs {', '.join(sorted(missing))}")
    if not isinstance(given["type"], str) or not given["type"]:
        raise EventNotLoggable("an event's `type` must be non-empty text")
    if not isinstance(given["data"], dict):
        raise EventNotLoggable(f"event {given['type']!r}: `data` must be an object")
    ts = given.get("ts", stamp)
    if isinstance(ts, datetime):
        ts = format_ts(ts)
    elif type(ts) is not str or not _TS_RE.fullmatch(ts):
        raise EventNotLoggable(f"event {given['type']!r}: ts {ts!r} is not RFC 3339 UTC with milliseconds and Z")
    return {
        "v": VERSION,
        "seq": seq,
        "ts": ts,
        "type": given["type"],
        "actor": given["actor"],
        "step": given.get("step"),
        "data": given["data"],
        "prev": prev,
    }


def _corrupt_reason(err: Exception) -> Reason:
    """Why a line is not an event at all, in words for the user."""
    if isinstance(err, UnicodeDecodeError):
        return _reason(N_("not valid UTF-8"))
    if isinstance(err, UnicodeEncodeError):
        return _reason(N_("holds text that is not valid Unicode"))
    if isinstance(err, json.JSONDecodeError):  # Python's own words for what is wrong, in English
        return _reason(N_("not valid JSON ({error}, column {column})"), error=err.msg, column=err.colno)
    if isinstance(err, KeyError):
        return _reason(N_("not an event: it has no hash"))
    if isinstance(err, ValueError):
        return _reason(N_("not a valid event: {error}"), error=str(err))
    return _reason(N_("not an event: not a JSON object"))


def _normalise_head(head: str) -> str:
    """A head hash as the user pasted it, checked to be a full SHA-256 (no short prefixes)."""
    wanted = head.strip().lower()
    if not _HEX64_RE.fullmatch(wanted):
        raise UsageError(_("a head hash is 64 hex characters, got {head}").format(head=repr(head)))
    return wanted
