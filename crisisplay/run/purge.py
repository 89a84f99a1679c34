"""Erasing incidents' personal data: `incident.purged` logged, then the incident's key deleted.

Crypto-shredding (docs/privacy.md): the log keeps every byte it had, so its chain still
verifies (with `--head` of before too), and every personal value in it, sealed under the key,
reads as erased once the key is gone. The event comes first: a purge killed between the two
steps leaves the event and the key, and the next command that reads the event deletes the key
(`LogSeal`), so a purge is either done or not done, never half.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisisplay import events as ev
from crisisplay.errors import UsageError
from crisisplay.i18n import _
from crisisplay.incidents import (
    CLOSED,
    ERASED_BY_PURGE,
    PLAIN_LOG,
    IncidentErased,
    Row,
)
from crisisplay.run.scenario_clock import stamped_from_wall
from crisisplay.store.base import IncidentLog
from crisisplay.store.sealing import PURGED
from crisisplay.times import now, parse_ts

DONE = "purged"  # the event was logged and the key deleted, now
ALREADY = "already-purged"  # an earlier purge did it (reported, skipped)


@dataclass(frozen=True)
class Purge:
    """What purging one incident did."""

    incident_id: str
    outcome: str  # DONE or ALREADY
    head: str | None  # the log's head hash after it
    key_deleted: bool  # a key was kept and is gone now (False: none was kept, or ALREADY)


def purge_incident(log: IncidentLog, reason: str, actor: str, clock: Callable[[], datetime] = now) -> Purge:
    """Log `incident.purged` (who, when, why), then delete the incident's key, durably.

    Refused while a run holds the incident (IncidentBusy), and for a log written before
    encryption (it has no key: its personal values are plain text in it, and stay so)."""
    reason = reason.strip()
    if not reason:
        raise UsageError(_("--reason is empty; say why the personal data is erased (without naming anyone)"))
    with log.lease(actor):  # IncidentBusy while a run holds it; no run starts while this purges
        # Read as logged: nothing is decrypted, so a key others could read (KeyProblem) is purged too.
        logged = list(log.events(tolerate_torn=True, raw=True))
        state = ev.replay(logged)
        seal = log.seal
        if logged:
            seal.learn(logged[0])
        if any(event.get("type") == PURGED for event in logged):
            seal.purge_seen()  # a purge killed before it deleted the key is finished now
            return Purge(log.incident_id, ALREADY, state.head, key_deleted=False)
        if not seal.keyed:
            raise IncidentErased(
                _(
                    "incident {incident} has no key: it was written before encryption, so its personal data is "
                    "plain text in its log and cannot be purged (delete the log itself if it must go)"
                ).format(incident=log.incident_id)
            )
        event = ev.make_event(PURGED, actor, None, {"reason": reason}, clock())
        head: str = log.append(stamped_from_wall(state, [event]))[-1]["hash"]
        deleted = seal.finish_purge(refused_too=True)  # this log's own key only: never another's kept under its name
        return Purge(log.incident_id, DONE, head, key_deleted=deleted)


@dataclass(frozen=True)
class Due:
    """The incidents a scheduled purge takes (`--older-than`, `--due`), and those it cannot."""

    ids: list[str]  # closed before the cut-off, with a key or a key that went missing
    keyless: list[str]  # closed before the cut-off, written before encryption: never purged


def due(rows: Iterable[Row], older_than_ms: int, moment: datetime) -> Due:
    """The `incidents` rows closed at least `older_than_ms` before `moment` and not purged yet;
    open incidents are never due (retention counts from the close)."""
    try:
        cutoff = moment - timedelta(milliseconds=older_than_ms)
    except OverflowError:
        return Due([], [])
    ids: list[str] = []
    keyless: list[str] = []
    for row in rows:
        closed = row.get("closed")
        if row.get("status") != CLOSED or not isinstance(closed, str) or not isinstance(row.get("id"), str):
            continue
        try:
            ended = parse_ts(closed)
        except ValueError:
            continue
        if ended > cutoff or row.get("privacy") == ERASED_BY_PURGE:
            continue
        (keyless if row.get("privacy") == PLAIN_LOG else ids).append(row["id"])
    return Due(sorted(ids), sorted(keyless))
