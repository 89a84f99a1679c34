"""`crisisplay store copy`: every incident of one store into another, chain verified before and after.

An incident is copied event by event as its canonical lines (same seq, prev, ts and hash), so
the copy's head is the original's: sealed personal values are copied as their envelopes, and
the incident's key goes with them into the target's keys (`carry_key`), so the copy opens them.
One already in the target with the same head is left as it is (its key carried if the target
has none); one there with a different head is reported and never overwritten, and so is an
incident for which the target keeps another key. A log written before encryption (no key) is
copied as it is, without a key made for it. A purged incident's key that the target still keeps
(carried there by a copy made before the purge) is deleted, as the purge would have.
"""

from __future__ import annotations

import copy
import hmac
from dataclasses import dataclass
from typing import cast

from crisisplay.store.base import IncidentLog, Store
from crisisplay.store.chain import VerifyResult
from crisisplay.store.sealing import FINGERPRINT, KEY_BYTES, KeyProblem, fingerprint

COPIED = "copied"
SAME = "same"  # already there, same head
DIFFERENT = "different"  # there with another head: not overwritten
UNVERIFIED = "unverified"  # the source (or the copy) does not verify: not copied
OTHER_KEY = "other-key"  # the target keeps another key for the incident: neither key nor log copied


@dataclass(frozen=True)
class Copied:
    """What happened to one incident."""

    incident_id: str
    outcome: str
    events: int
    head: str | None
    other_head: str | None = None  # DIFFERENT: the target's head
    problem: str | None = None  # UNVERIFIED: what verify said; OTHER_KEY: where the target's key is

    @property
    def ok(self) -> bool:
        return self.outcome in (COPIED, SAME)


def _verify(log: IncidentLog) -> VerifyResult:
    return log.verify()


def copy_incidents(source: Store, target: Store) -> list[Copied]:
    """Copy every incident of `source` that `target` does not hold yet; one result per incident."""
    there = set(target.ids())
    results = []
    for incident_id in source.ids():
        log = source.open(incident_id)
        checked = _verify(log)
        if not checked.ok:
            results.append(Copied(incident_id, UNVERIFIED, checked.count, checked.head, problem=checked.message))
            continue
        _finish_purge(log, target)
        clash = _other_key(incident_id, source, target)
        if clash is not None:
            results.append(Copied(incident_id, OTHER_KEY, checked.count, checked.head, problem=clash))
            continue
        if incident_id in there:
            head = target.open(incident_id).head()
            other = head.get("hash") if head else None
            outcome = SAME if other == checked.head else DIFFERENT
            if outcome == SAME:
                carry_key(incident_id, source, target)
            results.append(
                Copied(incident_id, outcome, checked.count, checked.head, other_head=cast("str | None", other))
            )
            continue
        results.append(_copy_one(log, source, target, checked))
    return results


def _finish_purge(log: IncidentLog, target: Store) -> None:
    """Delete the target's key of an incident the source's log records as purged, when it is that
    incident's key (its fingerprint is the log's): carried there by a copy made before the purge,
    it would still open that copy's personal values, whatever happens to the log itself (copied,
    the same, or a different head that is not overwritten)."""
    if target.keys is None or not log.seal.purge_found():
        return
    try:
        kept = target.keys.get(log.incident_id)
    except KeyProblem:  # a key others could read: all the more reason to delete it
        kept = None
        target.keys.delete(log.incident_id)
    logged = log.seal.fingerprint
    if kept is not None and len(kept) == KEY_BYTES and hmac.compare_digest(fingerprint(kept), logged or ""):
        target.keys.delete(log.incident_id)


def _copy_one(log: IncidentLog, source: Store, target: Store, checked: VerifyResult) -> Copied:
    events = list(log.events(raw=True))  # sealed values stay sealed: the copy's lines are the same bytes
    given = [{key: event[key] for key in ("type", "actor", "step", "data", "ts")} for event in events]
    carry_key(log.incident_id, source, target)
    first_data = given[0].get("data")
    keyed = type(first_data) is dict and FINGERPRINT in first_data
    # A log written before encryption is copied as it is: a key made for it would add a
    # fingerprint to its first line, and the copy's head would not be the original's.
    into = target if keyed else _without_keys(target)
    copied = into.create(log.incident_id, given[0])
    try:
        if len(given) > 1:
            copied.append(given[1:], expect_head=events[0]["hash"])
        after = _verify(copied)
    finally:
        copied.close()
    if not after.ok or after.head != checked.head:
        problem = after.message if not after.ok else f"head {after.head} differs from {checked.head}"
        return Copied(log.incident_id, UNVERIFIED, after.count, after.head, problem=problem)
    return Copied(log.incident_id, COPIED, after.count, after.head)


def _without_keys(store: Store) -> Store:
    """`store` as one made without keys (the same place, the same connection)."""
    keyless = copy.copy(store)
    keyless.keys = None
    return keyless


def _other_key(incident_id: str, source: Store, target: Store) -> str | None:
    """Where the target keeps a key for the incident that is not the source's (None: no clash)."""
    have, want = source.keys, target.keys
    if have is None or want is None:
        return None
    key = have.get(incident_id)
    theirs = want.get(incident_id)
    if key is None or theirs is None or theirs == key:
        return None
    return want.where(incident_id)


def carry_key(incident_id: str, source: Store, target: Store) -> None:
    """The incident's key, from the source's keys to the target's (when both keep keys and the
    target has none yet): a copy without it would read as erased. A target's other key for
    the incident is never replaced (`copy_incidents` reports it first)."""
    have, want = source.keys, target.keys
    if have is None or want is None:
        return
    key = have.get(incident_id)
    if key is None or want.get(incident_id) == key:
        return
    want.put(incident_id, key)
