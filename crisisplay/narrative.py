"""Each event of an incident in the responder's words: progress lines, the resume recap and
the timeline of the post-mortem report all say a decision the same way."""

from __future__ import annotations

import re
from typing import Any

from crisisplay.clocks import MONITOR_ONLY, OUTCOME_DECIDED, REASON_MONITOR_ONLY
from crisisplay.events import (
    APPROVAL_GIVEN,
    APPROVAL_REJECTED,
    APPROVAL_REQUESTED,
    CLOSED,
    DRILL_INJECT,
    ESCALATION_NOTIFIED,
    ESCALATION_UNREACHABLE,
    HANDOVER,
    INPUT_SET,
    MESSAGE_SENT,
    MILESTONE_REACHED,
    NOTE_ADDED,
    NOTIFICATION_FAILED,
    NOTIFICATION_QUEUED,
    NOTIFICATION_SENT,
    PAUSED,
    REASON_COMPLETED,
    REASON_INJECT,
    REASON_NONE,
    REASON_WHEN_FALSE,
    RESUMED,
    ROLE_ASSIGNED,
    SEVERITY_CHANGED,
    STARTED,
    STEP_ANSWERED,
    STEP_ENTERED,
    STEP_SKIPPED,
    Event,
)
from crisisplay.i18n import ENGLISH, N_, _, format_number, joined, language
from crisisplay.notify.reasons import failure_words
from crisisplay.personal import ERASED, shown
from crisisplay.playbook.model import Playbook, format_duration
from crisisplay.playbook.roles import person, role_words


def _answer_words(step_type: str, answer: Any, pb: Playbook) -> str:
    if step_type == "confirm":
        return _("yes") if answer else _("no")
    if step_type == "choice":
        return str(answer.get("label") or answer.get("value"))
    if step_type == "checklist":
        done, not_done = answer.get("done", []), answer.get("not_done", [])
        words = _("{done} of {total} done").format(done=len(done), total=len(done) + len(not_done))
        if not_done:
            words += " " + _("(not done: {items})").format(items="; ".join(not_done))
        if answer.get("reason") or "reason" in answer:
            words += "; " + _("reason: {reason}").format(reason=shown(answer["reason"]))
        return words
    if step_type == "message":
        return _("sent (edited)") if answer.get("edited") else _("sent")
    if step_type == "escalate":
        # People, not ids: the log keeps `legal`, the responder reads "legal counsel".
        return ", ".join(f"{role_words(pb, role)} {_outcome(outcome)}" for role, outcome in answer.items())
    if step_type == "info":
        return _("acknowledged")
    if step_type == "number":
        return _number_words(answer)
    return str(shown(answer))


def _input_words(pb: Playbook, name: str, value: object) -> str:
    """An input's value as the responder chose it: a choice's label, a number the language's way
    ("[erased]" once a personal one is erased)."""
    if value is None:
        return ERASED
    spec = pb.inputs.get(name)
    if spec is not None and spec.type == "choice":
        return next((o.label for o in spec.options or [] if (o.value or o.label) == value), str(value))
    if spec is not None and spec.type == "number":
        return _number_words(value)
    return str(value)


def _number_words(value: object) -> str:
    """A logged number (`1234.5`) the reader's way: as logged in English, `1234,5` in Spanish."""
    return str(value) if language() == ENGLISH else format_number(value)


# The words the log writes as values — statuses, outcomes, target results, pause reasons and
# the engine's own reasons — as a reader sees them. The log keeps the English words (data);
# this is the one place they are put into words. A reason a responder typed is shown as typed.
LOG_WORDS = {
    # statuses (`incidents`, the report), and what `incidents` says of a log it cannot read
    "running": N_("running"),
    "paused": N_("paused"),
    "interrupted": N_("interrupted"),
    "closed": N_("closed"),
    "unreadable": N_("unreadable"),
    # outcomes: of an incident, of an escalation
    "completed": N_("completed"),
    "notified": N_("notified"),
    "unreachable": N_("unreachable"),
    # a target's result (metrics.MET, MISSED, NOT_REACHED, REACHED)
    "met": N_("met"),
    "missed": N_("missed"),
    "not-reached": N_("not reached"),
    "reached": N_("reached"),
    # why an incident paused (run/session.py)
    "answers-ran-out": N_("answers-ran-out"),
    "answer-error": N_("answer-error"),
    "responder": N_("responder"),
    "playbook-error": N_("playbook-error"),
    "awaiting-approval": N_("awaiting-approval"),
    # the engine's reasons
    REASON_COMPLETED: N_("the playbook reached its end"),
    REASON_NONE: N_("no reason given"),
    REASON_MONITOR_ONLY: N_("monitor only: no public message"),
    # an outcome an option decides (`outcome.decided`)
    MONITOR_ONLY: N_("monitor only"),
}
_WHEN_FALSE = re.compile(re.escape(REASON_WHEN_FALSE).replace(re.escape("{condition}"), "(?P<condition>.*)"), re.S)
_INJECT = re.compile(
    re.escape(REASON_INJECT)
    .replace(re.escape("{inject}"), "(?P<inject>[^:]*)")
    .replace(re.escape("{text}"), "(?P<text>.*)"),
    re.S,
)


def log_words(value: object) -> str:
    """A value of the log (status, outcome, reason) in the reader's words; anything else as written."""
    if value is None:
        return ""
    text = str(value)
    known = LOG_WORDS.get(text)
    if known is not None:
        return _(known)
    when = _WHEN_FALSE.fullmatch(text)
    if when:
        return _("when: {condition} is false").format(condition=when["condition"])
    inject = _INJECT.fullmatch(text)
    if inject:
        return _("drill inject {inject}: {text}").format(inject=inject["inject"], text=inject["text"])
    return text


def said(data: dict[str, Any], key: str) -> str:
    """A value of `data` a responder gave, in words: "[erased]" when it is logged and now None
    (a personal value whose key is gone: the log never writes null there), "" when absent."""
    value = data.get(key)
    if value is None:
        return ERASED if key in data else ""
    return log_words(value)


def _outcome(outcome: object) -> str:
    """An escalation's outcome in words (the log keeps `notified` / `unreachable`)."""
    return log_words(outcome)


def _delivery_words(kind: str, data: dict[str, Any], pb: Playbook) -> str:
    """A delivery in words: who it was for, how, and how it went (the log keeps ids and schemes)."""
    who = role_words(pb, str(data["role"])) if data.get("role") else f"#{data.get('channel') or ''}"
    where = {"who": who, "service": data.get("service") or "—", "attempt": data.get("attempt")}
    if data.get("simulated"):  # what an answers file said delivery did: no attempt, no reason of its own
        simulated = {
            NOTIFICATION_QUEUED: N_("delivery to {who} via {service}: queued (simulated)"),
            NOTIFICATION_SENT: N_("delivery to {who} via {service}: delivered (simulated)"),
            NOTIFICATION_FAILED: N_("delivery to {who} via {service}: failed (simulated)"),
        }
        return _(simulated[kind]).format(**where)
    if kind == NOTIFICATION_QUEUED:
        return _("delivery to {who} via {service}: queued").format(**where)
    if kind == NOTIFICATION_SENT:
        return _("delivery to {who} via {service}: delivered (attempt {attempt})").format(**where)
    if data.get("unknown"):
        return _("delivery to {who} via {service}: outcome unknown, not sent again").format(**where)
    return _("delivery to {who} via {service}: attempt {attempt} failed ({error})").format(
        **where, error=failure_words(data.get("error"))
    )


def describe(event: Event, pb: Playbook) -> str | None:
    """One event as a line in the responder's words (None for bookkeeping events)."""
    kind, data, step = event["type"], event.get("data", {}), event.get("step")
    if kind == STEP_ENTERED:  # bookkeeping, and one of every decision's events: said by the answer
        return None
    if kind == STARTED:
        kind = _("drill") if data.get("drill") else _("real")
        return _("started {incident} ({kind}) by {responder}").format(
            incident=data.get("incident_id"), kind=kind, responder=data.get("responder")
        )
    if kind == INPUT_SET:
        return f"{data['name']}: {_input_words(pb, data['name'], data.get('value'))}"
    if kind == STEP_ANSWERED:
        step_type = pb.step(step).type if step in pb.step_index else "text"
        return f"{step}: {_answer_words(step_type, data.get('answer'), pb)}"
    if kind == STEP_SKIPPED:
        return _("{step}: skipped ({reason})").format(step=step, reason=said(data, "reason"))
    if kind == SEVERITY_CHANGED:
        level = pb.severity.label  # the words shown for a level (its label), the name without one
        return _("severity {old} → {new} ({reason})").format(
            old=level(str(data.get("from"))), new=level(str(data.get("to"))), reason=said(data, "reason")
        )
    if kind == MESSAGE_SENT:
        return _("message sent on {channel}").format(channel=said(data, "channel"))
    if kind in (NOTIFICATION_QUEUED, NOTIFICATION_SENT, NOTIFICATION_FAILED):
        return _delivery_words(kind, data, pb)
    if kind in (ESCALATION_NOTIFIED, ESCALATION_UNREACHABLE):
        contact = data.get("contact") or {}
        outcome = _outcome("notified" if kind == ESCALATION_NOTIFIED else "unreachable")
        return f"{person(pb, str(data.get('role') or '?'), contact.get('name'))}: {outcome}"
    if kind == MILESTONE_REACHED:
        target = data.get("target_ms")
        verdict = ""
        if target is not None:
            met = data["elapsed_ms"] <= target
            verdict = (_(", target {target} met") if met else _(", target {target} missed")).format(
                target=format_duration(target)
            )
        return (
            _("milestone {name} after {span}").format(
                name=pb.milestone_label(str(data.get("name"))), span=format_duration(data["elapsed_ms"])
            )
            + verdict
        )
    if kind == OUTCOME_DECIDED:
        return _("{step}: decided {outcome} ({reason})").format(
            step=step, outcome=log_words(data.get("outcome")), reason=said(data, "reason")
        )
    if kind == DRILL_INJECT:
        return _("drill inject {inject}: {text}").format(inject=data.get("inject"), text=said(data, "text"))
    if kind == NOTE_ADDED:
        return _("note: {text}").format(text=said(data, "text"))
    if kind == PAUSED:
        return _("paused ({reason})").format(reason=log_words(data.get("reason")))
    if kind == RESUMED:
        return _("resumed by {responder}").format(responder=data.get("responder"))
    if kind == HANDOVER:
        return _("{to} took over from {previous} ({reason})").format(
            to=data.get("to"), previous=data.get("from"), reason=said(data, "reason")
        )
    if kind == ROLE_ASSIGNED:
        return _("{person} is {role}").format(person=data.get("person"), role=role_words(pb, str(data.get("role"))))
    if kind == APPROVAL_REQUESTED:
        words = [role_words(pb, str(role)) for role in data.get("by") or []]
        if data.get("need") == "all":
            return _("{step}: approval asked of all of {roles}").format(step=step, roles=joined(words))
        return _("{step}: approval asked of any of {roles}").format(step=step, roles=joined(words, "or"))
    if kind == APPROVAL_GIVEN:
        line = _("{step}: approved by {person} ({role})").format(
            step=step, person=data.get("person"), role=role_words(pb, str(data.get("by")))
        )
        if data.get("by_phone"):
            line += " " + _("(by phone)")
        if data.get("edited") is not None:
            line += " " + _("(edited the text)")
        return line + (_(" (simulated)") if data.get("simulated") else "")
    if kind == APPROVAL_REJECTED:
        return _("{step}: rejected by {person} ({role}): {reason}").format(
            step=step, person=data.get("person"), role=role_words(pb, str(data.get("by"))), reason=said(data, "reason")
        )
    if kind == CLOSED:
        closed = _("closed: {outcome}").format(outcome=log_words(data.get("outcome")))
        return closed + (f" ({said(data, 'reason')})" if data.get("reason") or "reason" in data else "")
    return None
