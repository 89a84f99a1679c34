"""A scripted run SIGKILLed at many different moments, then resumed with the same answers file
until it ends: no answer lost, none recorded twice, every chain intact."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from incident_logs import answered_keys, assert_log_contract, cli_env, duplicates, of_type, run_crisisplay

SLOW = Path(__file__).resolve().parent / "slow_crisisplay.py"
APPEND_DELAY = 0.02
WANTED_KILL_POINTS = 20

TEXT_STEPS = [f"note-{n:02d}" for n in range(1, 17)]

PLAYBOOK = (
    """\
crisisplay: 1
id: killtest
title: A long scripted run to kill
severity:
  levels: [low, medium, high]
targets:
  escalated: 30m
  acknowledged: 1h
  resolved: 2d
roles:
  manager: Your line manager
  legal: Legal counsel
inputs:
  product:
    prompt: Which product?
  channel:
    prompt: Where?
    type: choice
    options: [x, facebook]
  budget:
    prompt: Budget?
    type: number
phases:
  - id: detect
    title: Detect
    steps:
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Contained
            value: contained
          - label: Viral
            value: viral
            severity: high
      - id: fixed
        type: confirm
        prompt: Fixed?
      - id: notify
        type: escalate
        to: [manager, legal]
        template: "{{ product }} on {{ channel }}"
        milestone: escalated
      - id: contain
        type: checklist
        prompt: Contain it
        items: [Fix the price, Hold orders, Pause ads]
      - id: check-mentions
        type: choice
        prompt: Mentions?
        options:
          - label: Growing
            value: growing
            next: wait
          - label: Calm
            value: calm
            next: statement
      - id: wait
        type: info
        prompt: Wait.
        next: check-mentions
      - id: statement
        type: message
        channel: "{{ channel }}"
        template: "Sorry about {{ product }}."
        milestone: acknowledged
      - id: legal-review
        type: confirm
        prompt: Legal reviewed?
"""
    + "".join(
        f"""\
      - id: {step}
        type: text
        prompt: Note {step}
"""
        for step in TEXT_STEPS
    )
    + """\
      - id: orders
        type: number
        prompt: Orders?
      - id: what-happened
        type: text
        prompt: What happened?
        milestone: resolved
"""
)

ANSWERS = (
    """\
inputs:
  product: Blue Kettle
  channel: x
  budget: "99.90"
steps:
  reach: viral
  fixed: no
  notify: {manager: notified, legal: unreachable}
  contain: [Fix the price, Pause ads]
  check-mentions:
    visits: [growing, growing, calm]
  statement: send
  legal-review: {skip: Counsel asleep}
"""
    + "".join(f"  {step}: Answer for {step}\n" for step in TEXT_STEPS)
    + """\
  orders: 42
  what-happened: The import left the price empty.
"""
)


def decisions(events: list[dict]) -> list[tuple]:
    return [
        (e["type"], e["step"], e["data"].get("visit"), json.dumps(e["data"].get("answer"), sort_keys=True))
        for e in events
        if e["type"] in ("input.set", "step.answered", "step.skipped")
    ]


def line_count(home: Path) -> tuple[Path | None, int]:
    folder = home / "incidents"
    logs = list(folder.glob("*.jsonl")) if folder.is_dir() else []
    if not logs:
        return None, 0
    try:
        return logs[0], logs[0].read_bytes().count(b"\n")
    except FileNotFoundError:
        return None, 0


def start_slow(home: Path, playbook: Path, answers: Path, delay: float = APPEND_DELAY) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SLOW), "start", str(playbook), "--answers", str(answers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=home,
        env=cli_env(home, CRISISPLAY_TEST_APPEND_DELAY=str(delay)),
    )


def kill_when(home: Path, process: subprocess.Popen, lines: int | None, after: float) -> None:
    """SIGKILL once the log holds `lines` lines (plus `after` seconds), or `after` seconds from now."""
    deadline = time.monotonic() + 30
    if lines is not None:
        while line_count(home)[1] < lines and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
    time.sleep(after)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


# A guard against a hang, not a speed limit: the test starts over a hundred crisisplay processes,
# and at the lowest dependency versions (slower imports), on a loaded machine, beside another
# test worker, they took over 180 s.
@pytest.mark.timeout(600)
def test_resume_after_kill_loses_no_answer_and_records_none_twice(tmp_path):
    playbook = tmp_path / "killtest.yaml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")

    # The uninterrupted run: what every killed-and-resumed run must end up recording.
    reference_home = tmp_path / "reference"
    reference_home.mkdir()
    done = start_slow(reference_home, playbook, answers)
    _out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    reference_path, total_lines = line_count(reference_home)
    reference = assert_log_contract(reference_path)
    assert reference[-1]["type"] == "incident.closed" and total_lines == len(reference)

    rng = random.Random(20260301)
    samples: list[dict] = []
    kill_points: set[int] = set()

    def sample(lines: int | None, after: float) -> None:
        home = tmp_path / f"kill-{len(samples):02d}"
        home.mkdir()
        kill_when(home, start_slow(home, playbook, answers), lines, after)
        path, count = line_count(home)
        samples.append({"home": home, "path": path, "lines": count, "target": lines})
        if path is not None and count < total_lines:
            kill_points.add(count)

    # Kills before the log exists (skipped), then at each stretch of the run, then wherever
    # the run has not been cut yet, until enough different moments were hit.
    for after in (0.0, 0.05, 0.1):
        sample(None, after)
    targets = list(range(1, total_lines, max(1, total_lines // 26)))
    for lines in targets:
        sample(lines, rng.uniform(0, APPEND_DELAY * 1.5))
    untried = [n for n in range(1, total_lines) if n not in kill_points]
    while len(kill_points) < WANTED_KILL_POINTS + 2 and untried and len(samples) < 80:
        sample(untried.pop(rng.randrange(len(untried))), rng.uniform(0, APPEND_DELAY))

    partial = [s for s in samples if s["path"] is not None and s["lines"] < total_lines]
    assert len(kill_points) >= WANTED_KILL_POINTS, sorted(kill_points)

    def finish(s: dict) -> dict:
        path = s["path"]
        incident_id = path.stem
        killed = assert_log_contract(path)
        status = run_crisisplay(s["home"], "incidents", "--format", "json")
        s["status"] = json.loads(status.stdout)["incidents"][0]["status"]
        s["last_killed"] = killed[-1]["type"]
        s["resumes"] = []
        for _ in range(3):
            if assert_log_contract(path)[-1]["type"] == "incident.closed":
                break
            resumed = run_crisisplay(s["home"], "resume", incident_id, "--answers", answers)
            s["resumes"].append((resumed.returncode, resumed.stderr))
        s["verify"] = run_crisisplay(s["home"], "verify", incident_id)
        return s

    with ThreadPoolExecutor(max_workers=8) as pool:
        finished = list(pool.map(finish, partial))

    expected = decisions(reference)
    for s in finished:
        where = f"killed at {s['lines']} lines ({s['home'].name})"
        assert s["last_killed"] != "incident.paused", where  # a kill leaves no pause behind
        assert s["status"] == "interrupted", where
        assert [code for code, _ in s["resumes"]] == [0], (where, s["resumes"])
        assert s["verify"].returncode == 0, (where, s["verify"].stdout)
        events = assert_log_contract(s["path"])
        assert duplicates(answered_keys(events)) == [], where
        assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed", where
        assert decisions(events) == expected, where
        assert len(of_type(events, "milestone.reached")) == len(of_type(reference, "milestone.reached")), where
        assert len(of_type(events, "message.sent")) == 1, where
