"""The pure playbook engine: given an incident's state, what comes next; given an answer, its events.

No I/O, no printing, no clock of its own: every function takes the time it should use and
returns event dicts for the caller to log. Front ends (the terminal and the answers file)
turn what the responder typed into the typed answers below; the engine checks that they fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from crisisplay import clocks
from crisisplay import events as ev
from crisisplay.errors import AnswerError, UsageError
from crisisplay.events import Event
from crisisplay.findings import did_you_mean, one_of
from crisisplay.i18n import ENGLISH, NotANumber, _, normalise_number, speaking
from crisisplay.personal import TEXT, Personal, personal
from crisisplay.playbook.model import (
    END,
    MAX_NUMBER_DIGITS,
    NUMBER_RE,
    PUBLIC_PLATFORMS,
    AnyStep,
    ChoiceStep,
    EscalateStep,
    Input,
    MessageStep,
    Playbook,
    Variant,
    audience_of,
    platform_of,
)
from crisisplay.playbook.names import nfc
from crisisplay.scenario.state import FACILITATOR_SOURCE, LIVE, SCENARIO_SOURCE
from crisisplay.templates import (
    SeverityLevel,
    evaluate_condition,
    personal_names_in,
    placeholder,
    render_template,
    render_with_placeholders,
)
from crisisplay.times import elapsed_ms, format_ts

NOTIFIED, UNREACHABLE = "notified", "unreachable"


# ----------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Skip:
    """Skip the step, with the responder's reason."""

    reason: str


@dataclass(frozen=True)
class Checklist:
    """The items done (by their text); the rest are recorded as not done."""

    done: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class Send:
    """Send a message: exactly this text; `edited` when it differs from the rendered template."""

    text: str
    edited: bool = False


@dataclass(frozen=True)
class Reasoned:
    """A choice with the responder's reason: what an option that decides an outcome needs."""

    answer: object
    reason: str


# A mapping is an escalation: an outcome per role.
Answer = bool | str | int | Decimal | Checklist | Send | dict[str, str] | Skip | Reasoned


# ----------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class AskInput:
    name: str
    spec: Input


@dataclass(frozen=True)
class AskStep:
    step_id: str
    visit: int


@dataclass(frozen=True)
class Finished:
    outcome: str


Action = AskInput | AskStep | Finished


@dataclass(frozen=True)
class Rendered:
    """A message or escalation text as the responder would send it, and the names still unset."""

    text: str
    channel: str | None = None
    placeholders: tuple[str, ...] = field(default_factory=tuple)
    platform: str | None = None  # the platform a message goes out on, when the playbook says
    no_variant: str | None = None  # the `variant_by` value that has no variant (and no template to fall back on)


# ----------------------------------------------------------------------------- namespace


def levels_of(pb: Playbook) -> list[str]:
    """The severity levels' names, lowest first."""
    # The model declares `Level` entries; its validator turns each into a `LevelName`, a str.
    return cast("list[str]", pb.severity.levels)


def level_named(pb: Playbook, typed: str) -> str | None:
    """The severity level `typed` names: its id or its label (what every screen shows), without
    case or accents: `crítica`, `CRITICA` and `critical` are the same level."""
    from crisisplay.i18n import folded

    wanted = folded(typed)
    return next(
        (lv for lv in levels_of(pb) if wanted in (folded(lv), folded(pb.severity.label(lv)))),
        None,
    )


def namespace(state: ev.State, now: datetime) -> dict[str, Any]:
    """The names templates and conditions see: inputs, saved answers and the built-ins."""
    pb = state.playbook
    builtins = {
        "severity": SeverityLevel(state.severity, tuple(levels_of(pb))),
        "incident_id": state.incident_id,
        "playbook": pb.id,
        "responder": state.responder,
        "organisation": state.organisation,
        "drill": state.drill,
        "elapsed_minutes": max(0, elapsed_ms(state.detected_at, now) // 60_000),
    }
    return {**state.variables, **builtins}


def _condition_names(state: ev.State, now: datetime) -> dict[str, Any]:
    """Conditions see every declared name; one not set on the path taken is None."""
    return {**dict.fromkeys(state.playbook.variable_names), **namespace(state, now)}


def render(state: ev.State, step_id: str, now: datetime) -> Rendered:
    """The text of a message or escalate step, rendered in the sandbox with the incident's facts."""
    step = state.playbook.step(step_id)
    # A name without a value (no `organisation` configured) shows its placeholder, never "None".
    names = {name: value for name, value in namespace(state, now).items() if value is not None}
    # The words a template writes itself (a yes or a no) are the playbook's language, whatever
    # language the screen speaks: the same text on every machine, for the same reader.
    with speaking(state.playbook.locale or ENGLISH):
        if isinstance(step, MessageStep):
            return _render_message(step, names, state)
        template = getattr(step, "template", None)
        source = template or _default_escalation(state, step)
        text, unset = render_with_placeholders(source, names)
    return Rendered(_marked(text.strip(), template, state), None, tuple(sorted(unset)))


def _marked(text: str, source: str | None, state: ev.State) -> str:
    """A rendered text, marked personal when its template uses a personal variable (the names
    `Playbook.personal_variables` computes once per playbook) or it holds a current personal
    value as it is: a text that names someone is sealed whole."""
    if not text or isinstance(text, Personal):
        return text
    if source is not None and personal_names_in(source, state.playbook.personal_variables):
        return Personal(text, TEXT)
    if names_someone(text, state):
        return Personal(text, TEXT)
    return text


def names_someone(text: str, state: ev.State) -> bool:
    """Whether `text` holds a current personal value (the customer's name, an order number) as a
    whole word, in any case: "Ann" is not in "Annual"; a value under 3 characters ("12") is
    too short to tell from other words."""
    folded = text.casefold()
    for value in state.variables.values():
        if not isinstance(value, Personal) or len(word := value.strip().casefold()) < 3 or word not in folded:
            continue
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded):
            return True
    return False


def sent_text(state: ev.State, rendered: Rendered, text: str) -> str:
    """A message's text as the log keeps it: personal when the responder changed the rendered text
    (anything can be typed) or when the rendered text itself is personal."""
    if isinstance(rendered.text, Personal) or text != rendered.text:
        return cast(str, personal(text))
    return _marked(text, None, state)


def message_variant(step: MessageStep, names: dict[str, Any]) -> tuple[str | None, Variant | None]:
    """The variant a message shows for the current value of its `variant_by` (its key and itself),
    or (None, None) when it shows its own `template:`."""
    if not step.variants or step.variant_by is None or step.variant_by not in names:
        return None, None
    key = str(names[step.variant_by])
    variant = step.variants.get(key)
    return (key, variant) if variant is not None else (None, None)


def _render_message(step: MessageStep, names: dict[str, Any], state: ev.State) -> Rendered:
    key, variant = message_variant(step, names)
    source = variant.template if variant is not None else step.template
    platform = platform_of(key, variant) if key is not None and variant is not None else None
    channel_source = variant.channel if variant and variant.channel else step.channel
    channel = _marked(render_template(channel_source, names).strip(), channel_source, state)
    if source is None:  # no variant for this value and no template to fall back on (lint: CP217)
        shown = step.variant_by or "template"
        value = None if step.variant_by is None else names.get(step.variant_by)
        return Rendered(placeholder(shown), channel, (shown,), step.platform, None if value is None else str(value))
    text, unset = render_with_placeholders(source, names)
    return Rendered(_marked(text.strip(), source, state), channel, tuple(sorted(unset)), platform or step.platform)


def _default_escalation(state: ev.State, step: AnyStep) -> str:
    severity = state.playbook.severity.label(state.severity)
    return f"{state.playbook.title}: {step.prompt or step.title or step.id}. Incident {state.incident_id}, severity {severity}."


# ----------------------------------------------------------------------------- advance


def missing_input(state: ev.State) -> str | None:
    """The first input (an incident's fact) still without a value: asked before any step."""
    return next((name for name in state.playbook.inputs if name not in state.variables), None)


def advance(state: ev.State, now: datetime, actor: str) -> tuple[list[Event], Action]:
    """The events to log before the next prompt (skips by condition, `step.entered`, the close)
    and what to ask next. Pure: the state is not changed."""
    if state.closed:
        return [], Finished(state.outcome or "closed")
    pb = state.playbook
    missing = missing_input(state)
    if missing is not None:
        return [], AskInput(missing, pb.inputs[missing])
    if state.pending is not None:
        return [], AskStep(state.pending, state.visit_of(state.pending))
    # A drill's injects now due (an `after_step` one once its step is answered) come first: the
    # next step is entered, and its condition read, with their effects applied.
    out: list[Event] = due_injects(state, now, actor)
    if out:
        state = state.copy()
        for event in out:
            ev.apply(state, event)
        now = max(now, ev.parse_ts(out[-1]["ts"]))
    position = state.position
    visits: dict[str, int] = {}  # the visits of the steps skipped here, over the state's
    condition_names: dict[str, Any] | None = None  # built when a step first needs them
    while position is not None and position != END:
        step = pb.step(position)
        visit = (visits[position] if position in visits else state.visit_of(position)) + 1
        phase = pb.phase_of[position].id
        if condition_names is None and (step.when is not None or _may_silence(state, step)):
            condition_names = _condition_names(state, now)
        if step.when is not None and not evaluate_condition(step.when, cast(dict[str, Any], condition_names)):
            out.append(
                ev.make_event(
                    ev.STEP_SKIPPED,
                    actor,
                    position,
                    {
                        "phase": phase,
                        "visit": visit,
                        "by": "condition",
                        "reason": ev.REASON_WHEN_FALSE.format(condition=step.when),
                    },
                    now,
                )
            )
            visits[position] = visit
            position = ev.following(pb, position)
            continue
        if condition_names is not None and _silenced(state, step, condition_names):
            out.append(
                ev.make_event(
                    ev.STEP_SKIPPED,
                    actor,
                    position,
                    {"phase": phase, "visit": visit, "by": clocks.BY_OUTCOME, "reason": clocks.REASON_MONITOR_ONLY},
                    now,
                )
            )
            visits[position] = visit
            position = ev.following(pb, position)
            continue
        out.append(ev.make_event(ev.STEP_ENTERED, actor, position, {"phase": phase, "visit": visit}, now))
        return out, AskStep(position, visit)
    # Injects still due when the playbook ends fire before the close, each at its own time.
    finale = due_injects(state, now, actor, final=True)
    if finale:
        out += finale
        now = max(now, ev.parse_ts(finale[-1]["ts"]))
    out.append(ev.make_event(ev.CLOSED, actor, None, {"outcome": ev.COMPLETED, "reason": ev.REASON_COMPLETED}, now))
    return out, Finished("completed")


# ----------------------------------------------------------------------------- drills


def due_injects(state: ev.State, now: datetime, actor: str, *, final: bool = False) -> list[Event]:
    """The `drill.inject` events of a drill's scenario due by `now` (and the severity each raises),
    in order: timed injects at their own scenario time, `after_step` ones once their step is
    answered. With `final` (the playbook has ended), every timed inject not yet fired, at the end's
    time rather than its own (a scenario longer than the run must not stretch the drill), marked
    `at_end`: nothing is left to answer it, so the scorecard does not score it. Pure."""
    run = state.drill_run
    if run is None or run.scenario is None:
        return []
    now_ms = elapsed_ms(state.detected_at, now)
    last_ms = run.anchor_ms
    due: list[tuple[int, int, Any]] = []
    for order, inject in enumerate(run.scenario.injects):
        if inject.id in run.fired:
            continue
        at = inject.at_ms
        if at is not None and at <= now_ms:
            due.append((max(at, last_ms), order, inject))
        elif (at is not None and final) or (inject.after_step is not None and inject.after_step in run.answered):
            due.append((max(now_ms, last_ms), order, inject))  # now: at the end, or once its step is answered
    if not due:
        return []
    levels = levels_of(state.playbook)
    severity = state.severity
    out: list[Event] = []
    for at_ms, _order, inject in sorted(due, key=lambda d: (d[0], d[1])):
        moment = state.detected_at + timedelta(milliseconds=at_ms)
        effects = inject.effects.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data = {"inject": inject.id, "source": SCENARIO_SOURCE, "text": inject.text, "effects": effects}
        if inject.at_ms is not None:
            data["due_ms"] = inject.at_ms
            if inject.at_ms > at_ms:
                data["at_end"] = True
        out.append(ev.make_event(ev.DRILL_INJECT, actor, state.pending, data, moment))
        raised = inject.effects.severity
        if raised in levels and levels.index(raised) > levels.index(severity):
            reason = ev.REASON_INJECT.format(inject=inject.id, text=inject.text)
            change = {"from": severity, "to": raised, "reason": reason, "inject": inject.id}
            out.append(ev.make_event(ev.SEVERITY_CHANGED, actor, state.pending, change, moment))
            severity = raised
    return out


def facilitator_inject(state: ev.State, text: str, now: datetime, actor: str) -> list[Event]:
    """`crisisplay inject`: what a facilitator types from another terminal, as a `drill.inject`."""
    if not state.drill:
        raise UsageError(
            _("incident {incident} is not a drill; injects are for rehearsals").format(incident=state.incident_id)
        )
    text = text.strip()
    if not text:
        raise UsageError(_("the inject's text is empty"))
    run = state.drill_run
    number = (run.facilitator if run is not None else 0) + 1
    data = {"inject": f"f{number}", "source": FACILITATOR_SOURCE, "text": personal(text), "effects": {}}
    return [ev.make_event(ev.DRILL_INJECT, actor, state.pending, data, now)]


def _may_silence(state: ev.State, step: AnyStep) -> bool:
    """Whether `_silenced` looks at this step (and its names): a message, once monitor-only was decided."""
    return state.clocks.monitor_only and isinstance(step, MessageStep)


def _silenced(state: ev.State, step: AnyStep, names: dict[str, Any]) -> bool:
    """Whether a decided `monitor-only` outcome skips this step: a message that may reach the public.

    Only a message known to be private goes out: `audience: private`, or the platform it goes to
    now (the chosen variant's, else the step's) is a private one. A message whose audience cannot
    be told is skipped: "monitor only" must never end with a post."""
    if not (state.clocks.monitor_only and isinstance(step, MessageStep)):
        return False
    if step.audience is not None:
        return step.audience == "public"
    key, variant = message_variant(step, names)
    platform = (platform_of(key, variant) if key is not None and variant is not None else None) or step.platform
    if platform is None and step.variants is None:
        return audience_of(step) != "private"
    return platform is None or platform in PUBLIC_PLATFORMS


# ----------------------------------------------------------------------------- inputs


def input_value(spec: Input, name: str, raw: object) -> str | int | Decimal:
    """The value of an input from what was typed; AnswerError when it does not fit."""
    if isinstance(raw, (list, dict)):  # an answers file's list or mapping is not one value
        message = (
            _("input '{name}': expected a single value, not a list")
            if isinstance(raw, list)
            else _("input '{name}': expected a single value, not a mapping")
        )
        raise AnswerError(message.format(name=name))
    text = str(raw).strip()
    if spec.type == "choice":
        typed = nfc(text)  # the playbook is in NFC: `crítica` matches however its accent was typed
        options = spec.options or []  # a choice input has options: the model checks it
        for option in options:
            if typed in (option.value, option.label):
                return option.value or option.label
        expected = one_of(o.value or o.label for o in options)
        raise AnswerError(
            _("input '{name}': '{text}' is not one of {expected}").format(name=name, text=text, expected=expected)
        )
    if spec.type == "number":
        return parse_number(text, _("input '{name}'").format(name=name))
    if not text:
        raise AnswerError(_("input '{name}' needs a value").format(name=name))
    too_long = longer_than(spec, text)
    if too_long:
        raise AnswerError(_("input '{name}': {problem}").format(name=name, problem=too_long))
    return text


def longer_than(spec: Input | None, text: str) -> str | None:
    """Why `text` does not fit an input's `max_length` (None when it fits, or the input sets none)."""
    if spec is None or spec.max_length is None or len(text) <= spec.max_length:
        return None
    return _("the answer is {length} characters long; expected at most {limit} (the playbook's `max_length`)").format(
        length=len(text), limit=spec.max_length
    )


def set_input(state: ev.State, name: str, raw: object, now: datetime, actor: str) -> list[Event]:
    spec = state.playbook.inputs[name]
    typed = input_value(spec, name, raw)
    # the log holds no floats: a decimal is kept as its exact text
    value = str(typed) if isinstance(typed, Decimal) else typed
    if spec.personal not in (None, False) and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # only text is sealed: a personal number is kept as its text (docs/playbook-format.md)
    return [ev.make_event(ev.INPUT_SET, actor, None, {"name": name, "value": personal(value, spec.personal)}, now)]


def parse_number(text: str, what: str) -> int | Decimal:
    """A whole number, or a decimal kept exact (the log holds no floats)."""
    # Plain digits only: `1,5` (a European decimal, or fifteen?) and `1_000` are refused
    # rather than guessed at.
    plain = text.strip()
    value = Decimal(plain) if NUMBER_RE.fullmatch(plain) else None
    if value is None or not value.is_finite():
        raise AnswerError(
            _("{what}: '{text}' is not a number; answer with digits and a point, like 12 or 3.5").format(
                what=what, text=text
            )
        )
    if value.adjusted() >= MAX_NUMBER_DIGITS:
        # `1e5000` would become an integer too long to log (or to build at all)
        raise AnswerError(
            _("{what}: '{text}' is too large; answer with at most {digits} digits").format(
                what=what, text=text, digits=MAX_NUMBER_DIGITS
            )
        )
    return int(value) if value == value.to_integral_value() else value


def local_number(text: str, what: str, lang: str) -> str:
    """A number as the responder wrote it in `lang` (`1.234` is 1234 in Spanish), as plain digits and a
    point for `parse_number`; AnswerError showing both readings when it fits neither."""
    try:
        return normalise_number(text, lang)
    except NotANumber as err:
        raise AnswerError(_("{what}: {reason}").format(what=what, reason=err)) from None


# ----------------------------------------------------------------------------- decisions


def decide(
    state: ev.State, step_id: str, answer: Answer, now: datetime, actor: str, contacts: dict[str, Any] | None = None
) -> list[Event]:
    """The events of one decision at `step_id`; AnswerError (nothing recorded) when it does not fit."""
    pb = state.playbook
    step = pb.step(step_id)
    phase = pb.phase_of[step_id].id
    visit = state.visit_of(step_id) or 1
    if isinstance(answer, Skip):
        reason = personal(answer.reason.strip()) or ev.REASON_NONE
        return [
            ev.make_event(
                ev.STEP_SKIPPED,
                actor,
                step_id,
                {"phase": phase, "visit": visit, "by": "responder", "reason": reason},
                now,
            )
        ]
    answer, decided = _outcome(state, step, answer, now, actor)
    logged, effects = _answer(state, step, answer, now, actor, contacts or {})
    effects = decided + effects
    out = [ev.make_event(ev.STEP_ANSWERED, actor, step_id, {"phase": phase, "visit": visit, "answer": logged}, now)]
    out += effects
    if step.milestone and step.milestone not in state.milestones:
        out.append(
            ev.make_event(
                ev.MILESTONE_REACHED,
                actor,
                step_id,
                {
                    "name": step.milestone,
                    "elapsed_ms": elapsed_ms(state.detected_at, now),
                    "target_ms": pb.target_ms(step.milestone),
                },
                now,
            )
        )
    return out


def _outcome(state: ev.State, step: AnyStep, answer: Answer, now: datetime, actor: str) -> tuple[Answer, list[Event]]:
    """The answer without its reason, and the `outcome.decided` an option with `outcome:` logs;
    AnswerError for such an option without a reason, or a reason beside any other answer."""
    if not isinstance(answer, Reasoned) and not isinstance(step, ChoiceStep):
        return answer, []  # no option, so no outcome to decide, and no reason to check
    reason = answer.reason.strip() if isinstance(answer, Reasoned) else None
    chosen = cast(Answer, answer.answer) if isinstance(answer, Reasoned) else answer
    typed = nfc(chosen) if isinstance(chosen, str) else None
    options = step.options if isinstance(step, ChoiceStep) else []
    option = next((o for o in options if typed in (o.value, o.label)), None)
    if option is None or option.outcome is None:
        if reason is not None:
            raise AnswerError(
                _(
                    "step '{step}' ({type}): reason: goes only with an option that decides an outcome "
                    "(monitor only); answer without the {{answer: …, reason: …}} wrapper"
                ).format(step=step.id, type=step.type)
            )
        return chosen, []
    if not reason:
        raise AnswerError(
            _(
                "step '{step}' (choice): '{value}' decides monitor only and needs its reason: "
                "answer with {{answer: {value}, reason: why}}"
            ).format(step=step.id, value=option.value)
        )
    data = {"outcome": option.outcome, "reason": personal(reason), "option": option.value}
    return chosen, [ev.make_event(clocks.OUTCOME_DECIDED, actor, step.id, data, now)]


def _fits(step: AnyStep, expected: str, answer: object) -> AnswerError:
    return AnswerError(
        _("step '{step}' ({type}): {answer} does not fit; expected {expected}").format(
            step=step.id, type=step.type, answer=repr(answer), expected=expected
        )
    )


def _answer(
    state: ev.State, step: AnyStep, answer: Answer, now: datetime, actor: str, contacts: dict[str, Any]
) -> tuple[object, list[Event]]:
    """(the answer as logged, the events it causes)."""
    if step.type == "confirm":
        if not isinstance(answer, bool):
            raise _fits(step, _("yes or no"), answer)
        return answer, []
    if step.type == "choice":
        typed = nfc(answer) if isinstance(answer, str) else None
        option = next((o for o in step.options if typed in (o.value, o.label)), None)
        if option is None:
            raise _fits(step, one_of(o.value or o.label for o in step.options), answer)
        effects: list[Event] = []
        to = option.severity
        if option.raise_severity is not None:  # only ever up: a growing crisis never drops a level
            levels = levels_of(state.playbook)
            if levels.index(option.raise_severity) > levels.index(state.severity):
                to = option.raise_severity
        if to and to != state.severity:
            effects.append(
                ev.make_event(
                    ev.SEVERITY_CHANGED,
                    actor,
                    step.id,
                    {"from": state.severity, "to": to, "reason": f"{step.id}: {option.label}"},
                    now,
                )
            )
        return {"value": option.value, "label": option.label}, effects
    if step.type == "checklist":
        if not isinstance(answer, Checklist):
            raise _fits(step, _("the items done (all, none, or a list)"), answer)
        done = {nfc(item) for item in answer.done}
        unknown = [item for item in answer.done if nfc(item) not in step.items]
        if unknown:
            # Its own "expected …" ("se esperaban tareas …"): the verb agrees with a plural.
            raise AnswerError(
                _("step '{step}' ({type}): {answer} does not fit; {expected}").format(
                    step=step.id,
                    type=step.type,
                    answer=repr(unknown[0]),
                    expected=_("expected items from the list: {items}").format(items=one_of(step.items)),
                )
            )
        logged: dict[str, object] = {
            "done": [i for i in step.items if i in done],
            "not_done": [i for i in step.items if i not in done],
        }
        if answer.reason:
            logged["reason"] = personal(answer.reason)
        return logged, []
    if step.type == "text":
        if not isinstance(answer, str) or not answer.strip():
            raise _fits(step, _("some text"), answer)
        too_long = longer_than(state.playbook.inputs.get(step.save_as or ""), answer.strip())
        if too_long:  # saved into an input that declares `max_length`
            raise AnswerError(_("step '{step}' (text): {problem}").format(step=step.id, problem=too_long))
        kind = step.personal_kind
        if kind is None and names_someone(answer, state):  # `personal: false`, yet it names someone
            kind = TEXT
        return personal(answer, kind), []
    if step.type == "number":
        if isinstance(answer, bool) or not isinstance(answer, (int, Decimal)):
            raise _fits(step, _("a number"), answer)
        if (step.min is not None and answer < step.min) or (step.max is not None and answer > step.max):
            raise _fits(
                step,
                _("a number from {low} to {high}").format(
                    low=step.min if step.min is not None else "…", high=step.max if step.max is not None else "…"
                ),
                answer,
            )
        return (answer if isinstance(answer, int) else str(answer)), []
    if step.type == "message":
        return _message(state, step, answer, now, actor)
    if step.type == "escalate":
        return _escalate(state, step, answer, now, actor, contacts)
    # info
    if answer is not True:
        raise _fits(step, _("an acknowledgement"), answer)
    return {"acknowledged": True}, []


def _message(
    state: ev.State, step: MessageStep, answer: Answer, now: datetime, actor: str
) -> tuple[object, list[Event]]:
    if not isinstance(answer, Send):
        raise _fits(step, _("send, or {text: the edited message}"), answer)
    if not answer.text.strip():
        raise AnswerError(
            _(
                "step '{step}' (message): the message is empty, so there is nothing to send; "
                "give its text ({{text: …}}), or skip the step"
            ).format(step=step.id)
            if answer.edited
            else _(
                "step '{step}' (message): its template renders no text, so there is nothing to send; "
                "give the text ({{text: …}}), or skip the step"
            ).format(step=step.id)
        )
    rendered = render(state, step.id, now)
    if not answer.edited and rendered.no_variant is not None:
        raise AnswerError(
            _(
                "step '{step}' (message): no variant for {name} '{value}' and no `template:` to fall back on; "
                "write the message: answer with {{text: the message to send}}"
            ).format(step=step.id, name=step.variant_by, value=rendered.no_variant)
        )
    if not answer.edited and rendered.placeholders:
        missing = ", ".join(placeholder(name) for name in rendered.placeholders)
        raise AnswerError(
            _(
                "step '{step}' (message): the text still shows {missing} (not set on this path); "
                "edit it before sending: answer with {{text: the message to send}}"
            ).format(step=step.id, missing=missing)
        )
    text = sent_text(state, rendered, answer.text)
    data: dict[str, Any] = {"channel": rendered.channel, "text": text}
    if rendered.platform is not None:
        data["platform"] = rendered.platform
    if step.approval is not None:
        approval = state.approvals.get(step.id)
        digest = ev.text_hash(text)
        if approval is None or ev.approval_status(approval) != ev.APPROVED or approval["message_hash"] != digest:
            raise AnswerError(
                _("step '{step}' (message): the text is not approved yet; it needs the approval of {roles}").format(
                    step=step.id, roles=", ".join(step.approval.by)
                )
            )
        data["message_hash"] = digest  # the exact text the approvers approved
    sent = ev.make_event(ev.MESSAGE_SENT, actor, step.id, data, now)
    return {"sent": True, "edited": answer.edited}, [sent]


def _escalate(
    state: ev.State, step: EscalateStep, answer: Answer, now: datetime, actor: str, contacts: dict[str, Any]
) -> tuple[object, list[Event]]:
    if isinstance(answer, str):
        answer = {role: answer for role in step.to}
    if not isinstance(answer, dict):
        expected = _("notified, unreachable, or one of them per role ({roles})").format(roles=", ".join(step.to))
        raise _fits(step, expected, answer)
    outcomes = {nfc(role) if isinstance(role, str) else role: outcome for role, outcome in answer.items()}
    backups = backups_of(step.to, contacts)
    extra = [role for role in outcomes if role not in step.to and role not in backups]
    if extra:
        raise AnswerError(
            _("step '{step}' (escalate): {role} is not escalated to here; give outcomes for {roles}").format(
                step=step.id, role=repr(extra[0]), roles=one_of([*step.to, *backups])
            )
        )
    message = render(state, step.id, now).text
    logged: dict[str, str] = {}
    effects: list[Event] = []
    already = state.escalated if state.pending == step.id else {}
    for role in [*step.to, *(b for b in backups if b in outcomes or b in already)]:
        if role in already:  # logged as it was given (a terminal run): it stands, and is not logged twice
            logged[role] = already[role]
            continue
        outcome = outcomes.get(role)
        if outcome is None:
            raise AnswerError(
                _("step '{step}' (escalate): no outcome for {role}; expected '{notified}' or '{unreachable}'").format(
                    step=step.id, role=role, notified=NOTIFIED, unreachable=UNREACHABLE
                )
            )
        if outcome not in (NOTIFIED, UNREACHABLE):
            expected = _("'{notified}' or '{unreachable}' for {role}").format(
                notified=NOTIFIED, unreachable=UNREACHABLE, role=role
            )
            raise _fits(step, expected, outcome)
        logged[role], event = _reached(state, step.id, role, outcome, backups, message, now, actor, contacts)
        effects.append(event)
    return logged, effects


def _reached(
    state: ev.State,
    step_id: str,
    role: str,
    outcome: str,
    backups: dict[str, str],
    message: str,
    now: datetime,
    actor: str,
    contacts: dict[str, Any],
) -> tuple[str, Event]:
    """One person's outcome at an escalation, and its event (unreachable while a drill's inject holds them)."""
    held_by = _out_of_reach(state, role, now)
    if held_by is not None:
        outcome = UNREACHABLE  # the drill's scenario keeps this role out of reach for now
    kind = ev.ESCALATION_NOTIFIED if outcome == NOTIFIED else ev.ESCALATION_UNREACHABLE
    data = {"role": role, "contact": contact_of(state, role, contacts), "message": message}
    if held_by is not None:
        data["inject"] = held_by
    if role in backups:
        data["backup_for"] = backups[role]
    return outcome, ev.make_event(kind, actor, step_id, data, now)


def reached(
    state: ev.State, step_id: str, role: str, outcome: str, now: datetime, actor: str, contacts: dict[str, Any]
) -> list[Event]:
    """One person's outcome at the escalate step being asked, logged as it is given (the step's
    answer follows once everyone's is known); nothing when it is logged already or the step moved on."""
    step = state.playbook.step(step_id)
    backups = backups_of(step.to, contacts) if isinstance(step, EscalateStep) else {}
    if (
        state.pending != step_id
        or role in state.escalated
        or outcome not in (NOTIFIED, UNREACHABLE)
        or not isinstance(step, EscalateStep)
        or (role not in step.to and role not in backups)
    ):
        return []
    message = render(state, step_id, now).text
    return [_reached(state, step_id, role, outcome, backups, message, now, actor, contacts)[1]]


def _out_of_reach(state: ev.State, role: str, now: datetime) -> str | None:
    """The drill inject that makes `role` unreachable at `now`, or None."""
    run = state.drill_run
    if run is None or not run.unreachable:
        return None
    return run.unreachable_role(role, elapsed_ms(state.detected_at, now))


def out_of_reach(state: ev.State, roles: list[str], now: datetime) -> dict[str, str]:
    """The roles of `roles` a drill's inject keeps out of reach at `now`, with that inject's id:
    an escalation records them as unreachable whatever the answer says."""
    return {role: held for role in roles if (held := _out_of_reach(state, role, now)) is not None}


def backups_of(roles: list[str], contacts: dict[str, Any]) -> dict[str, str]:
    """The backups the configuration names for `roles` (and their backups, in turn): each backup
    role with the role it stands in for. Tried when a role cannot be reached."""
    found: dict[str, str] = {}
    queue = list(roles)
    while queue:
        role = queue.pop(0)
        backup = getattr(contacts.get(role), "backup", None)
        if isinstance(backup, str) and (backup := nfc(backup)) not in roles and backup not in found:
            found[backup] = role
            queue.append(backup)
    return found


def contact_of(state: ev.State, role: str, contacts: dict[str, Any]) -> dict[str, str]:
    """Who answers for `role`: from the configuration's contacts, or the playbook's description."""
    person = contacts.get(role)
    found = {k: getattr(person, k) for k in ("name", "phone", "email") if person and getattr(person, k)}
    found.setdefault("description", state.playbook.role_description(role))
    return found


# ----------------------------------------------------------------------------- responder actions


def note(text: str, now: datetime, actor: str, step: str | None = None) -> list[Event]:
    return [ev.make_event(ev.NOTE_ADDED, actor, step, {"text": personal(text)}, now)]


def change_severity(state: ev.State, to: str, reason: str, now: datetime, actor: str) -> list[Event]:
    found = level_named(state.playbook, to)
    if found is None:
        labels = [state.playbook.severity.label(lv) for lv in levels_of(state.playbook)]
        raise AnswerError(
            _("severity '{level}' is not a level of this playbook; expected {expected}").format(
                level=nfc(to), expected=one_of(labels)
            )
        )
    to = found
    if to == state.severity:
        return []
    return [
        ev.make_event(
            ev.SEVERITY_CHANGED,
            actor,
            state.pending,
            {"from": state.severity, "to": to, "reason": personal(reason)},
            now,
        )
    ]


def assign(state: ev.State, role: str, person: str, now: datetime, actor: str) -> list[Event]:
    """`role.assigned`: `person` holds `role` from now on; UsageError for a role the incident has not."""
    role, person = nfc(role.strip()), " ".join(person.split())
    roles = state.playbook.assignable_roles
    if role not in roles:
        raise UsageError(
            _("no role '{role}' in this incident{suggestion}; roles: {roles}").format(
                role=role, suggestion=did_you_mean(role, roles), roles=", ".join(roles)
            )
        )
    if not person:
        raise UsageError(_("the person's name is empty"))
    if state.roles.get(role) == person:
        return []
    return [ev.make_event(ev.ROLE_ASSIGNED, actor, None, {"role": role, "person": person, "by": actor}, now)]


def roles_of(state: ev.State, person: str) -> list[str]:
    """The roles `person` holds in the incident (names compared without case or extra spaces)."""
    wanted = " ".join(person.split()).casefold()
    return [role for role, holder in state.roles.items() if holder.casefold() == wanted]


def request_approval(state: ev.State, step_id: str, text: str, now: datetime, actor: str) -> list[Event]:
    """`approval.requested` for a message step's text; nothing when that text already waits for approval."""
    step = state.playbook.step(step_id)
    approval = getattr(step, "approval", None)
    if approval is None:
        return []
    text = sent_text(state, render(state, step_id, now), text)
    digest = ev.text_hash(text)
    current = state.approvals.get(step_id)
    if (
        current is not None
        and not current["rejected"]
        and digest in (current["message_hash"], current["requested_hash"])
    ):
        return []
    data = {"step": step_id, "by": list(approval.by), "need": approval.need, "text": text, "message_hash": digest}
    return [ev.make_event(ev.APPROVAL_REQUESTED, actor, step_id, data, now)]


def approval_for(state: ev.State, step_ref: str | None) -> dict[str, Any]:
    """The approval a command acts on: the step named (or, with none, the only one waiting);
    UsageError when there is none, or several and no step was named."""
    waiting = state.pending_approvals()
    if step_ref is None:
        if len(waiting) == 1:
            return waiting[0]
        if not waiting:
            raise UsageError(_("incident {incident} has no approval waiting").format(incident=state.incident_id))
        raise UsageError(
            _("several approvals are waiting ({steps}); name the step").format(
                steps=", ".join(a["step"] for a in waiting)
            )
        )
    approval = state.approvals.get(step_ref)
    if approval is None or ev.approval_status(approval) != ev.PENDING:
        steps = [a["step"] for a in waiting]
        raise UsageError(
            _("step '{step}' has no approval waiting{suggestion}").format(
                step=step_ref, suggestion=did_you_mean(step_ref, steps)
            )
            + (_("; waiting: {steps}").format(steps=", ".join(steps)) if steps else "")
        )
    return approval


def _approver_roles(state: ev.State, approval: dict[str, Any], person: str) -> list[str]:
    """The roles of `approval.by` that `person` holds and has not yet approved the current text with."""
    done = {g["by"] for g in approval["given"] if g["message_hash"] == approval["message_hash"]}
    held = [role for role in approval["by"] if role in roles_of(state, person)]
    if not held:
        holders = [f"{role}: {state.roles[role]}" if role in state.roles else role for role in approval["by"]]
        raise UsageError(
            _(
                "{person} holds none of the roles this approval needs ({roles}); "
                "`crisisplay assign` gives a role to a person"
            ).format(person=person, roles=", ".join(holders))
        )
    return [role for role in held if role not in done] or held


def give_approval(
    state: ev.State,
    approval: dict[str, Any],
    person: str,
    now: datetime,
    actor: str,
    edited: str | None = None,
    role: str | None = None,
) -> list[Event]:
    """`approval.given` once for each role of the approval `person` holds; with `role`, a phone
    approval the driver records for that role (nobody's assignment is checked: they said so)."""
    person = " ".join(person.split())
    if not person:
        raise UsageError(_("the approver's name is empty"))
    if edited is not None and not edited.strip():
        raise UsageError(_("the edited message is empty"))
    roles = [role] if role is not None else _approver_roles(state, approval, person)
    text = personal(edited.strip("\n")) if edited is not None else approval["text"]
    out = []
    for i, held in enumerate(roles):
        who = person if role is not None else state.roles.get(held, person)  # as the assignment spells it
        data: dict[str, Any] = {"step": approval["step"], "by": held, "person": who, "message_hash": ev.text_hash(text)}
        if edited is not None and i == 0 and text != approval["text"]:
            data["edited"] = text
        if role is not None:
            data["by_phone"] = True
        out.append(ev.make_event(ev.APPROVAL_GIVEN, actor, approval["step"], data, now))
    return out


def reject_approval(
    state: ev.State, approval: dict[str, Any], person: str, reason: str, now: datetime, actor: str
) -> list[Event]:
    """`approval.rejected`: the message goes back to the driver with the reason."""
    if not reason.strip():
        raise UsageError(_("--reason is empty; say what to change"))
    roles = _approver_roles(state, approval, person)
    who = state.roles.get(roles[0]) or " ".join(person.split())
    data = {"step": approval["step"], "by": roles[0], "person": who, "reason": personal(reason.strip())}
    return [ev.make_event(ev.APPROVAL_REJECTED, actor, approval["step"], data, now)]


def handover(previous: str, responder: str, reason: str, now: datetime) -> list[Event]:
    """`incident.handover`: `responder` took the lease `previous` held."""
    return [
        ev.make_event(
            ev.HANDOVER,
            responder,
            None,
            {"from": previous, "to": responder, "reason": personal(reason) or ev.REASON_NONE},
            now,
        )
    ]


def pause(reason: str, now: datetime, actor: str) -> list[Event]:
    return [ev.make_event(ev.PAUSED, actor, None, {"reason": reason}, now)]


def resume(responder: str, now: datetime) -> list[Event]:
    return [ev.make_event(ev.RESUMED, responder, None, {"responder": responder}, now)]


def close(reason: str, now: datetime, actor: str) -> list[Event]:
    typed = reason if reason == ev.REASON_COMPLETED else personal(reason)
    return [ev.make_event(ev.CLOSED, actor, None, {"outcome": "closed", "reason": typed}, now)]


def start(
    incident_id: str,
    playbook: Playbook,
    source: dict[str, Any],
    *,
    drill: bool,
    responder: str,
    organisation: str | None,
    detected_at: datetime,
    now: datetime,
    version: str,
    scenario: dict[str, Any] | None = None,
) -> list[Event]:
    """The `incident.started` event: everything resume and export need, the playbook snapshot included.

    A drill also starts its scenario clock (`scenario_ms`, `clock`, `speed`); with `scenario`
    (`snapshot`, `source`, `clock`, `speed`), the scenario it rehearses is snapshotted too."""
    data = {
        "incident_id": incident_id,
        "playbook": source,
        "snapshot": playbook.normalised(),
        # The log sorts mapping keys; this keeps the order the author wrote (inputs are asked in it).
        "snapshot_order": {key: list(getattr(playbook, key)) for key in ev.ORDERED_MAPPINGS},
        "drill": drill,
        "responder": responder,
        "organisation": organisation,
        "detected_at": format_ts(detected_at),
        "version": version,
    }
    if drill:
        given = scenario or {}
        data["scenario_ms"] = max(0, elapsed_ms(detected_at, now))
        data["clock"] = given.get("clock", LIVE)
        data["speed"] = given.get("speed", 1)
        if given.get("snapshot") is not None:
            data["scenario"] = given["snapshot"]
            data["scenario_source"] = given["source"]
    return [ev.make_event(ev.STARTED, responder, None, data, now)]
