"""One run of an incident: the loop both front ends share, logging every decision before moving on.

The session asks the engine what comes next, asks the front end (terminal or answers file)
for the answer, asks the engine for that decision's events, and appends them to the journal
(one write, one fsync) before anything else is shown. The front end never decides what
comes next.
"""

from __future__ import annotations

import functools
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.errors import AnswerError, PlaybookError, TakenOver
from crisisplay.events import Event, State, apply
from crisisplay.i18n import _
from crisisplay.narrative import describe
from crisisplay.personal import kind_of, personal
from crisisplay.run.delivery import Deliveries, Reach, notice_title
from crisisplay.run.scenario_clock import on_wall_clock
from crisisplay.store.base import HeadMoved, IncidentLog

PAUSE_NO_ANSWER = "answers-ran-out"
PAUSE_ANSWER_ERROR = "answer-error"
PAUSE_RESPONDER = "responder"
PAUSE_INTERRUPTED = "interrupted"
PAUSE_PLAYBOOK_ERROR = "playbook-error"
PAUSE_AWAITING_APPROVAL = "awaiting-approval"
# Events by which another run takes the incident over: this one stops driving it.
TAKING_OVER = (ev.HANDOVER, ev.RESUMED)


class MissingAnswer(Exception):
    """The front end has no answer for this step (the answers file ran out)."""


class PauseRequested(Exception):
    """The responder chose to pause."""


class AwaitingApproval(Exception):
    """A message waits for approval, and this front end cannot wait for it (an answers file)."""


class Frontend(Protocol):
    def ask_input(self, session: Session, action: engine.AskInput) -> object: ...

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer: ...

    def logged(self, session: Session, events: list[Event]) -> None: ...

    def resumed(self, session: Session, events: list[Event]) -> None: ...

    def others(self, session: Session, events: list[Event]) -> None:
        """Show events another terminal logged (a note, a severity change, an approval)."""

    def told(self, session: Session, line: str) -> None:
        """Say one line to the responder (another terminal answered the step first)."""


@runtime_checkable
class AskingFrontend(Frontend, Protocol):
    """A front end that can explain a misfit and ask again (the terminal); others pause."""

    asks_again: bool

    def rejected(self, session: Session, error: AnswerError) -> None: ...


@runtime_checkable
class PlacingFrontend(Frontend, Protocol):
    """A front end whose answers are written somewhere (an answers file): an answer that does not
    fit is reported at its place there, `path:line:col:`."""

    def where(self, action: engine.AskInput | engine.AskStep) -> str | None: ...


@dataclass
class Outcome:
    """How a run ended: finished (`completed`), or paused with a reason."""

    incident_id: str
    finished: bool
    reason: str
    head: str | None
    state: State
    journal: IncidentLog

    def events(self) -> Iterator[Event]:
        """The incident's events as logged, streamed from the log."""
        return self.journal.events(tolerate_torn=True)


class Session:
    def __init__(
        self,
        journal: IncidentLog,
        state: State,
        frontend: Frontend,
        clock: Callable[[], datetime],
        actor: str,
        contacts: dict[str, Any] | None = None,
    ):
        self.journal = journal
        self.state = state
        self.frontend = frontend
        self.wall = clock  # the wall clock: every event's `ts`
        # The incident's clock, which the engine reads: the wall clock, or a drill's scenario time.
        self.clock: Callable[[], datetime] = self._incident_time
        self.scripted_ms: int | None = None  # a scripted drill's time for its next answer (ms since detection)
        self.actor = actor
        self.contacts = contacts or {}
        # The log's one writer: a delivery's outcome may arrive on the courier's thread.
        self._writing = threading.Lock()
        self.deliveries: Deliveries | None = None
        self.sent: dict[tuple[str, ...], str] = {}  # (step, role or channel) -> the key sent in this run
        self.lease: Any = None  # the store's LeaseHandle while this run holds the incident
        self._unseen: list[Event] = []  # events other terminals logged, not yet shown
        self._folded: list[Event] = []  # the latest events other terminals logged (to say who won a step)

    def log(self, events: list[Event]) -> list[Event]:
        """Append events that are not a decision (a note, a delivery's outcome) durably, then fold them
        into the state; when another terminal logged first, they go after its events."""
        return self.log_computed(lambda: events)

    def log_computed(self, compute: Callable[[], list[Event]]) -> list[Event]:
        """`log`, with the events computed again on the newer state when another terminal logged first."""
        while True:
            events = compute()
            if not events:
                return []
            try:
                logged = self._append(events)
            except HeadMoved:
                continue  # folded: compute again on the newer state
            if threading.current_thread() is threading.main_thread():
                self.frontend.logged(self, logged)  # a helper thread never prints: the header shows it
            return logged

    def _incident_time(self) -> datetime:
        """Now on the incident's clock: the wall clock, or in a drill the scenario time (as detection
        plus the scenario's milliseconds), which a scripted drill sets answer by answer."""
        run = self.state.drill_run
        if run is None:
            return self.wall()
        ms = run.at(self.wall())
        if self.scripted_ms is not None:
            ms = max(ms, self.scripted_ms)
        return self.state.detected_at + timedelta(milliseconds=ms)

    def after_injects(self) -> State:
        """A copy of the state as it will stand once the injects due by now are logged (nothing is
        logged): what an answer given now must fit."""
        probe = self.state.copy()
        due = engine.due_injects(probe, self.clock(), self.actor)
        for event in on_wall_clock(probe, due, self.wall()) if due else ():
            apply(probe, event)
        return probe

    def fire_injects(self) -> list[Event]:
        """Log a drill's injects due by now on the scenario clock (each at its own scenario time)."""
        return self.log_computed(lambda: engine.due_injects(self.state, self.clock(), self.actor))

    def _append(self, events: list[Event]) -> list[Event]:
        """Append onto the head the state knows, or fold the newer events in and raise HeadMoved."""
        # Ctrl-C waits until the decision is on disk: an acknowledged answer is never half-written.
        blocked = _block_sigint()
        try:
            with self._writing:
                # A drill's events were computed on scenario time: it goes into `scenario_ms`, and `ts`
                # is the wall's, stamped under the lock so no other thread's event slips in between.
                if self.state.drill_run is not None:
                    events = on_wall_clock(self.state, events, self.wall())
                try:
                    logged = self.journal.append(events, expect_head=self.state.head)
                except HeadMoved as moved:
                    self._fold(moved.newer)
                    raise
                for event in logged:
                    apply(self.state, event)
        finally:
            _restore_sigint(blocked)
        if self.state.drill_run is not None:
            from crisisplay.run.injects import deliver_injects

            deliver_injects(self, logged)  # with --notify, on the `[drill]` channel too
        return logged

    def _fold(self, newer: list[Event]) -> None:
        """Fold events another terminal logged (the writing lock is held); shown at the next prompt."""
        for event in newer:
            if event.get("seq", -1) >= self.state.count:
                apply(self.state, event)
                self._unseen.append(event)
                self._folded = [*self._folded[-50:], event]

    def refresh(self) -> list[Event]:
        """Read what other terminals logged since this run last looked, fold it in, and show it."""
        blocked = False  # Ctrl-C waits only while newer events are folded in: reading the head changes nothing
        try:
            with self._writing:
                if self.journal.head_hash() != self.state.head:
                    blocked = _block_sigint()
                    self._fold([e for e in self.journal.events(tolerate_torn=True) if e["seq"] >= self.state.count])
                unseen, self._unseen = self._unseen, []
        finally:
            _restore_sigint(blocked)
        if unseen and threading.current_thread() is threading.main_thread():
            self.frontend.others(self, unseen)
        return unseen

    def request_approval(self, step_id: str, text: str, notice: bool = True) -> None:
        """Ask the step's approvers to approve `text` (once per text), and send them a notice where
        delivery is configured (not with `notice` false: a drill's answers file approves at once)."""
        logged = self.log_computed(lambda: engine.request_approval(self.state, step_id, text, self.clock(), self.actor))
        if not logged or not notice or self.deliveries is None or not self.deliveries.reach.live:
            return
        from crisisplay.run.delivery import notice_title

        step = self.state.playbook.step(step_id)
        body = _("Approval needed before it is sent:\n\n{text}\n\nApprove: {approve}\nReject: {reject}").format(
            text=text,
            approve=f"crisisplay approve {self.state.incident_id} {step_id}",
            reject=f'crisisplay reject {self.state.incident_id} {step_id} --reason "…"',
        )
        body = personal(body, kind_of(logged[0]["data"]["text"]))  # its hash is sealed when the text is
        for role in logged[0]["data"]["by"]:
            if self.deliveries.reach.for_role(role):
                self.deliveries.send(self.next_delivery_key(), step_id, {"role": role}, notice_title(self, step), body)

    def deliver_with(self, reach: Reach, courier_factory: Callable[..., Any] | None = None) -> Deliveries:
        """From now on the run may send to what `reach` names; outcomes are logged through `log`."""
        self.deliveries = Deliveries(reach, self.log, self.clock, self.actor, courier_factory)
        self.deliveries.warm()
        return self.deliveries

    def next_delivery_key(self) -> str:
        """A delivery key no earlier delivery of the incident used (`d1`, `d2`, …)."""
        return f"d{len(self.state.deliveries) + 1}"

    def deliver(self, step_id: str, to: dict[str, str], text: str, replaces: str | None = None) -> str:
        """Send `text` to a role or channel for the step now; its delivery key. Remembered for this
        run, so the step does not offer to send the same thing to the same recipient twice."""
        assert self.deliveries is not None
        key = self.next_delivery_key()
        step = self.state.playbook.step(step_id)
        self.deliveries.send(key, step_id, to, notice_title(self, step), text, replaces=replaces)
        self.sent[(step_id, *to.values())] = key
        return key

    def leave_unknown(self, delivery: dict[str, Any]) -> None:
        """The responder chose not to send again a delivery whose outcome nobody saw: say so in the log."""
        assert self.deliveries is not None
        self.deliveries.leave_unknown(delivery)

    def settle(self) -> None:
        """Wait for deliveries in flight, so their outcomes are logged before a pause or the close."""
        if self.deliveries is not None:
            self.deliveries.settle()

    # Responder actions available at any prompt (the terminal offers them).
    def note(self, text: str) -> None:
        self.log_computed(lambda: engine.note(text, self.clock(), self.actor, self.state.pending))

    def change_severity(self, to: str, reason: str) -> None:
        self.log_computed(lambda: engine.change_severity(self.state, to, reason, self.clock(), self.actor))

    def run(self) -> Outcome:
        """Run until the playbook ends or the run pauses; every answer is logged before the next prompt.

        A decision's events and what they lead to (skips by condition, entering the next step,
        the close) go to the log in one write and one fsync, and only onto the head they were
        computed on: when another terminal logged first, its events are folded in and the
        decision is computed again, unless it answered the same step (then this run says who did).
        """
        try:
            action = self._next()
            while not isinstance(action, engine.Finished):
                self.refresh()
                if not self._still(action):  # another terminal moved the run on meanwhile
                    action = self._next()
                    continue
                compute = self._decision(action)
                action = self._commit(action, compute)
            return self._outcome(True, action.outcome)
        except MissingAnswer:
            return self._pause(PAUSE_NO_ANSWER)
        except PauseRequested:
            return self._pause(PAUSE_RESPONDER)
        except AwaitingApproval:
            return self._pause(PAUSE_AWAITING_APPROVAL)
        except AnswerError:
            self._pause(PAUSE_ANSWER_ERROR)
            raise
        except PlaybookError:
            # A template the sandbox refused: nothing was sent; the incident waits, paused.
            self._pause(PAUSE_PLAYBOOK_ERROR)
            raise
        except (KeyboardInterrupt, EOFError):
            # Ctrl-D at a prompt ends the input like Ctrl-C: the incident waits, paused.
            self._pause(PAUSE_INTERRUPTED)
            raise KeyboardInterrupt from None

    def _next(self) -> engine.Action:
        """What comes next, its events (skips, entering the step) logged."""
        while True:
            events, action = engine.advance(self.state, self.clock(), self.actor)
            if not events:
                return action
            try:
                self._append(events)
            except HeadMoved as moved:
                self._check_driving(moved.newer)
                continue
            self.frontend.logged(self, events)
            return action

    def _still(self, action: engine.Action) -> bool:
        """Whether `action` is still what the run waits for (another terminal may have answered it)."""
        if isinstance(action, engine.AskInput):
            return action.name not in self.state.variables
        if isinstance(action, engine.AskStep):
            return self.state.pending == action.step_id and self.state.visit_of(action.step_id) == action.visit
        return not self.state.closed

    def _commit(self, action: engine.AskInput | engine.AskStep, compute: Callable[[], list[Event]]) -> engine.Action:
        """Log a decision onto the head it was computed on; what comes next."""
        while True:
            if self._lease_lost():  # taken over meanwhile: say what the new driver did, then stop
                self.refresh()
                self.told_who_won(action, self._folded)
                self._check_driving(self._folded)
                self._check_lease()
            if not self._still(action):  # decided from another terminal while this one was asking
                self.told_who_won(action, self._folded)
                self._check_driving(self._folded)
                return self._next()
            decision = compute()
            scratch = self.state.copy()
            for event in decision:
                apply(scratch, event)
            following, after = engine.advance(scratch, self.clock(), self.actor)
            if isinstance(after, engine.Finished):
                self.settle()  # every outcome before the close
            try:
                logged = self._append(decision + following)
            except HeadMoved as moved:
                if self._still(action) and not self._taking_over(moved.newer):
                    continue  # only notes, a severity, deliveries, roles: compute again and log
                self.told_who_won(action, self._folded)
                self._check_driving(self._folded)
                return self._next()
            self.frontend.logged(self, logged)
            return after

    def told_who_won(self, action: engine.AskInput | engine.AskStep, newer: list[Event]) -> None:
        """Tell the responder, in one line, that another terminal decided this first, and what."""
        from crisisplay.times import parse_ts

        step = action.step_id if isinstance(action, engine.AskStep) else None
        won = next(
            (
                e
                for e in newer
                if (
                    isinstance(action, engine.AskStep)
                    and e.get("step") == step
                    and e["type"] in (ev.STEP_ANSWERED, ev.STEP_SKIPPED)
                    and e["data"].get("visit") == action.visit
                )
                or (
                    isinstance(action, engine.AskInput)
                    and e["type"] == ev.INPUT_SET
                    and e["data"].get("name") == action.name
                )
            ),
            None,
        )
        if won is None:
            return
        at = parse_ts(won["ts"]).astimezone().strftime("%H:%M")
        words = describe(won, self.state.playbook) or ""
        answer = words.split(": ", 1)[1] if ": " in words else words
        self.frontend.told(
            self,
            _("{person} answered this step at {time}: {answer}").format(
                person=won.get("actor"), time=at, answer=answer
            ),
        )

    def _taking_over(self, newer: list[Event]) -> bool:
        return any(e["type"] in TAKING_OVER and e.get("actor") != self.actor for e in newer)

    def _check_driving(self, newer: list[Event]) -> None:
        """Stop (TakenOver, exit 3) when another run took the incident over, or the lease was lost."""
        taking = next((e for e in newer if e["type"] in TAKING_OVER and e.get("actor") != self.actor), None)
        if taking is not None:
            raise TakenOver(
                _("{person} took over incident {incident}; this terminal no longer drives it").format(
                    person=taking.get("actor"), incident=self.state.incident_id
                )
            )
        if any(e["type"] == ev.CLOSED for e in newer):
            raise TakenOver(
                _("incident {incident} was closed from another terminal").format(incident=self.state.incident_id)
            )
        self._check_lease()

    def still_driving(self) -> bool:
        """Whether this terminal still drives the incident: its lease held, and no other run has
        taken it over in what this run has read of the log."""
        return not self._lease_lost() and not self._taking_over(self._folded)

    def _lease_lost(self) -> bool:
        return self.lease is not None and bool(getattr(self.lease, "lost", False))

    def _check_lease(self) -> None:
        if self._lease_lost():
            raise TakenOver(
                _("this terminal lost its hold on incident {incident} (another responder took it over)").format(
                    incident=self.state.incident_id
                )
            )

    def _decision(self, action: engine.AskInput | engine.AskStep) -> Callable[[], list[Event]]:
        """How to compute the events of the answer to `action` on the state as it stands; a front end
        that can ask again does, on a misfit."""
        while True:
            try:
                if isinstance(action, engine.AskInput):
                    raw = self.frontend.ask_input(self, action)

                    compute = functools.partial(self._set_input, action.name, raw)

                else:
                    answer = self.frontend.ask_step(self, action)

                    compute = functools.partial(self._decide, action.step_id, answer)

                # An answer that does not fit is refused now, before anything is logged.
                return _reusing(compute(), self.state, compute)
            except AnswerError as err:
                frontend = self.frontend
                if isinstance(frontend, AskingFrontend) and frontend.asks_again:
                    frontend.rejected(self, err)
                    continue
                where = frontend.where(action) if isinstance(frontend, PlacingFrontend) else None
                if where is None or str(err).startswith(f"{where.rsplit(':', 2)[0]}:"):
                    raise  # not from a file, or placed already (an `at:` out of order names its own)
                raise AnswerError(f"{where}: {err}") from None

    def _set_input(self, name: str, raw: object) -> list[Event]:
        return engine.set_input(self.state, name, raw, self.clock(), self.actor)

    def _decide(self, step_id: str, answer: engine.Answer) -> list[Event]:
        return engine.decide(self.state, step_id, answer, self.clock(), self.actor, self.contacts)

    def _pause(self, reason: str) -> Outcome:
        self.settle()  # every outcome before the pause
        self.log(engine.pause(reason, self.clock(), self.actor))
        return self._outcome(False, reason)

    def _outcome(self, finished: bool, reason: str) -> Outcome:
        return Outcome(self.state.incident_id, finished, reason, self.state.head, self.state, self.journal)


def _reusing(events: list[Event], state: State, compute: Callable[[], list[Event]]) -> Callable[[], list[Event]]:
    """`compute`, whose first call returns `events` (computed already, to check the answer) while the
    state has not moved since: nothing was folded in meanwhile, so computing them again would only
    read the clock again. Any later call, or one after the state moved, computes afresh."""
    count, head = state.count, state.head
    first: list[Event] | None = events

    def again() -> list[Event]:
        nonlocal first
        events, first = first, None
        if events is not None and state.count == count and state.head == head:
            return events
        return compute()

    return again


def _block_sigint() -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return True


def _restore_sigint(blocked: bool) -> None:
    if blocked:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
