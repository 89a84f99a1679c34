"""The answers-file front end: each answer, read as the text written, interpreted by its step's type."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from crisisplay import engine
from crisisplay.display import visible
from crisisplay.errors import AnswerError
from crisisplay.events import Event
from crisisplay.narrative import describe
from crisisplay.playbook.model import AnyStep, ChecklistStep
from crisisplay.run.answers import AnswersFile
from crisisplay.run.session import MissingAnswer, Session

YES = {"yes", "y", "true"}
NO = {"no", "n", "false"}


def interpret(step: AnyStep, raw: object, rendered_text: str | None = None) -> engine.Answer:
    """A typed answer from what the file says; AnswerError naming the step and the allowed answers."""
    if isinstance(raw, dict) and set(raw) == {"skip"}:
        if isinstance(raw["skip"], (list, dict)):
            raise AnswerError(f"step '{step.id}': {{skip: …}} takes the reason as text, not {raw['skip']!r}")
        return engine.Skip(str(raw["skip"] or ""))
    if step.type == "info":
        return True
    if step.type == "confirm" and isinstance(raw, str):
        word = raw.strip().lower()
        if word in YES | NO:
            return word in YES
        raise AnswerError(f"step '{step.id}' (confirm): '{raw}' does not fit; expected yes or no")
    if step.type == "choice" and isinstance(raw, str):
        return raw.strip()
    if step.type == "checklist":
        return _checklist(step, raw)
    if step.type == "text" and isinstance(raw, str):
        return raw
    if step.type == "number" and isinstance(raw, str):
        return engine.parse_number(raw, f"step '{step.id}' (number)")
    if step.type == "message":
        if isinstance(raw, str) and raw.strip() == "send":
            return engine.Send(rendered_text or "", edited=False)
        if isinstance(raw, dict) and set(raw) == {"text"} and isinstance(raw["text"], str):
            return engine.Send(raw["text"], edited=True)
        raise AnswerError(
            f"step '{step.id}' (message): {raw!r} does not fit; expected send, "
            f"{{text: the edited message}} or {{skip: reason}}"
        )
    if step.type == "escalate" and isinstance(raw, str):
        return raw.strip()
    if step.type == "escalate" and isinstance(raw, dict):
        return raw  # each outcome is checked by the engine
    raise AnswerError(f"step '{step.id}' ({step.type}): {raw!r} does not fit; {_expected(step)}")


def _checklist(step: ChecklistStep, raw: object) -> engine.Checklist:
    if isinstance(raw, str) and raw.strip() in ("all", "none"):
        return engine.Checklist(tuple(step.items) if raw.strip() == "all" else ())
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return engine.Checklist(tuple(raw))
    if isinstance(raw, dict) and "done" in raw and set(raw) <= {"done", "reason"}:
        return engine.Checklist(tuple(_checklist(step, raw["done"]).done), raw.get("reason") or None)
    raise AnswerError(
        f"step '{step.id}' (checklist): {raw!r} does not fit; expected all, none, or the list of items done"
    )


def _expected(step: AnyStep) -> str:
    return {
        "confirm": "expected yes or no",
        "choice": "expected one of the option values or labels",
        "text": "expected text",
        "number": "expected a number",
        "escalate": "expected notified, unreachable, or {role: notified|unreachable}",
    }.get(step.type, "see the answers file format")


def one_line(text: str, width: int = 100) -> str:
    """The first line of `text`, cut to `width` characters, for a progress line."""
    first, _, rest = text.strip().partition("\n")
    if rest or len(first) > width:
        return first[: width - 1].rstrip() + "…"
    return first


class ScriptedFrontend:
    """Answers from a file; a short line per decision on standard error."""

    def __init__(self, answers: AnswersFile, overrides: dict[str, Any] | None = None, out: TextIO | None = None):
        self.answers = answers
        self.overrides = overrides or {}
        self.out = out or sys.stderr

    def ask_input(self, session: Session, action: engine.AskInput) -> object:
        if action.name in self.overrides:
            return self.overrides[action.name]
        if action.name in self.answers.inputs:
            return self.answers.inputs[action.name]
        if action.spec.default is not None:
            return action.spec.default
        raise MissingAnswer(f"input '{action.name}'")

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer:
        step = session.state.playbook.step(action.step_id)
        raw = self.answers.for_visit(step.id, action.visit)
        if raw is None:
            if step.type == "info":
                return True
            raise MissingAnswer(f"step '{step.id}'")
        rendered = None
        if step.type == "message" and raw == "send":
            rendered = engine.render(session.state, step.id, session.clock()).text
        return interpret(step, raw, rendered)

    def resumed(self, session: Session, events: list[Event]) -> None:
        where = session.state.pending or session.state.position
        self._say(f"resuming {session.state.incident_id} at {where}")

    def logged(self, session: Session, events: list[Event]) -> None:
        for event in events:
            line = describe(event, session.state.playbook)
            if line:
                self._say(one_line(visible(line)))  # a CR in an answer must not start a second line

    def _say(self, line: str) -> None:
        # Answers, --var values and the responder's name are echoed here: an escape sequence in
        # one must be shown, never obeyed by the terminal.
        print(visible(line), file=self.out)
