"""Running a drill (issue 13, parts 2 and 3) without a terminal: `crisisplay drill` with an answers
file, timed answers on the scripted scenario clock, injects and their effects, `crisisplay inject`
from a second terminal, and resuming an interrupted scripted drill. Every test runs the real
command and reads the incident log it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from incident_logs import opened_events

HERE = Path(__file__).parent
BOOK = HERE / "data" / "interactive" / "wrong-price-drill.yaml"
SCRIPT = Path(sys.executable).parent / "crisisplay"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "crisisplay"]

SCENARIO = f"""\
crisisplay-drill: 1
id: wrong-price-weekend
playbook: {BOOK}
title: Saturday night, the post goes viral
injects:
  - at: 2m
    text: A journalist from a national paper asks for comment.
  - after_step: assess-reach
    text: The customer's post has 5,000 shares.
    effects: {{severity: critical}}
  - at: 10m
    text: Legal counsel is on a plane.
    effects: {{unreachable: {{legal: 1h}}}}
"""

TIMED = """\
inputs:
  product: {answer: Blue Kettle, at: 1m}
  channel: twitter
steps:
  assess-reach: {answer: contained, at: 3m}
  is-fixed: {answer: "yes", after: 2m}
  fix-checklist: all
  holding-statement: {answer: send, at: 12m}
  count-orders: 3
  notify: notified
  what-happened: {answer: "Sold at 0 EUR for an hour.", after: 30s}
"""

UNTIMED = """\
inputs:
  product: Blue Kettle
  channel: twitter
steps:
  assess-reach: contained
  is-fixed: "yes"
  fix-checklist: all
  holding-statement: send
  count-orders: 3
  notify: notified
  what-happened: Sold at 0 EUR for an hour.
"""


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CRISISPLAY_HOME", "NO_COLOR")}
    env.update(CRISISPLAY_HOME=str(home), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60, input=stdin, cwd=home.parent
    )


def log_of(home: Path, incident_id: str) -> list[dict]:
    return opened_events(home / "incidents" / f"{incident_id}.jsonl")


def timeline(events: list[dict]) -> list[tuple[str, str | None, int]]:
    """Each event as (type, step or inject id, scenario_ms)."""
    return [
        (e["type"], e["data"].get("inject") if e["type"] == "drill.inject" else e.get("step"), e["data"]["scenario_ms"])
        for e in events
    ]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('responder = "Alice"\n', encoding="utf-8")
    return home


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "weekend.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def answers(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scripted_drill_with_timed_answers_logs_each_event_at_its_scenario_time(home, scenario, tmp_path):
    done = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, TIMED)))
    assert done.returncode == 0, done.stderr
    incident_id = done.stdout.strip()
    events = log_of(home, incident_id)
    assert timeline(events) == [
        ("incident.started", None, 0),
        ("input.set", None, 60_000),  # at: 1m
        ("input.set", None, 60_000),  # an untimed input takes no time
        ("step.entered", "assess-reach", 60_000),
        ("drill.inject", "i1", 120_000),  # due at 2m: fired before the answer given at 3m
        ("step.answered", "assess-reach", 180_000),
        # the after_step inject lands before the next step is entered, its severity applied
        ("drill.inject", "i2", 180_000),
        ("severity.changed", None, 180_000),
        ("step.entered", "is-fixed", 180_000),
        ("step.answered", "is-fixed", 300_000),  # after: 2m
        ("step.entered", "fix-checklist", 300_000),
        ("step.answered", "fix-checklist", 360_000),  # untimed: one minute on
        ("step.entered", "holding-statement", 360_000),
        ("drill.inject", "i3", 600_000),  # due at 10m, before the answer at 12m
        ("step.answered", "holding-statement", 720_000),
        ("message.sent", "holding-statement", 720_000),
        ("milestone.reached", "holding-statement", 720_000),
        ("step.entered", "count-orders", 720_000),
        ("step.answered", "count-orders", 780_000),
        ("step.entered", "notify", 780_000),
        ("step.answered", "notify", 840_000),
        ("escalation.notified", "notify", 840_000),
        ("escalation.unreachable", "notify", 840_000),  # legal is on a plane (i3), whatever the file said
        ("milestone.reached", "notify", 840_000),
        ("step.entered", "what-happened", 840_000),
        ("step.answered", "what-happened", 870_000),  # after: 30s
        ("milestone.reached", "what-happened", 870_000),
        ("incident.closed", None, 870_000),
    ]
    started = events[0]["data"]
    assert (started["clock"], started["speed"]) == ("scripted", 1)
    assert started["scenario"]["id"] == "wrong-price-weekend"
    assert [i["id"] for i in started["scenario"]["injects"]] == ["i1", "i2", "i3"]
    assert started["scenario_source"]["source"] == str(scenario.resolve())
    import hashlib

    assert started["scenario_source"]["sha256"] == hashlib.sha256(scenario.read_bytes()).hexdigest()
    injects = [e["data"] for e in events if e["type"] == "drill.inject"]
    assert injects[0] == {
        "inject": "i1",
        "source": "scenario",
        "text": "A journalist from a national paper asks for comment.",
        "effects": {},
        "due_ms": 120_000,
        "scenario_ms": 120_000,
    }
    raised = [e["data"] for e in events if e["type"] == "severity.changed"][-1]
    assert (raised["from"], raised["to"], raised["inject"]) == ("low", "critical", "i2")
    unreachable = next(e for e in events if e["type"] == "escalation.unreachable")
    assert (unreachable["data"]["role"], unreachable["data"]["inject"]) == ("legal", "i3")
    lines = done.stderr.splitlines()
    assert lines[0] == "Decisions are recorded as Alice (`responder` in the configuration)."
    assert lines[1] == "Drill: Saturday night, the post goes viral (3 injects; scenario clock set by the answers file)"
    # the run says what happened, each inject on a line of its own
    assert "Drill inject i1 · 2m: A journalist from a national paper asks for comment." in done.stderr


def test_start_drill_with_an_answers_file_and_no_times_moves_one_minute_per_answer(home, tmp_path):
    done = run(home, "start", str(BOOK), "--drill", "--answers", str(answers(tmp_path, UNTIMED)))
    assert done.returncode == 0, done.stderr
    events = log_of(home, done.stdout.strip())
    assert (events[0]["data"]["clock"], events[0]["data"]["speed"]) == ("scripted", 1)
    answered = [e["data"]["scenario_ms"] for e in events if e["type"] == "step.answered"]
    assert answered == [60_000 * n for n in range(1, 8)]
    assert [e["data"]["scenario_ms"] for e in events if e["type"] == "input.set"] == [0, 0]
    assert events[-1]["type"] == "incident.closed"
    assert events[-1]["data"]["scenario_ms"] == 7 * 60_000


def test_times_in_an_answers_file_outside_a_drill_are_checked_then_ignored(home, tmp_path):
    done = run(home, "start", str(BOOK), "--answers", str(answers(tmp_path, TIMED)))
    assert done.returncode == 0, done.stderr
    events = log_of(home, done.stdout.strip())
    assert all("scenario_ms" not in e["data"] for e in events)
    assert events[-1]["type"] == "incident.closed"


@pytest.mark.parametrize(
    ("wrapper", "where", "message"),
    [
        ("{answer: contained, at: soon}", "5:41", "at: 'soon' is not a time"),
        ("{answer: contained, at: -5m}", "5:41", "at: -5m is negative"),
        ("{answer: contained, at: 3m, after: 1m}", "5:45", "not both"),
        ("{answer: contained, later: 3m}", "5:37", "unknown key 'later'"),
        ("{answer: contained, at: 3000000d}", "5:41", "at: '3000000d' is longer than 366d"),
        ("{answer: contained, after: 999999999999d}", "5:44", "after: '999999999999d' is longer than 366d"),
    ],
)
def test_a_bad_time_in_an_answers_file_is_exit_2_before_anything_is_written(
    home, scenario, tmp_path, wrapper, where, message
):
    text = UNTIMED.replace("assess-reach: contained", f"assess-reach: {wrapper}")
    path = answers(tmp_path, text)
    done = run(home, "drill", str(scenario), "--answers", str(path))
    assert done.returncode == 2, done.stderr
    assert f"{path}:{where}: " in done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not list((home / "incidents").glob("*.jsonl")) if (home / "incidents").exists() else True


def test_an_answer_timed_before_the_previous_one_pauses_the_drill_saying_where(home, scenario, tmp_path):
    text = TIMED.replace("holding-statement: {answer: send, at: 12m}", "holding-statement: {answer: send, at: 4m}")
    path = answers(tmp_path, text)
    done = run(home, "drill", str(scenario), "--answers", str(path))
    assert done.returncode == 2
    assert f"{path}:8:41: at: 4m is earlier than the previous answer, given at 6m" in done.stderr
    events = log_of(home, done.stdout.strip())
    assert events[-1]["type"] == "incident.paused"
    assert events[-1]["data"]["reason"] == "answer-error"


def test_an_inject_after_the_last_step_fires_with_the_close_and_is_not_scored(home, tmp_path):
    path = tmp_path / "last.yaml"
    path.write_text(SCENARIO + "  - id: late\n    after_step: what-happened\n    text: The CEO calls.\n")
    done = run(home, "drill", str(path), "--answers", str(answers(tmp_path, UNTIMED)))
    assert done.returncode == 0, done.stderr
    incident = done.stdout.strip()
    late = [e for e in log_of(home, incident) if e["type"] == "drill.inject" and e["data"]["inject"] == "late"]
    assert len(late) == 1  # it fired (and shows in the timeline)
    report = run(home, "export", incident, "-f", "md").stdout
    scored = [line for line in report.splitlines() if line.startswith("| Injects") or "The CEO calls" in line]
    assert scored and not [line for line in scored if "not answered" in line], scored


def test_an_inject_the_team_had_a_step_to_answer_stays_scored_when_the_drill_is_closed_early(home, scenario, tmp_path):
    part = "inputs:\n  product: Blue Kettle\n  channel: twitter\nsteps:\n  assess-reach: {answer: contained, at: 1m}\n"
    done = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, part)))
    assert done.returncode == 3, done.stderr  # paused at the next step, which the file does not answer
    incident = done.stdout.strip()
    assert run(home, "close", incident, "--reason", "out of time").returncode == 0
    report = run(home, "export", incident, "-f", "md").stdout
    missed = [line for line in report.splitlines() if line.startswith("| Injects |") and "not answered" in line]
    assert any("5,000 shares" in line for line in missed), report


def test_an_answer_that_does_not_fit_moves_no_clock_and_fires_no_inject(home, scenario, tmp_path):
    """Nothing is recorded for an answer that does not fit: not the injects due by its time either,
    so the corrected answer may be given at any time after the previous one."""
    text = TIMED.replace("holding-statement: {answer: send, at: 12m}", "holding-statement: {answer: sned, at: 12m}")
    done = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, text)))
    assert done.returncode == 2 and "'sned'" in done.stderr
    incident = done.stdout.strip()
    events = log_of(home, incident)
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "answer-error"
    assert events[-1]["data"]["scenario_ms"] == 6 * 60_000  # the previous answer's time, not 12m
    assert [e["data"]["scenario_ms"] for e in events if e["type"] == "drill.inject"] == [2 * 60_000, 3 * 60_000]

    rest = "steps:\n  holding-statement: {answer: send, at: 7m}\n"
    done = run(home, "resume", incident, "--answers", str(answers(tmp_path, rest, "rest.yaml")))
    assert done.returncode == 3, done.stderr  # on to the next step, which the file does not answer
    sent = [e for e in log_of(home, incident) if e["type"] == "message.sent"]
    assert [e["data"]["scenario_ms"] for e in sent] == [7 * 60_000]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SCENARIO.replace("after_step: assess-reach", "after_step: asess-reach"), "CP703"),
        (SCENARIO.replace("  - at: 10m\n", "  - at: 10m\n    after_step: is-fixed\n"), "CP702"),
        ("crisisplay-drill: 1\nid: x\n", "[error]"),
        (SCENARIO.replace("  - at: 10m\n", "  - at: 9999999999d\n"), "is longer than 366d"),
    ],
)
def test_a_bad_scenario_is_exit_2_with_lint_findings_and_no_incident(home, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    done = run(home, "drill", str(path), "--answers", str(answers(tmp_path, UNTIMED)))
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert done.stderr.startswith(f"{path}:")  # path:line:col: CODE [error] …, as lint prints it
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (home / "incidents").exists() or not list((home / "incidents").glob("*.jsonl"))


def test_a_scenario_naming_a_playbook_that_does_not_exist_is_exit_2_at_its_line(home, tmp_path):
    path = tmp_path / "lost.yaml"
    path.write_text(SCENARIO.replace(str(BOOK), "no-such-playbook"), encoding="utf-8")
    done = run(home, "drill", str(path), "--answers", str(answers(tmp_path, UNTIMED)))
    assert done.returncode == 2
    assert f"{path}:3:11: " in done.stderr
    assert "no-such-playbook" in done.stderr
    assert done.stdout == ""


def test_a_relative_playbook_path_is_read_from_the_scenario_s_folder(home, tmp_path):
    folder = tmp_path / "drills"
    folder.mkdir()
    (folder / "book.yaml").write_text(BOOK.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "weekend.yaml"
    path.write_text(SCENARIO.replace(str(BOOK), "./book.yaml"), encoding="utf-8")
    done = run(home, "drill", str(path), "--answers", str(answers(tmp_path, TIMED)))
    assert done.returncode == 0, done.stderr
    assert log_of(home, done.stdout.strip())[0]["data"]["playbook"]["source"] == str((folder / "book.yaml").resolve())


@pytest.mark.parametrize("speed", ["0", "3601", "fast"])
def test_speed_is_a_whole_number_from_1_to_3600(home, scenario, speed):
    done = run(home, "drill", str(scenario), "--speed", speed)
    assert done.returncode == 2
    assert "--speed" in done.stderr
    assert done.stdout == ""


def test_speed_is_refused_with_an_answers_file(home, scenario, tmp_path):
    done = run(home, "drill", str(scenario), "--speed", "10", "--answers", str(answers(tmp_path, TIMED)))
    assert done.returncode == 2
    assert "--speed" in done.stderr


def test_inject_from_a_second_terminal_joins_the_drill_and_is_refused_elsewhere(home, scenario, tmp_path):
    stop = TIMED.split("  count-orders")[0]  # the file stops before count-orders: the drill pauses there
    first = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, stop)))
    assert first.returncode == 3, first.stderr
    incident_id = first.stdout.strip()

    said = run(home, "inject", incident_id, "The CEO has seen the post.", "--responder", "Fran Facilitator")
    assert said.returncode == 0, said.stderr
    assert f"Inject f1 added to {incident_id}" in said.stderr
    as_json = run(home, "inject", "last", "-", "-f", "json", stdin="A second journalist calls.\n")
    assert as_json.returncode == 0, as_json.stderr
    reply = json.loads(as_json.stdout)
    events = log_of(home, incident_id)
    assert reply == {
        "incident": incident_id,
        "event": "drill.inject",
        "inject": "f2",
        "actor": "Alice",
        "head": events[-1]["hash"],
    }
    typed = [e for e in events if e["type"] == "drill.inject" and e["data"]["source"] == "facilitator"]
    assert [(e["actor"], e["data"]["inject"], e["data"]["text"]) for e in typed] == [
        ("Fran Facilitator", "f1", "The CEO has seen the post."),
        ("Alice", "f2", "A second journalist calls."),
    ]
    # a scripted clock stands still between answers: the injects are at the pause's scenario time
    assert [e["data"]["scenario_ms"] for e in typed] == [720_000, 720_000]

    empty = run(home, "inject", incident_id, "  ")
    assert empty.returncode == 2
    real = run(
        home, "start", str(BOOK), "--answers", str(answers(tmp_path, "inputs: {product: Kettle}\n", "real.yaml"))
    )
    assert real.returncode == 3, real.stderr  # paused, open: refused because it is no drill
    not_a_drill = run(home, "inject", real.stdout.strip(), "Hello")
    assert not_a_drill.returncode == 2
    assert "not a drill" in not_a_drill.stderr
    run(home, "close", incident_id, "--reason", "drill over")
    after_close = run(home, "inject", incident_id, "Too late")
    assert after_close.returncode == 2
    assert "closed" in after_close.stderr


def test_a_resumed_scripted_drill_keeps_its_schedule(home, scenario, tmp_path):
    stop = TIMED.split("  holding-statement")[0]  # answers until fix-checklist (6m); pauses at holding-statement
    first = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, stop, "first.yaml")))
    assert first.returncode == 3, first.stderr
    incident_id = first.stdout.strip()
    before = log_of(home, incident_id)
    assert [e["data"]["inject"] for e in before if e["type"] == "drill.inject"] == ["i1", "i2"]
    assert before[-1]["type"] == "incident.paused"
    assert before[-1]["data"]["scenario_ms"] == 360_000

    rest = "steps:\n" + TIMED.split("fix-checklist: all\n")[1]
    second = run(home, "resume", incident_id, "--answers", str(answers(tmp_path, rest, "rest.yaml")))
    assert second.returncode == 0, second.stderr
    events = log_of(home, incident_id)
    resumed = next(e for e in events if e["type"] == "incident.resumed")
    assert (resumed["data"]["clock"], resumed["data"]["speed"], resumed["data"]["scenario_ms"]) == (
        "scripted",
        1,
        360_000,
    )
    injects = [(e["data"]["inject"], e["data"]["scenario_ms"]) for e in events if e["type"] == "drill.inject"]
    assert injects == [("i1", 120_000), ("i2", 180_000), ("i3", 600_000)]  # none shown twice, i3 at 10m
    assert timeline(events)[-3:] == [
        ("step.answered", "what-happened", 870_000),
        ("milestone.reached", "what-happened", 870_000),
        ("incident.closed", None, 870_000),
    ]


def test_with_notify_each_inject_is_delivered_on_the_drill_channel(home, scenario, tmp_path):
    from notify_servers import Webhook

    hook = Webhook().start()
    try:
        (home / "config.toml").write_text(
            f'responder = "Alice"\n\n[drill]\nnotify = ["{hook.url()}"]\n', encoding="utf-8"
        )
        done = run(home, "drill", str(scenario), "--answers", str(answers(tmp_path, TIMED)), "--notify")
        assert done.returncode == 0, done.stderr
        incident_id = done.stdout.strip()
        received = hook.wait_for(3)
        events = log_of(home, incident_id)
    finally:
        hook.stop()
    texts = sorted(r.json()["message"] for r in received)
    assert texts == sorted("[DRILL] " + e["data"]["text"] for e in events if e["type"] == "drill.inject")
    assert all(r.json()["title"].startswith("[DRILL] Wrong price drill: Drill inject i") for r in received)
    queued = [e["data"] for e in events if e["type"] == "notification.queued"]
    assert [(q["channel"], q["inject"]) for q in queued] == [("drill", "i1"), ("drill", "i2"), ("drill", "i3")]
    sent = [e for e in events if e["type"] == "notification.sent"]
    assert len(sent) == 3


def test_a_playbook_given_to_drill_and_a_scenario_given_to_start_point_at_the_other_command(home):
    done = run(home, "drill", "pricing-error")
    assert done.returncode == 2 and done.stdout == ""
    assert "'pricing-error' is a playbook, not a drill scenario" in done.stderr
    assert "crisisplay start pricing-error --drill" in done.stderr and "pricing-error-viral-weekend" in done.stderr
    done = run(home, "start", "pricing-error-viral-weekend")
    assert done.returncode == 2 and done.stdout == ""
    assert "run it with `crisisplay drill pricing-error-viral-weekend`" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_single_timed_answer_serving_every_visit_keeps_after_for_each_and_at_for_the_first():
    from crisisplay.playbook.loader import load_playbook
    from crisisplay.run.answers import parse_answers

    pb, _checked = load_playbook(HERE.parent / "playbooks" / "pricing-error.yaml")
    at = parse_answers("steps:\n  check-mentions: {answer: calm, at: 20m}\n", "a.yaml", pb)
    assert at.step_timing("check-mentions", 1).at_ms == 1_200_000
    assert at.step_timing("check-mentions", 2) is None  # one moment: later visits take a minute each
    after = parse_answers("steps:\n  check-mentions: {answer: calm, after: 2m}\n", "a.yaml", pb)
    assert after.step_timing("check-mentions", 1).after_ms == after.step_timing("check-mentions", 3).after_ms == 120_000


INJECT_SETS = """\
crisisplay: 1
id: inj-pb
title: Inject sets a value
severity:
  levels: [low, high]
  initial: low
phases:
  - id: one
    title: One
    steps:
      - id: who
        type: text
        prompt: Who speaks?
        when: severity == 'high'
        save_as: spokesperson
      - id: ack
        type: confirm
        prompt: Seen?
      - id: statement
        type: message
        prompt: Post it
        channel: web
        template: "Our spokesperson {{ spokesperson }} will speak."
"""

APPROVED = """\
crisisplay: 1
id: ap
title: Approval drill
roles:
  manager: Line manager
  legal: Legal counsel
phases:
  - id: one
    title: One
    steps:
      - id: ack
        type: confirm
        prompt: Seen?
      - id: statement
        type: message
        prompt: Post it
        channel: web
        template: "We are looking into it."
        approval: {by: [manager, legal], need: all}
"""


def _drill_of(tmp_path: Path, book: str, inject: str) -> Path:
    (tmp_path / "book.yaml").write_text(book, encoding="utf-8")
    path = tmp_path / "drill.yaml"
    path.write_text(
        f"crisisplay-drill: 1\nid: d\nplaybook: {tmp_path / 'book.yaml'}\ntitle: A drill\ninjects:\n{inject}",
        encoding="utf-8",
    )
    return path


def test_an_answer_is_checked_on_the_state_the_injects_due_by_its_time_make(home, tmp_path):
    """The check before the clock moves sees what an inject due by the answer's time sets: a
    message that shows its value once the inject fired is sent, not refused."""
    drill = _drill_of(
        tmp_path, INJECT_SETS, "  - at: 5m\n    text: HQ names Maria.\n    effects: {set: {spokesperson: Maria}}\n"
    )
    text = 'steps:\n  ack: {answer: "yes", at: 1m}\n  statement: {answer: send, at: 10m}\n'
    done = run(home, "drill", str(drill), "--answers", str(answers(tmp_path, text)))
    assert done.returncode == 0, done.stderr
    sent = [e for e in log_of(home, done.stdout.strip()) if e["type"] == "message.sent"]
    assert [e["data"]["text"] for e in sent] == ["Our spokesperson Maria will speak."]


def test_approved_by_that_cannot_approve_is_refused_before_the_clock_moves_or_approval_is_asked(home, tmp_path):
    drill = _drill_of(tmp_path, APPROVED, "  - at: 5m\n    text: A journalist calls.\n")
    text = 'steps:\n  ack: {answer: "yes", at: 1m}\n  statement: {answer: send, approved_by: manager, at: 10m}\n'
    done = run(home, "drill", str(drill), "--answers", str(answers(tmp_path, text)))
    assert done.returncode == 2 and "approved_by manager does not fit" in done.stderr
    incident = done.stdout.strip()
    kinds = [e["type"] for e in log_of(home, incident)]
    assert "approval.requested" not in kinds and "drill.inject" not in kinds
    fixed = "steps:\n  statement: {answer: send, approved_by: [manager, legal], at: 7m}\n"
    done = run(home, "resume", incident, "--answers", str(answers(tmp_path, fixed, "fixed.yaml")))
    assert done.returncode == 0, done.stderr
