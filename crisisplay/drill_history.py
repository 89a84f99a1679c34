"""Past drills in a store: each closed drill's scores, grouped by scenario, and the comparison of two runs.

`crisisplay drills` lists them and `export` of a drill compares it with the previous run of
its scenario: the latest closed drill of the same scenario id started (on the wall clock)
before it, in the same store. A plain `start --drill` has no scenario: its runs are grouped by
playbook instead. Every figure comes from the logs; a file store keeps each drill's figures in
`.cache/drills.json` beside the summary cache (crisisplay/incidents.py), under the same key, so
listing drills reads only the logs that changed. Scores are summed per category in the cache
and weighed when shown, so a change of `[drill.weights]` needs no rebuild.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisisplay.errors import CrisisplayError
from crisisplay.incidents import CACHE_FOLDER, CLOSED, code_stamp, listing, log_key
from crisisplay.metrics import Metrics, measure_log
from crisisplay.scorecard import (
    BETTER,
    CATEGORIES,
    FASTER,
    NOT_REACHED,
    SAME,
    SLOWER,
    WORSE,
    Observations,
    Scorecard,
    scorecard,
    total_of,
)
from crisisplay.store.base import IncidentLog, Store
from crisisplay.store.files import FileStore

SCENARIO, PLAYBOOK = "scenario", "playbook"  # what a drill's group is keyed by

_CACHE_FILE = "drills.json"
_CACHE_FORMAT = 1


@dataclass(frozen=True)
class DrillRun:
    """One closed drill as the history sees it: where it belongs, when it started, and its figures."""

    id: str
    playbook: str
    group: str  # the scenario id, or for a drill without a scenario its playbook id
    grouped_by: str  # SCENARIO or PLAYBOOK
    title: str  # the scenario's title, or the playbook's
    opened: str  # the wall time `incident.started` was logged (UTC), which orders the runs
    sums: dict[str, tuple[float, int]]  # category -> (earned, count)
    targets: dict[str, int | None]  # target name -> elapsed ms (scenario time), None when not reached

    def total(self, weights: Mapping[str, float]) -> float | None:
        return total_of(self.sums, weights)

    def percent(self, category: str) -> float | None:
        earned, count = self.sums.get(category, (0.0, 0))
        return round(100 * earned / count, 1) if count else None

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "playbook": self.playbook,
            "group": self.group,
            "grouped_by": self.grouped_by,
            "title": self.title,
            "opened": self.opened,
            "sums": {name: list(pair) for name, pair in self.sums.items()},
            "targets": self.targets,
        }


def run_from_row(row: dict[str, Any]) -> DrillRun:
    return DrillRun(
        id=str(row["id"]),
        playbook=str(row["playbook"]),
        group=str(row["group"]),
        grouped_by=str(row["grouped_by"]),
        title=str(row["title"]),
        opened=str(row["opened"]),
        sums={name: (float(pair[0]), int(pair[1])) for name, pair in row["sums"].items()},
        targets={str(k): (int(v) if v is not None else None) for k, v in row["targets"].items()},
    )


def drill_run(metrics: Metrics, card: Scorecard, opened: str) -> DrillRun:
    """A drill's history entry from its metrics and scorecard."""
    state = metrics.state
    run = state.drill_run
    scenario = run.scenario if run is not None else None
    return DrillRun(
        id=state.incident_id,
        playbook=state.playbook.id,
        group=scenario.id if scenario is not None else state.playbook.id,
        grouped_by=SCENARIO if scenario is not None else PLAYBOOK,
        title=scenario.title if scenario is not None else state.playbook.title,
        opened=opened,
        sums={c.name: (c.earned, c.count) for c in card.categories},
        targets={t.name: t.elapsed_ms for t in metrics.targets if t.target_ms is not None},
    )


def opened_at(journal: IncidentLog) -> str:
    """The wall time of the log's first event, as logged."""
    first = next(journal.events(tolerate_torn=True), None)
    ts = first.get("ts") if isinstance(first, dict) else None
    return ts if isinstance(ts, str) else ""


def _measured(journal: IncidentLog) -> DrillRun | None:
    """A closed drill's entry, from its log; None for any other incident."""
    seen = Observations()
    metrics = measure_log(journal, observe=seen)
    if not seen.drill or not metrics.state.closed:
        return None
    return drill_run(metrics, scorecard(metrics, seen), opened_at(journal))


def past_drills(home: Path, store: Store) -> list[DrillRun]:
    """Every closed drill of the store, in the order they were started; unreadable logs are left out."""
    rows = [row for row in listing(home, store) if row.get("drill") and row.get("status") == CLOSED]
    runs: list[DrillRun] = []
    cache = _DrillCache(store.folder) if isinstance(store, FileStore) else None
    for row in rows:
        try:
            journal = store.open(str(row["id"]))
            found = cache.run(journal) if cache is not None else _measured(journal)
        except CrisisplayError:
            continue
        if found is not None:
            runs.append(found)
    if cache is not None:
        cache.save()
    runs.sort(key=lambda r: (r.opened, r.id))
    return runs


def previous_run(runs: list[DrillRun], this: DrillRun) -> DrillRun | None:
    """The latest run of `this` one's group started before it (None: the first run)."""
    earlier = [
        r
        for r in runs
        if r.grouped_by == this.grouped_by
        and r.group == this.group
        and r.id != this.id
        and (r.opened, r.id) < (this.opened, this.id)
    ]
    return earlier[-1] if earlier else None


def trend(delta: float | None) -> str | None:
    if delta is None:
        return None
    return BETTER if delta > 0 else WORSE if delta < 0 else SAME


def delta_of(now: float | None, before: float | None) -> float | None:
    return round(now - before, 1) if now is not None and before is not None else None


def comparison(this: DrillRun, before: DrillRun, weights: Mapping[str, float]) -> dict[str, Any]:
    """How `this` run did against `before`: the `comparison` member of a drill's json export."""
    total, earlier = this.total(weights), before.total(weights)
    categories = []
    for name in CATEGORIES:
        now, then = this.percent(name), before.percent(name)
        if now is None and then is None:
            continue
        delta = delta_of(now, then)
        categories.append(
            {"name": name, "percent": now, "previous_percent": then, "delta": delta, "trend": trend(delta)}
        )
    targets = []
    for name in dict.fromkeys([*this.targets, *before.targets]):
        now_ms, then_ms = this.targets.get(name), before.targets.get(name)
        if now_ms is None or then_ms is None:
            change, moved = None, (NOT_REACHED if now_ms is None and then_ms is not None else None)
        else:
            change = now_ms - then_ms
            moved = FASTER if change < 0 else SLOWER if change > 0 else SAME
        targets.append(
            {"name": name, "elapsed_ms": now_ms, "previous_elapsed_ms": then_ms, "delta_ms": change, "trend": moved}
        )
    delta = delta_of(total, earlier)
    return {
        "previous": before.id,
        "previous_opened": before.opened,
        "total_percent": total,
        "previous_total_percent": earlier,
        "delta": delta,
        "trend": trend(delta),
        "categories": categories,
        "targets": targets,
    }


class _DrillCache:
    """Each closed drill's entry, rebuilt from its log unless the log's key (incidents.log_key) still holds."""

    def __init__(self, folder: Path):
        self.folder = folder / CACHE_FOLDER  # beside the summary cache, stamped by the same code and ours
        self.file = self.folder / _CACHE_FILE
        self.code = [_CACHE_FORMAT, *code_stamp(), *_stamp()]
        self.entries = self._load()
        self.dirty = False

    def run(self, journal: Any) -> DrillRun | None:
        name = journal.incident_id
        key = log_key(journal.path)
        entry = self.entries.get(name)
        if key is not None and isinstance(entry, dict) and entry.get("key") == key:
            try:
                row = entry.get("row")
                return run_from_row(row) if row is not None else None
            except (KeyError, TypeError, ValueError, AttributeError):
                pass
        found = _measured(journal)
        if key is not None:
            self.entries[name] = {"key": key, "row": found.as_row() if found is not None else None}
            self.dirty = True
        return found

    def _load(self) -> dict[str, Any]:
        from crisisplay.home import read_cache_file

        return read_cache_file(self.file, self.code)

    def save(self) -> None:
        """Write the entries back when one was rebuilt; a cache that cannot be written costs speed only."""
        from crisisplay.home import write_cache_file

        if not self.dirty:
            return
        write_cache_file(
            self.folder, self.file, json.dumps({"code": self.code, "incidents": self.entries}).encode("ascii")
        )


def _stamp() -> list[Any]:
    """The modules that build a cached entry besides the summary's: a change to them rebuilds it."""
    here = Path(__file__).resolve().parent
    stamp: list[Any] = []
    for name in ("scorecard.py", "drill_history.py", "scenario/state.py"):
        with contextlib.suppress(OSError):
            st = (here / name).stat()
            stamp.append([name, st.st_size, st.st_mtime_ns])
    return stamp
