"""Replay and verify a 100,000-event incident, against `json.loads` of every line of the same file.

Goals: replay at most 2x, verify at most 2.5x; peak memory of each at most 3x the file's size.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta

from common import REPO, Result, median_time, peak_rss_of

EVENTS = 100_000

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


def build_log(path) -> None:
    """A real incident log: the engine's own events, appended in large batches to save time."""
    from crisisplay import engine
    from crisisplay.events import apply, replay
    from crisisplay.journal import Journal
    from crisisplay.playbook.loader import check_text

    pb = check_text(PLAYBOOK, "bench-replay.yaml").playbook
    t = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    first = engine.start(
        "20261125-220000-bench-replay-0000",
        pb,
        {"id": pb.id, "title": pb.title, "source": "bench", "sha256": "0" * 64},
        drill=True,
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
    while written + len(batch) < EVENTS - 4:
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


def fresh_log(name: str):
    """A new 100,000-event log in benchmarks/out/<name>/ (disk-backed): its path and size."""
    out = REPO / "benchmarks" / "out" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    path = out / "20261125-220000-bench-replay-0000.jsonl"
    build_log(path)
    return path, path.stat().st_size


def loads_every_line(path) -> None:
    """The baseline: read the file and `json.loads` every line."""
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)


def run() -> list[Result]:
    from crisisplay.incidents import load_state
    from crisisplay.journal import Journal

    path, size = fresh_log("replay")
    out = path.parent
    journal = Journal(path)

    def baseline():
        loads_every_line(path)

    base = median_time(baseline, 3)
    replay_time = median_time(lambda: load_state(journal), 3)
    verify_result = journal.verify()
    assert verify_result.ok, verify_result.message
    verify_time = median_time(lambda: journal.verify(), 3)
    setup = f"from crisisplay.journal import Journal; j = Journal({str(path)!r})"
    replay_mem = peak_rss_of(setup + "\nfrom crisisplay.incidents import load_state; load_state(j)")
    verify_mem = peak_rss_of(setup + "\nj.verify()")
    with open(path, "rb") as lines:
        count = sum(1 for _ in lines)
    shutil.rmtree(out, ignore_errors=True)
    name = f"json.loads of {count:,} lines"
    size_name = f"log file size ({count:,} events)"
    return [
        Result("replay: 100k-event incident", replay_time, name, base, 2.0),
        Result("verify: 100k-event incident", verify_time, name, base, 2.5),
        Result("replay: peak memory", replay_mem, size_name, size, 3.0, unit="B"),
        Result("verify: peak memory", verify_mem, size_name, size, 3.0, unit="B"),
    ]
