"""Reading incident logs in tests, independently of crisisplay's own journal code.

The hash is recomputed here exactly as SPEC.md states the contract, so a test that uses
these helpers checks the files, not the code that wrote them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

EVENT_KEYS = ["v", "seq", "ts", "type", "actor", "step", "data", "prev", "hash"]
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ZERO = "0" * 64
REPO = Path(__file__).resolve().parents[1]


def log_path(home: Path, incident_id: str) -> Path:
    return home / "incidents" / f"{incident_id}.jsonl"


def only_log(home: Path) -> Path | None:
    """The one incident log in `home`, or None when none was created."""
    logs = sorted((home / "incidents").glob("*.jsonl")) if (home / "incidents").is_dir() else []
    assert len(logs) <= 1, logs
    return logs[0] if logs else None


def read_events(path: Path) -> list[dict]:
    """Every complete line of the log, parsed (a torn last line is left out)."""
    events = []
    for raw in path.read_bytes().splitlines(keepends=True):
        if raw.endswith(b"\n"):
            events.append(json.loads(raw))
    return events


def canonical_hash(event: dict) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rechain(events: list[dict]) -> str:
    """The events as log lines re-hashed per the contract: what someone forging a log would do."""
    out, prev = [], ZERO
    for event in events:
        event = {**{k: v for k, v in event.items() if k != "hash"}, "prev": prev}
        prev = canonical_hash(event)
        text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        out.append(text[:-1] + f',"hash":"{prev}"}}\n')
    return "".join(out)


# A playbook small enough to read at a glance: one input, a text step and a confirm step.
TWO_QUESTIONS = """\
crisisplay: 1
id: mini
title: Two questions
inputs:
  product:
    prompt: Which product?
phases:
  - id: only
    title: Only
    steps:
      - id: first
        type: text
        prompt: First?
      - id: second
        type: confirm
        prompt: Second?
"""


# Answers for TWO_QUESTIONS: the whole run (it closes), or all but the last step (it pauses).
FINISHING = "inputs:\n  product: Kettle\nsteps:\n  first: one\n  second: yes\n"
PAUSING = "inputs:\n  product: Kettle\nsteps:\n  first: one\n"


def start_two_questions(run_cli, cwd: Path, answers: str, exit_code: int) -> str:
    """Start TWO_QUESTIONS with `answers` through the real CLI (`run_cli`, in `cwd`); the incident id."""
    (cwd / "mini.yaml").write_text(TWO_QUESTIONS)
    (cwd / "a.yaml").write_text(answers)
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == exit_code, err
    return out.strip()


def assert_log_contract(path: Path) -> list[dict]:
    """Every line is the canonical event with `hash` last, chained from 64 zeros. Returns the
    events with their personal values opened (`opened`), for tests to compare what was typed."""
    events, prev = [], ZERO
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"", "the log ends with a newline"
    for number, raw in enumerate(lines[:-1], start=1):
        event = json.loads(raw, parse_float=lambda t, number=number: _fail(f"line {number} holds a float {t}"))
        assert sorted(event) == sorted(EVENT_KEYS), f"line {number}: keys {list(event)}"
        assert list(event)[-1] == "hash", f"line {number}: hash is not the last member"
        assert raw.decode("utf-8").endswith(f',"hash":"{event["hash"]}"}}'), f"line {number}: hash is not last"
        body = {k: v for k, v in event.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        assert raw.decode("utf-8") == canonical[:-1] + f',"hash":"{event["hash"]}"}}', f"line {number} not canonical"
        assert event["hash"] == canonical_hash(event), f"line {number}: hash"
        assert event["v"] == 1 and event["seq"] == number - 1 and event["prev"] == prev, f"line {number}: chain"
        assert TS_RE.match(event["ts"]), event["ts"]
        assert isinstance(event["data"], dict) and isinstance(event["actor"], str)
        events.append(event)
        prev = event["hash"]
    return opened(path, events)


def opened(path: Path, events: list[dict]) -> list[dict]:
    """`events` of the log at `<home>/incidents/<id>.jsonl` with each sealed value opened by the
    home's key (as `Personal`, or None once the key is gone); as they are when none is sealed."""
    if not events or not any('"$enc"' in json.dumps(e["data"]) for e in events):
        return events
    from crisisplay.store.keys import FileKeys, keys_dir
    from crisisplay.store.sealing import LogSeal

    seal = LogSeal(events[0]["data"]["incident_id"], FileKeys(keys_dir(path.parent.parent)), lambda: events[0])
    return [seal.open(event) for event in events]


def _fail(message: str):
    raise AssertionError(message)


def without_scenario_time(data: dict) -> dict:
    """An event's data without `scenario_ms`, which every drill event carries (its scenario time)."""
    return {key: value for key, value in data.items() if key != "scenario_ms"}


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def answered_keys(events: list[dict]) -> list[tuple[str, int]]:
    """(step, visit) of each step.answered or step.skipped by the responder, in log order."""
    return [
        (e["step"], e["data"]["visit"])
        for e in events
        if e["type"] == "step.answered" or (e["type"] == "step.skipped" and e["data"]["by"] == "responder")
    ]


def duplicates(keys) -> list:
    return [k for k, n in Counter(keys).items() if n > 1]


def cli_env(home: Path, **extra: str) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("CRISISPLAY_HOME", "NO_COLOR")}
    env.update({"CRISISPLAY_HOME": str(home), "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def run_crisisplay(
    home: Path, *args: str, cwd: Path | None = None, timeout: float = 60, input: str | None = None
) -> subprocess.CompletedProcess:
    """`python -m crisisplay ARGS...` against `home`, captured."""
    return subprocess.run(
        [sys.executable, "-m", "crisisplay", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_env(home),
        cwd=cwd or home,
        timeout=timeout,
        input=input,
    )


def opened_events(path: Path) -> list[dict]:
    """The log's events as the store reads them, personal values opened with the home's keys
    (`path` is `<home>/incidents/<id>.jsonl`): what a test compares typed texts against."""
    return opened(path, read_events(path))


def with_clear(exported: dict) -> list[dict]:
    """A json export's `events` with the values of its `clear` map put back in their places: the
    events as a reader of the incident sees them (`events` alone keeps the sealed envelopes)."""
    clear = exported.get("clear") or {}
    events = []
    for event in exported["events"]:
        values = clear.get(str(event["seq"]))
        if values:
            event = json.loads(json.dumps(event))
            for place, value in values.items():
                *parents, last = place.split("/")
                target = event["data"]
                for part in parents:
                    target = target[int(part)] if isinstance(target, list) else target[part]
                target[int(last) if isinstance(target, list) else last] = value
        events.append(event)
    return events
