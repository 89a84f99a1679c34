"""The header shown before every step: who, what, how bad, how long, and where the run is.

Pure functions of the incident state and a time, so the colours and the time-left text at
each threshold are tested with a fixed clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crisisplay.display import visible
from crisisplay.engine import levels_of
from crisisplay.events import Event, State
from crisisplay.playbook.model import format_duration
from crisisplay.times import elapsed_ms

if TYPE_CHECKING:
    from rich.panel import Panel
    from rich.text import Text

GREEN, AMBER, RED = "green", "yellow", "red"
AMBER_FRACTION = 0.25  # amber when less than a quarter of the target is left


@dataclass(frozen=True)
class TargetStatus:
    name: str
    text: str
    style: str


def _span(ms: int) -> str:
    """A short human span: 45s, 12m, 1h05m, 2d3h."""
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def target_statuses(state: State, now: datetime) -> list[TargetStatus]:
    """Each response-time target: time left, how long ago it was missed, or when it was met."""
    out: list[TargetStatus] = []
    elapsed = elapsed_ms(state.detected_at, now)
    for name in state.playbook.targets:
        target = state.playbook.target_ms(name)
        if target is None:  # every name in `targets` has a duration
            continue
        reached = state.milestones.get(name)
        label = state.playbook.milestone_label(name)
        if reached is not None:
            met = reached <= target
            verdict = "met" if met else f"missed by {_span(reached - target)}"
            out.append(TargetStatus(name, f"{label} ✓ at {_span(reached)} ({verdict})", GREEN if met else RED))
            continue
        left = target - elapsed
        if left < 0:
            out.append(
                TargetStatus(name, f"{label}: missed {_span(-left)} ago (target {format_duration(target)})", RED)
            )
        else:
            style = AMBER if left < target * AMBER_FRACTION else GREEN
            # A countdown rounds up to the minute: "30m left" at the start, never "29m".
            shown = left if left < 60_000 or left % 60_000 == 0 else left - left % 60_000 + 60_000
            out.append(TargetStatus(name, f"{label}: {_span(shown)} left (target {format_duration(target)})", style))
    return out


def position_text(state: State, step_id: str | None) -> str:
    """Where the responder is: `Phase 2/5 · Containment · step 3 of 7`."""
    pb = state.playbook
    if step_id is None:
        return "Before the first step: the facts of the incident"
    phase = pb.phase_of[step_id]
    p = next(i for i, ph in enumerate(pb.phases, 1) if ph.id == phase.id)
    s = next(i for i, st in enumerate(phase.steps, 1) if st.id == step_id)
    return f"Phase {p}/{len(pb.phases)} · {phase.title} · step {s} of {len(phase.steps)}"


def header(state: State, now: datetime, step_id: str | None, width: int = 80) -> Panel:
    """The header as a rich renderable, `width` columns wide (80 at most)."""
    from rich.panel import Panel
    from rich.text import Text

    kind = Text(" DRILL ", style="bold black on cyan") if state.drill else Text(" REAL ", style="bold white on red")
    body = Text()
    body.append_text(kind)
    body.append(f" {visible(state.playbook.title)}\n", style="bold")
    body.append(
        f"Severity {visible(state.playbook.severity.label(state.severity)).upper()}", style=_severity_style(state)
    )
    body.append(f" · {_span(elapsed_ms(state.detected_at, now))} since detection\n")
    for target in target_statuses(state, now):
        body.append("● ", style=target.style)
        body.append(target.text + "\n", style=target.style)
    body.append(visible(position_text(state, step_id)), style="bold")
    phase = state.playbook.phase_of.get(step_id) if step_id else None
    if phase is not None and phase.summary and phase.steps[0].id == step_id:
        body.append("\n" + visible(" ".join(phase.summary.split())), style="italic")  # entering the phase
    return Panel(body, title=Text(visible(state.incident_id)), title_align="left", width=min(width, 80), padding=(0, 1))


def _severity_style(state: State) -> str:
    levels = levels_of(state.playbook)
    rank = levels.index(state.severity) if state.severity in levels else 0
    top = len(levels) - 1
    if top and rank == top:
        return "bold red"
    if top and rank * 2 >= top:
        return "bold yellow"
    return "bold"


def run_summary(state: State, events: Iterable[Event], now: datetime) -> Text:
    """The end of a run: duration, final severity, each target, messages sent, people reached."""
    from rich.text import Text

    from crisisplay.metrics import measure

    try:
        metrics = measure(events)
    except ValueError:  # no events to count (only a state was given)
        sent = reached = unreachable = 0
    else:
        sent = len(metrics.messages)
        people, missed = metrics.people  # people, not calls: a loop that calls twice counts once
        reached, unreachable = len(people), len(missed)
    end = state.last_ts or now
    text = Text()
    text.append(f"Incident {state.incident_id}: {state.outcome or state.lifecycle}\n", style="bold")
    text.append(
        f"Duration {_span(elapsed_ms(state.detected_at, end))} since detection · final severity "
        f"{state.playbook.severity.label(state.severity)}\n"
    )
    for target in target_statuses(state, end):
        if target.name not in state.milestones:
            # The run is over: a target still open was not reached, however much time was left.
            target = TargetStatus(
                target.name,
                f"{state.playbook.milestone_label(target.name)}: not reached (target "
                f"{format_duration(state.playbook.target_ms(target.name) or 0)})",
                RED if target.style == RED else AMBER,
            )
        text.append(f"● {target.text}\n", style=target.style)
    text.append(f"Messages sent: {sent} · people reached: {reached} · not reached: {unreachable}")
    return text
