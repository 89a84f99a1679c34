"""The key events of an incident: the decisions that changed something, one row per decision.

The report's timeline shows these; its appendix shows every event. A decision and what it
caused (an answer, the severity it set, the message it sent, the people it reached, the
milestone it completed) share a step and a moment in the log, so they make one row. What
changed nothing — inputs, `step.entered`, pauses and resumes, acknowledged info steps, text
and number answers (the post-mortem answers have their own section), skips by condition —
stays in the appendix.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from crisisplay import events as ev
from crisisplay.export.words import clip, result_words
from crisisplay.metrics import MISSED, Metrics, Moment
from crisisplay.playbook.model import format_duration

# Answers that are decisions by themselves: approvals, assessments, what was done.
DECISION_TYPES = frozenset(("choice", "confirm", "checklist"))
# Events that always changed something.
CHANGES = frozenset((ev.SEVERITY_CHANGED, ev.MESSAGE_SENT, ev.ESCALATION_NOTIFIED, ev.ESCALATION_UNREACHABLE,
                     ev.MILESTONE_REACHED))
STANDALONE = frozenset((ev.STARTED, ev.NOTE_ADDED, ev.CLOSED))
# How a line reads: plain, or marked as a missed target, an unreachable person, a severity change.
PLAIN, ALERT, SEVERITY = "", "alert", "severity"


class KeyEvent(NamedTuple):
    """One row of the key events: when, at which step, by whom, and each thing that changed."""

    at: datetime
    elapsed_ms: int
    step: str | None
    actor: str
    lines: tuple[tuple[str, str], ...]  # (words, tone), the decision first


def key_events(metrics: Metrics) -> list[KeyEvent]:
    """The key events of the report's timeline, in log order (empty without a timeline)."""
    rows: list[KeyEvent] = []
    group: list[Moment] = []
    for moment in metrics.timeline or ():
        if group and moment.type in CHANGES and moment.step == group[0].step and moment.at == group[0].at:
            group.append(moment)
            continue
        _close(group, metrics, rows)
        group = [moment]
    _close(group, metrics, rows)
    return rows


def _close(group: list[Moment], metrics: Metrics, rows: list[KeyEvent]) -> None:
    """Add the row of a finished group, if anything in it changed something."""
    if not group:
        return
    lines = [line for moment in group if (line := _line(moment, group, metrics)) is not None]
    if lines:
        head = group[0]
        rows.append(KeyEvent(head.at, head.elapsed_ms, head.step, head.actor, tuple(lines)))


def _line(moment: Moment, group: list[Moment], metrics: Metrics) -> tuple[str, str] | None:
    kind, words = moment.type, moment.words
    if kind == ev.STEP_ANSWERED or kind == ev.STEP_SKIPPED:
        step = _step(metrics, moment.step)
        decision = kind == ev.STEP_SKIPPED or (step is not None and step.type in DECISION_TYPES)
        if kind == ev.STEP_SKIPPED and words.endswith("is false)"):  # skipped by its condition
            return None
        return (clip(_without_step(words, moment.step)), PLAIN) if decision else None
    if kind == ev.MESSAGE_SENT:
        edited = any(m.type == ev.STEP_ANSWERED and m.words.endswith("sent (edited)") for m in group)
        return (words + (" (edited before sending)" if edited else ""), PLAIN)
    if kind == ev.MILESTONE_REACHED:
        return _milestone(moment, metrics)
    if kind == ev.ESCALATION_UNREACHABLE:
        return (words, ALERT)
    if kind == ev.SEVERITY_CHANGED:
        cause = f" ({moment.step}: "
        if group[0].type == ev.STEP_ANSWERED and cause in words:  # the answer just above is the reason
            words = words[: words.index(cause)]
        return (words, SEVERITY)
    if kind in CHANGES:
        return (words, PLAIN)
    if kind == ev.NOTE_ADDED:
        return (clip(words), PLAIN)
    if kind in STANDALONE:
        return (words, PLAIN)
    return None


def _step(metrics: Metrics, step_id: str | None):
    """The step's definition in the snapshot, or None (a log written by hand may name any step)."""
    return metrics.playbook.step(step_id) if step_id in metrics.playbook.step_index else None


def _without_step(words: str, step: str | None) -> str:
    """`assess-reach: Shared widely` → `Shared widely`: the row names the step already."""
    prefix = f"{step}: "
    return words[len(prefix):] if step and words.startswith(prefix) else words


def _milestone(moment: Moment, metrics: Metrics) -> tuple[str, str]:
    """`milestone acknowledged: missed by 35m (target 1h)`, from the same figures as the response times."""
    step = _step(metrics, moment.step)
    name = getattr(step, "milestone", None)
    target = next((t for t in metrics.targets if t.name == name), None)
    if target is None or target.reached is None or ev.parse_ts(target.reached) != moment.at:
        return (moment.words, PLAIN)
    goal = f" (target {format_duration(target.target_ms)})" if target.target_ms is not None else ""
    return (f"milestone {name}: {result_words(target)}{goal}", ALERT if target.result == MISSED else PLAIN)
