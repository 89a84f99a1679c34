"""Deadlines and the update cadence: checked (CP213–CP215), folded from the log, shown in the
header, the reports, `export --format json` and `show`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from clock_helpers import CLOCKS, DETECTED, Run
from conftest import write

from crisisplay import clocks, engine
from crisisplay import events as ev
from crisisplay.playbook.loader import check_text
from crisisplay.run.header import clock_statuses, header

# ----------------------------------------------------------------------------- the checker


def codes(text: str) -> list[tuple[str, str]]:
    checked = check_text(text, "clocks.yaml")
    return [(f.code, f.message) for f in checked.findings if f.level == "error"]


def test_the_clock_playbook_is_clean():
    assert codes(CLOCKS) == []


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("    start: promise\n", "    start: promis\n", "CP213", "did you mean 'promise'?"),
        ("    start: promise\n", "    start: detecton\n", "CP213", "did you mean 'detection'?"),
        ("met_by: [notify-authority]", "met_by: [notify-autority]", "CP213", "did you mean 'notify-authority'?"),
        ("    within: 72h\n", "", "CP214", "deadline 'authority' has no `within:`"),
        ("    start: promise\n", "    start: decide\n", "CP214", "option 'soon' has `within:`"),
        ("{critical: 1h, high: 2h}", "{critical: 1h, hihg: 2h}", "CP215", "did you mean 'high'?"),
        ("updates: [holding, public-update]", "updates: [holding, decide]", "CP215", "is a choice step"),
        ("updates: [holding, public-update]", "updates: [holding, publc-update]", "CP215", "'public-update'"),
    ],
)
def test_a_broken_clock_is_an_error_with_a_suggestion(old, new, code, words):
    assert old in CLOCKS
    found = codes(CLOCKS.replace(old, new, 1))
    assert any(c == code and words in message for c, message in found), found


def test_a_deadline_started_at_a_step_that_is_no_choice_needs_its_own_within():
    text = CLOCKS.replace("    start: promise\n", "    start: holding\n").replace("            within: 2h\n", "")
    found = codes(text.replace("            within: 1d\n", ""))
    assert [c for c, _ in found] == ["CP214"]
    assert "start it at a choice step" in found[0][1]


def test_a_deadline_from_options_needs_at_least_one_option_with_a_duration():
    text = CLOCKS.replace("            within: 2h\n", "").replace("            within: 1d\n", "")
    found = codes(text)
    assert [c for c, _ in found] == ["CP214"]
    assert "none of its options has `within:`" in found[0][1]


def test_an_option_without_within_promises_no_time_and_starts_no_clock():
    assert codes(CLOCKS.replace("            within: 1d\n", "")) == []


def test_an_outcome_option_is_fine_anywhere():
    assert codes(CLOCKS.replace("            outcome: monitor-only\n", "            outcome: monitor-only\n", 1)) == []


def test_lint_reports_clock_codes_and_they_cannot_be_suppressed(run_cli, cli_cwd):
    path = write(cli_cwd / "clocks.yaml", CLOCKS.replace("met_by: [notify-authority]", "met_by: [nope]"))
    code, out, _ = run_cli("lint", str(path), "--format", "json")
    assert code == 1
    found = json.loads(out)
    assert any(f["code"] == "CP213" and f["name"] == "unknown-clock-step" for f in found["findings"]), found
    code, _, err = run_cli("start", str(path), "--drill")
    assert code == 2 and "CP213" in err


# ----------------------------------------------------------------------------- the fold


def test_a_detection_deadline_runs_from_detection_and_is_met_by_its_step():
    run = Run()
    status = clocks.deadline_statuses(run.playbook, run.state.clocks, DETECTED + timedelta(hours=1))
    authority = status[0]
    assert (authority.status, authority.start_at, authority.due_at) == (
        clocks.OPEN,
        DETECTED,
        DETECTED + timedelta(hours=72),
    )
    assert authority.left_ms == 71 * 3_600_000
    assert status[1].status == clocks.NOT_STARTED
    late = clocks.deadline_statuses(run.playbook, run.state.clocks, DETECTED + timedelta(hours=73))[0]
    assert (late.status, late.left_ms) == (clocks.OVERDUE, -3_600_000)


def to_public_update(run: Run, promise: str = "soon") -> None:
    run.send()  # holding
    run.answer("respond")
    run.answer(promise, minutes=10)
    run.answer("notified")


def test_the_chosen_options_within_starts_the_promised_deadline_and_a_later_answer_restarts_it():
    run = Run()
    to_public_update(run, "soon")
    promised = run.state.clocks.runs["next-update"]
    assert len(promised) == 1 and promised[0].within_ms == 2 * 3_600_000
    started = promised[0].start_at
    run.send(minutes=30)  # public-update meets it
    run.send()  # private-note
    assert run.asked() == "again"
    met = clocks.deadline_statuses(run.playbook, run.state.clocks, run.now)[1]
    assert (met.status, met.met_by, met.start_at) == (clocks.MET, "public-update", started)
    run.answer("round")  # loops to promise: the clock restarts
    run.answer("later", minutes=5)
    again = clocks.deadline_statuses(run.playbook, run.state.clocks, run.now)[1]
    assert (again.status, again.run, again.within_ms, again.met_at) == (clocks.OPEN, 2, 86_400_000, None)
    assert again.start_at == run.now


def test_a_deadline_met_late_is_missed_by_the_difference():
    run = Run()
    to_public_update(run, "soon")
    run.send(minutes=150)  # 2h31m after the promise of 2h (the escalation took a minute)
    status = clocks.deadline_statuses(run.playbook, run.state.clocks, run.now)[1]
    assert (status.status, status.left_ms) == (clocks.MISSED, -31 * 60_000)


def test_replay_rebuilds_the_same_clocks_from_the_log():
    run = Run()
    to_public_update(run)
    assert ev.replay(run.events).clocks == run.state.clocks


def test_a_copy_of_the_state_meets_and_restarts_deadlines_without_touching_the_original():
    # The session folds each decision into a copy first: the original must not move with it.
    run = Run()
    to_public_update(run, "soon")
    original, at = run.state, run.now + timedelta(hours=1)
    before = clocks.deadline_history(run.playbook, original.clocks, at)
    run.state = original.copy()
    run.send(minutes=30)  # public-update meets the promise on the copy
    met = run.state.copy()
    run.state = met
    run.send()  # private-note
    run.answer("round")
    run.answer("later")  # the promise restarts on the copy of the copy
    assert clocks.deadline_history(run.playbook, original.clocks, at) == before
    assert [(s.name, s.status) for s in before] == [("authority", clocks.OPEN), ("next-update", clocks.OPEN)]
    history = clocks.deadline_history(run.playbook, met.clocks, run.now)
    assert [(s.name, s.run, s.status) for s in history] == [
        ("authority", 1, clocks.OPEN),
        ("next-update", 1, clocks.MET),
        ("next-update", 2, clocks.OPEN),
    ]
    assert ev.replay(run.events).clocks == met.clocks


def test_the_cadence_runs_from_the_last_update_at_the_current_severity():
    run = Run()
    assert clocks.next_update(run.playbook, run.state.clocks, run.state.severity, run.now) is None  # no update yet
    run.send(minutes=5)  # holding, at high: every 2h
    sent = run.now
    following = clocks.next_update(run.playbook, run.state.clocks, run.state.severity, sent + timedelta(minutes=13))
    assert following is not None and following.due_at == sent + timedelta(hours=2)
    assert following.left_ms == (120 - 13) * 60_000
    run.answer("worse")  # severity critical: every 1h
    now = sent + timedelta(minutes=75)
    late = clocks.next_update(run.playbook, run.state.clocks, run.state.severity, now)
    assert late is not None and late.left_ms == -15 * 60_000


def test_a_gap_between_updates_longer_than_the_cadence_then_in_force_is_reported():
    run = Run()
    run.send()  # holding at 08:01, high (2h)
    run.answer("worse", minutes=30)  # critical (1h) from 08:31
    run.answer("soon", minutes=10)
    run.answer("notified", minutes=10)
    run.send(minutes=60)  # public-update at 09:51: 1h50m after, critical since 08:31 -> 50m over
    gaps = clocks.cadence_gaps(run.playbook, run.state.clocks)
    assert len(gaps) == 1
    assert (gaps[0].level, gaps[0].every_ms, gaps[0].over_ms) == ("critical", 3_600_000, 50 * 60_000)


def test_no_gap_when_each_update_came_within_its_cadence():
    run = Run()
    run.send()
    run.answer("respond")
    run.answer("soon")
    run.answer("notified")
    run.send(minutes=100)  # 1h43m at high (2h)
    assert clocks.cadence_gaps(run.playbook, run.state.clocks) == []


# ----------------------------------------------------------------------------- the header


def header_text(state, now) -> str:
    from rich.console import Console

    console = Console(width=80, record=True, color_system=None)
    console.print(header(state, now, state.pending))
    return console.export_text()


def test_the_header_shows_deadlines_and_the_next_update():
    run = Run()
    now = DETECTED + timedelta(minutes=2)
    assert [s.text for s in clock_statuses(run.state, now)] == ["Notify the authority: due in 71h 58m"]
    run.send()  # holding at 08:01
    later = run.now + timedelta(minutes=73)
    lines = [s.text for s in clock_statuses(run.state, later)]
    assert lines == ["Notify the authority: due in 70h 46m", "Next update due in 47m"]
    text = header_text(run.state, later)
    assert "Notify the authority: due in 70h 46m" in text and "Next update due in 47m" in text


def test_the_header_says_overdue_in_red():
    run = Run()
    run.send()
    way_later = DETECTED + timedelta(hours=72, minutes=5)
    statuses = clock_statuses(run.state, way_later)
    assert statuses[0].text == "Notify the authority: overdue by 5m" and statuses[0].style == "red"
    assert statuses[1].text.startswith("Next update overdue by ") and statuses[1].style == "red"


# ----------------------------------------------------------------------------- through the CLI

ANSWERS = """\
steps:
  holding: send
  decide: respond
  promise: soon
  tell-manager: notified
  public-update: send
  private-note: send
  again: done
  notify-authority: yes
  lessons: Keep the holding statement ready.
"""


@pytest.fixture
def finished(run_cli, cli_cwd: Path) -> str:
    book = write(cli_cwd / "clocks.yaml", CLOCKS)
    answers = write(cli_cwd / "run.answers.yaml", ANSWERS)
    code, out, err = run_cli("start", str(book), "--answers", str(answers), "--drill", "--detected-at", "-90m")
    assert code == 0, err
    return out.strip()


def test_the_json_export_holds_deadlines_cadence_and_outcome(run_cli, finished):
    code, out, _ = run_cli("export", finished, "--format", "json")
    assert code == 0
    metrics = json.loads(out)["metrics"]
    names = [(d["name"], d["status"], d["run"]) for d in metrics["deadlines"]]
    assert names == [("authority", "met", 1), ("next-update", "met", 1)]
    authority = metrics["deadlines"][0]
    assert authority["within_ms"] == 72 * 3_600_000 and authority["met_by"] == "notify-authority"
    assert set(authority) == {
        "name",
        "label",
        "run",
        "status",
        "started_at",
        "within_ms",
        "due_at",
        "met_at",
        "met_by",
        "margin_ms",
    }
    assert metrics["cadence"]["every_ms"] == {"critical": 3_600_000, "high": 7_200_000}
    assert [u["step"] for u in metrics["cadence"]["updates"]] == ["holding", "public-update"]
    assert metrics["cadence"]["gaps"] == []
    assert metrics["outcome"] is None


def test_the_reports_have_a_deadlines_part(run_cli, finished, cli_cwd):
    code, md, _ = run_cli("export", finished, "--format", "md")
    assert code == 0
    part = md.split("## Deadlines", 1)[1].split("\n## ", 1)[0]
    assert "| Notify the authority |" in part and "met," in part
    assert "### Update cadence" in part and "Public updates: critical every 1h, high every 2h; 2 updates sent." in part
    assert md.index("## Response times") < md.index("## Deadlines") < md.index("## What happened")
    code, _, _ = run_cli("export", finished, "--format", "html", "-o", str(cli_cwd / "r.html"))
    html = (cli_cwd / "r.html").read_text(encoding="utf-8")
    assert '<section id="deadlines">' in html and "Notify the authority" in html


def test_a_report_without_clocks_has_no_deadlines_part(run_cli, cli_cwd, minimal_playbook):
    book = write(cli_cwd / "plain.yaml", minimal_playbook)
    code, out, _ = run_cli("start", str(book), "--answers", str(write(cli_cwd / "a.yaml", "steps: {}\n")), "--drill")
    assert code == 3
    code, md, _ = run_cli("export", out.strip(), "--format", "md")
    assert code == 0 and "## Deadlines" not in md


def test_show_prints_deadlines_cadence_outcomes_and_references(run_cli, cli_cwd):
    book = write(cli_cwd / "clocks.yaml", CLOCKS)
    code, out, _ = run_cli("show", str(book))
    assert code == 0
    tail = out.split("\nDeadlines\n", 1)[1]
    assert "Notify the authority (authority): from detection, within 72h" in tail
    assert "from the answer to promise, within the chosen option's time" in tail
    assert "\nPublic updates\n  critical every 1h · high every 2h" in tail
    assert "decide: monitor decides monitor only" in tail
    references = tail.split("\nReferences\n", 1)[1]
    assert references.splitlines()[:4] == [
        "  - GDPR art. 33: notification of a personal data breach",
        "    https://eur-lex.europa.eu/eli/reg/2016/679/oj",
        "    72 hours from becoming aware",
        "  - A title alone",
    ]


def test_show_json_includes_deadlines(run_cli, cli_cwd):
    book = write(cli_cwd / "clocks.yaml", CLOCKS)
    code, out, _ = run_cli("show", str(book), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["deadlines"]["next-update"] == {
        "label": "Next update we promised",
        "start": "promise",
        "met_by": ["public-update"],
    }
    assert data["cadence"]["every"] == {"critical": "1h", "high": "2h"}


def test_the_engine_needs_no_terminal_to_answer_a_promise():
    run = Run()
    run.send()
    made = run.answer("respond")
    assert [e["type"] for e in made] == [ev.STEP_ANSWERED]
    assert isinstance(run.action, engine.AskStep) and run.asked() == "promise"


def test_a_decision_checked_on_a_state_that_moved_since_is_computed_again():
    # The session checks an answer by computing its events, and logs those very events only
    # while nothing was folded in since (another terminal's note, a delivery's outcome).
    from crisisplay.run.session import _reusing

    run = Run()
    computed: list[str] = []

    def compute() -> list[dict]:
        computed.append("again")
        return engine.note("computed again", run.now, "ana")

    checked = engine.note("checked", run.now, "ana")
    unmoved = _reusing(checked, run.state, compute)
    assert unmoved() is checked and computed == []
    assert unmoved()[0]["data"]["text"] == "computed again"  # a second try (the head moved) computes
    moved = _reusing(checked, run.state, compute)
    run.log(engine.note("from another terminal", run.now, "bo"))
    assert moved()[0]["data"]["text"] == "computed again" and computed == ["again", "again"]
