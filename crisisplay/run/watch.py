"""`crisisplay watch`: the live incident for a second responder, redrawn as events arrive.

It only reads: the header with its timers, where the run stands, the last decisions, the
approvals waited for and who holds which role. With no terminal it prints each new event as a
line instead, so a script (or a test) can follow an incident too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from crisisplay.display import visible
from crisisplay.events import PAUSED, STARTED, Event, State, apply, on_incident_clock, replay
from crisisplay.i18n import _
from crisisplay.narrative import describe
from crisisplay.times import now, parse_ts

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

RECENT = 6  # decisions shown under the header
TICK_S = 1.0  # the timers move on even when nothing is logged


def event_line(event: Event, state: State) -> str | None:
    """One event as a line of the watch: local time, who, what (None for bookkeeping events)."""
    words = describe(event, state.playbook)
    if words is None:
        return None
    at = parse_ts(on_incident_clock(state, event)["ts"]).astimezone().strftime("%H:%M:%S")  # a drill's on scenario time
    return f"{at} {event.get('actor')}: {words}"


class Watched:
    """An incident's state, kept up to date from its log."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self.lines: list[str] = []
        events = list(log.events(tolerate_torn=True))
        self.state = replay(events)
        for event in events:
            self._remember(event)

    def _remember(self, event: Event) -> str | None:
        line = event_line(event, self.state)
        if line is not None and event["type"] != STARTED:
            self.lines = [*self.lines[-(RECENT * 4) :], line]
        return line

    def new_events(self, timeout: float) -> list[Event]:
        """The events logged since the last look, waiting up to `timeout` seconds for one."""
        if not self.log.wait(self.state.count - 1, timeout):
            return []
        newer = [e for e in self.log.events(tolerate_torn=True) if e.get("seq", -1) >= self.state.count]
        for event in newer:
            apply(self.state, event)
            self._remember(event)
        return newer


def view(watched: Watched, moment: datetime, width: int) -> RenderableType:
    """The watch's screen: the header, where the run stands, the last decisions."""
    from rich.console import Group
    from rich.text import Text

    from crisisplay.narrative import log_words
    from crisisplay.run.header import header

    state = watched.state
    if state.drill_run is not None:  # a drill's timers run on its scenario clock
        moment = state.detected_at + timedelta(milliseconds=state.drill_run.at(moment))
    parts: list[RenderableType] = [header(state, moment, None if state.closed else state.pending, width=width)]
    if state.closed:
        where = _("Closed: {outcome}").format(outcome=log_words(state.close_reason or state.outcome))
    elif state.pending is not None and state.lifecycle == PAUSED:
        step = state.playbook.step(state.pending)
        where = _("Paused at {step} ({reason}); nobody is driving it").format(
            step=step.title or step.prompt or step.id, reason=log_words(state.pause_reason)
        )
    elif state.pending is not None:
        step = state.playbook.step(state.pending)
        where = _("Now: {step} — {responder} is on it").format(
            step=step.title or step.prompt or step.id, responder=state.responder
        )
    else:
        where = _("Now: between steps ({status})").format(status=log_words(state.lifecycle.split(".")[-1]))
    parts.append(Text(visible(where), style="bold"))
    if watched.lines:
        parts.append(Text(_("Last decisions:"), style="bold"))
        parts.extend(Text("  · " + visible(line)) for line in watched.lines[-RECENT:])
    parts.append(Text(_("Watching; Ctrl-C to stop."), style="dim"))
    return Group(*parts)


def watch_live(log: Any, console: Console, clock: Callable[[], datetime] = now) -> None:
    """Redraw the incident on the terminal as events arrive, until Ctrl-C."""
    from rich.live import Live

    watched = Watched(log)
    width = min(80, console.width)
    with Live(view(watched, clock(), width), console=console, auto_refresh=False, transient=False) as live:
        while True:
            watched.new_events(TICK_S)
            live.update(view(watched, clock(), width), refresh=True)


def watch_lines(log: Any, out: TextIO, recent: int = RECENT) -> None:
    """Print the last few events, then each new one as it arrives, until Ctrl-C."""
    watched = Watched(log)
    state = watched.state
    print(
        visible(
            _("Watching {incident} ({title}); Ctrl-C to stop.").format(
                incident=state.incident_id, title=state.playbook.title
            )
        ),
        file=out,
        flush=True,
    )
    for line in watched.lines[-recent:]:
        print(visible(line), file=out)
    out.flush()
    while True:
        for event in watched.new_events(TICK_S):
            shown = event_line(event, watched.state)
            if shown is not None:
                print(visible(shown), file=out, flush=True)
