"""Stamping a drill's events with their scenario time as they are logged: the writer's side of
the scenario clock that scenario/state.py folds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisisplay.events import State
from crisisplay.times import elapsed_ms, format_ts, parse_ts


def on_wall_clock(state: State, events: list[dict[str, Any]], wall: datetime) -> list[dict[str, Any]]:
    """A drill run's events, computed on scenario time, as the log keeps them: their time moves into
    `data.scenario_ms` and `ts` becomes the wall time `wall`. Other incidents' events pass unchanged."""
    if state.drill_run is None:
        return events
    stamp = format_ts(wall)
    out = []
    for event in events:
        moment = event.get("ts")
        at = parse_ts(moment) if isinstance(moment, str) else moment if isinstance(moment, datetime) else None
        ms = state.drill_run.anchor_ms if at is None else max(0, elapsed_ms(state.detected_at, at))
        out.append({**event, "data": {**event["data"], "scenario_ms": ms}, "ts": stamp})
    return out


def stamped_from_wall(state: State, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events another terminal computed on the wall clock (a note, an approval, a facilitator's
    inject), with the scenario time the drill's clock shows at their `ts`."""
    if state.drill_run is None:
        return events
    out = []
    for event in events:
        moment = event.get("ts")
        ms = state.drill_run.at(parse_ts(moment)) if isinstance(moment, str) else state.drill_run.anchor_ms
        out.append({**event, "data": {**event["data"], "scenario_ms": ms}})
    return out
