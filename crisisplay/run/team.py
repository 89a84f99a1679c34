"""What other members of the team do to a running incident from their own terminals: assign a
role, change the severity, approve or reject a message waiting for approval.

Each command computes its events on the log's state as it stands and appends them with that
state's head, so two people acting at once never chain onto a state they did not see: the one
who comes second computes again on the newer state (`append_on`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.errors import AnswerError, IncidentClosed, UsageError
from crisisplay.events import Event, State
from crisisplay.i18n import _, joined
from crisisplay.incidents import load_state, refuse_erased
from crisisplay.personal import shown
from crisisplay.reading import InputTooLarge, read_input
from crisisplay.run.scenario_clock import stamped_from_wall
from crisisplay.store.base import HeadMoved
from crisisplay.times import now

ATTEMPTS = 50  # a note storm from eight terminals still lets a command through


@dataclass(frozen=True)
class Appended:
    """What a team command logged, and the state it was computed on."""

    state: State
    events: list[Event]

    @property
    def head(self) -> str | None:
        return self.events[-1]["hash"] if self.events else self.state.head


def append_on(log: Any, compute: Callable[[State], list[Event]]) -> Appended:
    """Compute events on the log's current state and append them only onto that state's head;
    when another writer got in first, compute again on the newer state."""
    for _attempt in range(ATTEMPTS):
        state = load_state(log)
        # What team members type (a name, a reason, an edit, an inject) is personal: refused once
        # the incident was purged or while its key is missing.
        refuse_erased(log, read=False)
        events = stamped_from_wall(state, compute(state))  # a drill's events carry their scenario time
        if not events:
            return Appended(state, [])
        try:
            return Appended(state, log.append(events, expect_head=state.head))
        except HeadMoved:
            continue
    raise UsageError(_("the incident's log kept moving; try again"))


def _open(state: State) -> None:
    if state.closed:
        raise IncidentClosed(_("incident {incident} is closed").format(incident=state.incident_id))


def assign_role(log: Any, role: str, person: str, actor: str, clock: Callable[[], datetime] = now) -> Appended:
    """`crisisplay assign`: `person` holds `role` (an open incident only)."""

    def compute(state: State) -> list[Event]:
        _open(state)
        return engine.assign(state, role, person, clock(), actor)

    return append_on(log, compute)


def change_severity(log: Any, level: str, reason: str, actor: str, clock: Callable[[], datetime] = now) -> Appended:
    """`crisisplay severity`: from any terminal, like a note, on any incident not closed."""
    if not reason.strip():
        raise UsageError(_("--reason is empty; say why the severity changes"))

    def compute(state: State) -> list[Event]:
        _open(state)
        try:
            return engine.change_severity(state, level, reason.strip(), clock(), actor)
        except AnswerError as err:  # a level the playbook has not: usage, not a paused run
            raise UsageError(str(err)) from None

    return append_on(log, compute)


def read_edit(path: Path) -> str:
    """`approve --edit FILE`: the text to approve instead, UTF-8, `-` for standard input."""
    import sys

    try:
        raw = read_input(sys.stdin.buffer if str(path) == "-" else path, "standard input")
    except OSError as err:
        raise UsageError(
            _("{path}: cannot read the edited message: {reason}").format(path=path, reason=err.strerror or err)
        ) from None
    except InputTooLarge as err:
        raise UsageError(
            _("{path}: the edited message is larger than {limit} bytes").format(path=path, limit=f"{err.limit:,}")
        ) from None
    try:
        return raw.decode("utf-8").strip("\n")
    except UnicodeDecodeError:
        raise UsageError(_("{path}: the edited message is not UTF-8 text").format(path=path)) from None


def approve(
    log: Any,
    step: str | None,
    person: str,
    actor: str,
    edited: str | None = None,
    clock: Callable[[], datetime] = now,
) -> Appended:
    """`crisisplay approve`: `person`, who holds a role the approval needs, approves (maybe edited)."""

    def compute(state: State) -> list[Event]:
        _open(state)
        approval = engine.approval_for(state, step)
        return engine.give_approval(state, approval, person, clock(), actor, edited=edited)

    return append_on(log, compute)


def reject(
    log: Any, step: str | None, person: str, reason: str, actor: str, clock: Callable[[], datetime] = now
) -> Appended:
    """`crisisplay reject`: the message goes back to the driver with the reason."""

    def compute(state: State) -> list[Event]:
        _open(state)
        approval = engine.approval_for(state, step)
        return engine.reject_approval(state, approval, person, reason, clock(), actor)

    return append_on(log, compute)


def approval_words(state: State, approval: dict[str, Any]) -> str:
    """Where an approval stands, in one line: who approved, who is still awaited."""
    from crisisplay.playbook.roles import person as person_words
    from crisisplay.playbook.roles import someone

    pb = state.playbook
    current = approval["message_hash"]
    given = {g["by"]: g for g in approval["given"] if g["message_hash"] == current}
    done = [person_words(pb, role, g["person"]) for role, g in given.items()]
    # In mid-sentence: "waiting for Marta Gil (your line manager) and the legal counsel".
    waiting = [someone(pb, role, state.roles.get(role)) for role in approval["by"] if role not in given]
    status = ev.approval_status(approval)
    if status == ev.APPROVED:
        return _("approved by {people}").format(people=joined(done))
    if status == ev.REJECTED:
        rejected = approval["rejected"]
        return _("rejected by {person}: {reason}").format(person=rejected["person"], reason=shown(rejected["reason"]))
    line = (
        _("waiting for one of {people}").format(people=joined(waiting, "or"))
        if approval["need"] == "any"
        else _("waiting for all of {people}").format(people=joined(waiting))
    )
    if done:
        line += "; " + _("approved so far by {people}").format(people=joined(done))
    return line


def inject(log: Any, text: str, actor: str, clock: Callable[[], datetime] = now) -> Appended:
    """`crisisplay inject`: a facilitator's inject from another terminal (an open drill only)."""

    def compute(state: State) -> list[Event]:
        if state.drill:
            _open(state)  # "not a drill" comes first, from facilitator_inject, even when closed
        return engine.facilitator_inject(state, text, clock(), actor)

    return append_on(log, compute)
