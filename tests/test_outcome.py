"""The monitor-only outcome: chosen with a reason (terminal prompt or the answers file's wrapper),
logged as `outcome.decided` in the same decision, and from then on every public message skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clock_helpers import CLOCKS, Run
from conftest import write
from incident_logs import assert_log_contract, log_path, of_type, opened_events, without_scenario_time

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.errors import AnswerError
from crisisplay.run.header import outcome_line

# ----------------------------------------------------------------------------- the engine


def test_a_monitor_only_choice_logs_its_decision_and_skips_public_messages_only():
    run = Run()
    run.send()  # holding
    made = run.answer(engine.Reasoned("monitor", "  Low reach; a reply would spread it "))
    assert [e["type"] for e in made] == [ev.STEP_ANSWERED, ev.OUTCOME_DECIDED]
    assert made[1]["step"] == "decide"
    assert made[1]["data"] == {
        "outcome": "monitor-only",
        "reason": "Low reach; a reply would spread it",
        "option": "monitor",
    }
    run.answer("soon")
    run.answer("notified")
    # public-update skipped by the outcome; the private message still asked
    assert run.asked() == "private-note"
    skipped = of_type(run.events, ev.STEP_SKIPPED)
    assert [(e["step"], e["data"]["by"], e["data"]["reason"]) for e in skipped] == [
        ("public-update", "outcome", "monitor only: no public message")
    ]
    assert outcome_line(run.state) == "Monitor only: Low reach; a reply would spread it"


def test_replay_rebuilds_the_outcome_and_keeps_skipping():
    run = Run()
    run.send()
    run.answer(engine.Reasoned("monitor", "Low reach"))
    state = ev.replay(run.events)
    assert state.clocks.monitor_only and state.clocks.outcome["reason"] == "Low reach"
    _events, action = engine.advance(state, run.now, "ana")
    assert action == run.action  # the same step asked after a resume


def test_no_public_update_is_due_once_monitor_only_is_decided():
    from crisisplay import clocks

    run = Run()
    run.send()
    assert clocks.next_update(run.playbook, run.state.clocks, run.state.severity, run.now) is not None
    run.answer(engine.Reasoned("monitor", "Low reach"))
    assert clocks.next_update(run.playbook, run.state.clocks, run.state.severity, run.now) is None


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_monitor_only_without_a_reason_does_not_fit(reason):
    run = Run()
    run.send()
    answer = "monitor" if reason is None else engine.Reasoned("monitor", reason)
    with pytest.raises(AnswerError, match=r"step 'decide' \(choice\).*\{answer: monitor, reason: why\}"):
        engine.decide(run.state, "decide", answer, run.now, "ana")


def test_a_reason_beside_any_other_answer_does_not_fit():
    run = Run()
    run.send()
    with pytest.raises(AnswerError, match=r"step 'decide' \(choice\): reason: goes only with"):
        engine.decide(run.state, "decide", engine.Reasoned("respond", "why not"), run.now, "ana")


def test_without_the_outcome_public_messages_run_as_before():
    run = Run()
    run.send()
    run.answer("respond")
    run.answer("soon")
    run.answer("notified")
    assert run.asked() == "public-update"
    assert not run.state.clocks.monitor_only


# ----------------------------------------------------------------------------- the answers file

MONITOR = """\
steps:
  holding: send
  decide: {answer: monitor, reason: "Low reach; a reply would amplify it"}
  promise: soon
  tell-manager: notified
  private-note: send
  again: done
  notify-authority: yes
  lessons: Monitoring worked.
"""


def start(run_cli, cwd: Path, answers: str) -> tuple[int, str, str]:
    book = write(cwd / "clocks.yaml", CLOCKS)
    path = write(cwd / "run.answers.yaml", answers)
    return run_cli("start", str(book), "--answers", str(path), "--drill")


def test_a_scripted_monitor_only_run_logs_the_decision_in_one_write(run_cli, cli_cwd, cli_home):
    code, out, err = start(run_cli, cli_cwd, MONITOR)
    assert code == 0, err
    incident = out.strip()
    events = assert_log_contract(log_path(cli_home, incident))
    decided = of_type(events, "outcome.decided")
    assert [without_scenario_time(e["data"]) for e in decided] == [
        {"outcome": "monitor-only", "reason": "Low reach; a reply would amplify it", "option": "monitor"}
    ]
    answered = next(e for e in events if e["type"] == "step.answered" and e["step"] == "decide")
    assert decided[0]["seq"] == answered["seq"] + 1 and decided[0]["ts"] == answered["ts"]
    skipped = [e for e in of_type(events, "step.skipped") if e["data"]["by"] == "outcome"]
    assert [e["step"] for e in skipped] == ["public-update"]
    assert "decide: decided monitor only (Low reach; a reply would amplify it)" in err
    # the exports show the decision
    code, md, _ = run_cli("export", incident, "--format", "md")
    assert "| Outcome | monitor only (at decide): Low reach; a reply would amplify it |" in md
    assert "decided monitor only (Low reach; a reply would amplify it)" in md.split("## Timeline", 1)[1]
    code, data, _ = run_cli("export", incident, "--format", "json")
    assert json.loads(data)["metrics"]["outcome"]["reason"] == "Low reach; a reply would amplify it"
    run_cli("export", incident, "--format", "html", "-o", str(cli_cwd / "r.html"))
    assert "monitor only (at decide): Low reach; a reply would amplify it" in (cli_cwd / "r.html").read_text("utf-8")


def test_monitor_only_without_the_wrapper_is_an_answer_error(run_cli, cli_cwd, cli_home):
    code, out, err = start(
        run_cli, cli_cwd, MONITOR.replace('{answer: monitor, reason: "Low reach; a reply would amplify it"}', "monitor")
    )
    assert code == 2
    assert "step 'decide' (choice): 'monitor' decides monitor only and needs its reason" in err
    assert "{answer: monitor, reason: why}" in err
    events = assert_log_contract(log_path(cli_home, out.strip()))
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "answer-error"
    assert not [e for e in events if e["type"] == "step.answered" and e["step"] == "decide"]


def test_a_reason_on_another_answer_is_an_answer_error(run_cli, cli_cwd):
    code, _, err = start(run_cli, cli_cwd, MONITOR.replace("promise: soon", "promise: {answer: soon, reason: x}"))
    assert code == 2
    assert "step 'promise' (choice): reason: goes only with an option that decides an outcome" in err


def test_an_empty_reason_in_the_wrapper_is_refused_before_anything_is_written(run_cli, cli_cwd, cli_home):
    code, _, err = start(run_cli, cli_cwd, MONITOR.replace('"Low reach; a reply would amplify it"', '""'))
    assert code == 2 and "reason: expected the reason as text" in err
    assert not (cli_home / "incidents").exists() or not list((cli_home / "incidents").glob("*.jsonl"))


def test_a_checklist_keeps_its_own_reason(run_cli, cli_cwd, minimal_playbook):
    # `{done: …, reason: …}` is a checklist's answer, never taken for a wrapper
    from crisisplay.playbook.loader import check_text
    from crisisplay.run.answers import parse_answers

    book = check_text(
        CLOCKS.replace(
            "      - id: again\n",
            "      - id: tidy\n        type: checklist\n        prompt: Tidy up\n        items: [One, Two]\n      - id: again\n",
        ),
        "x.yaml",
    )
    assert book.ok
    parsed = parse_answers("steps:\n  tidy: {done: [One], reason: no time}\n", "a.yaml", book.playbook)
    assert parsed.steps["tidy"] == {"done": ["One"], "reason": "no time"}


# ----------------------------------------------------------------------------- the terminal


def test_the_terminal_asks_why_and_logs_the_reason(cli_home, cli_cwd):
    from test_interactive_e2e import DOWN, ENTER, Terminal

    book = write(cli_cwd / "clocks.yaml", CLOCKS)
    term = Terminal(cli_home, "start", str(book), "--drill", "--responder", "Ana", cwd=cli_cwd)
    term.expect("We are looking into it.")
    term.expect("Send this message?")
    term.send(ENTER)  # send the holding statement as written
    term.expect("Respond or monitor?")
    term.send(DOWN + ENTER)  # Monitor only
    term.expect("Why monitor only? (recorded in the log)")
    term.send("Low reach" + ENTER)
    term.expect("Monitor only: Low reach")  # the header
    term.expect("When is the next update?")
    term.send("\x03")
    assert term.finish() == 130
    logs = list((cli_home / "incidents").glob("*.jsonl"))
    events = opened_events(logs[0])
    decided = [without_scenario_time(e["data"]) for e in events if e["type"] == "outcome.decided"]
    assert decided == [{"outcome": "monitor-only", "reason": "Low reach", "option": "monitor"}]
