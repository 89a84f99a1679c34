"""Appends that cannot fork, lease expiry and `resume --take-over`: two drivers answering one
step log exactly one answer, and the one who lost is told who won."""

from __future__ import annotations

import io
import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest
from incident_logs import with_clear
from test_interactive_e2e import COMMAND, ENTER, ID, Terminal, environment

from crisisplay import engine
from crisisplay.incidents import load_state
from crisisplay.playbook.loader import load_playbook
from crisisplay.run.answers import AnswersFile
from crisisplay.run.scripted import ScriptedFrontend
from crisisplay.run.session import Session
from crisisplay.store.base import IncidentLog
from crisisplay.store.files import FileStore
from crisisplay.times import now

pytestmark = pytest.mark.timeout(90)

BOOK = Path(__file__).parent / "data" / "team" / "apology.yaml"


PG = os.environ.get("CRISISPLAY_TEST_PG", "postgresql://127.0.0.1:5432/test")


@pytest.fixture(params=["files", "postgresql"])
def store(request, tmp_path):
    """An empty store of each kind: a folder, and a fresh schema in the test PostgreSQL database."""
    if request.param == "files":
        yield FileStore(tmp_path / "incidents")
        return
    psycopg = pytest.importorskip("psycopg")
    schema = f"crisisplay_test_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(PG, autocommit=True, connect_timeout=3)
    except psycopg.Error:
        pytest.skip(f"no PostgreSQL server at {PG}")
    admin.execute(f"CREATE SCHEMA {schema}")
    from crisisplay.store.postgres import PostgresStore

    found = PostgresStore(PG + ("&" if "?" in PG else "?") + f"options=-csearch_path%3D{schema}")
    found.init()
    try:
        yield found
    finally:
        found.close()
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def new_incident(store) -> IncidentLog:
    pb, _checked = load_playbook(BOOK)
    first = engine.start(
        "20261125-214000-apology-0a1b",
        pb,
        {"id": pb.id},
        drill=True,
        responder="Ana",
        organisation=None,
        detected_at=now(),
        now=now(),
        version="test",
    )[0]
    return store.create("20261125-214000-apology-0a1b", first)


class Racing(ScriptedFrontend):
    """Answers from a file, but lets another driver answer the same step first, once."""

    def __init__(self, answers: AnswersFile, rival: Session, out: io.StringIO) -> None:
        super().__init__(answers, out=out)
        self.rival = rival
        self.raced = False

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer:
        answer = super().ask_step(session, action)
        if not self.raced:
            self.raced = True
            self.rival.run()  # answers the same step (and pauses, its answers spent) before this one logs
        return answer


def test_two_drivers_answering_one_step_log_one_answer_and_the_second_is_told_who_won(store):
    log = new_incident(store)
    rival_out = io.StringIO()
    rival = Session(
        store.open(log.incident_id),
        load_state(log),
        ScriptedFrontend(AnswersFile("leo.yaml", steps={"check-facts": "no"}), out=rival_out),
        now,
        "Leo",
    )
    out = io.StringIO()
    mine = Racing(AnswersFile("ana.yaml", steps={"check-facts": "yes"}), rival, out)
    outcome = Session(log, load_state(log), mine, now, "Ana").run()
    answers = [e for e in log.events() if e["type"] == "step.answered" and e["step"] == "check-facts"]
    assert [(e["actor"], e["data"]["answer"]) for e in answers] == [("Leo", False)]
    assert "Leo answered this step at" in out.getvalue() and ": no" in out.getvalue()
    assert not outcome.finished  # it went on from the new state: the apology waits for approval
    assert log.verify().ok


def test_a_note_from_another_terminal_is_folded_in_and_the_decision_logged_after_it(store):
    log = new_incident(store)

    class NoteFirst(ScriptedFrontend):
        def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer:
            answer = super().ask_step(session, action)
            if action.step_id == "check-facts":
                store.open(log.incident_id).append(engine.note("Customer called", now(), "Leo"))
            return answer

    out = io.StringIO()
    Session(log, load_state(log), NoteFirst(AnswersFile("a", steps={"check-facts": "yes"}), out=out), now, "Ana").run()
    kinds = [(e["type"], e["actor"]) for e in log.events()]
    assert kinds.index(("note.added", "Leo")) < kinds.index(("step.answered", "Ana"))
    assert "Leo (from another terminal): note: Customer called" in out.getvalue()
    assert log.verify().ok


def crisisplay(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], env=environment(home, **env), capture_output=True, text=True, encoding="utf-8", timeout=60
    )


def test_a_driver_who_lost_the_lease_to_take_over_is_told_who_answered_and_stops(tmp_path, store):
    home, ttl = tmp_path / "home", {"CRISISPLAY_LEASE_TTL": "1"}
    if not isinstance(store, FileStore):
        ttl["CRISISPLAY_STORE"] = store.dsn
    answers = tmp_path / "leo.yaml"
    answers.write_text("steps:\n  check-facts: 'yes'\n", encoding="utf-8")
    driver = Terminal(home, "start", str(BOOK), "--responder", "Ana", **ttl)
    driver.expect("Are the facts checked?")
    incident = ID.search(driver.screen).group(0)
    busy = crisisplay(home, "resume", incident, "--answers", str(answers), "--responder", "Leo", **ttl)
    assert busy.returncode == 2 and "being run" in busy.stderr
    driver.child.kill(signal.SIGSTOP)  # a laptop asleep: its lease is not renewed
    try:
        for _attempt in range(300):  # until the lease has expired
            listed = json.loads(crisisplay(home, "incidents", "-f", "json", **ttl).stdout)["incidents"]
            if listed[0]["status"] != "running":
                break
            time.sleep(0.1)
        taken = crisisplay(
            home, "resume", incident, "--take-over", "--reason", "laptop asleep",
            "--answers", str(answers), "--responder", "Leo", **ttl,
        )  # fmt: skip
        assert taken.returncode == 3, taken.stderr  # Leo answered, then the apology awaits approval
    finally:
        driver.child.kill(signal.SIGCONT)
    driver.send(ENTER)  # Ana answers the same step: yes
    assert driver.finish() == 3
    assert "Leo answered this step at" in driver.screen
    assert "Leo took over incident" in driver.screen
    done = crisisplay(home, "export", incident, "-f", "json", **ttl)
    events = with_clear(json.loads(done.stdout))
    answered = [e for e in events if e["type"] == "step.answered" and e["step"] == "check-facts"]
    assert [e["actor"] for e in answered] == ["Leo"]
    [handover] = [e for e in events if e["type"] == "incident.handover"]
    assert handover["data"] == {"from": "Ana", "to": "Leo", "reason": "laptop asleep"}
    assert "incident.resumed" not in [e["type"] for e in events]
    assert crisisplay(home, "verify", incident, **ttl).returncode == 0


def test_reason_without_take_over_is_a_usage_error(tmp_path):
    home = tmp_path / "home"
    answers = tmp_path / "a.yaml"
    answers.write_text("steps: {}\n", encoding="utf-8")
    started = crisisplay(home, "start", str(BOOK), "--answers", str(answers))
    assert started.returncode == 3
    refused = crisisplay(home, "resume", started.stdout.strip(), "--reason", "x", "--answers", str(answers))
    assert refused.returncode == 2 and "--reason goes with --take-over" in refused.stderr


def test_a_plain_resume_by_another_responder_stays_a_resume_and_take_over_of_a_free_incident_too(tmp_path):
    home = tmp_path / "home"
    answers = tmp_path / "a.yaml"
    answers.write_text("steps: {}\n", encoding="utf-8")
    incident = crisisplay(home, "start", str(BOOK), "--answers", str(answers), "--responder", "Ana").stdout.strip()
    assert crisisplay(home, "resume", incident, "--answers", str(answers), "--responder", "Leo").returncode == 3
    assert crisisplay(home, "resume", incident, "--take-over", "--answers", str(answers)).returncode == 3
    events = json.loads(crisisplay(home, "export", incident, "-f", "json").stdout)["events"]
    kinds = [e["type"] for e in events]
    assert kinds.count("incident.resumed") == 2 and "incident.handover" not in kinds
