"""Incidents in the store: ids, finding one by id, prefix or `last`, and their status, all from their logs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crisisplay import events as ev
from crisisplay.errors import CrisisplayError, IncidentNotFound, JournalError
from crisisplay.home import incidents_dir
from crisisplay.i18n import _
from crisisplay.journal import Journal, require_posix

# The statuses are re-exported: `incidents` and its callers name them from here.
from crisisplay.metrics import CLOSED as CLOSED
from crisisplay.metrics import INTERRUPTED as INTERRUPTED
from crisisplay.metrics import PAUSED as PAUSED
from crisisplay.metrics import RUNNING as RUNNING
from crisisplay.metrics import headline, measure_log
from crisisplay.personal import holds_personal
from crisisplay.store.base import IncidentLog, Store, open_store
from crisisplay.store.files import ID_RE as ID_RE  # re-exported: an incident id's pattern
from crisisplay.store.files import FileStore
from crisisplay.store.sealing import FINGERPRINT, MISSING, PLAIN, PURGED, READY, KeyProblem, KeyRing, LogSeal
from crisisplay.times import format_ts

UNREADABLE = "unreadable"  # the status `incidents` gives a log it cannot read

# Where an incident's personal data stands (`privacy` in `incidents -f json`; docs/privacy.md).
SEALED = "sealed"  # encrypted, and its key is kept
PLAIN_LOG = "plain"  # written before encryption (or by a store without keys): no key, cannot be purged
ERASED_BY_PURGE = "purged"  # `crisisplay purge` logged `incident.purged` and deleted the key
KEY_MISSING = "key-missing"  # the log names a key and none is kept, with no `incident.purged`
KEY_WRONG = "key-wrong"  # the key kept is not this incident's (its fingerprint differs)
KEY_REFUSED = "key-refused"  # the key file may not be read (wrong permissions, not a file)

# One incident as `incidents -f json` shows it: an open JSON object (docs list its keys), so
# its values are whatever JSON holds.
Row = dict[str, Any]


def new_incident_id(playbook_id: str, started: datetime) -> str:
    """`YYYYMMDD-HHMMSS-<playbook-id>-<4 hex>`, from the UTC start time."""
    stamp = started.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{playbook_id}-{secrets.token_hex(2)}"


def all_logs(home: Path) -> list[Path]:
    """The log files in `<home>/incidents` (the file store's folder)."""
    return FileStore(incidents_dir(home)).logs()


def store_of(home: Path, store: Store | None = None) -> Store:
    """The store given, else the one the environment and configuration choose."""
    if store is not None:
        return store
    from crisisplay.config import load_config

    return open_store(load_config(home), home)


def _place(store: Store) -> str:
    """Where a store's incidents are, for a message: the folder, or the PostgreSQL address."""
    return str(store.folder) if isinstance(store, FileStore) else store.describe()


def resolve(ref: str, home: Path, store: Store | None = None) -> IncidentLog:
    """The incident named by an id, a unique prefix of one, or `last` (the most recently started)."""
    store = store_of(home, store)
    if isinstance(store, FileStore):
        require_posix()  # every command that opens an incident locks its log
    ids = store.ids()
    if ref == "last":
        if not ids:
            raise IncidentNotFound(_("no incidents yet in {folder}").format(folder=_place(store)))
        if isinstance(store, FileStore):
            latest = max(store.logs(), key=lambda p: (p.stem[:15], p.stat().st_mtime)).stem
        else:
            order = {incident: index for index, incident in enumerate(ids)}  # in the order they were created
            latest = max(ids, key=lambda i: (i[:15], order[i]))
        return store.open(latest)
    if ref in ids:
        return store.open(ref)
    matches = [i for i in ids if i.startswith(ref)] if ref else []
    if len(matches) == 1:
        return store.open(matches[0])
    if matches:
        listed = ", ".join(sorted(matches)[:10]) + (" …" if len(matches) > 10 else "")
        raise IncidentNotFound(
            _("'{ref}' matches {count} incidents: {listed}; give more of the id").format(
                ref=ref, count=len(matches), listed=listed
            )
        )
    raise IncidentNotFound(
        _("no incident '{ref}' in {folder} (`crisisplay incidents` lists them)").format(ref=ref, folder=_place(store))
    )


def runs_scenario_clock(journal: IncidentLog) -> bool:
    """Whether an incident is a drill on a scenario clock, from its first line alone: only then
    does a note or a close need the whole state (for its scenario time)."""
    try:
        first = next(journal.events(tolerate_torn=True), None)  # dropped at once: one line read
    except CrisisplayError:
        return False
    data = first.get("data") if first is not None else None
    return isinstance(data, dict) and bool(data.get("drill")) and "scenario_ms" in data


def playbook_locale(journal: IncidentLog) -> str | None:
    """The `locale` of the playbook snapshot in an incident's log, from its first line alone.

    For the interface's language (`resume`, `export`, `verify`); None when the log has no
    readable `incident.started` first, which the command reading the log then reports itself.
    """
    try:
        # One line read: the generator, dropped at once, closes the log without reading on.
        first = next(journal.events(tolerate_torn=True), None)
    except CrisisplayError:
        return None
    if first is None or first.get("type") != ev.STARTED or not isinstance(first.get("data"), dict):
        return None
    snapshot = first["data"].get("snapshot")
    locale = snapshot.get("locale") if isinstance(snapshot, dict) else None
    return locale if isinstance(locale, str) else None


def load_state(journal: IncidentLog) -> ev.State:
    """Replay a log (a torn last line is ignored here; `resume` sets it aside). Personal values
    are decrypted once the replay is over, and only those the state still holds."""
    try:
        state = ev.replay(journal.events(tolerate_torn=True, lazy=True))
        journal.seal.reveal(state)  # in place
        return state
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise JournalError(
            _("{path}: not a crisisplay incident log ({reason})").format(path=journal.where(), reason=err)
        ) from None


class IncidentErased(JournalError):
    """An incident whose personal data is gone (purged) or cannot be written (its key missing
    or wrong): nothing more may be logged to it by a command that logs what people type. Exit 2."""


def purge_logged(log: IncidentLog) -> bool:
    """Whether the log holds `incident.purged` (nothing decrypted); a key an interrupted purge left
    behind is deleted now."""
    return log.seal.purge_found()


def refuse_erased(log: IncidentLog, read: bool = True) -> None:
    """IncidentErased when `log` was purged, its key is missing or wrong, or it has none in a store
    that keeps keys (written before encryption); nothing when it may take personal data.

    `read`: look through the log for `incident.purged` first (raw, nothing decrypted); without,
    the caller has read the log through `events()` already (the seal saw any purge then)."""
    seal = log.seal
    if purge_logged(log) if read else seal.purged:
        raise IncidentErased(
            _(
                "incident {incident} was purged: its personal data is erased and nothing more can be logged to it"
            ).format(incident=log.incident_id)
        )
    if seal.status == PLAIN and seal.keys is not None:
        raise IncidentErased(
            _(
                "incident {incident} has no key (it was written before encryption): personal data cannot be "
                "logged to it in clear; it can still be read, verified and exported"
            ).format(incident=log.incident_id)
        )
    if seal.status not in (READY, PLAIN):
        raise IncidentErased(
            _("{problem}; nothing is logged to it until its key is back").format(problem=seal.warning() or seal.status)
        )


def privacy(seal: LogSeal) -> str:
    """Where an incident's personal data stands, from its seal (after its log was read through
    `events()`): sealed, plain, purged, key-missing or key-wrong. KeyProblem when the key file
    may not be read."""
    if seal.purged:
        return ERASED_BY_PURGE
    status = seal.status
    if status == PLAIN:
        return PLAIN_LOG
    if status == READY:
        return SEALED
    return KEY_MISSING if status == MISSING else KEY_WRONG


def _privacy_now(row: Row, fingerprint: str | None, keys: KeyRing | None) -> None:
    """Set a row's `privacy` from what its log says at rest and the keys kept now (a key may be
    deleted or imported without the log changing, so this is never cached)."""
    at_rest = row.get("privacy")
    if at_rest not in (SEALED, ERASED_BY_PURGE) or keys is None or fingerprint is None:
        return
    if not isinstance(row["id"], str):
        return
    seal = LogSeal(row["id"], keys, lambda: {"seq": 0, "data": {FINGERPRINT: fingerprint}})
    if at_rest == ERASED_BY_PURGE:
        with suppress(JournalError):  # a listing never fails on it; the next command tries again
            seal.open({"type": PURGED, "data": {}})  # deletes a key an interrupted purge left
        return
    try:
        row["privacy"] = privacy(seal)
    except KeyProblem as err:
        row["privacy"] = KEY_REFUSED
        row["problems"].append(str(err))


def listing(home: Path, store: Store | None = None) -> list[Row]:
    """Every incident once, by the id inside its log, with the problems found on the way.

    A log that cannot be read is listed as `unreadable` (it never hides the others). A log
    whose file name disagrees with the id inside (copied or renamed over another incident's
    file) is flagged; when the same id is in several files, the one named after it is the
    row, and the others are named in its `problems`.
    """
    store = store_of(home, store)
    if not isinstance(store, FileStore):
        return _store_listing(store)
    rows: dict[str, Row] = {}
    cache = SummaryCache(store.folder, store.keys)
    for path in store.logs():
        journal = Journal(path)  # without keys: a listing decrypts nothing
        try:
            row = cache.summary(journal)
        except CrisisplayError as err:
            rows[f"\0{path.name}"] = unreadable(journal, str(err))  # keyed apart from every real id
            continue
        if row["id"] != journal.incident_id:
            row["problems"].append(
                _(
                    "{path}: holds incident {inside}, but its file name says {name} "
                    "(a log copied or renamed over another incident's file)"
                ).format(path=path, inside=repr(row["id"]), name=repr(journal.incident_id))
            )
        known = rows.get(row["id"]) if isinstance(row["id"], str) else None
        if known is None:
            rows[row["id"] if isinstance(row["id"], str) else f"\0{path.name}"] = row
            continue
        if row["file"] == f"{row['id']}.jsonl" and known["file"] != f"{known['id']}.jsonl":
            row["problems"] += known["problems"]  # the file named after the incident holds it
            rows[row["id"]] = known = row
        else:
            known["problems"] += row["problems"]
    cache.save()
    return list(rows.values())


def _store_listing(store: Store) -> list[Row]:
    """Every incident of a store that keeps one log per id (PostgreSQL): no file names to disagree."""
    rows = []
    for incident_id in store.ids():
        log = store.open(incident_id)
        try:
            row = summary(log)
        except CrisisplayError as err:
            rows.append(unreadable(log, str(err)))
            continue
        _privacy_now(row, log.seal.fingerprint, store.keys)
        rows.append(row)
    return rows


def unreadable(journal: IncidentLog, problem: str) -> Row:
    """The `incidents` row of a log that cannot be read: its file name, and why."""
    return {
        "id": journal.incident_id,
        "file": _file_name(journal),
        "playbook": None,
        "title": None,
        "status": UNREADABLE,
        "drill": None,
        "severity": None,
        "severity_label": None,
        "started": None,
        "detected": None,
        "last_activity": None,
        "responders": [],
        "pause_reason": None,
        "head": None,
        "duration_ms": None,
        "milestones": None,
        "deliveries_unknown": None,
        "closed": None,
        "privacy": None,
        "problems": [problem],
    }


def _file_name(journal: IncidentLog) -> str | None:
    """The log's file name in the file store; None in a store without files."""
    return journal.path.name if isinstance(journal, Journal) else None


def summary(journal: IncidentLog) -> Row:
    """The headline of one incident, for `incidents`."""
    running = journal.is_running()
    return _with_status(_summary_at_rest(journal), running)


def _with_status(row: Row, running: bool) -> Row:
    """A row whose `status` is what the log says at rest, given whether a run holds it now."""
    if running and row["status"] != CLOSED:  # as `Metrics.status`: a run holds it now
        row["status"] = RUNNING
    return row


def _summary_at_rest(journal: IncidentLog) -> Row:
    """The headline as the log alone says it: `status` is closed, paused or interrupted."""
    # One pass: state and headline figures, no personal value decrypted (the row shows none).
    metrics = measure_log(journal, running=False, lazy=True)
    state = metrics.state
    return {
        "id": state.incident_id,
        "file": _file_name(journal),
        "playbook": state.playbook.id,
        "title": state.playbook.title,
        "status": metrics.status,
        "drill": state.drill,
        "severity": state.severity,
        "severity_label": state.playbook.severity.label(state.severity),  # as the playbook words it (`media`)
        "started": format_ts(state.started_at),
        "detected": format_ts(state.detected_at),
        "last_activity": format_ts(state.active_ts) if state.active_ts else None,
        "responders": list(state.responders),
        "pause_reason": journal.seal.reveal(state.pause_reason) if state.lifecycle == ev.PAUSED else None,
        "head": state.head,
        **headline(metrics),
        # Deliveries queued whose outcome was never logged (the run stopped while they were sent).
        "deliveries_unknown": len(state.in_flight()),
        # When it was closed, as logged (wall time, even for a drill, whose views use scenario time):
        # retention counts from it.
        "closed": metrics.closed_at,
        # As the log says it: sealed, plain or purged (`_privacy_now` looks at the key kept).
        "privacy": _privacy_at_rest(journal),
        "problems": [],
    }


def _privacy_at_rest(journal: IncidentLog) -> str:
    """What the log alone (read through `events()` just now) says of its personal data."""
    seal = journal.seal
    if seal.purged:
        return ERASED_BY_PURGE
    return SEALED if seal.keyed else PLAIN_LOG


# -- the summary cache ----------------------------------------------------------------------
#
# `<incidents folder>/.cache/summaries.json` holds each incident's row as the log says it at
# rest, with the key it was built under: the log's size, inode, modification and change times, the
# `hash` of its last line and the SHA-256 of that line's bytes, and the code that built it.
# A row is used only when every part of the key still matches the log; anything else (no
# cache, a corrupt or foreign file, another version) is rebuilt from the log, silently. The
# log stays the only source of truth: `verify`, `export` and `resume` never read the cache.

CACHE_FOLDER = ".cache"
CACHE_FILE = "summaries.json"
_CACHE_FORMAT = (
    3  # 2: rows carry `closed` and `privacy`, entries the key fingerprint; 3: a drill's `closed` is wall time
)
_TAIL_CHUNK = 4096
_HEAD = re.compile(rb',"hash":"([0-9a-f]{64})"\}\n?\Z')  # how a canonical line ends
# A log written this recently is not cached: a second write within the file system's timestamp
# tick could otherwise leave size, times and last line all as they were (git's "racy clean").
_SETTLED_NS = 2_000_000_000
_ROW_KEYS = frozenset(
    [
        "id",
        "file",
        "playbook",
        "title",
        "status",
        "drill",
        "severity",
        "severity_label",
        "started",
        "detected",
        "last_activity",
        "responders",
        "pause_reason",
        "head",
        "duration_ms",
        "milestones",
        "deliveries_unknown",
        "closed",
        "privacy",
        "problems",
    ]
)
# What a cached row depends on besides the log: these modules build it.
_BUILDERS = ("incidents.py", "metrics.py", "events.py", "clocks.py", "times.py", "scenario/state.py")


def code_stamp() -> list[Any]:
    """What a cached row depends on besides its log: this version and the modules that build it."""
    from crisisplay import __version__

    here = Path(__file__).resolve().parent
    stamp: list[Any] = [_CACHE_FORMAT, __version__]
    for name in _BUILDERS:
        try:
            st = (here / name).stat()
        except OSError:
            continue
        stamp.append([name, st.st_size, st.st_mtime_ns])
    return stamp


def _last_line(fd: int, size: int) -> bytes:
    """The log's last line (a torn one included), found by reading backwards from the end."""
    stop = size - 1 if size else 0  # the final newline ends the last line; look for the one before it
    while stop > 0:
        start = max(0, stop - _TAIL_CHUNK)
        found = os.pread(fd, stop - start, start).rfind(b"\n")
        if found >= 0:
            begin = start + found + 1
            return os.pread(fd, size - begin, begin)
        stop = start
    return os.pread(fd, size, 0)


def log_key(path: Path) -> dict[str, Any] | None:
    """What a cached summary of `path` must match; None when the log cannot be keyed (not a
    plain file, unreadable, or changed too recently to tell an edit from no change)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        now = time.time_ns()
        if now - st.st_mtime_ns < _SETTLED_NS:
            return None
        tail = _last_line(fd, st.st_size)
    except OSError:
        return None
    finally:
        os.close(fd)
    head = _HEAD.search(tail)  # the last line is not parsed: it may be anything, even nested deep
    return {
        "size": st.st_size,
        "inode": st.st_ino,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
        "head": head.group(1).decode("ascii") if head else None,
        "tail_sha256": hashlib.sha256(tail).hexdigest(),
    }


class SummaryCache:
    """The rows of a file store's incidents, each rebuilt from its log unless its key still holds.

    One file, `.cache/summaries.json` beside the logs: read once, written once (atomically,
    owner-only) when a row was rebuilt or a log is gone, so a listing opens each log for its
    last line only.
    """

    def __init__(self, folder: Path, keys: KeyRing | None = None):
        self.keys = keys  # the store's keys: each row's `privacy` is looked up in them
        self.folder = folder / CACHE_FOLDER
        self.file = self.folder / CACHE_FILE
        self.code = code_stamp()
        self.entries = self._load()
        self.seen: set[str] = set()
        self.dirty = False

    def summary(self, journal: Journal) -> Row:
        running = journal.is_running()  # first, as `summary`: a refused lock file is the row's error
        name = journal.incident_id  # the file's stem: one entry per log file
        self.seen.add(name)
        key = log_key(journal.path)  # taken before the log is read: an append in between misses next time
        cached = self._cached(name, key) if key is not None else None
        if cached is None:
            row = _summary_at_rest(journal)
            fingerprint = journal.seal.fingerprint
            # Never a personal value in the cache: it outlives a purge (a row holds none today;
            # one that ever did is rebuilt each time instead).
            if key is not None and not holds_personal(row):
                self.entries[name] = {"key": key, "row": row, "fingerprint": fingerprint}
                self.dirty = True
            elif self.entries.pop(name, None) is not None:
                self.dirty = True
            row = dict(row)  # the cached row stays as the log says it
        else:
            row, fingerprint = cached
        row["file"] = journal.path.name
        row["problems"] = []
        _privacy_now(row, fingerprint, self.keys)
        return _with_status(row, running)

    def _cached(self, name: str, key: dict[str, Any]) -> tuple[Row, str | None] | None:
        entry = self.entries.get(name)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        row, fingerprint = entry.get("row"), entry.get("fingerprint")
        if not isinstance(row, dict) or row.keys() != _ROW_KEYS or row["status"] not in (CLOSED, PAUSED, INTERRUPTED):
            return None
        return dict(row), fingerprint if isinstance(fingerprint, str) else None

    def _load(self) -> dict[str, Any]:
        from crisisplay.home import read_cache_file

        return read_cache_file(self.file, self.code)

    def save(self) -> None:
        """Write the rows back when one was rebuilt or a log is gone; a cache that cannot be
        written is not used (a read-only or full disk costs speed, never the listing)."""
        from crisisplay.home import write_cache_file

        gone = self.entries.keys() - self.seen
        if not (self.dirty or gone):
            return
        entries = {name: entry for name, entry in self.entries.items() if name in self.seen}
        body = json.dumps({"code": self.code, "incidents": entries}).encode("ascii")  # escaped: any text round-trips
        write_cache_file(self.folder, self.file, body)
