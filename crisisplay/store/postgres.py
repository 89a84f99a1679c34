"""The PostgreSQL store: incident logs in a database a team already runs (psycopg 3).

The same canonical lines as the file store, as text (never re-serialised through jsonb), in
`events` (incident_id, seq, line, hash, prev; unique per incident and seq), with each
incident's head in `incidents` and its lease in `leases`; `crisisplay_meta` holds the schema
version. One transaction per decision: the incident row is locked (`SELECT … FOR UPDATE`),
the head checked against the one the decision was computed on (`expect_head`: HeadMoved
otherwise), the lines inserted, the head moved and a NOTIFY sent, so two machines answering
at once cannot both win. `wait` LISTENs on a connection of its own, in autocommit.

Only this module imports psycopg, and only when the store is PostgreSQL. A password never
appears in a message: every one goes through `masked`.
"""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.parse
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

import psycopg

from crisisplay.errors import IncidentBusy, IncidentNotFound, JournalError
from crisisplay.events import Event
from crisisplay.i18n import _
from crisisplay.store.base import (
    HeadMoved,
    HeldLease,
    Lease,
    LeaseLost,
    Leasing,
    StoreUnavailable,
    StoreUnreachable,
    busy_with,
    lease_is_live,
)
from crisisplay.store.chain import ZERO_HASH, ChainCheck, Lines, VerifyResult, _complete, _loads, canonical_line
from crisisplay.store.sealing import PURGED_TEXT, KeyRing, LogSeal, is_purge_line
from crisisplay.times import format_ts, now

# 1: incidents, events, leases. 2: incident_keys (issue 17): `store init` upgrades a version 1.
SCHEMA_VERSION = 2
CHANNEL = "crisisplay_events"
_CONNECT_TIMEOUT = 10  # seconds: a wrong host says so in one line, not after minutes

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS crisisplay_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE IF NOT EXISTS incidents (
        id text PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        head_seq integer NOT NULL,
        head_hash text NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        incident_id text NOT NULL REFERENCES incidents (id),
        seq integer NOT NULL CHECK (seq >= 0),
        line text NOT NULL,
        hash text NOT NULL,
        prev text NOT NULL,
        UNIQUE (incident_id, seq)
    )""",
    """CREATE TABLE IF NOT EXISTS leases (
        incident_id text PRIMARY KEY REFERENCES incidents (id),
        holder text NOT NULL,
        pid integer,
        host text NOT NULL,
        token text NOT NULL,
        expires_at timestamptz NOT NULL
    )""",
    # Each incident's key, apart from its log (no reference to `incidents`: the key is committed
    # before the incident's first line). A deleted row survives in WAL and backups until they expire.
    """CREATE TABLE IF NOT EXISTS incident_keys (
        incident_id text PRIMARY KEY,
        key bytea NOT NULL
    )""",
)


# One decision, one statement (so one transaction and one round trip): the incident's row is
# locked FOR UPDATE and its head compared with the one the lines were chained onto; only if
# it is that head are the lines inserted, the head moved and a NOTIFY sent. It returns the
# head as it was found, and whether the lines went in. UNIQUE (incident_id, seq) stands
# behind it: two writers can never both log the same seq.
_ROW = "(%s, %s::integer, %s, %s, %s)"
_APPEND = """
WITH locked AS (SELECT head_seq, head_hash FROM incidents WHERE id = %s FOR UPDATE),
ok AS (SELECT 1 FROM locked WHERE head_seq = %s AND head_hash = %s),
added AS (
    INSERT INTO events (incident_id, seq, line, hash, prev)
    SELECT v.incident_id, v.seq, v.line, v.hash, v.prev
    FROM (VALUES {values}) AS v (incident_id, seq, line, hash, prev), ok
    RETURNING 1
),
moved AS (UPDATE incidents SET head_seq = %s, head_hash = %s FROM ok WHERE id = %s RETURNING 1)
SELECT head_seq, head_hash, EXISTS (SELECT 1 FROM ok),
       CASE WHEN EXISTS (SELECT 1 FROM ok) THEN pg_notify(%s, %s) END
FROM locked
"""


# --- addresses, masked -----------------------------------------------------------------------


def _secrets_of(dsn: str) -> list[str]:
    """The password(s) written in a DSN, as written and decoded: what a message must never show."""
    found: list[str] = []
    # Read by hand as well as by urlsplit, which refuses some malformed addresses (`[::1` without
    # its bracket) that may still hold a password.
    userinfo = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)@", dsn)
    if userinfo and ":" in userinfo[1]:
        written = userinfo[1].split(":", 1)[1]
        found += [written, urllib.parse.unquote(written)]
    for match in re.finditer(r"(?:^|[?&\s])password=([^&\s]+)", dsn):
        found += [match[1], urllib.parse.unquote(match[1])]
    return [secret for secret in found if secret]


def masked(text: str, dsn: str) -> str:
    """`text` with every password of `dsn` replaced by `***`."""
    for secret in sorted(_secrets_of(dsn), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def describe_dsn(dsn: str) -> str:
    """`postgresql://user@host:port/db`: where the store is, without password or options."""
    try:
        parts = urllib.parse.urlsplit(dsn)
    except ValueError:  # not an address urlsplit can read: say it without what follows the user
        written = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^:/?#@]*)", dsn)
        return masked(f"postgresql://{written[1] if written else ''}@… (malformed)", dsn)
    host = parts.hostname or "localhost"
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    user = f"{urllib.parse.unquote(parts.username)}@" if parts.username else ""
    database = parts.path.lstrip("/")
    return masked(f"postgresql://{user}{host}{port}/{database}", dsn)


def _reason(err: BaseException, dsn: str) -> str:
    """psycopg's words for an error, on one line, without a password."""
    text = " ".join(line.strip() for line in str(err).splitlines() if line.strip()) or type(err).__name__
    return masked(text, dsn)


# --- the store -------------------------------------------------------------------------------


class PostgresStore:
    """Incidents in a PostgreSQL database (the schema `crisisplay store init` creates)."""

    def __init__(self, dsn: str, keys: bool = True):
        """`keys`: keep the incidents' keys in `incident_keys` (without: personal values are logged
        as plain text and sealed ones read as erased, as a file store made without keys does)."""
        self.dsn = dsn
        self._conn: psycopg.Connection[Any] | None = None
        self._checked = False
        self.keys: KeyRing | None = PostgresKeys(self) if keys else None

    def __repr__(self) -> str:
        return f"PostgresStore({self.describe()!r})"

    def describe(self) -> str:
        return describe_dsn(self.dsn)

    # -- connections --

    def connect(self, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new connection; StoreUnreachable (exit 2, one line, no password) when there is none."""
        try:
            return psycopg.connect(self.dsn, autocommit=autocommit, connect_timeout=_CONNECT_TIMEOUT)
        except psycopg.Error as err:
            raise StoreUnreachable(
                _("cannot connect to the PostgreSQL store {store}: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            ) from None
        except (ValueError, UnicodeError) as err:  # a DSN psycopg cannot even parse
            raise StoreUnreachable(
                _("the PostgreSQL store address {store} cannot be read: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            ) from None

    def connection(self) -> psycopg.Connection[Any]:
        """The store's connection (autocommit; decisions open their own transaction), schema checked."""
        if self._conn is None or self._conn.closed:
            self._conn = self.connect()
            self._checked = False
        if not self._checked:
            self._check_schema(self._conn)
            self._checked = True
        return self._conn

    def drop_connection(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()
        self._conn = None

    def lost(self, err: BaseException, incident_id: str | None = None) -> StoreUnavailable:
        """The error for a connection that went away mid-command (exit 3)."""
        self.drop_connection()
        if incident_id is None:
            return StoreUnavailable(
                _("lost the connection to the PostgreSQL store {store}: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            )
        return StoreUnavailable(
            _(
                "lost the connection to the PostgreSQL store {store} ({reason}); everything acknowledged "
                "is kept: `crisisplay resume {incident}` when the server is back"
            ).format(store=self.describe(), reason=_reason(err, self.dsn), incident=incident_id)
        )

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        version = self._schema_version(conn)
        if version is None:
            raise StoreUnreachable(
                _("the PostgreSQL store {store} has no crisisplay schema yet: run `crisisplay store init`").format(
                    store=self.describe()
                )
            )
        if version < SCHEMA_VERSION:
            raise StoreUnreachable(
                _(
                    "the PostgreSQL store {store} has schema version {found}, older than this crisisplay needs "
                    "({supported}): run `crisisplay store init` to upgrade it"
                ).format(store=self.describe(), found=version, supported=SCHEMA_VERSION)
            )
        if version > SCHEMA_VERSION:
            raise StoreUnreachable(
                _(
                    "the PostgreSQL store {store} has schema version {found}, newer than this crisisplay "
                    "knows ({supported}): upgrade crisisplay"
                ).format(store=self.describe(), found=version, supported=SCHEMA_VERSION)
            )

    def _schema_version(self, conn: psycopg.Connection[Any]) -> int | None:
        try:
            exists = conn.execute("SELECT to_regclass('crisisplay_meta') IS NOT NULL").fetchone()
            if not exists or not exists[0]:
                return None
            row = conn.execute("SELECT value FROM crisisplay_meta WHERE key = 'schema_version'").fetchone()
        except psycopg.OperationalError as err:
            raise self.lost(err) from None
        except psycopg.Error as err:  # e.g. a user without the right to read crisisplay's tables
            raise StoreUnreachable(
                _("cannot read the crisisplay schema in the PostgreSQL store {store}: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            ) from None
        if row is None:
            return None
        try:
            return int(row[0])
        except ValueError:  # not a version any crisisplay wrote
            raise StoreUnreachable(
                _("the PostgreSQL store {store} has a schema version crisisplay cannot read: {found!r}").format(
                    store=self.describe(), found=row[0]
                )
            ) from None

    def init(self) -> str:
        """Create the schema (idempotent); say what was done."""
        conn = self.connect()
        try:
            with conn.transaction():
                # One `store init` at a time: two at once would race on CREATE TABLE IF NOT EXISTS.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('crisisplay store init'))")
                version = self._schema_version(conn)
                if version is not None and version > SCHEMA_VERSION:
                    self._check_schema(conn)
                for statement in SCHEMA:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO crisisplay_meta (key, value) VALUES ('schema_version', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (str(SCHEMA_VERSION),),
                )
        except psycopg.OperationalError as err:
            raise self.lost(err) from None
        except psycopg.Error as err:
            raise StoreUnreachable(
                _("cannot create the crisisplay schema in {store}: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            ) from None
        finally:
            conn.close()
        if version is not None and version < SCHEMA_VERSION:
            return _("Upgraded the crisisplay schema in {store} from version {found} to {version}.").format(
                store=self.describe(), found=version, version=SCHEMA_VERSION
            )
        if version is None:
            return _("Created the crisisplay schema (version {version}) in {store}.").format(
                version=SCHEMA_VERSION, store=self.describe()
            )
        return _("{store} already holds the crisisplay schema (version {version}); nothing to do.").format(
            store=self.describe(), version=version
        )

    # -- the Store interface --

    def create(self, incident_id: str, first_event: Event) -> PostgresLog:
        """The incident with its first event, in one transaction; refused if the id is taken.
        Its key is made and committed to `incident_keys` first, its fingerprint logged."""
        log = PostgresLog(self, incident_id)
        conn = self.connection()
        if conn.execute("SELECT 1 FROM incidents WHERE id = %s", (incident_id,)).fetchone():
            raise JournalError(
                _("{store}: incident {incident} already exists there").format(
                    store=self.describe(), incident=incident_id
                )
            )
        first_event = log.seal.prepare_first(first_event)  # the key, committed before the incident's row
        try:
            self._create(incident_id, first_event)
        except BaseException:
            # The key would be an orphan: deleted, unless the server is away too (then the error
            # that stopped the create is the one to tell).
            with suppress(JournalError):
                log.seal.forget_key()
            raise
        return log

    def _create(self, incident_id: str, first_event: Event) -> None:
        event = _complete(first_event, seq=0, prev=ZERO_HASH, stamp=format_ts(now()))
        line, digest = canonical_line(event)
        conn = self.connection()
        try:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO incidents (id, head_seq, head_hash) VALUES (%s, 0, %s)", (incident_id, digest)
                )
                conn.execute(
                    "INSERT INTO events (incident_id, seq, line, hash, prev) VALUES (%s, 0, %s, %s, %s)",
                    (incident_id, line, digest, ZERO_HASH),
                )
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{incident_id} 0"))
        except psycopg.errors.UniqueViolation:
            raise JournalError(
                _("{store}: incident {incident} already exists there").format(
                    store=self.describe(), incident=incident_id
                )
            ) from None
        except psycopg.OperationalError as err:
            raise self.lost(err) from None
        except psycopg.Error as err:  # refused by the server (a trigger, a permission, a full disk)
            reason = masked(err.diag.message_primary, self.dsn) if err.diag.message_primary else _reason(err, self.dsn)
            raise JournalError(
                _("{store}: incident {incident} could not be created: {reason}").format(
                    store=self.describe(), incident=incident_id, reason=reason
                )
            ) from None

    def open(self, incident_id: str) -> PostgresLog:
        row = self._query("SELECT 1 FROM incidents WHERE id = %s", (incident_id,))
        if not row:
            raise IncidentNotFound(
                _("no incident {incident} in {store}").format(incident=incident_id, store=self.describe())
            )
        return PostgresLog(self, incident_id)

    def ids(self) -> list[str]:
        """Every incident id, sorted as the file store sorts its logs (an id starts with its start time),
        so `incidents` lists the same order on both stores, copied incidents included."""
        return [row[0] for row in self._query("SELECT id FROM incidents ORDER BY id")]

    def _query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        conn = self.connection()
        try:
            return conn.execute(statement, params).fetchall()
        except psycopg.OperationalError as err:
            raise self.lost(err) from None
        except psycopg.Error as err:  # a schema changed under us (a table dropped, say)
            raise StoreUnreachable(
                _("the PostgreSQL store {store} cannot be read: {reason}").format(
                    store=self.describe(), reason=_reason(err, self.dsn)
                )
            ) from None

    def close(self) -> None:
        self.drop_connection()


class PostgresKeys:
    """The store's incident keys: the `incident_keys` table, each write in a transaction of its
    own, committed (with `synchronous_commit` on, whatever the server's default) before it returns.

    It holds its store weakly: the store holds it, and a cycle would keep the store's
    connection open until the garbage collector ran (a process opening the store for each
    command would run the server out of connections)."""

    def __init__(self, store: PostgresStore):
        self._store = weakref.ref(store)

    @property
    def store(self) -> PostgresStore:
        store = self._store()
        if store is None:
            raise JournalError(_("the PostgreSQL store of these keys was closed"))
        return store

    def where(self, incident_id: str) -> str:
        return _("{store} (incident_keys, incident {incident})").format(
            store=self.store.describe(), incident=incident_id
        )

    def get(self, incident_id: str) -> bytes | None:
        rows = self.store._query("SELECT key FROM incident_keys WHERE incident_id = %s", (incident_id,))
        return bytes(rows[0][0]) if rows else None

    def _committed(self, incident_id: str, statement: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """`statement` run and committed durably (flushed to the server's WAL) before returning."""
        store = self.store
        conn = store.connection()
        try:
            with conn.transaction():
                conn.execute("SET LOCAL synchronous_commit = on")
                return conn.execute(statement, params).fetchone()
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.OperationalError as err:
            raise store.lost(err, incident_id) from None
        except psycopg.Error as err:
            raise StoreUnreachable(
                _("cannot write the incident's key to {where}: {reason}").format(
                    where=self.where(incident_id), reason=_reason(err, store.dsn)
                )
            ) from None

    def put(self, incident_id: str, key: bytes, replace: bool = False) -> None:
        statement = "INSERT INTO incident_keys (incident_id, key) VALUES (%s, %s)"
        if replace:
            statement += " ON CONFLICT (incident_id) DO UPDATE SET key = EXCLUDED.key"
        try:
            self._committed(incident_id, statement + " RETURNING 1", (incident_id, key))
        except psycopg.errors.UniqueViolation:
            raise JournalError(
                _("{where}: the incident already has a key; `--replace` replaces it").format(
                    where=self.where(incident_id)
                )
            ) from None

    def delete(self, incident_id: str) -> bool:
        row = self._committed(
            incident_id, "DELETE FROM incident_keys WHERE incident_id = %s RETURNING 1", (incident_id,)
        )
        return row is not None

    def ids(self) -> list[str]:
        return [row[0] for row in self.store._query("SELECT incident_id FROM incident_keys ORDER BY incident_id")]


class PostgresLog(Leasing["PostgresLeaseHandle"]):
    """One incident's log in the PostgreSQL store."""

    def __init__(self, store: PostgresStore, incident_id: str):
        self.store = store
        self._incident_id = incident_id
        self._listener: psycopg.Connection[Any] | None = None
        self._known: tuple[int, str] | None = None  # (seq, hash) of the head after our last append
        # The seal reads the first event through the store, not through this log: a seal holding
        # the log (a bound method) would be a cycle keeping the store's connection open.
        self.seal = LogSeal(
            incident_id, store.keys, lambda: _first_event(store, incident_id), lambda: _purge_logged(store, incident_id)
        )

    def __repr__(self) -> str:
        return f"PostgresLog({self.where()!r})"

    @property
    def incident_id(self) -> str:
        return self._incident_id

    def where(self) -> str:
        return _("{store} (incident {incident})").format(store=self.store.describe(), incident=self.incident_id)

    # `ChainCheck`'s line source
    @property
    def label(self) -> str:
        return self.where()

    @property
    def stored_name(self) -> str:
        return self.incident_id

    # -- writing --

    def append(self, events: list[Event], expect_head: str | None = None) -> list[Event]:
        """One decision's events in one transaction, chained onto the head it locks with FOR UPDATE.

        The transaction is one statement (one round trip): it locks the incident's row, checks
        the head is the one the lines were chained onto, and only then inserts them, moves the
        head and notifies. A head that moved meanwhile writes nothing: with `expect_head` that
        is HeadMoved; without, the lines are chained onto the new head and sent again.
        """
        from crisisplay.store.chain import EventNotLoggable

        if not events:
            raise EventNotLoggable("a decision must log at least one event")
        sealed = self.seal.seal(events)
        store = self.store
        conn = store.connection()
        try:
            known = self._known if self._known is not None else self._read_head(conn)
            while True:
                seq, prev = known
                if expect_head is not None and prev != expect_head:
                    known = self._read_head(conn)  # the head only moves on: it never comes back
                    if known[1] != expect_head:
                        self._known = known
                        newer = self._after(conn, expect_head)
                        raise HeadMoved(
                            _(
                                "{where}: {count} event(s) were logged by someone else since this decision was made"
                            ).format(where=self.where(), count=len(newer)),
                            list(self.seal.opened(newer)),
                        )
                    continue
                logged, rows = self._chained(sealed, seq, prev)
                last = logged[-1]
                try:
                    row = conn.execute(
                        _APPEND.replace("{values}", ", ".join([_ROW] * len(rows))),
                        (
                            self.incident_id,
                            seq,
                            prev,
                            *[value for r in rows for value in r],
                            last["seq"],
                            last["hash"],
                            self.incident_id,
                            CHANNEL,
                            f"{self.incident_id} {last['seq']}",
                        ),
                    ).fetchone()
                except psycopg.errors.UniqueViolation:
                    row = None  # a writer that chained onto the same head won: read it and go on
                    known = self._read_head(conn)
                    continue
                if row is None:
                    raise IncidentNotFound(
                        _("no incident {incident} in {store}").format(incident=self.incident_id, store=store.describe())
                    )
                head_seq, head_hash, written = row[:3]
                if written:
                    self._known = (last["seq"], last["hash"])
                    # Returned as the caller gave them (plain), with what the log added.
                    return [
                        event if given is sealed[i] else {**event, "data": given["data"]}
                        for i, (event, given) in enumerate(zip(logged, events, strict=True))
                    ]
                known = (head_seq, head_hash)  # someone else appended first
        except psycopg.OperationalError as err:
            self._known = None
            raise store.lost(err, self.incident_id) from None

    def _chained(self, events: list[Event], seq: int, prev: str) -> tuple[list[Event], list[tuple[Any, ...]]]:
        """The events as logged after (seq, prev), and their rows for `events`."""
        stamp = format_ts(now())
        logged, rows = [], []
        for offset, given in enumerate(events):
            event = _complete(given, seq=seq + 1 + offset, prev=prev, stamp=stamp)
            line, digest = canonical_line(event)
            rows.append((self.incident_id, event["seq"], line, digest, prev))
            event["hash"] = prev = digest
            logged.append(event)
        return logged, rows

    def _read_head(self, conn: psycopg.Connection[Any]) -> tuple[int, str]:
        row = conn.execute("SELECT head_seq, head_hash FROM incidents WHERE id = %s", (self.incident_id,)).fetchone()
        if row is None:
            raise IncidentNotFound(
                _("no incident {incident} in {store}").format(incident=self.incident_id, store=self.store.describe())
            )
        return int(row[0]), str(row[1])

    def _after(self, conn: psycopg.Connection[Any], head: str) -> list[Event]:
        rows = conn.execute(
            "SELECT line FROM events WHERE incident_id = %s AND seq > "
            "(SELECT coalesce(min(seq), -1) FROM events WHERE incident_id = %s AND hash = %s) ORDER BY seq",
            (self.incident_id, self.incident_id, head),
        ).fetchall()
        return [_loads(line.encode("utf-8")) for (line,) in rows]

    # -- reading --

    def _lines(self, limit: int | None = None) -> list[str]:
        statement = "SELECT line FROM events WHERE incident_id = %s ORDER BY seq"
        params: tuple[Any, ...] = (self.incident_id,)
        if limit is not None:
            statement += " LIMIT %s"
            params += (limit,)
        return [line for (line,) in self.store._query(statement, params)]

    def events(self, tolerate_torn: bool = False, raw: bool = False, lazy: bool = False) -> Iterator[Event]:
        """The logged events, in order, personal values opened (`raw`: as logged; `lazy`: left
        `Sealed` for `seal.reveal`); a stored line that is not an event raises JournalError."""
        if raw:
            return (event for event, _line in self._read())
        if lazy:
            return self.seal.lazy_lines(self._read())
        return self.seal.opened_lines(self._read())

    def _read(self) -> Iterator[tuple[Event, bytes]]:
        """Each logged event with the line it was read from."""
        for number, line in enumerate(self._lines(), 1):
            raw = line.encode("utf-8")
            try:
                event = _loads(raw)
            except ValueError as err:
                raise JournalError(f"{self.where()}:{number}: {err}") from None
            if type(event) is not dict:
                raise JournalError(
                    _("{path}:{line}: not an event: not a JSON object").format(path=self.where(), line=number)
                )
            yield event, raw

    def head(self) -> Event | None:
        rows = self.store._query(
            "SELECT line FROM events WHERE incident_id = %s ORDER BY seq DESC LIMIT 1", (self.incident_id,)
        )
        if not rows:
            return None
        event = _loads(rows[0][0].encode("utf-8"))
        return self.seal.open(event) if type(event) is dict else None

    def head_hash(self) -> str | None:
        head = self.head()
        return None if head is None else head.get("hash")

    def verify(self, head: str | None = None) -> VerifyResult:
        return ChainCheck(self, head).run()

    @contextmanager
    def snapshot(self) -> Iterator[tuple[int, Lines]]:
        lines = self._lines()
        yield len(lines), _numbered(lines)

    @contextmanager
    def reread(self, size: int) -> Iterator[Lines]:
        yield _numbered(self._lines(limit=size))

    def has_torn_tail(self) -> bool:
        return False  # a transaction is all or nothing

    def set_aside_torn(self) -> str | None:
        return None

    # -- waiting --

    def wait(self, after_seq: int, timeout: float) -> bool:
        """LISTEN for the store's NOTIFY, on a connection of its own in autocommit."""
        deadline = time.monotonic() + timeout
        listener = self._listening()
        try:
            while True:
                head = self.head()
                if head is not None and type(head.get("seq")) is int and head["seq"] > after_seq:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                for notice in listener.notifies(timeout=left, stop_after=1):
                    incident, _sep, seq = notice.payload.rpartition(" ")
                    if incident == self.incident_id and seq.isdigit() and int(seq) > after_seq:
                        return True
        except psycopg.OperationalError as err:
            self._close_listener()
            raise self.store.lost(err, self.incident_id) from None

    def _listening(self) -> psycopg.Connection[Any]:
        if self._listener is None or self._listener.closed:
            self._listener = self.store.connect(autocommit=True)
            self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            with suppress(Exception):
                self._listener.close()
        self._listener = None

    # -- the lease --

    def _take(self, holder: str, ttl: float, force: bool) -> tuple[PostgresLeaseHandle, Lease | None]:
        conn = self.store.connect(autocommit=True)  # the lease's own: the heartbeat renews on it
        try:
            with conn.transaction():
                locked = conn.execute(
                    "SELECT now() FROM incidents WHERE id = %s FOR UPDATE", (self.incident_id,)
                ).fetchone()
                if locked is None:
                    raise IncidentNotFound(
                        _("no incident {incident} in {store}").format(
                            incident=self.incident_id, store=self.store.describe()
                        )
                    )
                moment: datetime = locked[0]
                previous = _lease_row(
                    conn.execute(
                        "SELECT holder, pid, host, expires_at FROM leases WHERE incident_id = %s", (self.incident_id,)
                    ).fetchone()
                )
                if previous is not None and lease_is_live(previous, moment):
                    here = previous.host == socket.gethostname()
                    if not force or here:
                        raise IncidentBusy(busy_with(self.incident_id, previous))
                token = os.urandom(8).hex()
                lease = Lease(holder, os.getpid(), socket.gethostname(), moment + timedelta(seconds=ttl))
                conn.execute(
                    "INSERT INTO leases (incident_id, holder, pid, host, token, expires_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (incident_id) DO UPDATE SET "
                    "holder = EXCLUDED.holder, pid = EXCLUDED.pid, host = EXCLUDED.host, "
                    "token = EXCLUDED.token, expires_at = EXCLUDED.expires_at",
                    (self.incident_id, lease.holder, lease.pid, lease.host, token, lease.expires_at),
                )
        except psycopg.OperationalError as err:
            conn.close()
            raise self.store.lost(err, self.incident_id) from None
        except BaseException:
            conn.close()
            raise
        return PostgresLeaseHandle(self, conn, token, lease, ttl), previous

    def current_lease(self) -> Lease | None:
        rows = self.store._query(
            "SELECT holder, pid, host, expires_at FROM leases WHERE incident_id = %s", (self.incident_id,)
        )
        return _lease_row(rows[0]) if rows else None

    def is_running(self) -> bool:
        rows = self.store._query(
            "SELECT holder, pid, host, expires_at, now() FROM leases WHERE incident_id = %s", (self.incident_id,)
        )
        if not rows:
            return False
        lease = _lease_row(rows[0][:4])
        return lease is not None and lease_is_live(lease, rows[0][4])

    def close(self) -> None:
        self._close_listener()


class PostgresLeaseHandle(HeldLease):
    """A lease held in the `leases` table, on a connection of its own; renewed by a heartbeat."""

    def __init__(self, log: PostgresLog, conn: psycopg.Connection[Any], token: str, lease: Lease, ttl: float):
        self.log = log
        self._conn = conn
        super().__init__(log.incident_id, log.current_lease, token, lease, ttl)

    def renew(self) -> None:
        if self._lost:
            raise LeaseLost(self._lost_message())
        try:
            if self._conn.closed:
                self._conn = self.log.store.connect(autocommit=True)
            row = self._conn.execute(
                "UPDATE leases SET expires_at = now() + make_interval(secs => %s) "
                "WHERE incident_id = %s AND token = %s RETURNING expires_at",
                (self._ttl, self.log.incident_id, self._token),
            ).fetchone()
        except psycopg.OperationalError as err:
            with suppress(Exception):
                self._conn.close()
            raise JournalError(_reason(err, self.log.store.dsn)) from None
        if row is None:
            self._lost = True
            raise LeaseLost(self._lost_message())
        self.lease = Lease(self.lease.holder, self.lease.pid, self.lease.host, row[0])

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._heartbeat.stop()
        try:
            self._conn.execute(
                "DELETE FROM leases WHERE incident_id = %s AND token = %s", (self.log.incident_id, self._token)
            )
        except psycopg.Error:
            pass  # the server is away: the lease expires, or is seen as abandoned from this machine
        finally:
            with suppress(Exception):
                self._conn.close()


def _purge_logged(store: PostgresStore, incident_id: str) -> bool:
    """Whether the incident's log holds an `incident.purged` event (its canonical text in a line)."""
    rows = store._query(
        "SELECT line FROM events WHERE incident_id = %s AND strpos(line, %s) > 0",
        (incident_id, PURGED_TEXT.decode("ascii")),
    )
    return any(is_purge_line(line.encode("utf-8")) for (line,) in rows)


def _first_event(store: PostgresStore, incident_id: str) -> Event | None:
    """The incident's first event as logged (None when there is none, or it is not an event)."""
    rows = store._query("SELECT line FROM events WHERE incident_id = %s ORDER BY seq LIMIT 1", (incident_id,))
    if not rows:
        return None
    with suppress(ValueError):
        event = _loads(rows[0][0].encode("utf-8"))
        return event if type(event) is dict else None
    return None


def _lease_row(row: tuple[Any, ...] | None) -> Lease | None:
    if row is None:
        return None
    holder, pid, host, expires_at = row
    return Lease(holder=holder, pid=pid, host=host, expires_at=expires_at)


def _numbered(lines: list[str]) -> Lines:
    count = len(lines)
    for number, line in enumerate(lines, 1):
        yield number, (line + "\n").encode("utf-8"), number == count


def init_store(dsn: str) -> str:
    """`crisisplay store init`: the schema, created if need be."""
    return PostgresStore(dsn).init()
