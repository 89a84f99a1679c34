"""`crisisplay store copy`: every incident of one store into another, chain verified before and after.

An incident is copied event by event as its canonical lines (same seq, prev, ts and hash), so
the copy's head is the original's. One already in the target with the same head is left as
it is; one there with a different head is reported and never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from crisisplay.store.base import IncidentLog, Store
from crisisplay.store.chain import VerifyResult

COPIED = "copied"
SAME = "same"  # already there, same head
DIFFERENT = "different"  # there with another head: not overwritten
UNVERIFIED = "unverified"  # the source (or the copy) does not verify: not copied


@dataclass(frozen=True)
class Copied:
    """What happened to one incident."""

    incident_id: str
    outcome: str
    events: int
    head: str | None
    other_head: str | None = None  # DIFFERENT: the target's head
    problem: str | None = None  # UNVERIFIED: what verify said

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
        if incident_id in there:
            head = target.open(incident_id).head()
            other = head.get("hash") if head else None
            outcome = SAME if other == checked.head else DIFFERENT
            results.append(
                Copied(incident_id, outcome, checked.count, checked.head, other_head=cast("str | None", other))
            )
            continue
        results.append(_copy_one(log, source, target, checked))
    return results


def _copy_one(log: IncidentLog, source: Store, target: Store, checked: VerifyResult) -> Copied:
    events = list(log.events(raw=True))  # sealed values stay sealed: the copy's lines are the same bytes
    given = [{key: event[key] for key in ("type", "actor", "step", "data", "ts")} for event in events]
    carry_key(log.incident_id, source, target)
    copy = target.create(log.incident_id, given[0])
    try:
        if len(given) > 1:
            copy.append(given[1:], expect_head=events[0]["hash"])
        after = _verify(copy)
    finally:
        copy.close()
    if not after.ok or after.head != checked.head:
        problem = after.message if not after.ok else f"head {after.head} differs from {checked.head}"
        return Copied(log.incident_id, UNVERIFIED, after.count, after.head, problem=problem)
    return Copied(log.incident_id, COPIED, after.count, after.head)


def carry_key(incident_id: str, source: Store, target: Store) -> None:
    """The incident's key, from the source's keys to the target's (when both keep keys and the
    target has none yet): a copy without it would read as erased."""
    have, want = getattr(source, "keys", None), getattr(target, "keys", None)
    if have is None or want is None:
        return
    key = have.get(incident_id)
    if key is None or want.get(incident_id) == key:
        return
    want.put(incident_id, key)
