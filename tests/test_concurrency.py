"""Two terminals on one incident: notes written while a run is going, and a second run refused."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from incident_logs import answered_keys, assert_log_contract, cli_env, duplicates, of_type, run_crisisplay
from test_kill import ANSWERS, PLAYBOOK, line_count, start_slow


def cli_start_factor(home: Path) -> float:
    """How many times slower than 0.3 s one crisisplay command runs here and now (a loaded
    machine, parallel test workers, slower imports at the lowest dependency versions), 1 to 5."""
    started = time.monotonic()
    run_crisisplay(home, "incidents")
    return min(5.0, max(1.0, (time.monotonic() - started) / 0.3))


@pytest.fixture
def append_delay(request, tmp_path) -> float:
    """Seconds each of the run's appends waits: the run takes about 33 of them. Stretched as
    much as commands are slow to start, so another terminal's command still lands mid-run."""
    probe = tmp_path / "start-probe"
    probe.mkdir()
    return getattr(request, "param", 0.15) * cli_start_factor(probe)


@pytest.fixture
def slow_run(tmp_path, append_delay):
    """Start a slowed scripted run (a few seconds); yields (process, home, log path, answers)."""
    home = tmp_path / "home"
    home.mkdir()
    playbook = tmp_path / "killtest.yaml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")
    process = start_slow(home, playbook, answers, delay=append_delay)
    deadline = time.monotonic() + 30
    path = None
    while time.monotonic() < deadline:
        path, lines = line_count(home)
        if path is not None and lines >= 2:
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.002)
    assert path is not None
    try:
        yield process, home, path, answers
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def still_running(process: subprocess.Popen, path: Path) -> bool:
    return process.poll() is None and assert_log_contract(path)[-1]["type"] != "incident.closed"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("append_delay", [0.25], indirect=True)  # long enough for eight `note` processes to start
def test_notes_from_other_terminals_during_a_run_are_each_logged_once_and_the_chain_holds(slow_run):
    process, home, path, _ = slow_run
    incident_id = path.stem
    texts = [f"Note {n} from terminal {n}: customer update #{n}" for n in range(8)]
    notes = [
        subprocess.Popen(
            [sys.executable, "-m", "crisisplay", "note", incident_id, text, "--responder", f"t{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=home,
            env=cli_env(home),
        )
        for n, text in enumerate(texts)
    ]
    results = [(note.wait(timeout=60), note.communicate()[1]) for note in notes]
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert [code for code, _ in results] == [0] * len(texts), results

    events = assert_log_contract(path)
    logged = Counter(e["data"]["text"] for e in of_type(events, "note.added"))
    assert logged == Counter(texts)
    assert {e["actor"] for e in of_type(events, "note.added")} == {f"t{n}" for n in range(8)}
    # the notes landed between the run's decisions: the run chained its next ones onto them
    types = [e["type"] for e in events]
    last_note = max(i for i, kind in enumerate(types) if kind == "note.added")
    assert "step.answered" in types[last_note:], "every note came after the run: nothing was concurrent"
    assert duplicates(answered_keys(events)) == []
    assert of_type(events, "incident.closed")[0]["data"]["outcome"] == "completed"
    verify = run_crisisplay(home, "verify", incident_id)
    assert verify.returncode == 0, verify.stdout


@pytest.mark.timeout(120)
def test_a_second_resume_while_a_run_holds_the_incident_is_refused(slow_run):
    process, home, path, answers = slow_run
    incident_id = path.stem
    status = run_crisisplay(home, "incidents", "--format", "json")
    assert json.loads(status.stdout)["incidents"][0]["status"] == "running"
    second = run_crisisplay(home, "resume", incident_id, "--answers", answers)
    refused_while_running = still_running(process, path)
    assert second.returncode == 2, second.stderr
    assert "another terminal" in second.stderr and "Traceback" not in second.stderr
    assert refused_while_running, "the first run ended before the second resume was tried"

    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    events = assert_log_contract(path)
    assert of_type(events, "incident.resumed") == []  # the refused resume logged nothing
    assert duplicates(answered_keys(events)) == []
    assert events[-1]["type"] == "incident.closed"


@pytest.mark.timeout(120)
def test_close_while_a_run_holds_the_incident_is_refused(slow_run):
    process, home, path, _ = slow_run
    closing = run_crisisplay(home, "close", path.stem, "--reason", "duplicate")
    refused_while_running = still_running(process, path)
    assert closing.returncode == 2 and "another terminal" in closing.stderr
    assert refused_while_running
    process.communicate(timeout=60)
    events = assert_log_contract(path)
    assert [e["data"]["outcome"] for e in of_type(events, "incident.closed")] == ["completed"]
