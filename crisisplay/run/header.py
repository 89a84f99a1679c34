"""The header shown before every step: who, what, how bad, how long, and where the run is.

Pure functions of the incident state and a time, so the colours and the time-left text at
each threshold are tested with a fixed clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crisisplay.display import visible
from crisisplay.engine import levels_of
from crisisplay.events import LEAD, Event, State
from crisisplay.i18n import _
from crisisplay.narrative import log_words
from crisisplay.notify.reasons import failure_words
from crisisplay.playbook.model import format_duration
from crisisplay.run.delivery import recipient
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


def _clock_span(ms: int) -> str:
    """A clock's span in hours and minutes, however long: `71h 58m`, `47m`, `30s` (a 72-hour
    deadline reads in hours, as the law that sets it does)."""
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return f"{seconds}s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes}m"
    return f"{hours}h {minutes}m" if minutes else f"{hours}h"


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
            verdict = _("met") if met else _("missed by {span}").format(span=_span(reached - target))
            text = _("{label} ✓ at {span} ({verdict})").format(label=label, span=_span(reached), verdict=verdict)
            out.append(TargetStatus(name, text, GREEN if met else RED))
            continue
        left = target - elapsed
        if left < 0:
            text = _("{label}: missed {span} ago (target {target})").format(
                label=label, span=_span(-left), target=format_duration(target)
            )
            out.append(TargetStatus(name, text, RED))
        else:
            style = AMBER if left < target * AMBER_FRACTION else GREEN
            # A countdown rounds up to the minute: "30m left" at the start, never "29m".
            shown = left if left < 60_000 or left % 60_000 == 0 else left - left % 60_000 + 60_000
            text = _("{label}: {span} left (target {target})").format(
                label=label, span=_span(shown), target=format_duration(target)
            )
            out.append(TargetStatus(name, text, style))
    return out


def clock_statuses(state: State, now: datetime) -> list[TargetStatus]:
    """Each deadline that has started (due in, overdue by, met) and when the next update is due."""
    from crisisplay import clocks

    pb, out = state.playbook, []
    for status in clocks.deadline_statuses(pb, state.clocks, now):
        label = status.label
        if status.status == clocks.NOT_STARTED:
            continue
        if status.status in (clocks.MET, clocks.MISSED):
            late = status.left_ms is not None and status.left_ms < 0
            text = (
                _("{label}: met, {span} late").format(label=label, span=_clock_span(-(status.left_ms or 0)))
                if late
                else _("{label}: met").format(label=label)
            )
            out.append(TargetStatus(status.name, text, RED if late else GREEN))
        elif status.left_ms is None:  # the chosen option gave no duration
            out.append(TargetStatus(status.name, _("{label}: open").format(label=label), GREEN))
        elif status.left_ms < 0:
            text = _("{label}: overdue by {span}").format(label=label, span=_clock_span(-status.left_ms))
            out.append(TargetStatus(status.name, text, RED))
        else:
            within = status.within_ms or 0
            style = AMBER if status.left_ms < within * AMBER_FRACTION else GREEN
            text = _("{label}: due in {span}").format(label=label, span=_clock_span(_rounded_up(status.left_ms)))
            out.append(TargetStatus(status.name, text, style))
    following = None if state.closed else clocks.next_update(pb, state.clocks, state.severity, now)
    if following is not None:
        if following.left_ms < 0:
            text, style = _("Next update overdue by {span}").format(span=_clock_span(-following.left_ms)), RED
        else:
            left = following.left_ms
            style = AMBER if left < following.every_ms * AMBER_FRACTION else GREEN
            text = _("Next update due in {span}").format(span=_clock_span(_rounded_up(left)))
        out.append(TargetStatus("cadence", text, style))
    return out


def outcome_line(state: State) -> str | None:
    """`Monitor only: <reason>` once the responder decided the public part is over."""
    if not state.clocks.monitor_only:
        return None
    return _("Monitor only: {reason}").format(reason=(state.clocks.outcome or {}).get("reason", ""))


def _rounded_up(left: int) -> int:
    """A countdown rounds up to the minute: "30m left" at the start, never "29m"."""
    return left if left < 60_000 or left % 60_000 == 0 else left - left % 60_000 + 60_000


def position_text(state: State, step_id: str | None) -> str:
    """Where the responder is: `Phase 2/5 · Containment · step 3 of 7`."""
    pb = state.playbook
    if step_id is None:
        return _("The incident is closed") if state.closed else _("Before the first step: the facts of the incident")
    phase = pb.phase_of[step_id]
    p = next(i for i, ph in enumerate(pb.phases, 1) if ph.id == phase.id)
    s = next(i for i, st in enumerate(phase.steps, 1) if st.id == step_id)
    return _("Phase {phase}/{phases} · {title} · step {step} of {steps}").format(
        phase=p, phases=len(pb.phases), title=phase.title, step=s, steps=len(phase.steps)
    )


def delivery_state(delivery: dict[str, Any]) -> str:
    """`sending`, `delivered`, `failed: <reason>`, or `outcome unknown` after a stopped run."""
    status = delivery.get("status")
    if status == "sent":
        return _("delivered")
    if status == "failed":
        return _("failed: {reason}").format(reason=failure_words(delivery.get("error")))
    if status == "unknown":
        return _("outcome unknown (the run stopped while it was being sent)")
    return _("sending")


def delivery_lines(state: State, count: int = 3) -> list[tuple[str, str]]:
    """The last few deliveries for the header: who, how, and where each one stands."""
    pb = state.playbook
    lines = []
    for delivery in list(state.deliveries.values())[-count:]:
        who = recipient(pb, delivery)
        via = delivery.get("service") or "?"
        where = delivery_state(delivery)
        style = {"sent": "green", "failed": "red"}.get(delivery.get("status", ""), "yellow")
        lines.append((_("{who} via {service}: {state}").format(who=who, service=via, state=where), style))
    return lines


def roles_line(state: State) -> str | None:
    """Who holds which role, in the playbook's words (`Ana (incident lead) · Marta (your line
    manager)`); None while only the one who started it leads it."""
    from crisisplay.playbook.roles import person as person_words

    if list(state.roles.items()) == [(LEAD, state.responder)] or not state.roles:
        return None
    return " · ".join(person_words(state.playbook, role, name) for role, name in state.roles.items())


def approval_lines(state: State) -> list[str]:
    """Each approval still waited for: the step, and whom it waits for (none once the incident is closed)."""
    from crisisplay.run.team import approval_words

    if state.closed:
        return []
    return [
        _("{step}: {status}").format(step=approval["step"], status=approval_words(state, approval))
        for approval in state.pending_approvals()
    ]


def header(state: State, now: datetime, step_id: str | None, width: int = 80) -> Panel:
    """The header as a rich renderable, `width` columns wide (80 at most)."""
    from rich.panel import Panel
    from rich.text import Text

    kind = (
        Text(_(" DRILL "), style="bold black on cyan") if state.drill else Text(_(" REAL "), style="bold white on red")
    )
    body = Text()
    body.append_text(kind)
    body.append(f" {visible(state.playbook.title)}\n", style="bold")
    level = visible(state.playbook.severity.label(state.severity)).upper()
    body.append(_("Severity {level}").format(level=level), style=_severity_style(state))
    since = _span(elapsed_ms(state.detected_at, now))
    body.append(" · " + _("{span} since detection").format(span=since) + "\n")
    for target in target_statuses(state, now):
        body.append("● ", style=target.style)
        body.append(target.text + "\n", style=target.style)
    for clock in clock_statuses(state, now):
        body.append("● ", style=clock.style)
        body.append(visible(clock.text) + "\n", style=clock.style)
    monitor = outcome_line(state)
    if monitor:
        body.append(visible(monitor) + "\n", style="bold")
    for line, style in delivery_lines(state):
        body.append("✉ ", style=style)
        body.append(visible(line) + "\n", style=style)
    roles = roles_line(state)
    if roles:
        body.append(visible(roles) + "\n", style="dim")
    for line in approval_lines(state):
        body.append("⏳ ", style=AMBER)
        body.append(visible(line) + "\n", style=AMBER)
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
    text.append(
        _("Incident {incident}: {outcome}").format(
            incident=state.incident_id, outcome=log_words(state.outcome) or state.lifecycle
        )
        + "\n",
        style="bold",
    )
    text.append(
        _("Duration {span} since detection · final severity {level}").format(
            span=_span(elapsed_ms(state.detected_at, end)), level=state.playbook.severity.label(state.severity)
        )
        + "\n"
    )
    for target in target_statuses(state, end):
        if target.name not in state.milestones:
            # The run is over: a target still open was not reached, however much time was left.
            target = TargetStatus(
                target.name,
                _("{label}: not reached (target {target})").format(
                    label=state.playbook.milestone_label(target.name),
                    target=format_duration(state.playbook.target_ms(target.name) or 0),
                ),
                RED if target.style == RED else AMBER,
            )
        text.append(f"● {target.text}\n", style=target.style)
    text.append(
        _("Messages sent: {sent} · people reached: {reached} · not reached: {unreachable}").format(
            sent=sent, reached=reached, unreachable=unreachable
        )
    )
    return text
