"""Each event of an incident in the responder's words: progress lines, the resume recap and
the timeline of the post-mortem report all say a decision the same way."""

from __future__ import annotations

from typing import Any

from crisisplay.events import (
    CLOSED,
    ESCALATION_NOTIFIED,
    ESCALATION_UNREACHABLE,
    INPUT_SET,
    MESSAGE_SENT,
    MILESTONE_REACHED,
    NOTE_ADDED,
    PAUSED,
    RESUMED,
    SEVERITY_CHANGED,
    STARTED,
    STEP_ANSWERED,
    STEP_SKIPPED,
    Event,
)
from crisisplay.playbook.model import Playbook, format_duration
from crisisplay.playbook.roles import person, role_words


def _answer_words(step_type: str, answer: Any, pb: Playbook) -> str:
    if step_type == "confirm":
        return "yes" if answer else "no"
    if step_type == "choice":
        return str(answer.get("label") or answer.get("value"))
    if step_type == "checklist":
        done, not_done = answer.get("done", []), answer.get("not_done", [])
        words = f"{len(done)} of {len(done) + len(not_done)} done"
        if not_done:
            words += " (not done: " + "; ".join(not_done) + ")"
        if answer.get("reason"):
            words += f"; reason: {answer['reason']}"
        return words
    if step_type == "message":
        return "sent (edited)" if answer.get("edited") else "sent"
    if step_type == "escalate":
        # People, not ids: the log keeps `legal`, the responder reads "legal counsel".
        return ", ".join(f"{role_words(pb, role)} {outcome}" for role, outcome in answer.items())
    if step_type == "info":
        return "acknowledged"
    return str(answer)


def describe(event: Event, pb: Playbook) -> str | None:
    """One event as a line in the responder's words (None for bookkeeping events)."""
    kind, data, step = event["type"], event.get("data", {}), event.get("step")
    if kind == STARTED:
        return (
            f"started {data.get('incident_id')} ({'drill' if data.get('drill') else 'real'}) by {data.get('responder')}"
        )
    if kind == INPUT_SET:
        return f"{data['name']}: {data['value']}"
    if kind == STEP_ANSWERED:
        step_type = pb.step(step).type if step in pb.step_index else "text"
        return f"{step}: {_answer_words(step_type, data.get('answer'), pb)}"
    if kind == STEP_SKIPPED:
        return f"{step}: skipped ({data.get('reason')})"
    if kind == SEVERITY_CHANGED:
        level = pb.severity.label  # the words shown for a level (its label), the name without one
        return f"severity {level(str(data.get('from')))} → {level(str(data.get('to')))} ({data.get('reason')})"
    if kind == MESSAGE_SENT:
        return f"message sent on {data.get('channel')}"
    if kind in (ESCALATION_NOTIFIED, ESCALATION_UNREACHABLE):
        contact = data.get("contact") or {}
        outcome = "notified" if kind == ESCALATION_NOTIFIED else "unreachable"
        return f"{person(pb, str(data.get('role') or '?'), contact.get('name'))}: {outcome}"
    if kind == MILESTONE_REACHED:
        target = data.get("target_ms")
        verdict = ""
        if target is not None:
            met = data["elapsed_ms"] <= target
            verdict = f", target {format_duration(target)} {'met' if met else 'missed'}"
        return f"milestone {pb.milestone_label(str(data.get('name')))} after {format_duration(data['elapsed_ms'])}{verdict}"
    if kind == NOTE_ADDED:
        return f"note: {data.get('text')}"
    if kind == PAUSED:
        return f"paused ({data.get('reason')})"
    if kind == RESUMED:
        return f"resumed by {data.get('responder')}"
    if kind == CLOSED:
        return f"closed: {data.get('outcome')}" + (f" ({data['reason']})" if data.get("reason") else "")
    return None
