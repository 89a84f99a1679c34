"""What sealing personal values costs: the same work with and without encryption, in one run.

The playbook's loop has a personal text step, so every second decision carries an encrypted
value (issue 17). Each figure pairs crisisplay with its keys (a `FileStore` with `FileKeys`: the
default) against the same crisisplay with a store that keeps no keys (personal values logged
as plain text), the order alternating:

- a durable decision: 200 scripted decisions, each one write and one fsync;
- replay of a 100,000-event incident (25,000 sealed values; a replay opens only those its state
  still holds) and its exports in every format (each opens every value it shows).

Goal (issue 17): at most 1.10x each.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import PAIRS, REPO, Result, paired, print_results, python_run

STEPS = 200
EVENTS = 100_000
GOAL = 1.10
OUT = REPO / "benchmarks" / "out" / "privacy"
INCIDENT = "20261130-080000-bench-privacy-0000"

PLAYBOOK = """\
crisisplay: 1
id: bench-privacy
title: A watch that writes down what each customer says
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
            next: what-they-said
          - label: Calm again
            value: calm
            next: end
      - id: what-they-said
        type: text
        prompt: What did the customer say, in their words?
        personal: customer
        next: check-mentions
"""

SAID = "Maribel Quintanilla says order NH-100482 arrived broken and she wants her money back"


def _playbook():
    from crisisplay.playbook.loader import check_text

    return check_text(PLAYBOOK, "bench-privacy.yaml").playbook


def _store(folder: Path, sealed: bool):
    from crisisplay.store.files import FileStore
    from crisisplay.store.keys import FileKeys

    return FileStore(folder / "incidents", FileKeys(folder / "keys") if sealed else None)


def build_log(folder: Path, sealed: bool, count: int = EVENTS) -> None:
    """A real incident log of `count` events (the engine's own), with or without keys."""
    from crisisplay import engine
    from crisisplay.events import apply, replay

    pb = _playbook()
    t = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    source = {"id": pb.id, "title": pb.title, "source": "bench", "sha256": "0" * 64}
    first = engine.start(
        INCIDENT, pb, source, drill=False, responder="bench", organisation=None, detected_at=t, now=t, version="bench"
    )[0]
    journal = _store(folder, sealed).create(INCIDENT, first)
    state = replay(journal.events())
    batch, written = [], 1
    while written + len(batch) < count - 4:
        t += timedelta(seconds=7)
        events, action = engine.advance(state, t, "bench")
        answer = "growing" if action.step_id == "check-mentions" else SAID
        for e in [*events, *engine.decide(state, action.step_id, answer, t, "bench")]:
            apply(state, e)
            batch.append(e)
        if len(batch) >= 2000:
            journal.append(batch)
            written += len(batch)
            batch = []
    if batch:
        journal.append(batch)


def _work(folder: Path, sealed: bool, what: str) -> str:
    keys = f"FileKeys({str(folder / 'keys')!r})" if sealed else "None"
    log = f"Journal({str(folder / 'incidents' / (INCIDENT + '.jsonl'))!r}, keys={keys})"
    if what == "replay":
        return f"load_state({log})"
    return f"export_incident({log}, {what!r}, {str(folder / ('report.' + what))!r}, io.BytesIO())"


SETUP = (
    "import io\nfrom crisisplay.journal import Journal\nfrom crisisplay.store.keys import FileKeys\n"
    "from crisisplay.incidents import load_state\nfrom crisisplay.export import export_incident"
)


def _decisions(folder: Path, sealed: bool) -> float:
    """Seconds per durable decision of a 200-decision scripted run."""
    from crisisplay.config import Config
    from crisisplay.playbook.loader import load_playbook
    from crisisplay.run.answers import read_answers
    from crisisplay.run.lifecycle import StartRequest, start_incident
    from crisisplay.run.scripted import ScriptedFrontend

    book, answers_file = folder.parent / "bench-privacy.yaml", folder.parent / "answers.yaml"
    pb, _ = load_playbook(book)
    answers = read_answers(answers_file, pb)
    shutil.rmtree(folder, ignore_errors=True)
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        outcome = start_incident(
            StartRequest(pb, book, drill=False, responder="bench"),
            Config(),
            folder,
            lambda overrides: ScriptedFrontend(answers, overrides, out=sink),
            lambda _id: None,
            store=_store(folder, sealed),
        )
        wall = time.perf_counter() - start
    assert outcome.finished, outcome
    return wall / STEPS


def run() -> list[Result]:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    (OUT / "bench-privacy.yaml").write_text(PLAYBOOK)
    visits = ", ".join(["growing"] * (STEPS // 2 - 1) + ["calm"])
    lines = ["steps:", f"  check-mentions:\n    visits: [{visits}]", f"  what-they-said: {SAID!r}"]
    (OUT / "answers.yaml").write_text("\n".join(lines) + "\n")
    results: list[Result] = []

    _decisions(OUT / "warm", True)
    sealed_times, plain_times = [], []
    for number in range(PAIRS):
        order = (True, False) if number % 2 == 0 else (False, True)
        for sealed in order:
            spent = _decisions(OUT / f"run-{number}-{sealed}", sealed)
            (sealed_times if sealed else plain_times).append(spent)
    results.append(
        Result(
            "privacy: durable decision, every second one sealed",
            statistics.median(sealed_times),
            "the same run with no keys (plain text)",
            statistics.median(plain_times),
            GOAL,
            ratios=[s / p for s, p in zip(sealed_times, plain_times, strict=True)],
        )
    )

    sealed_dir, plain_dir = OUT / "sealed", OUT / "plain"
    build_log(sealed_dir, True)
    build_log(plain_dir, False)
    for what in ("replay", "md", "html", "json", "csv"):
        pairs = paired(
            lambda w=what: python_run(SETUP, _work(sealed_dir, True, w)),
            lambda w=what: python_run(SETUP, _work(plain_dir, False, w)),
        )
        name = "replay" if what == "replay" else f"export {what}"
        results.append(pairs.result(f"privacy: {name}, {EVENTS // 1000}k events, sealed", "the same, plain", GOAL))
    shutil.rmtree(OUT, ignore_errors=True)
    return results


if __name__ == "__main__":
    sys.exit(print_results(run()))
