"""Scripted incident runs end to end: the real CLI in a subprocess (and `run.lifecycle` in
process), answers files, resume, note, close, incidents and verify, on real files."""

from __future__ import annotations

import json
import multiprocessing
import os.path
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from incident_logs import (
    answered_keys,
    assert_log_contract,
    duplicates,
    log_path,
    of_type,
    opened_events,
    read_events,
)

from crisisplay import __version__
from crisisplay.config import Config
from crisisplay.journal import Journal
from crisisplay.playbook.loader import load_playbook

ID_RE = r"^\d{8}-\d{6}-kettle-[0-9a-f]{4}$"

KETTLE = """\
crisisplay: 1
id: kettle
title: Kettle sold at the wrong price
severity:
  levels: [low, medium, high, critical]
  initial: low
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
    options:
      - label: X (Twitter)
        value: x
      - label: Facebook
        value: facebook
phases:
  - id: detect
    title: Detect
    steps:
      - id: reach
        type: choice
        prompt: How far has it spread?
        options:
          - label: A few replies
            value: contained
          - label: Shared widely
            value: viral
            severity: high
        save_as: reach
      - id: fixed
        type: confirm
        prompt: Is the price fixed?
      - id: notify
        type: escalate
        to: [manager, legal]
        template: "{{ product }} is {{ reach }} on {{ channel }}, severity {{ severity }}."
        milestone: escalated
  - id: respond
    title: Respond
    steps:
      - id: check-mentions
        type: choice
        prompt: How are the mentions?
        options:
          - label: Still growing
            value: growing
            next: wait
          - label: Calm
            value: calm
            next: statement
      - id: wait
        type: info
        prompt: Wait, then check again.
        next: check-mentions
      - id: statement
        type: message
        channel: "{{ channel }}"
        template: "We're sorry about {{ product }}."
        milestone: acknowledged
      - id: legal-review
        type: confirm
        prompt: Has legal reviewed it?
      - id: orders
        type: number
        prompt: How many orders?
        min: 0
      - id: what-happened
        type: text
        prompt: What happened?
        milestone: resolved
"""

FULL = """\
inputs:
  product: Blue Kettle
  channel: x
steps:
  reach: viral
  fixed: yes
  notify: {manager: notified, legal: unreachable}
  check-mentions:
    visits: [growing, growing, calm]
  statement: send
  legal-review: {skip: "Counsel not available tonight"}
  orders: "12.50"
  what-happened: "Price field left empty by the import."
"""

# FULL without its last answers: the run pauses at `orders`.
FIRST_PART = FULL.split("  orders:")[0]
REST = """\
steps:
  orders: 3
  what-happened: "Price field left empty by the import."
"""


@pytest.fixture
def kettle(tmp_path: Path) -> Path:
    path = tmp_path / "kettle.yaml"
    path.write_text(KETTLE, encoding="utf-8")
    return path


@pytest.fixture
def answers(tmp_path: Path):
    """Write an answers file; returns its path."""
    counter = iter(range(1000))

    def write(text: str) -> Path:
        path = tmp_path / f"answers-{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def start(run_cli, kettle, answers):
    """`crisisplay start kettle.yaml --answers <text> ARGS`; returns (code, id, err)."""

    def run(text: str = FULL, *args: str):
        code, out, err = run_cli("start", kettle, "--answers", answers(text), *args)
        return code, out.strip(), err

    return run


def events_of(home: Path, incident_id: str) -> list[dict]:
    return opened_events(log_path(home, incident_id))


def status_of(run_cli, incident_id: str) -> dict:
    code, out, err = run_cli("incidents", "--format", "json")
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)["incidents"]}
    return rows[incident_id]


# ----------------------------------------------------------------------------- start


def test_start_prints_only_the_incident_id_on_stdout_and_completes(run_cli, kettle, answers, cli_home):
    code, out, err = run_cli("start", kettle, "--answers", answers(FULL))
    assert code == 0, err
    assert re.fullmatch(r"\d{8}-\d{6}-kettle-[0-9a-f]{4}\n", out), out
    incident_id = out.strip()
    assert re.match(ID_RE, incident_id)
    events = events_of(cli_home, incident_id)
    assert events[-1]["type"] == "incident.closed"
    assert events[-1]["data"]["outcome"] == "completed"
    assert f"Head hash: {events[-1]['hash']}" in err
    assert "Traceback" not in err


def test_every_logged_event_follows_the_log_contract(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    events = assert_log_contract(log_path(cli_home, incident_id))
    assert len(events) > 20
    assert {e["type"] for e in events} >= {
        "incident.started",
        "input.set",
        "step.entered",
        "step.answered",
        "step.skipped",
        "severity.changed",
        "message.sent",
        "escalation.notified",
        "escalation.unreachable",
        "milestone.reached",
        "incident.closed",
    }


def test_incident_log_is_owner_only(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    assert stat.S_IMODE(log_path(cli_home, incident_id).stat().st_mode) == 0o600
    assert stat.S_IMODE((cli_home / "incidents").stat().st_mode) == 0o700


def test_incident_started_records_the_playbook_snapshot_and_who_when(start, cli_home, kettle):
    code, incident_id, err = start(FULL, "--responder", "Ana Lopez")
    assert code == 0, err
    started = events_of(cli_home, incident_id)[0]
    assert started["type"] == "incident.started" and started["seq"] == 0
    data = started["data"]
    assert data["incident_id"] == incident_id
    assert data["playbook"] == {
        "id": "kettle",
        "title": "Kettle sold at the wrong price",
        "source": str(kettle.resolve()),
        "sha256": __import__("hashlib").sha256(kettle.read_bytes()).hexdigest(),
    }
    assert data["snapshot"] == load_playbook(kettle)[0].normalised()
    assert data["drill"] is False and data["responder"] == "Ana Lopez" and data["version"] == __version__
    assert data["detected_at"] == started["ts"]
    assert incident_id.startswith(started["ts"][:10].replace("-", ""))


def test_a_run_records_each_decision_in_order(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    inputs = [(e["data"]["name"], e["data"]["value"]) for e in of_type(events, "input.set")]
    assert inputs == [("product", "Blue Kettle"), ("channel", "x")]
    answered = {(e["step"], e["data"]["visit"]): e["data"]["answer"] for e in of_type(events, "step.answered")}
    assert answered[("reach", 1)] == {"value": "viral", "label": "Shared widely"}
    assert answered[("fixed", 1)] is True
    assert answered[("notify", 1)] == {"manager": "notified", "legal": "unreachable"}
    assert answered[("orders", 1)] == "12.50"
    assert answered[("what-happened", 1)] == "Price field left empty by the import."
    (severity,) = of_type(events, "severity.changed")
    assert (severity["data"]["from"], severity["data"]["to"]) == ("low", "high")
    escalations = [
        (e["type"], e["data"]["role"], e["data"]["message"]) for e in events if e["type"].startswith("escalation.")
    ]
    message = "Blue Kettle is viral on x, severity high."
    assert escalations == [("escalation.notified", "manager", message), ("escalation.unreachable", "legal", message)]


def test_a_step_visited_in_a_loop_is_answered_once_per_visit(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    checks = [
        (e["data"]["visit"], e["data"]["answer"]["value"])
        for e in of_type(events, "step.answered")
        if e["step"] == "check-mentions"
    ]
    assert checks == [(1, "growing"), (2, "growing"), (3, "calm")]
    assert [e["data"]["visit"] for e in of_type(events, "step.entered") if e["step"] == "wait"] == [1, 2]
    assert duplicates(answered_keys(events)) == []


def test_a_skip_answer_records_the_reason_and_no_answer(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    (skipped,) = of_type(events, "step.skipped")
    assert skipped["step"] == "legal-review"
    assert skipped["data"] == {
        "phase": "respond",
        "visit": 1,
        "by": "responder",
        "reason": "Counsel not available tonight",
    }
    assert "legal-review" not in [e["step"] for e in of_type(events, "step.answered")]


def test_message_send_records_the_rendered_text(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    (sent,) = of_type(events_of(cli_home, incident_id), "message.sent")
    assert sent["data"] == {"channel": "x", "text": "We're sorry about Blue Kettle."}


def test_an_edited_message_is_recorded_exactly_as_written(start, cli_home):
    edited = "Sorry, @laura — the Blue Kettle price was our mistake.\nWe'll DM you «today» 🙏"
    text = FULL.replace("statement: send", "statement: {text: " + json.dumps(edited, ensure_ascii=False) + "}")
    code, incident_id, err = start(text)
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    (sent,) = of_type(events, "message.sent")
    assert sent["data"]["text"] == edited
    (answer,) = [e for e in of_type(events, "step.answered") if e["step"] == "statement"]
    assert answer["data"]["answer"] == {"sent": True, "edited": True}


def test_var_overrides_the_answers_file_inputs(start, cli_home):
    code, incident_id, err = start(FULL, "--var", "product=Red Toaster", "--var", "channel=Facebook")
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    assert [(e["data"]["name"], e["data"]["value"]) for e in of_type(events, "input.set")] == [
        ("product", "Red Toaster"),
        ("channel", "facebook"),
    ]
    assert of_type(events, "message.sent")[0]["data"]["text"] == "We're sorry about Red Toaster."


def test_var_for_an_unknown_input_is_exit_2_before_anything_is_written(start, cli_home):
    code, out, err = start(FULL, "--var", "prodcut=Red Toaster")
    assert code == 2 and out == ""
    assert "did you mean 'product'" in err and "Traceback" not in err
    assert list(cli_home.glob("incidents/*")) == []


def test_detected_at_backdates_the_milestone_clock(start, cli_home):
    code, incident_id, err = start(FULL, "--detected-at", "-45m")
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    started = events[0]
    detected = datetime.fromisoformat(started["data"]["detected_at"].replace("Z", "+00:00"))
    opened = datetime.fromisoformat(started["ts"].replace("Z", "+00:00"))
    assert timedelta(minutes=44, seconds=59) <= opened - detected <= timedelta(minutes=45, seconds=1)
    milestones = {e["data"]["name"]: e["data"] for e in of_type(events, "milestone.reached")}
    assert set(milestones) == {"escalated", "acknowledged", "resolved"}
    for reached in milestones.values():
        assert reached["elapsed_ms"] >= 45 * 60_000
    assert milestones["escalated"]["target_ms"] == 30 * 60_000  # so it was missed


def test_detected_at_in_the_future_is_exit_2(start):
    code, out, err = start(FULL, "--detected-at", "2999-01-01T00:00")
    assert code == 2 and out == "" and "future" in err


def test_drill_flag_is_recorded(start, cli_home, run_cli):
    code, drill_id, err = start(FULL, "--drill")
    assert code == 0, err
    code, real_id, err = start(FULL)
    assert code == 0, err
    assert events_of(cli_home, drill_id)[0]["data"]["drill"] is True
    code, out, err = run_cli("incidents", "--drill", "--format", "json")
    assert [row["id"] for row in json.loads(out)["incidents"]] == [drill_id]
    code, out, err = run_cli("incidents", "--real", "--format", "json")
    assert [row["id"] for row in json.loads(out)["incidents"]] == [real_id]
    code, out, err = run_cli("incidents", "--format", "json")
    assert sorted(row["id"] for row in json.loads(out)["incidents"]) == sorted([drill_id, real_id])


@pytest.mark.parametrize("flags", [("--drill", "--real"), ("--real", "--drill"), ("--drill", "--open", "--real")])
def test_incidents_refuses_drill_and_real_together_whatever_their_order(start, run_cli, flags):
    """Click's `--drill/--real` pair let the last one win: `--drill --real` listed no drill at all."""
    code, _, err = start(FULL, "--drill")
    assert code == 0, err
    for fmt in ("table", "json"):
        code, out, err = run_cli("incidents", *flags, "--format", fmt)
        assert (code, out) == (2, "")
        assert err == (
            "crisisplay: error: give either --drill or --real, not both\nTry 'crisisplay incidents --help' for help.\n"
        )
    code, _, err = run_cli("--lang", "es", "incidents", *flags)
    assert code == 2 and err.startswith("crisisplay: error: da o bien --drill o bien --real, no ambos\nPrueba ")


# ----------------------------------------------------------------------------- answers-file errors


@pytest.mark.parametrize(
    "text, word, hint",
    [
        (FULL.replace("  fixed: yes", "  fixd: yes"), "step 'fixd'", "did you mean 'fixed'"),
        (FULL.replace("  product: Blue Kettle", "  prodct: Blue Kettle"), "input 'prodct'", "did you mean 'product'"),
        (FULL.replace("steps:", "stpes:"), "unknown key 'stpes'", "did you mean 'steps'"),
    ],
)
def test_an_unknown_name_in_the_answers_file_is_exit_2_and_creates_no_incident(start, cli_home, text, word, hint):
    code, out, err = start(text)
    assert code == 2, err
    assert out == ""
    assert word in err and hint in err and "Traceback" not in err
    assert list(cli_home.glob("incidents/*")) == []


def test_a_missing_answer_pauses_with_exit_3_and_resume_finishes_it(start, run_cli, cli_home, answers):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    assert re.match(ID_RE, incident_id)
    events = events_of(cli_home, incident_id)
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "answers-ran-out"
    assert events[-2]["type"] == "step.entered" and events[-2]["step"] == "orders"
    assert f"crisisplay resume {incident_id} --home {cli_home}" in err  # the same home, to find it again
    assert f"Head hash: {events[-1]['hash']}" in err
    assert status_of(run_cli, incident_id)["status"] == "paused"

    code, out, err = run_cli("resume", incident_id, "--answers", answers(REST))
    assert code == 0, err
    assert out == ""
    events = assert_log_contract(log_path(cli_home, incident_id))
    types = [e["type"] for e in events]
    paused_at = types.index("incident.paused")
    assert types[paused_at + 1] == "incident.resumed"
    # the pending step is asked again, not entered a second time
    assert [e["data"]["visit"] for e in of_type(events, "step.entered") if e["step"] == "orders"] == [1]
    assert duplicates(answered_keys(events)) == []
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    assert status_of(run_cli, incident_id)["status"] == "closed"


def test_resume_of_a_run_still_lacking_a_fact_says_it_resumes_at_that_input(start, run_cli, answers):
    code, incident_id, err = start("steps: {}\n")
    assert code == 3, err
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(REST))
    assert code == 3, err
    assert f"resuming {incident_id} at input 'product'" in err, err


def test_resume_with_the_full_answers_file_answers_only_what_is_left(start, run_cli, cli_home, answers):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(FULL), "--responder", "Bo")
    assert code == 0, err
    events = events_of(cli_home, incident_id)
    assert duplicates(answered_keys(events)) == []
    checks = [e["data"]["visit"] for e in of_type(events, "step.answered") if e["step"] == "check-mentions"]
    assert checks == [1, 2, 3]
    (resumed,) = of_type(events, "incident.resumed")
    assert resumed["data"]["responder"] == "Bo" and resumed["actor"] == "Bo"
    assert status_of(run_cli, incident_id)["responders"][-1] == "Bo"


@pytest.mark.parametrize(
    "step, bad, allowed",
    [
        ("reach", "everywhere", "'contained' or 'viral'"),
        ("orders", "twelve", "not a number"),
        ("orders", "-3", "from 0"),
        ("fixed", "maybe", "yes or no"),
    ],
)
def test_an_answer_that_does_not_fit_pauses_with_answer_error_and_records_nothing_for_the_step(
    start, run_cli, cli_home, answers, step, bad, allowed
):
    text = re.sub(rf"(?m)^  {step}: .*$", f"  {step}: {bad}", FULL)
    code, incident_id, err = start(text)
    assert code == 2, err
    assert re.match(ID_RE, incident_id)
    assert f"step '{step}'" in err and allowed in err and "Traceback" not in err
    events = events_of(cli_home, incident_id)
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "answer-error"
    assert events[-2]["type"] == "step.entered" and events[-2]["step"] == step
    assert step not in [e["step"] for e in of_type(events, "step.answered")]
    assert status_of(run_cli, incident_id)["pause_reason"] == "answer-error"

    code, _out, err = run_cli("resume", incident_id, "--answers", answers(FULL))
    assert code == 0, err
    assert events_of(cli_home, incident_id)[-1]["data"]["outcome"] == "completed"


@pytest.mark.parametrize(
    "step, bad",
    [
        ("notify", "{manager: [notified], legal: notified}"),
        ("notify", "{manager: notified}"),
        ("notify", "[notified]"),
        ("statement", "{text: [a, b]}"),
        ("statement", "{text: ''}"),
        ("statement", "[send]"),
        ("legal-review", "{skip: [no, reason]}"),
        ("fixed", "{visits: {a: b}}"),
        ("reach", "[viral]"),
        ("orders", "{count: 3}"),
        ("what-happened", "[a, list]"),
    ],
)
def test_an_answer_of_the_wrong_shape_is_an_answer_error_not_a_traceback(start, cli_home, step, bad):
    code, incident_id, err = start(re.sub(rf"(?m)^  {step}: .*$", f"  {step}: {bad}", FULL))
    assert code == 2, err
    assert f"step '{step}'" in err and "Traceback" not in err
    events = events_of(cli_home, incident_id)
    assert events[-1]["data"] == {"reason": "answer-error"}
    assert step not in [e["step"] for e in events if e["type"] in ("step.answered", "step.skipped")]


def test_an_input_given_as_a_list_is_refused_before_anything_is_written(start, cli_home):
    code, out, err = start(FULL.replace("product: Blue Kettle", "product: [Blue, Kettle]"))
    assert code == 2 and out == "", err
    assert "input 'product' takes one value" in err and "not a list" in err
    assert not any((cli_home / "incidents").glob("*.jsonl"))


def test_an_input_that_does_not_fit_pauses_with_answer_error(start, cli_home):
    code, incident_id, err = start(FULL.replace("channel: x", "channel: tiktok"))
    assert code == 2, err
    assert "input 'channel'" in err and "'x' or 'facebook'" in err
    events = events_of(cli_home, incident_id)
    assert events[-1]["data"] == {"reason": "answer-error"}
    assert [e["data"]["name"] for e in of_type(events, "input.set")] == ["product"]


def test_sending_a_message_with_a_placeholder_unedited_is_an_answer_error(run_cli, tmp_path, answers, cli_home):
    playbook = tmp_path / "reply.yaml"
    playbook.write_text(
        """\
crisisplay: 1
id: reply
title: Reply
phases:
  - id: respond
    title: Respond
    steps:
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Contained
            value: contained
            next: statement
          - label: Viral
            value: viral
      - id: who
        type: text
        prompt: Who shared it?
        save_as: sharer
      - id: statement
        type: message
        channel: X
        template: "Thank you {{ sharer }} for telling us."
""",
        encoding="utf-8",
    )
    code, out, err = run_cli("start", playbook, "--answers", answers("steps:\n  reach: contained\n  statement: send\n"))
    assert code == 2, err
    assert "[[sharer]]" in err and "statement" in err
    incident_id = out.strip()
    events = events_of(cli_home, incident_id)
    assert events[-1]["data"]["reason"] == "answer-error" and of_type(events, "message.sent") == []

    code, out, err = run_cli(
        "resume", incident_id, "--answers", answers("steps:\n  statement: {text: Thank you for telling us.}\n")
    )
    assert code == 0, err
    (sent,) = of_type(events_of(cli_home, incident_id), "message.sent")
    assert sent["data"]["text"] == "Thank you for telling us."


def test_a_number_input_with_decimals_is_logged_as_exact_text(run_cli, tmp_path, answers, cli_home):
    playbook = tmp_path / "budget.yaml"
    playbook.write_text(
        """\
crisisplay: 1
id: budget
title: Budget
inputs:
  budget:
    prompt: How much can we refund?
    type: number
phases:
  - id: respond
    title: Respond
    steps:
      - id: refund
        type: message
        channel: email
        template: "We refund {{ budget }} EUR."
""",
        encoding="utf-8",
    )
    code, out, err = run_cli(
        "start", playbook, "--answers", answers("inputs:\n  budget: 12.50\nsteps:\n  refund: send\n")
    )
    assert code == 0, err
    events = assert_log_contract(log_path(cli_home, out.strip()))
    assert of_type(events, "input.set")[0]["data"]["value"] == "12.50"
    assert of_type(events, "message.sent")[0]["data"]["text"] == "We refund 12.50 EUR."


def test_an_absurdly_large_number_is_an_answer_error_not_a_crash(start, cli_home):
    code, incident_id, err = start(FULL.replace('orders: "12.50"', "orders: 1e5000"))
    assert code == 2, err
    assert "step 'orders'" in err and "Traceback" not in err
    assert events_of(cli_home, incident_id)[-1]["data"]["reason"] == "answer-error"


# ----------------------------------------------------------------------------- resume, note, close


def hold_run_lock(path: str, ready, release) -> None:
    with Journal(Path(path)).run_lock():
        ready.set()
        release.wait(30)


def test_resume_of_a_closed_incident_is_exit_2(start, run_cli, answers, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    before = log_path(cli_home, incident_id).read_bytes()
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(FULL))
    assert code == 2
    assert "closed" in err and "Traceback" not in err
    assert log_path(cli_home, incident_id).read_bytes() == before


def test_resume_while_another_process_holds_the_run_lock_is_exit_2(start, run_cli, answers, cli_home):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    before = log_path(cli_home, incident_id).read_bytes()
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=hold_run_lock, args=(str(log_path(cli_home, incident_id)), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        assert status_of(run_cli, incident_id)["status"] == "running"
        code, _out, err = run_cli("resume", incident_id, "--answers", answers(REST))
        assert code == 2
        assert "another terminal" in err and "Traceback" not in err
        assert log_path(cli_home, incident_id).read_bytes() == before
    finally:
        release.set()
        holder.join(30)
    assert status_of(run_cli, incident_id)["status"] == "paused"
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(REST))
    assert code == 0, err


def test_note_on_a_paused_incident_is_logged_and_keeps_it_paused(start, run_cli, cli_home):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    code, _out, err = run_cli("note", incident_id, "Customer called back, calmer now", "--responder", "Bo")
    assert code == 0, err
    events = assert_log_contract(log_path(cli_home, incident_id))
    assert events[-1]["type"] == "note.added" and events[-1]["actor"] == "Bo"
    assert events[-1]["data"] == {"text": "Customer called back, calmer now"}
    assert events[-1]["hash"] in err
    row = status_of(run_cli, incident_id)
    assert row["status"] == "paused" and row["pause_reason"] == "answers-ran-out"


def test_note_on_a_closed_incident_is_logged_and_does_not_reopen_it(start, run_cli, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    code, _out, err = run_cli("note", incident_id, "-", input="Post-mortem booked for Monday.\n")
    assert code == 0, err
    events = assert_log_contract(log_path(cli_home, incident_id))
    assert events[-1]["type"] == "note.added" and events[-1]["data"]["text"] == "Post-mortem booked for Monday."
    assert status_of(run_cli, incident_id)["status"] == "closed"
    assert run_cli("incidents", "--open", "--format", "json")[1].count(incident_id) == 0


def test_an_empty_note_is_exit_2_and_logs_nothing(start, run_cli, cli_home):
    code, incident_id, err = start(FIRST_PART)
    before = log_path(cli_home, incident_id).read_bytes()
    code, _out, err = run_cli("note", incident_id, "   ")
    assert code == 2 and "empty" in err
    assert log_path(cli_home, incident_id).read_bytes() == before


def test_close_with_a_reason_shows_closed_in_incidents(start, run_cli, cli_home, answers):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    code, _out, err = run_cli("close", incident_id, "--reason", "False alarm: the price was right")
    assert code == 0, err
    events = assert_log_contract(log_path(cli_home, incident_id))
    assert events[-1]["type"] == "incident.closed"
    assert events[-1]["data"] == {"outcome": "closed", "reason": "False alarm: the price was right"}
    assert events[-1]["hash"] in err
    assert status_of(run_cli, incident_id)["status"] == "closed"
    code, _out, err = run_cli("close", incident_id, "--reason", "again")
    assert code == 2 and "already closed" in err
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(REST))
    assert code == 2


def test_close_with_an_empty_reason_is_exit_2(start, run_cli, cli_home):
    code, incident_id, _err = start(FIRST_PART)
    code, _out, _err = run_cli("close", incident_id, "--reason", " ")
    assert code == 2
    assert events_of(cli_home, incident_id)[-1]["type"] == "incident.paused"


def test_incidents_open_lists_every_incident_that_is_not_closed(start, run_cli, cli_home):
    code, done_id, _ = start()
    code, paused_id, _ = start(FIRST_PART)
    code, closed_id, _ = start(FIRST_PART)
    assert run_cli("close", closed_id, "--reason", "duplicate")[0] == 0
    # an interrupted incident: its last run died before it could log `incident.paused`
    code, interrupted_id, _ = start(FIRST_PART)
    path = log_path(cli_home, interrupted_id)
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))
    code, out, err = run_cli("incidents", "--open", "--format", "json")
    assert code == 0, err
    rows = {row["id"]: row["status"] for row in json.loads(out)["incidents"]}
    assert rows == {paused_id: "paused", interrupted_id: "interrupted"}
    code, out, err = run_cli("incidents", "--format", "json")
    rows = {row["id"]: row["status"] for row in json.loads(out)["incidents"]}
    assert rows[done_id] == rows[closed_id] == "closed"
    code, out, err = run_cli("incidents")
    assert code == 0 and paused_id in out and "paused" in out


def test_incidents_with_none_yet_is_empty_not_an_error(run_cli):
    code, out, _err = run_cli("incidents", "--format", "json")
    assert code == 0 and json.loads(out) == {"incidents": []}


def test_an_ambiguous_prefix_is_exit_2_listing_the_candidates(start, run_cli):
    code, first, _ = start(FIRST_PART)
    code, second, _ = start(FIRST_PART)
    common = os.path.commonprefix([first, second])  # noqa: RUF071 (ids share a text prefix, not a folder)
    code, _out, err = run_cli("note", common, "hello")
    assert code == 2
    assert first in err and second in err and "Traceback" not in err
    unique = first[: len(common) + 1]  # one character past the shared part: theirs alone
    code, _out, err = run_cli("verify", unique)
    assert code == 0, err  # a unique prefix is enough


def test_last_names_the_most_recently_started_incident(start, run_cli, cli_home, answers):
    code, first, _ = start(FIRST_PART)
    code, second, _ = start(FIRST_PART)
    code, _out, err = run_cli("resume", "last", "--answers", answers(REST))
    assert code == 0, err
    assert events_of(cli_home, second)[-1]["type"] == "incident.closed"
    assert events_of(cli_home, first)[-1]["type"] == "incident.paused"


def test_an_unknown_incident_is_exit_2(run_cli):
    code, _out, err = run_cli("verify", "20990101-000000-nothing-0000")
    assert code == 2 and "no incident" in err


# ----------------------------------------------------------------------------- verify


@pytest.fixture
def finished(start, cli_home):
    code, incident_id, err = start()
    assert code == 0, err
    return incident_id, log_path(cli_home, incident_id)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_verify_a_good_log_is_exit_0_and_prints_the_head_hash(finished, run_cli):
    incident_id, path = finished
    code, out, err = run_cli("verify", incident_id)
    assert code == 0, err
    assert read_events(path)[-1]["hash"] in out
    code, out, err = run_cli("verify", incident_id, "--head", read_events(path)[5]["hash"])
    assert code == 0, err


def test_verify_names_the_line_of_an_edited_event(finished, run_cli):
    incident_id, path = finished
    lines = lines_of(path)
    assert b'"actor":"' in lines[6]
    lines[6] = lines[6].replace(b'"actor":"', b'"actor":"X', 1)
    path.write_bytes(b"".join(lines))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert ":7:" in out and "edited" in out


def test_verify_names_the_line_of_an_edited_event_with_its_hash_recomputed(finished, run_cli):
    incident_id, path = finished
    events = read_events(path)
    event = dict(events[8])
    event.pop("hash")
    event["actor"] = "mallory"
    from incident_logs import canonical_hash

    body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    lines = lines_of(path)
    lines[8] = (body[:-1] + f',"hash":"{canonical_hash(event)}"}}\n').encode("utf-8")
    path.write_bytes(b"".join(lines))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert re.search(r":(9|10):", out) and "edited" in out


def test_verify_names_a_deleted_line(finished, run_cli):
    incident_id, path = finished
    lines = lines_of(path)
    del lines[10]
    path.write_bytes(b"".join(lines))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert ":11:" in out and "deleted" in out


def test_verify_names_an_inserted_line(finished, run_cli):
    incident_id, path = finished
    lines = lines_of(path)
    lines.insert(12, lines[4])
    path.write_bytes(b"".join(lines))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert ":13:" in out and "inserted" in out


def test_verify_names_swapped_lines(finished, run_cli):
    incident_id, path = finished
    lines = lines_of(path)
    lines[14], lines[15] = lines[15], lines[14]
    path.write_bytes(b"".join(lines))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert ":15:" in out and "reordered" in out


def test_verify_reports_a_torn_last_line(finished, run_cli):
    incident_id, path = finished
    with open(path, "ab") as handle:
        handle.write(b'{"v":1,"seq":99,"ts":"2026-')
    code, out, _err = run_cli("verify", incident_id)
    assert code == 1
    assert f":{len(lines_of(path))}:" in out and "torn last line" in out


def test_verify_head_catches_lines_cut_off_the_end(finished, run_cli):
    incident_id, path = finished
    head = read_events(path)[-1]["hash"]
    path.write_bytes(b"".join(lines_of(path)[:-3]))
    code, out, _err = run_cli("verify", incident_id)
    assert code == 0, out  # a shorter chain is still a chain...
    code, out, _err = run_cli("verify", incident_id, "--head", head)
    assert code == 1  # ...but it no longer holds the head printed when the incident closed
    assert head in out


def test_verify_head_that_is_not_a_hash_is_exit_2(finished, run_cli):
    incident_id, _ = finished
    code, _out, err = run_cli("verify", incident_id, "--head", "abc")
    assert code == 2 and "Traceback" not in err


def test_resume_sets_a_torn_last_line_aside_and_continues(start, run_cli, cli_home, answers):
    code, incident_id, err = start(FIRST_PART)
    assert code == 3, err
    path = log_path(cli_home, incident_id)
    good = path.read_bytes()
    garbage = b'{"v":1,"seq":41,"type":"step.answ'
    with open(path, "ab") as handle:
        handle.write(garbage)
    assert run_cli("verify", incident_id)[0] == 1
    code, _out, err = run_cli("resume", incident_id, "--answers", answers(REST))
    assert code == 0, err
    assert "warning" in err and "torn" in err and f"{incident_id}.torn" in err
    torn = path.with_name(f"{incident_id}.torn")
    assert torn.read_bytes() == garbage
    assert stat.S_IMODE(torn.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(good)
    assert run_cli("verify", incident_id)[0] == 0
    assert read_events(path)[-1]["data"]["outcome"] == "completed"


def test_verify_of_a_log_that_is_not_json_is_exit_1_not_a_crash(run_cli, cli_home):
    folder = cli_home / "incidents"
    folder.mkdir(mode=0o700)
    (folder / "20260101-000000-junk-0000.jsonl").write_bytes(b"not json\n")
    code, out, err = run_cli("verify", "20260101-000000-junk-0000")
    assert code == 1 and ":1:" in out and "Traceback" not in err
    code, out, err = run_cli("incidents", "--format", "json")
    assert code == 1 and "warning" in err  # listed, flagged: an unreadable log is a problem found
    assert [row["status"] for row in json.loads(out)["incidents"]] == ["unreadable"]


# ----------------------------------------------------------------------------- run.lifecycle in process


class Clock:
    """A clock that moves one second per reading."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_start_incident_and_resume_incident_with_a_fixed_clock(tmp_path, kettle, answers):
    from crisisplay.incidents import resolve
    from crisisplay.run.answers import read_answers
    from crisisplay.run.lifecycle import StartRequest, resume_incident, start_incident
    from crisisplay.run.scripted import ScriptedFrontend

    home = tmp_path / "home"
    playbook, _ = load_playbook(kettle)
    clock = Clock(datetime(2026, 5, 4, 21, 40, tzinfo=UTC))
    announced, progress = [], []

    class Lines:
        def write(self, text):
            progress.append(text)

    first = read_answers(answers(FIRST_PART), playbook)
    request = StartRequest(playbook, kettle, drill=True, responder="Ana", detected_at="2026-05-04T21:00:00Z")
    outcome = start_incident(
        request,
        Config(),
        home,
        lambda overrides: ScriptedFrontend(first, overrides, Lines()),
        announced.append,
        clock=clock,
    )
    assert not outcome.finished and outcome.reason == "answers-ran-out"
    (incident_id,) = announced
    assert re.fullmatch(r"20260504-214001-kettle-[0-9a-f]{4}", incident_id)
    events = assert_log_contract(log_path(home, incident_id))
    assert outcome.head == events[-1]["hash"]
    assert events[0]["data"]["detected_at"] == "2026-05-04T21:00:00.000Z"
    assert any("Blue Kettle" in line for line in progress)

    journal = resolve(incident_id[:20], home)
    rest = read_answers(answers(REST), playbook)
    warnings = []
    outcome = resume_incident(
        journal, Config(responder="Bo"), None, ScriptedFrontend(rest, {}, Lines()), warnings.append, clock=clock
    )
    assert outcome.finished and outcome.reason == "completed" and warnings == []
    events = assert_log_contract(log_path(home, incident_id))
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    assert events[-1]["type"] == "incident.closed"
    assert of_type(events, "incident.resumed")[0]["data"]["responder"] == "Bo"
    resolved = next(e for e in of_type(events, "milestone.reached") if e["data"]["name"] == "resolved")
    # A drill's milestones are on its scenario clock: the time since detection its event carries.
    assert resolved["data"]["elapsed_ms"] == resolved["data"]["scenario_ms"] > 0


def ev_ms(start: str, end: str) -> int:
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return int((parse(end) - parse(start)).total_seconds() * 1000)
