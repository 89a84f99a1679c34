"""Durable decisions: time per decision of a 200-step scripted run, against a raw append + fsync.

In one process, on a disk-backed folder (under benchmarks/out, not /tmp which may be memory),
the run's time per decision is compared with appending and fsyncing a line of the same size
in the same folder. Goal: at most 1.5x.
"""

from __future__ import annotations

import os
import shutil
import time

from common import REPO, Result

STEPS = 200


def playbook_text(steps: int) -> str:
    lines = ["crisisplay: 1", "id: bench-decisions", "title: Two hundred decisions", "phases:"]
    for phase in range(steps // 20):
        lines += [f"  - id: phase-{phase}", f"    title: Phase {phase}", "    steps:"]
        for i in range(20):
            n = phase * 20 + i
            kind = ("text", "confirm", "choice")[n % 3]
            lines += [f"      - id: step-{n}", f"        type: {kind}", f"        prompt: Decision number {n}?"]
            if kind == "choice":
                lines += ["        options: [calm, growing]"]
    return "\n".join(lines) + "\n"


def answers_text(steps: int) -> str:
    lines = ["steps:"]
    for n in range(steps):
        lines.append(f"  step-{n}: " + ("the facts as the responder wrote them", "yes", "growing")[n % 3])
    return "\n".join(lines) + "\n"


def run() -> list[Result]:
    from crisisplay.config import Config
    from crisisplay.playbook.loader import load_playbook
    from crisisplay.run.answers import read_answers
    from crisisplay.run.lifecycle import StartRequest, start_incident
    from crisisplay.run.scripted import ScriptedFrontend

    out = REPO / "benchmarks" / "out" / "decisions"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    book, answers_file = out / "bench-decisions.yaml", out / "answers.yaml"
    book.write_text(playbook_text(STEPS))
    answers_file.write_text(answers_text(STEPS))
    pb, _ = load_playbook(book)
    answers = read_answers(answers_file, pb)
    ids: list[str] = []
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        outcome = start_incident(
            StartRequest(pb, book, drill=True, responder="bench"),
            Config(),
            out / "home",
            lambda overrides: ScriptedFrontend(answers, overrides, out=sink),
            ids.append,
        )
        per_decision = (time.perf_counter() - start) / STEPS
    assert outcome.finished, outcome
    log = out / "home" / "incidents" / f"{ids[0]}.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    line_size = sum(len(line) for line in lines) // (STEPS + 1)

    raw = out / "raw.jsonl"
    payload = b"x" * (line_size - 1) + b"\n"
    fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    start = time.perf_counter()
    for _ in range(STEPS):
        os.write(fd, payload)
        os.fsync(fd)
    baseline = (time.perf_counter() - start) / STEPS
    os.close(fd)
    shutil.rmtree(out, ignore_errors=True)
    return [
        Result(
            "decision: scripted step, logged durably", per_decision, f"raw append+fsync of {line_size} B", baseline, 1.5
        )
    ]


if __name__ == "__main__":
    print(run())
