"""The file store: one incident's append-only, hash-chained log file, and its lease.

One incident is one JSON Lines file, `<id>.jsonl`, holding the canonical lines of
`store/chain.py`. The file is created complete with its first event and only ever grows by
whole decisions: one `write` on an `O_APPEND` descriptor and one fsync each, under a short
exclusive `flock` on the log itself (where `expect_head` is checked, so two writers cannot
fork the chain). The run that drives an incident holds its lease, `<id>.lease` beside the
log (holder, pid, host, expiry; renewed by a heartbeat), with the run lock `<id>.lock`
underneath it: an flock that keeps a second run on the same machine out.

Logs, leases and locks must be regular files: a hostile log ends in a one-line error, never
a traceback or a hang. Nothing here prints: problems come back as `VerifyResult` or as typed
errors.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import signal
import socket
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from crisisplay.errors import IncidentBusy, IncidentNotFound, JournalError, PlatformUnsupported
from crisisplay.home import private_dir
from crisisplay.i18n import _
from crisisplay.store.base import (
    HeadMoved,
    HeldLease,
    Lease,
    LeaseLost,
    Leasing,
    busy_elsewhere,
    busy_here,
    lease_is_live,
)
from crisisplay.store.chain import (
    _HEX64_RE,
    _REQUIRED,
    CORRUPT,
    DELETED,
    EDITED,
    HEAD_MISSING,
    INSERTED,
    MAX_DEPTH,
    MISNAMED,
    REORDERED,
    TORN,
    VERSION_MISMATCH,
    ZERO_HASH,
    ChainCheck,
    EventNotLoggable,
    Lines,
    VerifyResult,
    _complete,
    _corrupt_reason,
    _is_torn,
    _lines_upto,
    _loads,
    canonical_line,
)
from crisisplay.store.sealing import PURGED_TEXT, KeyRing, LogSeal, is_purge_line
from crisisplay.times import format_ts, now, parse_ts

try:
    import fcntl
except ImportError:  # not a POSIX system: `require_posix` refuses the commands that need it
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CORRUPT",
    "DELETED",
    "EDITED",
    "HEAD_MISSING",
    "INSERTED",
    "MAX_DEPTH",
    "MISNAMED",
    "REORDERED",
    "TORN",
    "VERSION_MISMATCH",
    "ZERO_HASH",
    "ChainCheck",
    "EventNotLoggable",
    "Journal",
    "VerifyResult",
    "canonical_line",
    "format_ts",
    "now",
    "parse_ts",
    "require_posix",
]

_FILE_MODE = 0o600
_DIR_MODE = 0o700
_TAIL_CHUNK = 64 * 1024
_POLL = 0.05  # how often `wait` looks at the log (the interface allows up to 100 ms)


def require_posix() -> None:
    """Refuse, in one line, to run a command that needs POSIX file locks and timers where there are none."""
    if fcntl is None or not hasattr(signal, "setitimer"):
        raise PlatformUnsupported(
            "this command needs POSIX file locks (fcntl) and timers, which this platform does not "
            "have: crisisplay runs on Linux, macOS and other Unix systems (on Windows, use WSL)"
        )


# --- the journal ---------------------------------------------------------------------------


class Journal(Leasing["FileLeaseHandle"]):
    """One incident's log file, `<id>.jsonl`, with its lease `<id>.lease` and run lock `<id>.lock` beside it."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None, keys: KeyRing | None = None):
        """Open (lazily) the log at `path`; `clock` stamps events that carry no `ts`; `keys` holds
        the incident's key (none: personal values are logged as plain text)."""
        self.path = Path(path)
        self.clock = clock or now
        path = self.path  # the seal reads the first line through the path, not this object: no cycle to keep it alive
        self.seal = LogSeal(self.incident_id, keys, lambda: _first_event(path), lambda: _purge_logged(path))
        self._fd: int | None = None
        self._known: tuple[int, int, str] | None = None  # (size, seq, hash) after our last append
        self._inode: tuple[int, int] | None = None  # (st_dev, st_ino) of the append descriptor's file
        self._last_line: bytes | None = None  # the last line our last append wrote

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @property
    def incident_id(self) -> str:
        """The incident id: the log's file name without `.jsonl`."""
        return self.path.name.removesuffix(".jsonl")

    @property
    def lock_path(self) -> Path:
        """The run lock file, `<id>.lock`."""
        return self.path.with_name(self.incident_id + ".lock")

    @property
    def lease_path(self) -> Path:
        """The lease file, `<id>.lease`: who drives the incident, until when."""
        return self.path.with_name(self.incident_id + ".lease")

    @property
    def torn_path(self) -> Path:
        """Where `set_aside_torn` keeps torn bytes, `<id>.torn`."""
        return self.path.with_name(self.incident_id + ".torn")

    def where(self) -> str:
        """The log's path, for messages."""
        return str(self.path)

    @property
    def label(self) -> Path:
        """What `verify`'s messages put before `:line` (`store.chain.LineSource`)."""
        return self.path

    @property
    def stored_name(self) -> str:
        return self.path.name

    # -- writing --

    @classmethod
    def create(
        cls,
        path: Path,
        first_event: dict[str, Any],
        clock: Callable[[], datetime] | None = None,
        keys: KeyRing | None = None,
    ) -> Journal:
        """Create the log atomically holding `first_event` as seq 0; refuse if it exists. With
        `keys`, the incident's key is made and kept first, and its fingerprint logged."""
        journal = cls(path, clock, keys)
        folder = journal.path.parent
        private_dir(folder)
        if journal.path.exists():
            raise JournalError(_("{path}: an incident log already exists there").format(path=journal.path))
        stamp = format_ts(journal.clock())
        first_event = journal.seal.prepare_first(first_event)
        try:
            journal._write_first(first_event, stamp)
        except BaseException:
            journal.seal.forget_key()
            raise
        return journal

    def _write_first(self, first_event: dict[str, Any], stamp: str) -> None:
        journal, folder = self, self.path.parent
        event = _complete(first_event, seq=0, prev=ZERO_HASH, stamp=stamp)
        line, _digest = canonical_line(event)
        data = (line + "\n").encode("utf-8")
        tmp = folder / f".{journal.path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
            try:
                os.fchmod(fd, _FILE_MODE)
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            _publish(tmp, journal.path)
            fsync_dir(folder)
        except FileExistsError:
            raise JournalError(_("{path}: an incident log already exists there").format(path=journal.path)) from None
        except OSError as err:
            raise JournalError(
                _("{path}: cannot create the incident log: {reason}").format(path=journal.path, reason=_why(err))
            ) from None
        finally:
            with suppress(OSError):  # published already (the usual case), or never created
                os.unlink(tmp)

    def append(self, events: list[dict[str, Any]], expect_head: str | None = None) -> list[dict[str, Any]]:
        """Log one decision's events in one write and one fsync; return them as logged.

        With `expect_head`, HeadMoved (carrying the newer events) instead, when another writer
        appended since that head: checked under the same lock as the write."""
        if not events:
            raise EventNotLoggable("a decision must log at least one event")
        sealed = self.seal.seal(events)
        fd = self._append_fd()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if self._known is not None and self._known[0] == size:
                # Nobody appended since our last write (the file only grows): no need to re-read.
                _known_size, seq, prev = self._known
            else:
                last, _cut, torn = _read_tail(fd, size)
                if torn is not None:
                    raise JournalError(
                        f"{self.path}: the last line is torn (a crash mid-write); `crisisplay resume "
                        f"{self.incident_id}` sets it aside before anything more is logged"
                    )
                if last is None:
                    raise JournalError(_("{path}: the log holds no event to chain onto").format(path=self.path))
                seq, prev = self._chain_point(last)
            if expect_head is not None and prev != expect_head:
                self._known = None
                newer = _events_after(fd, size, expect_head)
                raise HeadMoved(
                    _("{path}: {count} event(s) were logged by someone else since this decision was made").format(
                        path=self.path, count=len(newer)
                    ),
                    list(self.seal.opened(newer)),
                )
            stamp = format_ts(self.clock())
            logged, lines = [], []
            for offset, given in enumerate(sealed):
                event = _complete(given, seq=seq + 1 + offset, prev=prev, stamp=stamp)
                line, prev = canonical_line(event)
                event["hash"] = prev
                # Returned as the caller gave it (plain), with what the log added.
                logged.append(event if given is events[offset] else {**event, "data": events[offset]["data"]})
                lines.append(line + "\n")
            data = "".join(lines).encode("utf-8")
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as err:
                # Never leave half a decision behind: it was not acknowledged, so drop it.
                self._known = None
                try:
                    os.ftruncate(fd, size)
                    os.fsync(fd)
                except OSError:
                    pass
                raise JournalError(
                    _("{path}: cannot write to the incident log: {reason}").format(path=self.path, reason=_why(err))
                ) from None
            self._known = (size + len(data), logged[-1]["seq"], prev)
            self._last_line = lines[-1].encode("utf-8")
            return logged
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _append_fd(self) -> int:
        """The append-only descriptor, opened once and kept until `close()`."""
        if self._fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK)
            except FileNotFoundError:
                raise IncidentNotFound(_("{path}: no such incident log").format(path=self.path)) from None
            except OSError as err:
                raise JournalError(
                    _("{path}: cannot open the incident log: {reason}").format(path=self.path, reason=_why(err))
                ) from None
            _refuse_unless_regular(fd, self.path, INCIDENT_LOG)
            info = os.fstat(fd)
            self._inode = (info.st_dev, info.st_ino)
            self._fd = fd
        return self._fd

    def close(self) -> None:
        """Close the append descriptor, if one is open (appending again reopens it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._known = None
        self._last_line = None

    def _chain_point(self, last: bytes) -> tuple[int, str]:
        """The `seq` and `hash` of the last line, checked enough to chain onto."""
        try:
            event = _loads(last)
            seq, digest = event["seq"], event["hash"]
        except (ValueError, TypeError, KeyError):
            raise JournalError(
                _("{path}: the last line is not an event to chain onto").format(path=self.path)
            ) from None
        if type(seq) is not int or seq < 0 or not _HEX64_RE.fullmatch(str(digest)):
            raise JournalError(_("{path}: the last line has a malformed seq or hash").format(path=self.path))
        return seq, digest

    # -- reading --

    def events(self, tolerate_torn: bool = False, raw: bool = False, lazy: bool = False) -> Iterator[dict[str, Any]]:
        """Stream the logged events, personal values opened (`raw`: as logged, envelopes and all;
        `lazy`: left `Sealed` for `seal.reveal`); a bad line raises JournalError "path:line: reason"."""
        if raw:
            return (event for event, _line in self._read(tolerate_torn))
        if lazy:
            return self.seal.lazy_lines(self._read(tolerate_torn))
        return self.seal.opened_lines(self._read(tolerate_torn))

    def _logged_events(self, tolerate_torn: bool) -> Iterator[dict[str, Any]]:
        return (event for event, _line in self._read(tolerate_torn))

    def _read(self, tolerate_torn: bool) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Each logged event with the line it was read from."""
        with self._snapshot() as (_size, lines):
            for number, raw, is_last in lines:
                if is_last and _is_torn(raw):
                    if tolerate_torn:
                        return
                    raise JournalError(
                        _("{path}:{line}: torn last line (a crash mid-write)").format(path=self.path, line=number)
                    )
                try:
                    event = _loads(raw)
                except ValueError as err:
                    raise JournalError(f"{self.path}:{number}: {_corrupt_reason(err).shown()}") from None
                if type(event) is not dict:
                    raise JournalError(
                        _("{path}:{line}: not an event: not a JSON object").format(path=self.path, line=number)
                    )
                if not event.keys() >= _REQUIRED:
                    missing = ", ".join(sorted(_REQUIRED - event.keys()))
                    raise JournalError(
                        _("{path}:{line}: not an event: no {missing}").format(
                            path=self.path, line=number, missing=missing
                        )
                    )
                yield event, raw

    def head(self) -> dict[str, Any] | None:
        """The last complete event, read from the end of the file; None if there is none."""
        line, known = self._last_line, self._known
        if line is not None and known is not None and self._unmoved(known):
            event = _loads(line)
            if type(event) is dict:
                return self.seal.open(event)
        fd = self._open_read()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            size = os.fstat(fd).st_size
            last, _cut, _torn = _read_tail(fd, size)
        finally:
            os.close(fd)
        if last is None:
            return None
        try:
            event = _loads(last)
        except ValueError as err:
            raise JournalError(
                _("{path}: last line is not a valid event: {reason}").format(path=self.path, reason=err)
            ) from None
        if type(event) is not dict:
            raise JournalError(_("{path}: last line is not an event").format(path=self.path))
        return self.seal.open(event)

    def head_hash(self) -> str | None:
        """The last event's `hash` (None when there is no event), without parsing the line our last
        append wrote when nobody has appended since (a run asks before every prompt)."""
        known = self._known
        if known is not None and self._unmoved(known):
            return known[2]
        head = self.head()
        return None if head is None else head.get("hash")

    def _unmoved(self, known: tuple[int, int, str]) -> bool:
        """Whether the log at this path is still the file our last append wrote to, at the size that
        append left it (the file only grows): then its last line is the one we wrote. One stat
        instead of open, flock, fstat, read and close (and no read to move the file's access time)."""
        try:
            info = os.stat(self.path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self._inode and info.st_size == known[0] and stat.S_ISREG(info.st_mode)

    def has_torn_tail(self) -> bool:
        """True if the last line was cut off by a crash (no newline, or not JSON)."""
        fd = self._open_read()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            _size, _cut, torn = _read_tail(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        return torn is not None

    def set_aside_torn(self) -> str | None:
        """Move a torn last line to `<id>.torn` and cut it from the log; say what was done."""
        self._known = None
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            raise IncidentNotFound(_("{path}: no such incident log").format(path=self.path)) from None
        except OSError as err:
            raise JournalError(
                _("{path}: cannot open the incident log: {reason}").format(path=self.path, reason=_why(err))
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            _size, cut, torn = _read_tail(fd, size)
            if torn is None:
                return None
            line_no = _count_newlines(fd, cut) + 1
            try:
                self._keep_torn(torn)
                os.ftruncate(fd, cut)
                os.fsync(fd)
            except OSError as err:
                raise JournalError(
                    _("{path}: cannot set the torn last line aside: {reason}").format(path=self.path, reason=_why(err))
                ) from None
            return _("{path}:{line}: set aside a torn last line ({size} bytes, a crash mid-write) into {torn}").format(
                path=self.path, line=line_no, size=len(torn), torn=self.torn_path
            )
        finally:
            os.close(fd)

    def _keep_torn(self, torn: bytes) -> None:
        """Append torn bytes to `<id>.torn` durably before the log loses them."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
        try:
            out = os.open(self.torn_path, flags | os.O_CREAT | os.O_EXCL, _FILE_MODE)
            created = True
        except FileExistsError:
            out = os.open(self.torn_path, flags)
            created = False
        try:
            if created:
                os.fchmod(out, _FILE_MODE)
            _write_all(out, torn)
            os.fsync(out)
        finally:
            os.close(out)
        if created:
            fsync_dir(self.torn_path.parent)

    # -- verifying --

    def verify(self, head: str | None = None) -> VerifyResult:
        """Check every line and the chain; with `head`, also that the log holds that event."""
        return ChainCheck(self, head).run()

    def wait(self, after_seq: int, timeout: float) -> bool:
        """Block until an event with seq > after_seq is logged (True) or `timeout` seconds pass (False).

        A short poll of the log's tail (every 50 ms): a file's size and time change with every
        append, so only a changed file is read again."""
        deadline = time.monotonic() + timeout
        seen: tuple[int, int] | None = None
        while True:
            try:
                info = os.stat(self.path)
                mark = (info.st_size, info.st_mtime_ns)
            except FileNotFoundError:
                raise IncidentNotFound(_("{path}: no such incident log").format(path=self.path)) from None
            if mark != seen:
                seen = mark
                head = self.head()
                if head is not None and type(head.get("seq")) is int and head["seq"] > after_seq:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_POLL, left))

    # -- the lease --

    def _take(self, holder: str, ttl: float, force: bool) -> tuple[FileLeaseHandle, Lease | None]:
        if not self.path.exists():
            raise IncidentNotFound(_("{path}: no such incident log").format(path=self.path))
        fd = _open_lock_file(self.lock_path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                local = True  # no run on this machine holds the incident
            except BlockingIOError:
                local = False
            with self._lease_mutex():
                previous = self.current_lease()
                moment = now()
                live = previous is not None and not previous.expired(moment)
                if not local and (not force or live or previous is None):
                    # A live run on this machine: an flock cannot be taken from it.
                    raise IncidentBusy(self._busy_message(fd, previous))
                if live and not force and previous is not None and previous.host != socket.gethostname():
                    raise IncidentBusy(busy_elsewhere(self.incident_id, previous))
                token = secrets.token_hex(8)
                lease = Lease(holder, os.getpid(), socket.gethostname(), moment + timedelta(seconds=ttl))
                self._write_lease(lease, token)
            if local:
                # Overwritten in place, never truncated: a fixed-width record, blanked on the way out
                # (a stale pid would mislead the next busy message).
                os.pwrite(fd, _pid_record(os.getpid()), 0)
        except BaseException:
            os.close(fd)
            raise
        return FileLeaseHandle(self, fd if local else None, token, lease, ttl), previous

    def current_lease(self) -> Lease | None:
        """The lease as the lease file holds it (expired or not); None when there is none."""
        found = self._read_lease()
        return found[0] if found is not None else None

    def is_running(self) -> bool:
        """True if a live, unexpired lease holds the incident (the `running` status)."""
        if os.path.lexists(self.lock_path):
            # The run lock under the lease must be a plain file (a FIFO or a link is refused, in one line).
            os.close(_open_lock_file(self.lock_path, create=False))
        lease = self.current_lease()
        return lease is not None and lease_is_live(lease, now())

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the incident as the login name would (the lease, without a name given)."""
        with self.lease(_login()):
            yield

    def _busy_message(self, fd: int, lease: Lease | None) -> str:
        """Who holds the run lock: the lease's holder (when it is this machine's run) and the lock's pid."""
        pid = os.pread(fd, _PID_WIDTH, 0).decode("ascii", "replace").strip()
        holder = lease.holder if lease is not None and lease.host == socket.gethostname() else None
        return busy_here(self.incident_id, holder, pid if pid.isdigit() else None)

    @contextmanager
    def _lease_mutex(self) -> Iterator[None]:
        """The short exclusive lock under which the lease file is read and replaced (the log's own flock)."""
        fd = self._open_read()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _read_lease(self) -> tuple[Lease, str] | None:
        """(lease, token) from the lease file; None when there is none, or it holds no lease."""
        try:
            fd = os.open(self.lease_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as err:
            raise JournalError(
                _("{path}: cannot read the lease: {reason}").format(path=self.lease_path, reason=_why(err))
            ) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
        return parse_lease(raw)

    def _write_lease(self, lease: Lease, token: str) -> None:
        """Replace the lease file atomically (a temp file renamed over it), owner-only."""
        data = json.dumps(
            {
                "holder": lease.holder,
                "pid": lease.pid,
                "host": lease.host,
                "expires_at": format_ts(lease.expires_at),
                "token": token,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        tmp = self.path.with_name(f".{self.lease_path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
            try:
                os.fchmod(fd, _FILE_MODE)
                _write_all(fd, data + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.lease_path)
        except OSError as err:
            with suppress(OSError):
                os.unlink(tmp)
            raise JournalError(
                _("{path}: cannot write the lease: {reason}").format(path=self.lease_path, reason=_why(err))
            ) from None

    # -- the line source `ChainCheck` reads (store.chain.LineSource) --

    def snapshot(self) -> AbstractContextManager[tuple[int, Lines]]:
        return self._snapshot()

    @contextmanager
    def reread(self, size: int) -> Iterator[Lines]:
        with os.fdopen(self._open_read(), "rb", buffering=1024 * 1024) as handle:
            yield _lines_upto(handle, size)

    # -- helpers --

    def _open_read(self) -> int:
        return _open_log(self.path)

    @contextmanager
    def _snapshot(self) -> Iterator[tuple[int, Iterator[tuple[int, bytes, bool]]]]:
        """Yield (size, lines) over the log as it stood when no append was mid-write."""
        fd = self._open_read()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            size = os.fstat(fd).st_size
            fcntl.flock(fd, fcntl.LOCK_UN)
            handle = os.fdopen(fd, "rb", buffering=1024 * 1024)
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield size, _lines_upto(handle, size)


def _open_log(path: Path) -> int:
    """The log opened for reading, by every reader of the file store. O_NONBLOCK: a FIFO in the
    log's place must not hang the reader; it is refused (JournalError), as is anything else that is
    not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except FileNotFoundError:
        raise IncidentNotFound(_("{path}: no such incident log").format(path=path)) from None
    except OSError as err:
        raise JournalError(
            _("{path}: cannot read the incident log: {reason}").format(path=path, reason=_why(err))
        ) from None
    _refuse_unless_regular(fd, path, INCIDENT_LOG)
    return fd


def _purge_logged(path: Path) -> bool:
    """Whether the log holds an `incident.purged` event: its canonical text searched in the bytes a
    mebibyte at a time, read into one buffer (no more held than that); only where the text is
    found are the lines read to be sure one is the event's own type (not a value inside data).
    No log yet (one being created) holds none; one that is not a regular file is refused."""
    needle = PURGED_TEXT
    keep = len(needle) - 1  # carried from one read to the next: the text may straddle two
    try:
        fd = _open_log(path)
    except IncidentNotFound:
        return False
    try:
        with os.fdopen(fd, "rb", buffering=0) as handle:
            buffer = bytearray(keep + _SCAN_CHUNK)
            view, carried = memoryview(buffer), 0
            while read := handle.readinto(view[carried:]):
                end = carried + read
                if buffer.find(needle, 0, end) >= 0:
                    return _purge_line_logged(path)
                carried = min(keep, end)
                buffer[:carried] = buffer[end - carried : end]
    except OSError:
        return False
    return False


def _purge_line_logged(path: Path) -> bool:
    """`_purge_logged` where the text was found: each line that holds it parsed (a mebibyte at a time)."""
    try:
        with os.fdopen(_open_log(path), "rb") as handle:
            carry = b""
            while True:
                chunk = handle.read(_SCAN_CHUNK)
                buffer = carry + chunk
                cut = len(buffer) if not chunk else buffer.rfind(b"\n") + 1  # complete lines only, until the end
                if _purge_line_in(buffer[:cut]):
                    return True
                if not chunk:
                    return False
                carry = buffer[cut:]
    except OSError:
        return False


def _purge_line_in(lines: bytes) -> bool:
    found = lines.find(PURGED_TEXT)
    while found >= 0:
        start = lines.rfind(b"\n", 0, found) + 1
        end = lines.find(b"\n", found)
        if is_purge_line(lines[start : end if end >= 0 else len(lines)]):
            return True
        found = lines.find(PURGED_TEXT, found + 1)
    return False


_SCAN_CHUNK = 1024 * 1024


def _first_event(path: Path) -> dict[str, Any] | None:
    """The log's first event as logged (None when it cannot be read: the reader says why)."""
    with suppress(JournalError, OSError):
        return next(Journal(path)._logged_events(tolerate_torn=True), None)
    return None


class FileLeaseHandle(HeldLease):
    """A lease held on the file store: renewed by a heartbeat, released (the file removed) on exit."""

    def __init__(self, journal: Journal, lock_fd: int | None, token: str, lease: Lease, ttl: float):
        self.journal = journal
        self._lock_fd = lock_fd  # the run lock's flock, held while the lease is (None: taken over without it)
        super().__init__(journal.incident_id, journal.current_lease, token, lease, ttl)

    def renew(self) -> None:
        """Push the expiry on by the ttl; LeaseLost if the lease file names someone else now."""
        if self._lost:
            raise LeaseLost(self._lost_message())
        journal = self.journal
        with journal._lease_mutex():
            found = journal._read_lease()
            if found is None or found[1] != self._token:
                self._lost = True
                raise LeaseLost(self._lost_message())
            self.lease = Lease(self.lease.holder, self.lease.pid, self.lease.host, now() + timedelta(seconds=self._ttl))
            journal._write_lease(self.lease, self._token)

    def release(self) -> None:
        """Give the incident up: the lease file removed if it is still ours, the run lock let go."""
        if self._released:
            return
        self._released = True
        self._heartbeat.stop()
        journal = self.journal
        try:
            with journal._lease_mutex():
                found = journal._read_lease()
                if found is not None and found[1] == self._token:
                    with suppress(FileNotFoundError):
                        os.unlink(journal.lease_path)
        except (IncidentNotFound, JournalError):
            pass  # the log is gone or unreadable: nothing left to release there
        finally:
            if self._lock_fd is not None:
                with suppress(OSError):
                    os.pwrite(self._lock_fd, _pid_record(None), 0)
                os.close(self._lock_fd)
                self._lock_fd = None


def parse_lease(raw: bytes) -> tuple[Lease, str] | None:
    """A lease file's (lease, token); None for anything that is not a lease (it then holds nothing)."""
    try:
        data = json.loads(raw.decode("utf-8"))
        pid = data.get("pid")
        lease = Lease(
            holder=str(data["holder"]),
            pid=pid if type(pid) is int else None,
            host=str(data["host"]),
            expires_at=parse_ts(str(data["expires_at"])),
        )
        return lease, str(data["token"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "responder"


# --- module helpers --------------------------------------------------------------------------


def _events_after(fd: int, size: int, head: str) -> list[dict[str, Any]]:
    """The events logged after the one whose hash is `head` (read under the caller's lock)."""
    data = b""
    position = 0
    while position < size:
        chunk = os.pread(fd, min(1024 * 1024, size - position), position)
        if not chunk:
            break
        data += chunk
        position += len(chunk)
    newer: list[dict[str, Any]] = []
    found = False
    for raw in data.splitlines():
        try:
            event = _loads(raw)
        except ValueError:
            continue
        if type(event) is not dict:
            continue
        if found:
            newer.append(event)
        elif event.get("hash") == head:
            found = True
    return newer


def _read_tail(fd: int, size: int) -> tuple[bytes | None, int, bytes | None]:
    """Read backwards: (last complete line, offset where a torn tail starts, torn bytes)."""
    if size == 0:
        return None, 0, None
    # Read ever larger spans from the end (so a huge line costs linear time) until the
    # buffer holds the last two lines whole: enough to decide about a torn tail.
    span = _TAIL_CHUNK
    while True:
        position = max(0, size - span)
        buffer = os.pread(fd, size - position, position)
        if len(buffer) != size - position:
            raise JournalError(_("the incident log shrank while it was being read"))
        body = buffer[:-1] if buffer.endswith(b"\n") else buffer
        cut = body.rfind(b"\n")
        if position == 0 or (cut >= 0 and body.rfind(b"\n", 0, cut) >= 0):
            break
        span *= 4
    if not buffer.endswith(b"\n"):
        cut = buffer.rfind(b"\n") + 1
        torn = buffer[cut:]
        last = _last_line(buffer[:cut])
        return last, position + cut, torn
    last = _last_line(buffer)
    assert last is not None  # a buffer ending in a newline holds a line
    if _is_torn(last):
        cut = len(buffer) - len(last)
        return _last_line(buffer[:cut]), position + cut, last
    return last, size, None


def _last_line(buffer: bytes) -> bytes | None:
    """The last newline-terminated line of `buffer`, or None if it has none."""
    if not buffer:
        return None
    start = buffer.rfind(b"\n", 0, len(buffer) - 1) + 1
    return buffer[start:]


def _count_newlines(fd: int, end: int) -> int:
    """How many lines end before byte `end`: the torn line's number, less one."""
    count = 0
    position = 0
    while position < end:
        chunk = os.pread(fd, min(1024 * 1024, end - position), position)
        if not chunk:
            break
        count += chunk.count(b"\n")
        position += len(chunk)
    return count


def _publish(tmp: Path, path: Path) -> None:
    """Give the complete temp file its final name, never replacing an existing log."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as err:
        # Filesystems without hard links: rename (create() checked the name is free).
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        os.rename(tmp, path)


def fsync_dir(folder: Path) -> None:
    """Make a new name in `folder` durable; a filesystem that cannot fsync folders is let be."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    finally:
        os.close(fd)


_PID_WIDTH = 24  # the run lock holds its holder's pid, space-padded to this width, and a newline


def _pid_record(pid: int | None) -> bytes:
    """The run lock's content: the pid (or blanks, once released) in a fixed width, so it is never truncated."""
    return f"{'' if pid is None else pid:<{_PID_WIDTH - 1}}\n".encode("ascii")


def _open_lock_file(path: Path, create: bool = True) -> int:
    """Open the run lock file (to take it: creating it owner-only if need be); refuse anything but a plain file.

    O_NOFOLLOW: a symlink planted as `<id>.lock` would have the pid written into (and, before,
    the lock truncated over) whatever it points to. A FIFO or a device is refused too, and a
    file with other hard links, which could be someone else's file.
    """
    # Only a run writes its pid; the `running` probe reads (and works on a read-only copy of a home).
    flags = (os.O_RDWR if create else os.O_RDONLY) | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        if create:
            try:
                fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, _FILE_MODE)
                os.fchmod(fd, _FILE_MODE)
                return fd
            except FileExistsError:
                pass
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not create:
            raise
        raise IncidentNotFound(_("{path}: no such incidents folder").format(path=path.parent)) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise JournalError(
                _(
                    "{path}: the run lock is a symbolic link; a run lock must be a plain "
                    "file (remove the link; crisisplay makes a new lock)"
                ).format(path=path)
            ) from None
        raise JournalError(
            _("{path}: cannot open the run lock: {reason}").format(path=path, reason=_why(err))
        ) from None
    _refuse_unless_regular(fd, path, RUN_LOCK, single_link=create)
    return fd


INCIDENT_LOG, RUN_LOCK = "an incident log", "a run lock"  # what a file must be, for `_refuse_unless_regular`


def _refuse_unless_regular(fd: int, path: Path, what: str, single_link: bool = False) -> None:
    """Close `fd` and refuse (JournalError) unless it is a regular file (with one name, if asked)."""
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode) and not (single_link and info.st_nlink > 1):
        return
    os.close(fd)
    if not stat.S_ISREG(info.st_mode):
        raise JournalError(
            (
                _("{path}: not a regular file, so not an incident log (a FIFO, a device or a folder stands there)")
                if what == INCIDENT_LOG
                else _("{path}: not a regular file, so not a run lock (a FIFO, a device or a folder stands there)")
            ).format(path=path)
        )
    raise JournalError(
        (
            _(
                "{path}: has {links} hard links, so it may be another file; an incident log must be "
                "a plain file of its own (remove it; crisisplay makes a new one)"
            )
            if what == INCIDENT_LOG
            else _(
                "{path}: has {links} hard links, so it may be another file; a run lock must be "
                "a plain file of its own (remove it; crisisplay makes a new one)"
            )
        ).format(path=path, links=info.st_nlink)
    )


def _write_all(fd: int, data: bytes) -> None:
    """One write; a short write (rare on regular files) is finished under the same lock."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _why(err: OSError) -> str:
    """The operating system's words for an error, without the errno noise."""
    return err.strerror or str(err)
