"""A drill's injects as a run shows and delivers them: the line or banner a responder sees, the
timer that fires them while a prompt is open, and their delivery on the `[drill]` channel.

The engine decides which injects are due (`engine.due_injects`) and the session logs them
(`Session.fire_injects`); this module only puts them in front of people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from crisisplay import engine
from crisisplay.errors import CrisisplayError
from crisisplay.events import Event
from crisisplay.i18n import _
from crisisplay.playbook.model import format_duration
from crisisplay.scenario.state import DRILL_INJECT, FACILITATOR_SOURCE

if TYPE_CHECKING:
    from prompt_toolkit.application import Application

    from crisisplay.run.session import Session

TICK_S = 0.25  # how often an open prompt looks for an inject now due (wall time)
LOOK_EVERY = 2  # …and, every this many ticks, for one another terminal logged (a facilitator's)
DRILL_CHANNEL = "drill"  # the recipient a delivered inject is logged for: `#drill`


def inject_title(event: Event) -> str:
    """Who an inject comes from and when, on the scenario clock: `Drill inject i2 · 10m`."""
    data = event["data"]
    at = data.get("scenario_ms")
    when = format_duration(at) if type(at) is int else "?"
    if data.get("source") == FACILITATOR_SOURCE:
        return _("Facilitator's inject {inject} · {time}").format(inject=data.get("inject"), time=when)
    return _("Drill inject {inject} · {time}").format(inject=data.get("inject"), time=when)


def inject_line(event: Event) -> str:
    """A `drill.inject` as one line: its title and its text."""
    return f"{inject_title(event)}: {event['data'].get('text', '')}"


def injects_in(events: list[Event]) -> list[Event]:
    return [e for e in events if e["type"] == DRILL_INJECT]


def deliver_injects(session: Session, events: list[Event]) -> None:
    """With --notify in a drill, send each inject the run logged to the `[drill]` targets too."""
    deliveries = session.deliveries
    if deliveries is None or not deliveries.reach.live or not deliveries.reach.drill_targets:
        return
    for event in injects_in(events):
        data = event["data"]
        title = _("{playbook}: {inject} ({incident})").format(
            playbook=session.state.playbook.title, inject=inject_title(event), incident=session.state.incident_id
        )
        to = {"channel": DRILL_CHANNEL, "inject": str(data.get("inject"))}
        text = data.get("text")  # a facilitator's text stays personal, so its hash is sealed
        deliveries.send(session.next_delivery_key(), None, to, title, text if isinstance(text, str) else "")


def news_waiting(session: Session, look: bool) -> bool:
    """Whether an inject is due on the scenario clock (or, with `look`, another terminal logged).
    A terminal that no longer drives the incident (taken over, lease lost) fires nothing."""
    state = session.state
    if state.closed or state.drill_run is None or not session.still_driving():
        return False
    if engine.due_injects(state, session.clock(), session.actor):
        return True
    if look:
        digest = session.journal.head_hash()
        return digest != state.head
    return False


def prompt_ticker(session: Session, show: Callable[[], None]) -> Callable[[Application[Any]], None]:
    """What to attach to every prompt of a drill: a task on the prompt's own event loop (the main
    thread) that, when an inject falls due or another terminal logged, runs `show` in the terminal
    above the prompt (prompt_toolkit's `run_in_terminal`: the prompt is hidden, `show` logs and
    prints, the prompt is drawn again with what the responder had typed)."""

    def attach(app: Application[Any]) -> None:
        async def tick() -> None:
            import asyncio

            from prompt_toolkit.application import run_in_terminal

            count = 0
            while True:
                await asyncio.sleep(TICK_S)
                count += 1
                try:
                    waiting = news_waiting(session, look=count % LOOK_EVERY == 0)
                except (CrisisplayError, OSError):
                    # the store could not be read (a network blip, the log moved): the ticker stops
                    # here, and the answer's own write says what is wrong in one line, as usual
                    return
                if waiting:
                    await run_in_terminal(show)

        def start() -> None:
            app.create_background_task(tick())

        app.pre_run_callables.append(start)

    return attach
