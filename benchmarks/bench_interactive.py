"""Interactive run: time from an answer's keypress to the next prompt on screen, per step.

The real `crisisplay start` runs in a pseudo-terminal (pexpect, PROMPT_TOOLKIT_NO_CPR=1) over
a 30-step playbook, mostly confirm and choice steps. For each step the clock starts when the
key that submits the answer is sent and stops when the next step's prompt is drawn; that
covers the durable append (one write, one fsync), the header, the prompt and the terminal.
The baseline is the raw durable append alone: os.write + os.fsync of as many bytes as one
step's decision, in the same disk-backed folder (benchmarks/out, not a memory /tmp).
Goal: under 50 ms added per step, as a ratio goal (raw + 50 ms) / raw worked out at run time.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time

from common import REPO, Result, crisisplay_argv

STEPS = 30
RUNS = 3
ADDED_GOAL_S = 0.050


def playbook_text(steps: int = STEPS) -> str:
    lines = [
        "crisisplay: 1",
        "id: bench-interactive",
        "title: Thirty interactive decisions",
        "severity:",
        "  levels: [low, medium, high]",
        "  initial: low",
        "targets:",
        "  acknowledged: 1h",
        "  resolved: 2d",
        "phases:",
    ]
    for phase in range(steps // 10):
        lines += [f"  - id: phase-{phase}", f"    title: Phase {phase}", "    steps:"]
        for i in range(10):
            n = phase * 10 + i
            kind = "text" if n % 10 == 9 else ("confirm", "choice")[n % 2]
            lines += [f"      - id: step-{n}", f"        type: {kind}", f"        prompt: Decision number {n}?"]
            if kind == "choice":
                lines += ["        options: [calm, growing, viral]"]
            if n == steps // 2:
                lines += ["        milestone: acknowledged"]
    lines += [
        "      - id: end-note",
        "        type: text",
        "        prompt: Decision number end?",
        "        milestone: resolved",
    ]
    return "\n".join(lines) + "\n"


def kind_of(n: int) -> str:
    return "text" if n % 10 == 9 else ("confirm", "choice")[n % 2]


INSTRUCTION = {"confirm": r"\(y / n", "choice": r"\(arrow keys", "text": r"\(Enter · or :note"}


def one_run(out, book) -> tuple[list[float], int]:
    """Seconds from each submitting keypress to the next prompt; and the bytes one decision appends."""
    import pexpect

    home = out / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "EDITOR", "VISUAL")}
    env.update(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", CRISISPLAY_HOME=str(home))
    argv = crisisplay_argv("start", str(book), "--responder", "bench")
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=20, dimensions=(40, 80))
    child.delaybeforesend = None  # pexpect sleeps 50 ms before every send by default: not ours to count
    gaps = []
    try:

        def prompt_of(n) -> str:
            label = n if n < STEPS else "end"
            kind = kind_of(n) if n < STEPS else "text"
            return rf"Decision number {label}\?.{{0,40}}?{INSTRUCTION[kind]}"

        child.expect(prompt_of(0))
        for n in range(STEPS):
            kind = kind_of(n)
            if kind == "text":
                child.send("noted")
                child.expect_exact("noted")  # the echo: only the Enter is timed
                key = "\r"
            else:
                key = "y"
                if kind == "choice":
                    child.send("\x1b[B")
                    time.sleep(0.02)  # let the pointer move; the Enter is what submits
                    key = "\r"
            start = time.perf_counter()
            child.send(key)
            child.expect(prompt_of(n + 1))
            gaps.append(time.perf_counter() - start)
        child.send("done\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    if child.exitstatus != 0:
        raise RuntimeError(f"the benchmark run ended with exit {child.exitstatus}")
    log = next((home / "incidents").glob("*.jsonl"))
    lines = log.read_bytes().splitlines(keepends=True)
    # a step's decision is its step.answered plus the next step.entered, in one write
    per_decision = sum(len(line) for line in lines[1:]) // max(1, (len(lines) - 1) // 2)
    return gaps, per_decision


def raw_append(folder, size: int, count: int = 200) -> float:
    path = folder / "raw.jsonl"
    payload = b"x" * (size - 1) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        start = time.perf_counter()
        for _ in range(count):
            os.write(fd, payload)
            os.fsync(fd)
        return (time.perf_counter() - start) / count
    finally:
        os.close(fd)


def run() -> list[Result]:
    out = REPO / "benchmarks" / "out" / "interactive"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    book = out / "bench-interactive.yaml"
    book.write_text(playbook_text())
    per_step_runs, size = [], 0
    for _ in range(RUNS):
        gaps, size = one_run(out, book)
        per_step_runs.append(statistics.mean(gaps))
    per_step = statistics.median(per_step_runs)
    baseline = raw_append(out, size)
    shutil.rmtree(out, ignore_errors=True)
    added_ms = (per_step - baseline) * 1000
    goal = round((baseline + ADDED_GOAL_S) / baseline, 1)
    return [
        Result(
            f"interactive: answer → next prompt, {STEPS} steps in a pty (+{added_ms:.1f} ms/step; goal +50 ms)",
            per_step,
            f"raw append+fsync of {size} B",
            baseline,
            goal,
        )
    ]


if __name__ == "__main__":
    for result in run():
        print(result, f"ratio {result.ratio:.2f}")
