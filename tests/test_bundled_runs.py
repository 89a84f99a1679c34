"""Every bundled playbook driven to its end through each of its main branches, by the real CLI,
from the answers files in examples/ and tests/data/answers/."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from incident_logs import REPO, answered_keys, assert_log_contract, duplicates, of_type, run_crisisplay

PLAYBOOKS = sorted(p.stem for p in (REPO / "playbooks").glob("*.yaml"))
ANSWERS = sorted((REPO / "examples").glob("*.answers.yaml")) + sorted(
    (REPO / "tests" / "data" / "answers").glob("*.yaml")
)


def playbook_of(answers: Path) -> str:
    return answers.name.split(".")[0]


def label(answers: Path) -> str:
    return str(answers.relative_to(REPO))


class _Runs(dict):
    """Each answers file run once, as a drill, in a home of its own — when a test first asks for
    it, so no single test pays (and times out) for running the whole library."""

    def __init__(self, factory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, answers: Path) -> dict:
        home = self.factory.mktemp(playbook_of(answers))
        done = run_crisisplay(home, "start", playbook_of(answers), "--drill", "--answers", answers)
        incident_id = done.stdout.strip()
        path = home / "incidents" / f"{incident_id}.jsonl"
        self[answers] = {"done": done, "home": home, "id": incident_id, "path": path}
        return self[answers]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[Path, dict]:
    return _Runs(tmp_path_factory)


def test_every_bundled_playbook_has_at_least_two_answers_files():
    for playbook in PLAYBOOKS:
        files = [a for a in ANSWERS if playbook_of(a) == playbook]
        assert len(files) >= 2, f"{playbook}: {files}"


def test_every_answers_file_names_a_bundled_playbook():
    assert {playbook_of(a) for a in ANSWERS} <= set(PLAYBOOKS)


@pytest.mark.parametrize("answers", ANSWERS, ids=label)
def test_bundled_playbook_runs_to_its_end_from_the_answers_file(runs, answers):
    run = runs[answers]
    done = run["done"]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == run["id"] + "\n"
    events = assert_log_contract(run["path"])
    assert events[0]["data"]["drill"] is True
    assert events[-1]["type"] == "incident.closed"
    assert events[-1]["data"]["outcome"] == "completed"
    assert of_type(events, "incident.paused") == []
    assert duplicates(answered_keys(events)) == []
    # every step entered was answered or skipped, once per visit (a step skipped by its condition or by a
    # monitor-only outcome is never entered)
    entered = [(e["step"], e["data"]["visit"]) for e in of_type(events, "step.entered")]
    decided = [
        (e["step"], e["data"]["visit"])
        for e in events
        if e["type"] in ("step.answered", "step.skipped")
        and not (e["type"] == "step.skipped" and e["data"]["by"] in ("condition", "outcome"))
    ]
    assert entered == decided
    # every message was sent with no placeholder left in it
    for sent in of_type(events, "message.sent"):
        assert "[[" not in sent["data"]["text"], sent["data"]["text"]
    verify = run_crisisplay(run["home"], "verify", run["id"])
    assert verify.returncode == 0, verify.stdout
    assert events[-1]["hash"] in verify.stdout


@pytest.mark.parametrize("answers", ANSWERS, ids=label)
def test_bundled_run_reaches_the_resolved_milestone_and_escalates(runs, answers):
    events = assert_log_contract(runs[answers]["path"])
    assert "resolved" in [e["data"]["name"] for e in of_type(events, "milestone.reached")]
    assert of_type(events, "escalation.notified") + of_type(events, "escalation.unreachable")


def entered_steps(path: Path) -> frozenset[str]:
    return frozenset(e["step"] for e in of_type(assert_log_contract(path), "step.entered"))


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_answers_files_of_one_playbook_take_different_branches(runs, playbook):
    files = [a for a in ANSWERS if playbook_of(a) == playbook]
    paths = {a: entered_steps(runs[a]["path"]) for a in files}
    for first, second in combinations(files, 2):
        assert paths[first] != paths[second], f"{label(first)} and {label(second)} enter the same steps"


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_each_playbook_step_is_entered_by_some_answers_file(runs, playbook):
    from crisisplay.playbook.loader import load_playbook

    pb, _ = load_playbook(REPO / "playbooks" / f"{playbook}.yaml")
    covered = set().union(*(entered_steps(runs[a]["path"]) for a in ANSWERS if playbook_of(a) == playbook))
    assert set(pb.step_index) - covered == set()


@pytest.mark.parametrize("answers", ANSWERS, ids=label)
def test_every_bundled_run_exports_in_every_format(runs, answers, tmp_path):
    """Each example's incident, exported as md, html, json and csv, holds every event it logged."""
    import csv
    import io
    import json

    from crisisplay.export import export_incident
    from crisisplay.journal import Journal

    run = runs[answers]
    events = assert_log_contract(run["path"])
    head = events[-1]["hash"]
    texts = {}
    for fmt in ("md", "html", "json", "csv"):
        out = tmp_path / f"report.{fmt}"
        done = export_incident(Journal(run["path"]), fmt, out, io.BytesIO())
        assert (done.count, done.head) == (len(events), head)
        texts[fmt] = out.read_text(encoding="utf-8")
    # `events` exactly as logged (sealed values as their envelopes), the opened ones in `clear`
    assert json.loads(texts["json"])["events"] == [json.loads(line) for line in run["path"].read_bytes().splitlines()]
    assert len(list(csv.reader(io.StringIO(texts["csv"])))) == len(events) + 1
    for fmt in ("md", "html"):
        assert run["id"] in texts[fmt] and head in texts[fmt]
        assert "[[" not in texts[fmt]
    assert "<script" not in texts["html"].lower()
