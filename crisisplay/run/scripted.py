"""The answers-file front end: each answer, read as the text written, interpreted by its step's type."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TextIO

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.display import visible
from crisisplay.errors import AnswerError
from crisisplay.events import ESCALATION_NOTIFIED, ESCALATION_UNREACHABLE, MESSAGE_SENT, Event, State
from crisisplay.i18n import N_, _, yes_no
from crisisplay.narrative import describe
from crisisplay.playbook.model import AnyStep, ChecklistStep, MessageStep, format_duration
from crisisplay.run.answers import AnswersFile, Timing, YamlNumber, approved_by, reason_of, unwrap
from crisisplay.run.delivery import unknown_outcome
from crisisplay.run.injects import inject_line
from crisisplay.run.session import AwaitingApproval, MissingAnswer, Session
from crisisplay.scenario.state import DRILL_INJECT, SCRIPTED, SCRIPTED_STEP_MS


def interpret(step: AnyStep, raw: object, rendered_text: str | None = None, lang: str = "en") -> engine.Answer:
    """A typed answer from what the file says; AnswerError naming the step and the allowed answers.

    `lang` is the playbook's `locale`, never the machine's: a file means the same everywhere.
    Yes/no words and numbers written as text are read in it (`sí`; `1.234` is 1234 in Spanish).
    """
    if isinstance(raw, dict) and set(raw) == {"skip"}:
        if isinstance(raw["skip"], (list, dict)):
            raise AnswerError(
                _("step '{step}': {{skip: …}} takes the reason as text, not {value}").format(
                    step=step.id, value=repr(raw["skip"])
                )
            )
        return engine.Skip(str(raw["skip"] or ""))
    if step.type == "info":
        return True
    if step.type == "confirm" and isinstance(raw, str):
        said = _yes_no(raw, lang)
        if said is not None:
            return said
        raise AnswerError(
            _("step '{step}' (confirm): '{answer}' does not fit; expected yes or no").format(step=step.id, answer=raw)
        )
    if step.type == "choice" and isinstance(raw, str):
        return raw.strip()
    if step.type == "checklist":
        return _checklist(step, raw)
    if step.type == "text" and isinstance(raw, str):
        return raw
    if step.type == "number" and isinstance(raw, str):
        what = _("step '{step}' (number)").format(step=step.id)
        return engine.parse_number(number_text(raw, what, lang), what)
    if step.type == "message":
        if isinstance(raw, str) and raw.strip() == "send":
            return engine.Send(rendered_text or "", edited=False)
        if isinstance(raw, dict) and set(raw) == {"text"} and isinstance(raw["text"], str):
            return engine.Send(raw["text"], edited=True)
        raise AnswerError(
            _(
                "step '{step}' (message): {answer} does not fit; expected send, "
                "{{text: the edited message}} or {{skip: reason}}"
            ).format(step=step.id, answer=repr(raw))
        )
    if step.type == "escalate" and isinstance(raw, str):
        return raw.strip()
    if step.type == "escalate" and isinstance(raw, dict):
        return raw  # each outcome is checked by the engine
    raise AnswerError(
        _("step '{step}' ({type}): {answer} does not fit; {expected}").format(
            step=step.id, type=step.type, answer=repr(raw), expected=_expected(step)
        )
    )


@functools.lru_cache(maxsize=64)
def _yes_no(text: str, lang: str) -> bool | None:
    """`yes_no` of an answer in the playbook's language, read once per distinct answer: an answers
    file says `yes` a hundred times, and each reading folds both catalogues' words again."""
    return yes_no(text, lang)


def number_text(raw: str, what: str, lang: str) -> str:
    """A number from an answers file as plain digits and a point: a YAML number as YAML reads it,
    text in the playbook's language."""
    return raw if isinstance(raw, YamlNumber) else engine.local_number(raw, what, lang)


def _checklist(step: ChecklistStep, raw: object) -> engine.Checklist:
    if isinstance(raw, str) and raw.strip() in ("all", "none"):
        return engine.Checklist(tuple(step.items) if raw.strip() == "all" else ())
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return engine.Checklist(tuple(raw))
    if isinstance(raw, dict) and "done" in raw and set(raw) <= {"done", "reason"}:
        return engine.Checklist(tuple(_checklist(step, raw["done"]).done), raw.get("reason") or None)
    raise AnswerError(
        _("step '{step}' (checklist): {answer} does not fit; expected all, none, or the list of items done").format(
            step=step.id, answer=repr(raw)
        )
    )


def _expected(step: AnyStep) -> str:
    return _(_EXPECTED.get(step.type, _SEE_FORMAT))


_EXPECTED = {
    "confirm": N_("expected yes or no"),
    "choice": N_("expected one of the option values or labels"),
    "text": N_("expected text"),
    "number": N_("expected a number"),
    "escalate": N_("expected notified, unreachable, or {role: notified|unreachable}"),
}
_SEE_FORMAT = N_("see the answers file format")


def _approved_text(approval: dict[str, Any], answer: engine.Send) -> bool:
    """Whether the answer's text is the one the approval asked for (or an approver's edit of it), approved."""
    digest = ev.text_hash(answer.text)
    return digest in (approval["requested_hash"], approval["message_hash"]) and (
        ev.approval_status(approval) == ev.APPROVED
    )


def _approval_problem(
    state: ev.State, step: MessageStep, answer: engine.Send, roles: list[str] | None
) -> AnswerError | None:
    """Why a message cannot be sent, nor its approval asked for, as the file answers it: a text
    an approver rejected (now or under an earlier request), `approved_by:` outside a drill, or
    roles that cannot give the approval. None when it may go on (approved, or to be asked)."""
    assert step.approval is not None
    approval = state.approvals.get(step.id)
    digest = ev.text_hash(answer.text)
    if approval is not None:
        if digest in (approval["requested_hash"], approval["message_hash"]):
            status = ev.approval_status(approval)
            if status == ev.APPROVED:
                return None
            if status == ev.REJECTED:
                return _rejected(step, approval["rejected"])
        if not answer.edited:
            # A text rejected under an earlier request (the driver asked again with another text):
            # `send` of it again is refused as well.
            for earlier in approval.get("refused", ()):
                if earlier["message_hash"] == digest:
                    return _rejected(step, earlier)
    if roles is None:
        return None
    if not state.drill:
        # In a real incident only a person who holds the role approves (`crisisplay approve`).
        return AnswerError(
            _(
                "step '{step}' (message): approved_by: is for drills (--drill); in a real incident "
                "the approvers run `crisisplay approve`"
            ).format(step=step.id)
        )
    named = list(dict.fromkeys(roles))
    unknown = [role for role in named if role not in step.approval.by]
    missing = [role for role in step.approval.by if role not in named]
    if unknown or not named or (step.approval.need == "all" and missing):
        return AnswerError(
            _("step '{step}' (message): approved_by {roles} does not fit; the approval needs {need} of {by}").format(
                step=step.id,
                roles=", ".join(named) or "—",
                need=_("all") if step.approval.need == "all" else _("one"),
                by=", ".join(step.approval.by),
            )
        )
    return None


def _rejected(step: MessageStep, rejection: dict[str, Any]) -> AnswerError:
    return AnswerError(
        _(
            "step '{step}' (message): {person} rejected this text ({reason}); "
            "answer with {{text: the edited message}} to ask again"
        ).format(step=step.id, person=rejection["person"], reason=rejection["reason"])
    )


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
        self._answered_ms: int | None = None  # a scripted drill: the scenario time of the previous answer

    def _on_time(
        self, session: Session, timing: Timing | None, step: bool, fits: Callable[[State], object] | None = None
    ) -> None:
        """In a scripted drill, move the scenario clock to this answer's time (its `at:`, the previous
        answer's plus its `after:`, else one minute on for a step and no time for an input), then fire
        the injects due by then, each at its own time. Outside drills, times are ignored.

        `fits` checks the answer first, at its time and on the state the injects due by then will
        make, logging nothing: an answer that does not fit (AnswerError) leaves the clock where it
        was and fires nothing, so nothing is recorded for it and the corrected answer may be given
        at any time after the previous one."""
        run = session.state.drill_run
        if run is None or run.clock != SCRIPTED:
            return
        previous = self._answered_ms if self._answered_ms is not None else run.anchor_ms
        if timing is None:
            # One minute on (no time for an input), or the time already set for it if later: the
            # scripted clock never goes back.
            ms = max(previous + (SCRIPTED_STEP_MS if step else 0), session.scripted_ms or 0)
        elif timing.at_ms is not None:
            if timing.at_ms < previous:
                raise AnswerError(
                    f"{timing.where}: "
                    + _("at: {time} is earlier than the previous answer, given at {before}").format(
                        time=timing.written, before=format_duration(previous)
                    )
                )
            ms = timing.at_ms
        else:
            ms = previous + (timing.after_ms or 0)
        before = (self._answered_ms, session.scripted_ms)
        self._answered_ms = ms
        session.scripted_ms = ms
        if fits is not None:
            try:
                fits(session.after_injects())
            except AnswerError:
                self._answered_ms, session.scripted_ms = before
                raise
        session.fire_injects()

    def where(self, action: engine.AskInput | engine.AskStep) -> str | None:
        """`path:line:col` of the answer the file gives for `action` (None for a `--var` value)."""
        if isinstance(action, engine.AskInput):
            return None if action.name in self.overrides else self.answers.where("inputs", action.name)
        return self.answers.where("steps", action.step_id, action.visit)

    def ask_input(self, session: Session, action: engine.AskInput) -> object:
        if action.name in self.overrides:
            return self.overrides[action.name]
        if action.name in self.answers.inputs:
            raw = self.answers.input_value(action.name)
            if action.spec.type == "number" and isinstance(raw, str):
                what = _("input '{name}'").format(name=action.name)
                raw = number_text(raw, what, session.state.playbook.locale or "en")

            def fits(state: State) -> object:
                return engine.set_input(state, action.name, raw, session.clock(), session.actor)

            self._on_time(session, self.answers.times.get(("inputs", action.name, 0)), step=False, fits=fits)
            return raw
        if action.spec.default is not None:
            return action.spec.default
        raise MissingAnswer(f"input '{action.name}'")

    def ask_step(self, session: Session, action: engine.AskStep) -> engine.Answer:
        step = session.state.playbook.step(action.step_id)
        written = self.answers.for_visit(step.id, action.visit)
        raw, simulated = unwrap(written)
        if raw is None and step.type != "info":
            raise MissingAnswer(f"step '{step.id}'")
        # A scripted drill's clock moves to this answer's time; the injects due by then fire first,
        # once the answer is known to fit.
        timing = self.answers.step_timing(step.id, action.visit)
        fits = None if raw is None else functools.partial(self._fits, session, step, raw, written)
        self._on_time(session, timing, step=True, fits=fits)
        if raw is None:
            return True
        rendered = None
        if step.type in ("message", "escalate"):
            rendered = engine.render(session.state, step.id, session.clock())
        sent_text = rendered.text if rendered is not None and step.type == "message" else None
        answer = interpret(step, raw, sent_text, session.state.playbook.locale or "en")
        reason = reason_of(written)
        if reason is not None:  # the engine checks that it goes with an option deciding an outcome
            answer = engine.Reasoned(answer, reason)
        if isinstance(step, MessageStep) and step.approval is not None and isinstance(answer, engine.Send):
            answer = self._approved(session, step, answer, approved_by(written))
        if rendered is not None and not isinstance(answer, engine.Skip):
            # The answer must fit before anyone is paged: the engine's own check, on the state as it is.
            decided = engine.decide(session.state, step.id, answer, session.clock(), session.actor, session.contacts)
            self._deliver(session, step, rendered, decided, simulated)
        return answer

    def _fits(self, session: Session, step: AnyStep, raw: object, written: object, state: State) -> None:
        """AnswerError when the answer does not fit its step on `state`; nothing is logged. A
        message that needs approval is checked as its approval will be (the text and roles)."""
        rendered = None
        if step.type in ("message", "escalate"):
            rendered = engine.render(state, step.id, session.clock())
        sent_text = rendered.text if rendered is not None and step.type == "message" else None
        answer = interpret(step, raw, sent_text, state.playbook.locale or "en")
        if isinstance(answer, engine.Skip):
            return
        if isinstance(step, MessageStep) and step.approval is not None:
            if isinstance(answer, engine.Send):
                problem = _approval_problem(state, step, answer, approved_by(written))
                if problem is not None:
                    raise problem
            return
        reason = reason_of(written)
        if reason is not None:
            answer = engine.Reasoned(answer, reason)
        engine.decide(state, step.id, answer, session.clock(), session.actor, session.contacts)

    def _approved(
        self, session: Session, step: MessageStep, answer: engine.Send, roles: list[str] | None
    ) -> engine.Send:
        """The text to send once approved: approved already (the run resumed after `approve`), or
        approved as the file's `approved_by:` says (a drill); else the request is logged and the run
        pauses (`awaiting-approval`) until someone approves."""
        assert step.approval is not None
        approval = session.state.approvals.get(step.id)
        if approval is not None and _approved_text(approval, answer):
            return engine.Send(approval["text"], edited=answer.edited or approval["text"] != answer.text)
        problem = _approval_problem(session.state, step, answer, roles)
        if problem is not None:
            raise problem
        # A drill file's `approved_by:` approves at once: nobody is asked to run `approve`.
        session.request_approval(step.id, answer.text, notice=roles is None)
        if roles is None:
            raise AwaitingApproval(step.id)
        roles = list(dict.fromkeys(roles))  # a role named twice approves once
        state, now = session.state, session.clock()
        approval = state.approvals[step.id]
        given = []
        for role in roles:
            who = state.roles.get(role) or engine.contact_of(state, role, session.contacts).get("name") or role
            event = engine.give_approval(state, approval, who, now, session.actor, role=role)[0]
            del event["data"]["by_phone"]
            event["data"]["simulated"] = True
            given.append(event)
        session.log(given)
        return answer

    def others(self, session: Session, events: list[Event]) -> None:
        for event in events:
            line = inject_line(event) if event["type"] == DRILL_INJECT else describe(event, session.state.playbook)
            if line:
                self._say(
                    one_line(
                        visible(
                            _("{person} (from another terminal): {event}").format(person=event.get("actor"), event=line)
                        )
                    )
                )

    def told(self, session: Session, line: str) -> None:
        self._say(one_line(line))

    def _deliver(
        self, session: Session, step: AnyStep, rendered: engine.Rendered, decided: list[Event], simulated: str | None
    ) -> None:
        """What the file's run sends, for the decision the engine accepted: for real with --notify,
        or the outcome a wrapper simulates. A failed delivery offers no backup here: the file's answer stands."""
        deliveries = session.deliveries
        if deliveries is None:
            return
        sent = [e["data"]["text"] for e in decided if e["type"] == MESSAGE_SENT]
        if step.type == "message":
            if not sent:
                return
            text = sent[0]
            wanted = [{"channel": rendered.channel or ""}]
        else:
            text = rendered.text
            # The roles as the engine logged them (NFC, backups included), never as the file spelt them.
            roles = [e["data"]["role"] for e in decided if e["type"] in (ESCALATION_NOTIFIED, ESCALATION_UNREACHABLE)]
            wanted = [{"role": role} for role in roles]
        recipients = [to for to in wanted if simulated is not None or deliveries.reach.targets_for(to)]
        for to in recipients:
            if simulated is not None:
                deliveries.simulate(session.next_delivery_key(), step.id, to, text, simulated)
            elif deliveries.reach.live:
                session.deliver(step.id, to, text)

    def resumed(self, session: Session, events: list[Event]) -> None:
        state = session.state
        missing = engine.missing_input(state)
        # The facts come first: a run that still lacks one resumes there, not at the step after them.
        where = _("input '{name}'").format(name=missing) if missing else state.pending or state.position
        self._say(_("resuming {incident} at {step}").format(incident=session.state.incident_id, step=where))
        for delivery in session.state.in_flight():
            self._say(unknown_outcome(session.state.playbook, delivery))

    def logged(self, session: Session, events: list[Event]) -> None:
        for event in events:
            line = inject_line(event) if event["type"] == DRILL_INJECT else describe(event, session.state.playbook)
            if line:
                # A CR in an answer must not start a second line; `_say`'s `visible` would change
                # nothing more in what `one_line` keeps of a visible line.
                print(one_line(visible(line)), file=self.out)

    def _say(self, line: str) -> None:
        # Answers, --var values and the responder's name are echoed here: an escape sequence in
        # one must be shown, never obeyed by the terminal.
        print(visible(line), file=self.out)
