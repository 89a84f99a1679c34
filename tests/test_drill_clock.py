"""A drill's scenario clock and injects, in the engine and the fold (no terminal, no files):
every event keeps its wall `ts` and carries its scenario time, and the state runs on the latter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock_helpers import ACTOR, CLOCKS, DETECTED, playbook_from

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.errors import UsageError
from crisisplay.run.scenario_clock import on_wall_clock, stamped_from_wall
from crisisplay.scenario.model import Scenario
from crisisplay.scenario.state import LIVE, SCRIPTED, DrillState

SCENARIO = {
    "crisisplay-drill": 1,
    "id": "clocks-rehearsal",
    "playbook": "clocks",
    "title": "Clock rehearsal",
    "duration": "30m",
    "injects": [
        {"at": "10m", "text": "A journalist asks for comment."},
        {
            "after_step": "holding",
            "text": "The post has 5,000 shares.",
            "effects": {"severity": "critical", "unreachable": {"manager": "20m"}},
        },
        {"id": "late", "at": "25m", "text": "The customer posts again."},
    ],
}
WALL = DETECTED + timedelta(days=3)  # the rehearsal happens days after the detection it plays


class Drill:
    """A scripted drill driven by hand: the engine works on scenario time, the log keeps wall time."""

    def __init__(self, scenario: dict | None = SCENARIO, clock: str = SCRIPTED):
        self.playbook = playbook_from(CLOCKS)
        self.wall = WALL
        self.scenario_ms = 0
        source = {"id": "clocks", "title": "Clock drill", "source": "clocks.yaml", "sha256": "0" * 64}
        given = {"clock": clock, "speed": 1}
        if scenario is not None:
            given.update(snapshot=Scenario.model_validate(scenario).normalised(), source=source)
        first = engine.start(
            "20260301-080000-clocks-beef",
            self.playbook,
            source,
            drill=True,
            responder=ACTOR,
            organisation=None,
            detected_at=DETECTED,
            now=DETECTED,
            version="test",
            scenario=given,
        )
        first[0]["ts"] = ev.format_ts(self.wall)
        self.events = first
        self.state = ev.replay(first)
        self.advance()

    @property
    def now(self):
        return DETECTED + timedelta(milliseconds=self.scenario_ms)

    def log(self, events: list[dict]) -> list[dict]:
        self.wall += timedelta(seconds=1)
        logged = on_wall_clock(self.state, events, self.wall)
        for event in logged:
            ev.apply(self.state, event)
        self.events += logged
        return logged

    def advance(self):
        events, self.action = engine.advance(self.state, self.now, ACTOR)
        self.log(events)
        return self.action

    def at(self, minutes: float) -> None:
        """Move the scripted clock on, and fire what is due by then (as the answers-file front end does)."""
        self.scenario_ms = int(minutes * 60_000)
        self.log(engine.due_injects(self.state, self.now, ACTOR))

    def answer(self, answer, minutes: float) -> list[dict]:
        self.at(minutes)
        made = self.log(engine.decide(self.state, self.action.step_id, answer, self.now, ACTOR))
        self.advance()
        return made

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]


def test_a_drill_starts_its_scenario_clock_and_snapshots_its_scenario():
    drill = Drill()
    data = drill.events[0]["data"]
    assert (data["scenario_ms"], data["clock"], data["speed"]) == (0, SCRIPTED, 1)
    assert data["scenario"]["id"] == "clocks-rehearsal" and data["scenario_source"]["id"] == "clocks"
    assert [i["id"] for i in data["scenario"]["injects"]] == ["i1", "i2", "late"]
    state = ev.replay(drill.events)
    assert state.drill_run is not None and state.drill_run.scenario.injects[2].text == "The customer posts again."


def test_a_plain_drill_has_a_clock_and_no_scenario_and_a_real_incident_neither():
    assert ev.replay(Drill(scenario=None).events).drill_run.scenario is None
    real = engine.start(
        "20260301-080000-clocks-beef",
        playbook_from(CLOCKS),
        {"id": "clocks"},
        drill=False,
        responder=ACTOR,
        organisation=None,
        detected_at=DETECTED,
        now=DETECTED,
        version="test",
    )
    assert "scenario_ms" not in real[0]["data"] and ev.replay(real).drill_run is None


def test_every_event_keeps_wall_time_and_carries_its_scenario_time():
    drill = Drill()
    drill.answer(engine.Send("We are looking into it."), 3)
    for event in drill.events[1:]:
        assert ev.parse_ts(event["ts"]) > WALL  # the wall clock, days after detection
        assert type(event["data"]["scenario_ms"]) is int
    answered = next(e for e in drill.events if e["type"] == ev.STEP_ANSWERED)
    assert answered["data"]["scenario_ms"] == 3 * 60_000
    # the state runs on scenario time: the milestone counts from detection on that clock
    reached = drill.of_type(ev.MILESTONE_REACHED)[0]["data"]
    assert reached["elapsed_ms"] == reached["scenario_ms"] == 3 * 60_000
    assert drill.state.last_ts == DETECTED + timedelta(minutes=3)


def test_an_after_step_inject_fires_before_the_next_step_with_its_effects():
    drill = Drill()
    drill.answer(engine.Send("We are looking into it."), 3)
    kinds = [(e["type"], e["step"]) for e in drill.events[-4:]]
    assert kinds[-3:] == [(ev.DRILL_INJECT, None), (ev.SEVERITY_CHANGED, None), (ev.STEP_ENTERED, "decide")]
    inject = drill.of_type(ev.DRILL_INJECT)[0]["data"]
    assert inject["inject"] == "i2" and inject["source"] == "scenario"
    assert drill.of_type(ev.DRILL_INJECT)[0]["step"] is None  # fired between steps
    assert inject["effects"] == {"severity": "critical", "unreachable": {"manager": "20m"}}
    change = drill.of_type(ev.SEVERITY_CHANGED)[0]["data"]
    assert (change["from"], change["to"], change["inject"]) == ("high", "critical", "i2")
    assert drill.state.severity == "critical"


def test_timed_injects_fire_once_each_at_their_own_time_before_a_later_answer():
    drill = Drill()
    drill.answer(engine.Send("We are looking into it."), 3)
    drill.answer("respond", 12)  # the 10m inject is due before this answer
    fired = drill.of_type(ev.DRILL_INJECT)
    assert [(e["data"]["inject"], e["data"]["scenario_ms"]) for e in fired] == [("i2", 180_000), ("i1", 600_000)]
    assert fired[1]["step"] == "decide"  # the step open when it fired, before its answer
    assert fired[1]["data"]["due_ms"] == 600_000
    assert engine.due_injects(drill.state, drill.now, ACTOR) == []  # fired once, never again
    assert ev.replay(drill.events).drill_run.fired == {"i2": 180_000, "i1": 600_000}


def test_a_role_made_unreachable_is_logged_unreachable_until_its_time_is_up():
    drill = Drill()
    drill.answer(engine.Send("We are looking into it."), 3)  # manager out of reach until 23m
    drill.answer("respond", 4)
    drill.answer("soon", 5)
    assert engine.out_of_reach(drill.state, ["manager"], drill.now) == {"manager": "i2"}
    drill.answer("notified", 6)
    [escalation] = drill.of_type(ev.ESCALATION_UNREACHABLE)
    assert escalation["data"]["role"] == "manager" and escalation["data"]["inject"] == "i2"
    assert drill.of_type(ev.STEP_ANSWERED)[-1]["data"]["answer"] == {"manager": "unreachable"}
    assert engine.out_of_reach(drill.state, ["manager"], DETECTED + timedelta(minutes=23)) == {}


def test_injects_still_due_at_the_end_fire_before_the_close():
    drill = Drill()
    drill.answer(engine.Send("We are looking into it."), 1)
    for answer in ("respond", "soon", "notified"):
        drill.answer(answer, 2)
    drill.answer(engine.Send("Here is where we stand."), 2)
    drill.answer(engine.Send("Hello, we are on it."), 2)
    drill.answer("done", 2)
    drill.answer(True, 2)
    drill.answer("Rehearse more.", 2)
    tail = drill.events[-3:]
    assert [e["type"] for e in tail] == [ev.DRILL_INJECT, ev.DRILL_INJECT, ev.CLOSED]
    # at the end's time, not their own: a scenario longer than the run does not stretch the drill
    assert [e["data"]["scenario_ms"] for e in tail] == [120_000, 120_000, 120_000]
    assert [(e["data"]["due_ms"], e["data"]["at_end"]) for e in tail[:2]] == [(600_000, True), (1_500_000, True)]
    assert drill.state.closed and set(drill.state.drill_run.fired) == {"i1", "i2", "late"}


def test_a_set_effect_sets_the_name_in_the_state_and_on_replay():
    scenario = {
        **SCENARIO,
        "injects": [{"after_step": "holding", "text": "Now it is a rumour.", "effects": {"set": {"topic": "rumour"}}}],
    }
    drill = Drill(scenario)
    drill.answer(engine.Send("We are looking into it."), 1)
    assert drill.state.variables["topic"] == "rumour"
    assert ev.replay(drill.events).variables["topic"] == "rumour"


def test_a_severity_effect_only_raises():
    scenario = {**SCENARIO, "injects": [{"after_step": "holding", "text": "Calmer.", "effects": {"severity": "low"}}]}
    drill = Drill(scenario)
    drill.answer(engine.Send("We are looking into it."), 1)
    assert drill.of_type(ev.DRILL_INJECT) and not drill.of_type(ev.SEVERITY_CHANGED)
    assert drill.state.severity == "high"


def test_the_live_clock_runs_at_its_speed_and_stands_still_while_paused():
    run = DrillState(clock=LIVE, speed=60, anchor_ms=60_000, anchor_wall=WALL)
    assert run.at(WALL + timedelta(seconds=2)) == 60_000 + 120_000
    assert run.wall_of(180_000) == WALL + timedelta(seconds=2)
    run.paused = True
    assert run.at(WALL + timedelta(hours=1)) == 60_000 and run.wall_of(180_000) is None
    scripted = DrillState(clock=SCRIPTED, anchor_ms=5_000, anchor_wall=WALL)
    assert scripted.at(WALL + timedelta(hours=1)) == 5_000


def test_a_pause_freezes_the_scenario_clock_that_other_terminals_read():
    drill = Drill(clock=LIVE)
    paused = on_wall_clock(drill.state, engine.pause("interrupted", drill.now, ACTOR), drill.wall)
    for event in paused:
        ev.apply(drill.state, event)
    stopped = drill.state.drill_run.anchor_ms
    later = DETECTED + timedelta(days=4)
    note = stamped_from_wall(drill.state, engine.note("still here", later, "leo"))
    assert note[0]["data"]["scenario_ms"] == stopped  # a day later on the wall: the clock stood still
    assert note[0]["ts"] == ev.format_ts(later)  # wall time, as logged


def test_an_event_stamped_behind_the_live_clock_never_pulls_it_back():
    from crisisplay.scenario.state import fold

    run = DrillState(clock=LIVE, speed=60, anchor_ms=0, anchor_wall=WALL)
    # 15 s on the wall at x60: the clock reads 15 minutes; an inject due at 2m is logged now
    at = WALL + timedelta(seconds=15)
    inject = {"type": ev.DRILL_INJECT, "data": {"inject": "i1", "source": "scenario", "scenario_ms": 120_000}}
    fold(run, inject, at)
    assert run.at(at) == 900_000 and run.fired == {"i1": 120_000}
    assert run.at(at + timedelta(seconds=1)) == 960_000  # and it runs on from there


def test_a_facilitator_inject_is_numbered_and_refused_outside_drills():
    drill = Drill()
    first = engine.facilitator_inject(drill.state, "  Legal is on a plane. ", drill.now, "facilitator")
    assert first[0]["data"] == {"inject": "f1", "source": "facilitator", "text": "Legal is on a plane.", "effects": {}}
    drill.log(first)
    assert engine.facilitator_inject(drill.state, "Again", drill.now, "f")[0]["data"]["inject"] == "f2"
    with pytest.raises(UsageError):
        engine.facilitator_inject(drill.state, "   ", drill.now, "f")
    real = ev.replay(drill.events[:1])
    real.drill = False
    with pytest.raises(UsageError):
        engine.facilitator_inject(real, "text", drill.now, "f")


def test_a_drill_logged_before_scenario_clocks_reads_as_before():
    drill = Drill()
    old = {**drill.events[0], "data": dict(drill.events[0]["data"])}
    for key in ("scenario_ms", "clock", "speed", "scenario", "scenario_source"):
        old["data"].pop(key)
    state = ev.replay([old])
    assert state.drill and state.drill_run is None and state.started_at == WALL


def test_a_resume_goes_on_from_the_last_scenario_time_even_after_a_run_that_died():
    from crisisplay.scenario.state import fold

    run = DrillState(clock=LIVE, speed=60, anchor_ms=120_000, anchor_wall=WALL)  # no pause logged: killed
    back = WALL + timedelta(minutes=10)  # ten wall minutes later (ten scenario hours at x60)
    resumed = {"type": ev.RESUMED, "data": {"responder": "ana", "clock": LIVE, "speed": 60, "scenario_ms": 120_000}}
    fold(run, resumed, back)
    assert run.at(back) == 120_000 and not run.paused
    assert run.at(back + timedelta(seconds=1)) == 180_000


def test_elapsed_milliseconds_are_exact_where_a_float_would_lose_one():
    """128.039 s is 128038.99999… ms as a float: a drill resumed 1 ms before the time it paused at
    (a flaky end-to-end test found it). `elapsed_ms` counts in integers, cut toward zero."""
    from datetime import UTC, datetime, timedelta

    from crisisplay.times import elapsed_ms

    start = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert int(timedelta(milliseconds=128_039).total_seconds() * 1000) == 128_038  # the float's answer
    assert elapsed_ms(start, start + timedelta(milliseconds=128_039)) == 128_039
    assert elapsed_ms(start, start + timedelta(microseconds=1_500)) == 1
    assert elapsed_ms(start, start - timedelta(microseconds=1_500)) == -1
