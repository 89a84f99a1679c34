"""One run of an incident: the loop both front ends share, logging every decision before moving on.

The session asks the engine what comes next, asks the front end (terminal or answers file)
for the answer, asks the engine for that decision's events, and appends them to the journal
(one write, one fsync) before anything else is shown. The front end never decides what
comes next.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from crisisplay import engine
from crisisplay.errors import AnswerError, PlaybookError
from crisisplay.events import Event, State, apply
from crisisplay.run.delivery import Deliveries, Reach
from crisisplay.store.base import IncidentLog

PAUSE_NO_ANSWER = "answers-ran-out"
PAUSE_ANSWER_ERROR = "answer-error"
PAUSE_RESPONDER = "responder"
PAUSE_INTERRUPTED = "interrupted"
PAUSE_PLAYBOOK_ERROR = "playbook-error"


class MissingAnswer(Exception):
    """The front end has no answer for this step (the answers file ran out)."""


class PauseRequested(Exception):
    """The responder chose to pause."""


class Frontend(Protocol):
    def ask_input(self, session: Session, action: engine.AskInput) -> object: ...

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer: ...

    def logged(self, session: Session, events: list[Event]) -> None: ...

    def resumed(self, session: Session, events: list[Event]) -> None: ...


@runtime_checkable
class AskingFrontend(Frontend, Protocol):
    """A front end that can explain a misfit and ask again (the terminal); others pause."""

    asks_again: bool

    def rejected(self, session: Session, error: AnswerError) -> None: ...


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
        self.clock = clock
        self.actor = actor
        self.contacts = contacts or {}
        # The log's one writer: a delivery's outcome may arrive on the courier's thread.
        self._writing = threading.Lock()
        self.deliveries: Deliveries | None = None

    def log(self, events: list[Event]) -> list[Event]:
        """Append one decision's events durably, then fold them into the state."""
        logged = self._append(events)
        if logged and threading.current_thread() is threading.main_thread():
            self.frontend.logged(self, logged)  # a helper thread never prints: the header shows it
        return logged

    def _append(self, events: list[Event]) -> list[Event]:
        if not events:
            return []
        # Ctrl-C waits until the decision is on disk: an acknowledged answer is never half-written.
        blocked = _block_sigint()
        try:
            with self._writing:
                logged = self.journal.append(events)
                for event in logged:
                    apply(self.state, event)
        finally:
            _restore_sigint(blocked)
        return logged

    def deliver_with(self, reach: Reach, courier_factory: Callable[..., Any] | None = None) -> Deliveries:
        """From now on the run may send to what `reach` names; outcomes are logged through `log`."""
        self.deliveries = Deliveries(reach, self.log, self.clock, self.actor, courier_factory)
        self.deliveries.warm()
        return self.deliveries

    def next_delivery_key(self) -> str:
        """A delivery key no earlier delivery of the incident used (`d1`, `d2`, …)."""
        return f"d{len(self.state.deliveries) + 1}"

    def settle(self) -> None:
        """Wait for deliveries in flight, so their outcomes are logged before a pause or the close."""
        if self.deliveries is not None:
            self.deliveries.settle()

    # Responder actions available at any prompt (the terminal offers them).
    def note(self, text: str) -> None:
        self.log(engine.note(text, self.clock(), self.actor, self.state.pending))

    def change_severity(self, to: str, reason: str) -> None:
        self.log(engine.change_severity(self.state, to, reason, self.clock(), self.actor))

    def run(self) -> Outcome:
        """Run until the playbook ends or the run pauses; every answer is logged before the next prompt.

        A decision's events and what they lead to (skips by condition, entering the next step,
        the close) go to the log in one write and one fsync.
        """
        try:
            events, action = engine.advance(self.state, self.clock(), self.actor)
            self.log(events)
            while not isinstance(action, engine.Finished):
                decision = self._decision(action)
                scratch = self.state.copy()
                for event in decision:
                    apply(scratch, event)
                following, action = engine.advance(scratch, self.clock(), self.actor)
                if isinstance(action, engine.Finished):
                    self.settle()  # every outcome before the close
                self.log(decision + following)
            return self._outcome(True, action.outcome)
        except MissingAnswer:
            return self._pause(PAUSE_NO_ANSWER)
        except PauseRequested:
            return self._pause(PAUSE_RESPONDER)
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

    def _decision(self, action: engine.AskInput | engine.AskStep) -> list[Event]:
        """The events of the answer to `action`; a front end that can ask again does, on a misfit."""
        while True:
            try:
                if isinstance(action, engine.AskInput):
                    raw = self.frontend.ask_input(self, action)
                    return engine.set_input(self.state, action.name, raw, self.clock(), self.actor)
                answer = self.frontend.ask_step(self, action)
                return engine.decide(self.state, action.step_id, answer, self.clock(), self.actor, self.contacts)
            except AnswerError as err:
                frontend = self.frontend
                if not (isinstance(frontend, AskingFrontend) and frontend.asks_again):
                    raise
                frontend.rejected(self, err)

    def _pause(self, reason: str) -> Outcome:
        self.settle()  # every outcome before the pause
        self.log(engine.pause(reason, self.clock(), self.actor))
        return self._outcome(False, reason)

    def _outcome(self, finished: bool, reason: str) -> Outcome:
        return Outcome(self.state.incident_id, finished, reason, self.state.head, self.state, self.journal)


def _block_sigint() -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return True


def _restore_sigint(blocked: bool) -> None:
    if blocked:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
