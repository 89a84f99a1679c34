"""A drill in a pseudo-terminal, driven with pexpect: injects appear above the open prompt when
they fall due on the scenario clock (`--speed 60`: a minute a second), without eating what the
responder is typing; Ctrl-C pauses the scenario clock and resume keeps the schedule."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pexpect
import pytest
from test_interactive_e2e import BOOK, CTRL_C, ENTER, ID, Terminal, log_of

pytestmark = pytest.mark.timeout(60)

SCENARIO = f"""\
crisisplay-drill: 1
id: wrong-price-weekend
playbook: {BOOK}
title: Saturday night, the post goes viral
injects:
  - at: 2m
    text: A journalist from a national paper asks for comment.
  - at: 6m
    text: Legal counsel is on a plane.
    effects: {{unreachable: {{legal: 1h}}}}
"""


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


def injects(events: list[dict]) -> list[tuple[str, int]]:
    return [(e["data"]["inject"], e["data"]["scenario_ms"]) for e in events if e["type"] == "drill.inject"]


def test_an_inject_appears_above_the_open_prompt_without_eating_a_keystroke(home, scenario):
    term = Terminal(home, "drill", str(scenario), "--speed", "60")
    term.expect("Which product was mispriced?")
    shown = time.monotonic()
    term.send("Blue")  # typed before the inject is due (2m of scenario time: 2 s of wall time)
    term.child.expect_exact("Drill inject i1 · 2m", timeout=3)
    assert time.monotonic() - shown < 3
    term.expect("A journalist from a national paper asks for comment.")
    term.send(" Kettle" + ENTER)  # the banner kept "Blue" in the box
    term.expect("Where is the complaint?")
    term.send(CTRL_C)
    assert term.finish() == 130

    incident_id = ID.search(term.screen).group(0)
    events = log_of(home, incident_id)
    assert [e["data"]["value"] for e in events if e["type"] == "input.set"] == ["Blue Kettle"]
    assert injects(events) == [("i1", 120_000)]
    started = events[0]["data"]
    assert (started["clock"], started["speed"], started["scenario"]["id"]) == ("live", 60, "wrong-price-weekend")
    # the answer was typed after the inject: its scenario time is later
    answered = next(e for e in events if e["type"] == "input.set")
    assert answered["data"]["scenario_ms"] >= 120_000


def test_ctrl_c_freezes_the_scenario_clock_and_resume_keeps_the_schedule(home, scenario):
    term = Terminal(home, "drill", str(scenario), "--speed", "60")
    term.expect("Which product was mispriced?")
    term.child.expect_exact("A journalist from a national paper asks for comment.", timeout=5)
    term.send(CTRL_C)  # at about 2m of scenario time, well before the inject due at 6m
    assert term.finish() == 130
    incident_id = ID.search(term.screen).group(0)
    paused = log_of(home, incident_id)[-1]
    assert paused["type"] == "incident.paused"
    stopped_at = paused["data"]["scenario_ms"]
    assert 120_000 <= stopped_at < 360_000

    time.sleep(2.5)  # paused: the scenario clock stands still (this would be 2.5 minutes running)
    from test_interactive_e2e import crisisplay

    said = crisisplay(home, "inject", incident_id, "A reporter calls the shop.", "--responder", "Fran")
    assert said.returncode == 0, said.stderr
    term = Terminal(home, "resume", incident_id)
    term.child.expect_exact("Facilitator's inject f1", timeout=10)  # logged while paused: shown now
    term.expect("Which product was mispriced?")
    resumed = next(e for e in log_of(home, incident_id) if e["type"] == "incident.resumed")
    assert (resumed["data"]["clock"], resumed["data"]["speed"]) == ("live", 60)
    assert resumed["data"]["scenario_ms"] == stopped_at  # frozen while paused
    assert injects(log_of(home, incident_id)) == [("i1", 120_000), ("f1", stopped_at)]  # i2 is not due yet
    term.child.expect_exact("Legal counsel is on a plane.", timeout=10)
    term.send("Kettle" + ENTER)
    term.expect("Where is the complaint?")
    term.send(CTRL_C)
    assert term.finish() == 130
    # the inject shown before the pause is not shown again (the recap of the last decisions may
    # list it); the next one came at its own time
    assert "Drill inject i1" not in term.screen
    assert "Drill inject i2 · 6m" in term.screen
    events = log_of(home, incident_id)
    assert injects(events) == [("i1", 120_000), ("f1", stopped_at), ("i2", 360_000)]
    wall = [e for e in events if e["type"] == "drill.inject"][-1]["ts"]
    assert wall > resumed["ts"]
    assert json.dumps(events)  # the log stays plain JSON


def test_the_inject_of_a_facilitator_shows_in_the_running_drill(home, scenario):
    from test_interactive_e2e import crisisplay

    term = Terminal(home, "drill", str(scenario), "--speed", "1")
    term.expect("Which product was mispriced?")
    incident_id = ID.search(term.screen).group(0)
    term.send("Blue")
    said = crisisplay(home, "inject", incident_id, "The CEO has seen the post.", "--responder", "Fran")
    assert said.returncode == 0, said.stderr
    term.child.expect_exact("Facilitator's inject f1", timeout=5)
    term.expect("The CEO has seen the post.")
    term.send(" Kettle" + ENTER)
    term.expect("Where is the complaint?")
    term.send(CTRL_C)
    assert term.finish() == 130
    events = log_of(home, incident_id)
    assert [e["data"]["value"] for e in events if e["type"] == "input.set"] == ["Blue Kettle"]
    assert term.child.exitstatus == 130
    assert pexpect  # the pseudo-terminal library the interactive tests share


def test_a_log_that_cannot_be_read_mid_prompt_never_shows_a_traceback(home, scenario):
    term = Terminal(home, "drill", str(scenario), "--speed", "60")
    term.expect("Which product was mispriced?")
    incident_id = ID.search(term.screen).group(0)
    log = home / "incidents" / f"{incident_id}.jsonl"
    log.rename(log.with_suffix(".moved"))  # the ticker's next look at the store fails
    time.sleep(3)  # past the inject due at 2m (x60): the ticker would fire it now
    term.send("Blue Kettle" + ENTER)  # the answer's own write says what is wrong, in one line
    status = term.finish()
    assert status not in (0, None)
    for crash in ("Traceback", "Unhandled exception", "Press ENTER to continue"):
        assert crash not in term.screen, term.screen[-2000:]


def test_an_inject_logged_while_a_killed_drill_was_down_is_shown_on_resume(home, scenario):
    import signal

    from test_interactive_e2e import crisisplay

    term = Terminal(home, "drill", str(scenario), "--speed", "1")
    term.expect("Which product was mispriced?")
    incident_id = ID.search(term.screen).group(0)
    term.child.kill(signal.SIGKILL)  # no pause logged: the run is simply gone
    term.child.close(force=True)
    said = crisisplay(home, "inject", incident_id, "The shop's phone is ringing.", "--responder", "Fran")
    assert said.returncode == 0, said.stderr
    term = Terminal(home, "resume", incident_id)
    term.child.expect_exact("Facilitator's inject f1", timeout=10)
    term.expect("The shop's phone is ringing.")
    term.expect("Which product was mispriced?")
    term.send(CTRL_C)
    assert term.finish() == 130
