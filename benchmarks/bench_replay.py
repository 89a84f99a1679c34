"""Replay and verify a 100,000-event incident (and 1M with `--large`), against `json.loads` of every line.

Each run is a fresh Python (imports done before the clock starts), paired with the baseline
in a fresh Python of its own. Goals: replay at most 2x, verify at most 2.5x; peak memory of
each (above the same process idle after its imports) at most 3x the file's size.

`shared_log` builds each size once per run of the benchmarks; export and incidents reuse it.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import common
from common import MIB, REPO, Result, Run, paired, print_results, python_run

EVENTS = 100_000
LARGE_EVENTS = 1_000_000
LOGS = REPO / "benchmarks" / "out" / "logs"

PLAYBOOK = """\
crisisplay: 1
id: bench-replay
title: A long watch
targets:
  calm: 2d
phases:
  - id: watch
    title: Watch
    steps:
      - id: check-mentions
        type: choice
        prompt: How are the mentions now?
        options:
          - label: Still growing
            value: growing
            next: log-figure
          - label: Calm again
            value: calm
            next: end
      - id: log-figure
        type: number
        prompt: Mentions in the last hour?
        next: check-mentions
"""


@functools.lru_cache(maxsize=1)
def _playbook():
    from crisisplay.playbook.loader import check_text

    return check_text(PLAYBOOK, "bench-replay.yaml").playbook


def build_log(path, count: int = EVENTS, incident_id: str = "20261125-220000-bench-replay-0000") -> None:
    """A real incident log: the engine's own events, appended in large batches to save time."""
    from crisisplay import engine
    from crisisplay.events import apply, replay
    from crisisplay.journal import Journal

    pb = _playbook()
    t = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    first = engine.start(
        incident_id,
        pb,
        {"id": pb.id, "title": pb.title, "source": "bench", "sha256": "0" * 64},
        drill=False,
        responder="bench",
        organisation=None,
        detected_at=t,
        now=t,
        version="bench",
    )[0]
    journal = Journal.create(path, first)
    state = replay(journal.events())
    batch, written = [], 1
    n = 0
    while written + len(batch) < count - 4:
        t += timedelta(seconds=7)
        events, action = engine.advance(state, t, "bench")
        for e in events:
            apply(state, e)
        batch += events
        answer = "growing" if action.step_id == "check-mentions" else 100 + n
        decision = engine.decide(state, action.step_id, answer, t, "bench")
        for e in decision:
            apply(state, e)
        batch += decision
        n += 1
        if len(batch) >= 5000:
            journal.append(batch)
            written += len(batch)
            batch = []
    if batch:
        journal.append(batch)


_LOGS: dict[int, Path] = {}


def shared_log(events: int = EVENTS) -> tuple[Path, int]:
    """A log of `events` events, built once per run of the benchmarks and reused by every suite
    (in benchmarks/out/logs, disk-backed; run.py removes it at the end): its path and size."""
    if events not in _LOGS:
        folder = LOGS / str(events)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        path = folder / "20261125-220000-bench-replay-0000.jsonl"
        began = time.perf_counter()
        build_log(path, events)
        print(f"  built a {events:,}-event log in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        _LOGS[events] = path
    path = _LOGS[events]
    return path, path.stat().st_size


def sizes() -> list[int]:
    """The sizes the scaling suites measure: 100k events, and 1M with `--large`."""
    return [EVENTS, LARGE_EVENTS] if common.LARGE else [EVENTS]


def label(events: int) -> str:
    return f"{events // 1000}k" if events < 1_000_000 else f"{events // 1_000_000}M"


def loads_every_line(path) -> None:
    """The baseline: read the file and `json.loads` every line."""
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)


BASELINE_SETUP = "from bench_replay import loads_every_line"


def baseline_run(path: Path) -> Run:
    return python_run(BASELINE_SETUP, f"loads_every_line({str(path)!r})")


def run() -> list[Result]:
    results: list[Result] = []
    setup = "from crisisplay.journal import Journal\nfrom crisisplay.incidents import load_state"
    for events in sizes():
        path, size = shared_log(events)
        j = f"Journal({str(path)!r})"
        name = f"json.loads of {events:,} lines"
        idle = python_run(setup, "pass").peak
        replay = paired(lambda j=j: python_run(setup, f"load_state({j})"), lambda p=path: baseline_run(p))
        verify = paired(lambda j=j: python_run(setup, f"assert {j}.verify().ok"), lambda p=path: baseline_run(p))
        results += [
            replay.result(f"replay: {label(events)}-event incident", name, 2.0),
            verify.result(f"verify: {label(events)}-event incident", name, 2.5),
            Result(
                f"replay: peak memory above idle, {label(events)}",
                replay.peak - idle,
                f"log file size ({size / MIB:.0f} MiB)",
                size,
                3.0,
                unit="B",
            ),
            Result(
                f"verify: peak memory above idle, {label(events)}",
                verify.peak - idle,
                f"log file size ({size / MIB:.0f} MiB)",
                size,
                3.0,
                unit="B",
            ),
        ]
    return results


if __name__ == "__main__":
    common.LARGE = "--large" in sys.argv
    print_results(run())
