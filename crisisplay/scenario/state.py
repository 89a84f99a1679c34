"""What a drill's log says of its scenario: the scenario clock, the injects fired, the roles out of reach.

Every event of a drill carries `data.scenario_ms`, its scenario time (milliseconds since
detection); `ts` stays wall time. The clock between events is a fold of the log, so any
terminal (the driver's run, `note`, `inject` from a facilitator's terminal) tells the same time:

- a **live** clock (an interactive drill) runs `speed` times faster than the wall from the last
  event: `last.scenario_ms + speed × (wall − last.ts)`; it stands still while the incident is
  paused (from `incident.paused` until `incident.resumed`);
- a **scripted** clock (an answers file) moves only with the answers: each answer sets it (its
  `at:`/`after:`, else one minute on), and between answers it stands still.

`events.apply` folds this for every event of a drill before it reads the event's time, so the
state, the targets and every view of a drill run on scenario time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from crisisplay.times import elapsed_ms

if TYPE_CHECKING:
    from crisisplay.scenario.model import Scenario

DRILL_INJECT = "drill.inject"
LIVE, SCRIPTED = "live", "scripted"
CLOCKS = (LIVE, SCRIPTED)
SCENARIO_SOURCE, FACILITATOR_SOURCE = "scenario", "facilitator"
MAX_SPEED = 3600
SCRIPTED_STEP_MS = 60_000  # a scripted answer without a time takes one minute of scenario time


@dataclass
class DrillState:
    """The scenario clock and injects of a drill, folded from its events."""

    scenario: Scenario | None = None  # None: a plain `start --drill`, with no injects
    speed: int = 1
    clock: str = LIVE
    anchor_ms: int = 0  # the scenario time of the last event…
    anchor_wall: datetime | None = None  # …and its wall time
    paused: bool = False
    fired: dict[str, int] = field(default_factory=dict)  # inject id -> scenario ms it fired at
    facilitator: int = 0  # injects typed by hand so far (`crisisplay inject`)
    answered: set[str] = field(default_factory=set)  # steps answered at least once
    unreachable: dict[str, tuple[int, str]] = field(default_factory=dict)  # role -> (until ms, inject id)

    def at(self, wall: datetime) -> int:
        """The scenario time (ms since detection) at wall time `wall`."""
        if self.clock != LIVE or self.paused or self.anchor_wall is None:
            return self.anchor_ms
        run = elapsed_ms(self.anchor_wall, wall) * self.speed
        return self.anchor_ms + max(0, run)

    def wall_of(self, scenario_ms: int) -> datetime | None:
        """When, on the wall clock, a live clock reaches `scenario_ms` (None: it does not run)."""
        if self.clock != LIVE or self.paused or self.anchor_wall is None:
            return None
        ahead = max(0, scenario_ms - self.anchor_ms)
        return self.anchor_wall + timedelta(milliseconds=ahead / self.speed)

    def unreachable_role(self, role: str, scenario_ms: int) -> str | None:
        """The inject that keeps `role` out of reach at `scenario_ms`, or None."""
        held = self.unreachable.get(role)
        return held[1] if held is not None and scenario_ms < held[0] else None

    def copy(self) -> DrillState:
        return DrillState(
            scenario=self.scenario,
            speed=self.speed,
            clock=self.clock,
            anchor_ms=self.anchor_ms,
            anchor_wall=self.anchor_wall,
            paused=self.paused,
            fired=dict(self.fired),
            facilitator=self.facilitator,
            answered=set(self.answered),
            unreachable=dict(self.unreachable),
        )


def drill_state(data: dict[str, Any]) -> DrillState:
    """The drill state an `incident.started` event's data begins with."""
    scenario = None
    if isinstance(data.get("scenario"), dict):
        scenario = snapshot_scenario(data["scenario"])
    speed = data.get("speed")
    clock = data.get("clock")
    return DrillState(
        scenario=scenario,
        speed=speed if type(speed) is int and 1 <= speed <= MAX_SPEED else 1,
        clock=clock if clock in CLOCKS else LIVE,
        anchor_ms=_ms(data.get("scenario_ms")),
    )


_SCENARIOS: dict[str, Scenario] = {}


def snapshot_scenario(snapshot: dict[str, Any]) -> Scenario:
    """The scenario of a snapshot, validated once per distinct snapshot text."""
    import json

    from crisisplay.scenario.model import Scenario

    key = json.dumps(snapshot, sort_keys=True)
    found = _SCENARIOS.get(key)
    if found is None:
        found = Scenario.model_validate(snapshot)
        if len(_SCENARIOS) >= 16:
            _SCENARIOS.pop(next(iter(_SCENARIOS)))
        _SCENARIOS[key] = found
    return found


# A scenario time read from a log is at most ten years: a larger one (an edited log) is read as
# that, so no clock's date arithmetic can overflow.
MAX_SCENARIO_MS = 10 * 366 * 86_400_000


def _ms(value: object) -> int:
    return min(value, MAX_SCENARIO_MS) if type(value) is int and value >= 0 else 0


_HOLDS_THE_CLOCK = ("incident.paused", "incident.resumed", "incident.handover")


def fold(drill: DrillState, event: dict[str, Any], wall: datetime) -> None:
    """Fold one event of a drill (its wall time `wall`) into the drill state."""
    kind, data = event["type"], event["data"]
    if "scenario_ms" in data:
        # Never back: an inject stamped at its due time, or a delivery's outcome computed a moment
        # earlier, must not pull the clock behind where it already stood at this wall time. A
        # resume starts the clock again from where the log left it: a run that died without
        # pausing (killed, a closed laptop) does not count the time it was down. A pause freezes the
        # clock at the time it logged: its wall stamp is taken a moment after that time was read,
        # and the clock must not run on into that moment.
        standing = drill.anchor_ms if kind in _HOLDS_THE_CLOCK else drill.at(wall)
        drill.anchor_ms, drill.anchor_wall = max(standing, _ms(data["scenario_ms"])), wall
    if kind == "incident.paused":
        drill.paused = True
    elif kind in ("incident.resumed", "incident.handover"):
        drill.paused = False
        if data.get("clock") in CLOCKS:
            drill.clock = data["clock"]
        if type(data.get("speed")) is int and 1 <= data["speed"] <= MAX_SPEED:
            drill.speed = data["speed"]
    elif kind == "step.answered" and event.get("step"):
        drill.answered.add(event["step"])
    elif kind == DRILL_INJECT:
        at = _ms(data.get("scenario_ms"))
        if data.get("inject") and data.get("source") == SCENARIO_SOURCE:
            drill.fired.setdefault(str(data["inject"]), at)
        else:
            drill.facilitator += 1
        effects = data.get("effects")
        unreachable = effects.get("unreachable") if isinstance(effects, dict) else None
        if isinstance(unreachable, dict):
            from crisisplay.playbook.model import parse_duration

            for role, span in unreachable.items():
                try:
                    drill.unreachable[role] = (at + parse_duration(str(span)), str(data.get("inject") or ""))
                except ValueError:
                    continue
