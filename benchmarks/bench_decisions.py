"""Durable decisions: a 200-step scripted run, against a raw write + fsync of the same bytes.

In one process, on a disk-backed folder (under benchmarks/out, not /tmp which may be memory),
a scripted run of 200 decisions (engine, hash chain, one write and one fsync per decision)
is paired with writing the very byte strings that run appended, one `os.write` + `os.fsync`
each, on an O_APPEND descriptor in the same folder. The pairs alternate which goes first.
Goal (issue 16): at most 1.5x. Also printed: crisisplay's own CPU time per decision
(`time.process_time`, which leaves out the time the disk takes).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import statistics
import time

from common import PAIRS, REPO, Result

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
    from crisisplay import journal as journal_module
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

    # The byte strings the run appends to its log (one per decision), recorded so that the
    # baseline writes exactly the same bytes: wrapped around the journal's one write.
    appended: list[bytes] = []
    real_write_all = journal_module._write_all

    def recording_write_all(fd: int, data: bytes) -> None:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            appended.append(bytes(data))
        real_write_all(fd, data)

    def ours(number: int) -> tuple[float, float, int]:
        home = out / f"home-{number}"
        ids: list[str] = []
        appended.clear()
        journal_module._write_all = recording_write_all
        try:
            with open(os.devnull, "w") as sink:
                cpu, start = time.process_time(), time.perf_counter()
                outcome = start_incident(
                    StartRequest(pb, book, drill=False, responder="bench"),
                    Config(),
                    home,
                    lambda overrides: ScriptedFrontend(answers, overrides, out=sink),
                    ids.append,
                )
                wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            journal_module._write_all = real_write_all
        assert outcome.finished, outcome
        shutil.rmtree(home, ignore_errors=True)
        return wall / STEPS, cpu / STEPS, len(appended)

    def theirs(number: int, writes: list[bytes]) -> tuple[float, float]:
        raw = out / f"raw-{number}.jsonl"
        fd = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            cpu, start = time.process_time(), time.perf_counter()
            for data in writes:
                os.write(fd, data)
                os.fsync(fd)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            os.close(fd)
            os.unlink(raw)
        return wall / STEPS, cpu / STEPS

    ours(-1)  # warm up (and record the bytes of one run)
    writes = list(appended)
    theirs(-1, writes)
    walls, cpus, bases, base_cpus = [], [], [], []
    count = 0
    for number in range(PAIRS):
        if number % 2:
            base, base_cpu = theirs(number, writes)
            wall, cpu, count = ours(number)
        else:
            wall, cpu, count = ours(number)
            base, base_cpu = theirs(number, writes)
        walls.append(wall)
        cpus.append(cpu)
        bases.append(base)
        base_cpus.append(base_cpu)
    shutil.rmtree(out, ignore_errors=True)
    size = sum(map(len, writes)) // max(1, len(writes))
    return [
        Result(
            "decision: scripted step, logged durably",
            statistics.median(walls),
            f"raw write+fsync of the same bytes ({len(writes)} writes, {size} B each on average; {count} per run)",
            statistics.median(bases),
            1.5,
            ratios=[w / b for w, b in zip(walls, bases, strict=True)],
            cpu_ratios=[c / b for c, b in zip(cpus, base_cpus, strict=True)],
        ),
        Result(
            "decision: CPU time per decision (user+system, this process)",
            statistics.median(cpus),
            "CPU time of the raw write+fsync of the same bytes",
            statistics.median(base_cpus),
            1.5,
            ratios=[c / b for c, b in zip(cpus, base_cpus, strict=True)],
        ),
    ]


if __name__ == "__main__":
    from common import print_results

    print_results(run())
