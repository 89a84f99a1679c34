"""The store interface: where incident logs live, as the rest of crisisplay sees them.

Two stores implement it: the file store (`crisisplay/journal.py`'s `Journal`, one JSON Lines
file per incident, the embedded default) and the PostgreSQL store (`store/postgres.py`, for a
team on several machines). Both keep the same canonical lines and hash chain
(`store/chain.py`), so `verify`, `export` and `incidents` give the same answers on either.

`open_store` picks one: `CRISISPLAY_STORE`, else the configuration's `store`, else the
`incidents` folder in `<home>`. Nothing here imports psycopg.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from crisisplay.errors import JournalError, UsageError
from crisisplay.i18n import _

if TYPE_CHECKING:
    from crisisplay.config import Config
    from crisisplay.events import Event
    from crisisplay.store.chain import VerifyResult
    from crisisplay.store.sealing import KeyRing, LogSeal

STORE_VARIABLE = "CRISISPLAY_STORE"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class HeadMoved(JournalError):
    """Another writer appended since the head this decision was computed on."""

    exit_code = 3

    def __init__(self, message: str, newer: list[Event]):
        super().__init__(message)
        self.newer = newer  # the events after the expected head, oldest first


class LeaseLost(JournalError):
    """Someone took the incident's lease over while this run held it."""

    exit_code = 3


class StoreUnreachable(JournalError):
    """A store that cannot be used at all: a wrong address, a refused connection, wrong
    credentials, no schema (`crisisplay store init`) or a newer one. Exit 2."""


class StoreUnavailable(JournalError):
    """The store went away in the middle of a run (a server restart, a network drop): exit 3.

    What was acknowledged before is kept; the decision being written may or may not be:
    `resume` re-reads the log and goes on from what it holds."""

    exit_code = 3


@dataclass(frozen=True)
class Lease:
    """Who holds an incident (drives its run), until when."""

    holder: str  # the responder's name
    pid: int | None  # the holding process (same machine), if known
    host: str  # socket.gethostname() of the holder
    expires_at: datetime  # UTC

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def lease_is_live(lease: Lease, moment: datetime) -> bool:
    """Unexpired, and not held by a process of this machine that is gone (a run that was killed)."""
    if lease.expired(moment):
        return False
    if lease.host == socket.gethostname() and lease.pid is not None:
        return pid_alive(lease.pid)
    return True


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    except OSError:
        return False
    return True


def busy_here(incident_id: str, holder: str | None, pid: object = None) -> str:
    """The busy message for a run on this machine: who drives it (when the lease says) and its process."""
    if holder and pid:
        return _("incident {incident} is being run by {holder} in another terminal (pid {pid})").format(
            incident=incident_id, holder=holder, pid=pid
        )
    if holder:
        return _("incident {incident} is being run by {holder} in another terminal").format(
            incident=incident_id, holder=holder
        )
    if pid:
        return _("incident {incident} is being run in another terminal (pid {pid})").format(
            incident=incident_id, pid=pid
        )
    return _("incident {incident} is being run in another terminal").format(incident=incident_id)


def busy_with(incident_id: str, lease: Lease) -> str:
    """The busy message for a live lease: a run on this machine by its holder and process, else elsewhere."""
    if lease.host == socket.gethostname() and lease.pid is not None:
        return busy_here(incident_id, lease.holder, lease.pid)
    return busy_elsewhere(incident_id, lease)


def busy_elsewhere(incident_id: str, lease: Lease) -> str:
    """The busy message for a lease held from another machine (or by a run this one cannot see)."""
    return _(
        "incident {incident} is being run by {holder} on {host} (lease until {until}); "
        "`crisisplay resume {incident} --take-over` takes it over"
    ).format(
        incident=incident_id,
        holder=lease.holder,
        host=lease.host,
        until=lease.expires_at.astimezone().strftime("%H:%M"),  # a local time, as the header shows times
    )


class Heartbeat:
    """A daemon thread that calls `renew` every `interval` seconds until stopped or the lease is lost.

    It blocks SIGINT (Ctrl-C is the main thread's) and never appends to a log."""

    def __init__(self, renew: Callable[[], None], interval: float):
        self._renew = renew
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="crisisplay-lease", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _beat(self) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        while not self._stop.wait(self._interval):
            try:
                self._renew()
            except LeaseLost:
                return
            except JournalError:
                continue  # the store is away for a moment: try again at the next beat


class LeaseHandle(Protocol):
    def renew(self) -> None:
        """Push the expiry on by the lease's ttl; LeaseLost if someone took over meanwhile."""
        ...

    @property
    def lost(self) -> bool: ...


class HeldLease:
    """What a lease held on any store has: the lease, its token, the heartbeat that renews it
    every ttl/3, and whether someone took it away. Each store says how to `renew` and `release`."""

    def __init__(self, incident_id: str, current: Callable[[], Lease | None], token: str, lease: Lease, ttl: float):
        self.lease = lease
        self._incident_id = incident_id
        self._current = current  # who holds the incident's lease now, read from the store
        self._token = token
        self._ttl = ttl
        self._lost = False
        self._released = False
        self._heartbeat = Heartbeat(self.renew, ttl / 3)
        self._heartbeat.start()

    @property
    def lost(self) -> bool:
        return self._lost

    def renew(self) -> None:
        raise NotImplementedError

    def _lost_message(self) -> str:
        try:
            taker = self._current()
        except JournalError:
            taker = None
        if taker is None:
            return _("incident {incident}: the lease was taken away").format(incident=self._incident_id)
        return _("incident {incident} was taken over by {holder} on {host}").format(
            incident=self._incident_id, holder=taker.holder, host=taker.host
        )


class _Releasable(Protocol):
    def release(self) -> None: ...


_Handle = TypeVar("_Handle", bound=_Releasable)


class Leasing(Generic[_Handle]):
    """`lease` and `take_over` for a log that can `_take` its lease: they differ only in `force`."""

    def _take(self, holder: str, ttl: float, force: bool) -> tuple[_Handle, Lease | None]:
        raise NotImplementedError

    def lease(self, holder: str, ttl: float = 60.0) -> AbstractContextManager[_Handle]:
        """Hold the incident (drive its run) without waiting; IncidentBusy naming whoever holds it.

        Free: no lease, an expired one, or one whose process on this machine is gone (a run
        that was killed). The lease is renewed every ttl/3 by a heartbeat thread, and released
        on exit."""
        return self._leased(holder, ttl, force=False)[0]

    def take_over(self, holder: str, ttl: float = 60.0) -> tuple[AbstractContextManager[_Handle], Lease | None]:
        """Take the lease whoever holds it, unless a live process on this machine holds it unexpired."""
        return self._leased(holder, ttl, force=True)

    def _leased(self, holder: str, ttl: float, force: bool) -> tuple[AbstractContextManager[_Handle], Lease | None]:
        handle, previous = self._take(holder, ttl, force)

        @contextmanager
        def held() -> Iterator[_Handle]:
            try:
                yield handle
            finally:
                handle.release()

        return held(), previous


class IncidentLog(Protocol):
    """One incident's log, in whichever store: `Journal` is one."""

    @property
    def incident_id(self) -> str: ...

    def where(self) -> str:
        """For messages: a path, or `postgresql://host/db (incident …)`; never a password."""
        ...

    def append(self, events: list[Event], expect_head: str | None = None) -> list[Event]:
        """One decision's events, atomically (one write+fsync / one transaction). With `expect_head`,
        raise HeadMoved(newer events) instead of appending when the log's head hash differs."""
        ...

    def events(self, tolerate_torn: bool = False, raw: bool = False, lazy: bool = False) -> Iterator[Event]:
        """The logged events in order, personal values opened (a `Personal`, or None once erased);
        `raw`: exactly as logged, sealed values as their envelopes; `lazy`: each left a `Sealed`
        (nothing decrypted) for `seal.reveal` to open in what the caller keeps of them."""
        ...

    @property
    def seal(self) -> LogSeal:
        """The incident's personal values: its key's status, and opening what the log holds."""
        ...

    def head(self) -> Event | None: ...

    def head_hash(self) -> str | None:
        """The last event's `hash` (None when there is no event): whether another writer logged."""
        ...

    def verify(self, head: str | None = None) -> VerifyResult: ...

    def wait(self, after_seq: int, timeout: float) -> bool:
        """Block until an event with seq > after_seq exists (True) or timeout passes (False)."""
        ...

    def lease(self, holder: str, ttl: float = 60.0) -> AbstractContextManager[LeaseHandle]:
        """Take the lease or raise IncidentBusy naming the holder; renewed by LeaseHandle.renew()
        (a heartbeat thread calls it every ttl/3) and released on exit."""
        ...

    def current_lease(self) -> Lease | None: ...

    def take_over(self, holder: str, ttl: float = 60.0) -> tuple[AbstractContextManager[LeaseHandle], Lease | None]:
        """Take the lease even if someone holds it (refused, IncidentBusy, only when the holder is a
        live process on this machine and the lease has not expired); the previous lease too."""
        ...

    def is_running(self) -> bool:
        """A live, unexpired lease exists."""
        ...

    def has_torn_tail(self) -> bool: ...

    def set_aside_torn(self) -> str | None: ...

    def close(self) -> None: ...


class Store(Protocol):
    # Where the incidents' keys are kept (None: a store made without, whose personal values are plain).
    keys: KeyRing | None

    def create(self, incident_id: str, first_event: Event) -> IncidentLog: ...

    def open(self, incident_id: str) -> IncidentLog:
        """The incident's log; IncidentNotFound when the store has no such incident."""
        ...

    def ids(self) -> list[str]:
        """Every incident id in the store."""
        ...

    def describe(self) -> str:
        """`folder /x/incidents` or `postgresql://host/db` (no password)."""
        ...


def store_location(config: Config | None) -> str | None:
    """Where the store is, as written: CRISISPLAY_STORE (it wins), else the configuration's `store`."""
    chosen = os.environ.get(STORE_VARIABLE, "").strip()
    if chosen:
        return chosen
    return config.store if config is not None and config.store else None


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


def open_location(location: str, home: Path) -> Store:
    """The store at `location`: a `postgresql://` DSN, or a folder that holds incident logs."""
    if is_postgres(location):
        from crisisplay.store.postgres import PostgresStore

        return PostgresStore(location)
    if "://" in location:
        scheme = location.split("://", 1)[0]
        raise UsageError(
            _("store: {scheme}:// is not a store crisisplay knows; give a postgresql://… address or a folder").format(
                scheme=scheme
            )
        )
    from crisisplay.store.files import FileStore
    from crisisplay.store.keys import FileKeys, keys_dir

    folder = Path(location).expanduser()
    folder = folder if folder.is_absolute() else Path.cwd() / folder
    if folder.exists() and not folder.is_dir():
        raise UsageError(
            _(
                "store: {folder} is not a folder; give a folder for the incident logs, or a postgresql://… address"
            ).format(folder=folder)
        )
    return FileStore(folder, FileKeys(keys_dir(home)))


def open_store(config: Config | None, home: Path) -> Store:
    """CRISISPLAY_STORE, else the configuration's `store`, else the folder `<home>/incidents`."""
    location = store_location(config)
    if location is not None:
        return open_location(location, home)
    from crisisplay.home import incidents_dir
    from crisisplay.store.files import FileStore
    from crisisplay.store.keys import FileKeys, keys_dir

    return FileStore(incidents_dir(home), FileKeys(keys_dir(home)))
