"""The key events of an incident: the decisions that changed something, one row per decision.

The report's timeline shows these; its appendix shows every event. A decision and what it
caused (an answer, the severity it set, the message it sent, the people it reached, the
milestone it completed) share a step and a moment in the log, so they make one row. What
changed nothing — inputs, `step.entered`, pauses and resumes, acknowledged info steps, text
and number answers (the post-mortem answers have their own section), skips by condition —
stays in the appendix.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, cast

from crisisplay import events as ev
from crisisplay.export.words import clip, result_words, step_title
from crisisplay.i18n import _
from crisisplay.metrics import MISSED, Metrics, Moment

if TYPE_CHECKING:
    from crisisplay.playbook.model import _Step
from crisisplay.playbook.model import ChecklistStep, ChoiceStep, ConfirmStep, format_duration
from crisisplay.times import parse_ts

# Answers that are decisions by themselves: approvals, assessments, what was done.
DECISION_STEPS = (ChoiceStep, ConfirmStep, ChecklistStep)
# Events that always changed something.
CHANGES = frozenset(
    (
        ev.SEVERITY_CHANGED,
        ev.MESSAGE_SENT,
        ev.ESCALATION_NOTIFIED,
        ev.ESCALATION_UNREACHABLE,
        ev.MILESTONE_REACHED,
        ev.OUTCOME_DECIDED,
    )
)
STANDALONE = frozenset((ev.STARTED, ev.NOTE_ADDED, ev.CLOSED))
DECIDED = frozenset((ev.STEP_ANSWERED, ev.STEP_SKIPPED))  # a group starts at a decision
# How a line reads: plain, or marked as a missed target, an unreachable person, a severity change.
PLAIN, ALERT, SEVERITY = "", "alert", "severity"


class KeyEvent(NamedTuple):
    """One row of the key events: when, at which step, by whom, and each thing that changed."""

    at: datetime
    elapsed_ms: int
    step: str | None
    title: str | None  # what the report calls the step: its title, else its id
    actor: str
    lines: tuple[tuple[str, str], ...]  # (words, tone), the decision first


def key_events(metrics: Metrics) -> Iterator[KeyEvent]:
    """The key events of the report's timeline, in log order (none without a timeline), one at a time."""
    decisions = frozenset(s.id for s in metrics.playbook.steps if isinstance(s, DECISION_STEPS))
    by_condition = frozenset((s["step"], s["elapsed_ms"]) for s in metrics.skips if s["by"] == "condition")
    titles: dict[str | None, str | None] = {}

    def close(group: list[Moment]) -> KeyEvent | None:
        lines = [
            line for moment in group if (line := _line(moment, group, metrics, decisions, by_condition)) is not None
        ]
        if not lines:
            return None
        head = group[0]
        title = titles.get(head.step, _UNSEEN)
        if title is _UNSEEN:
            if len(titles) >= _TITLES:  # a log written by hand may name a new step on every line
                titles.clear()
            title = titles[head.step] = step_title(metrics, head.step)
        return KeyEvent(head.at, head.elapsed_ms, head.step, cast("str | None", title), head.actor, tuple(lines))

    group: list[Moment] = []
    for moment in metrics.timeline or ():
        if (
            group
            and moment.type in CHANGES
            and group[0].type in DECIDED
            and moment.step == group[0].step
            and moment.at == group[0].at
        ):
            group.append(moment)
            continue
        if group and (row := close(group)) is not None:
            yield row
        group = [moment]
    if group and (row := close(group)) is not None:
        yield row


_UNSEEN = object()
_TITLES = 4096  # step titles remembered at most


def _line(
    moment: Moment,
    group: list[Moment],
    metrics: Metrics,
    decisions: frozenset[str],
    by_condition: frozenset[tuple[str | None, int]],
) -> tuple[str, str] | None:
    """What one event of a group changed, in words and tone; None when it changed nothing."""
    kind, words = moment.type, moment.words
    if kind in DECIDED:
        if kind == ev.STEP_SKIPPED and (moment.step, moment.elapsed_ms) in by_condition:  # the playbook's choice
            return None
        if kind == ev.STEP_SKIPPED or moment.step in decisions:
            return (clip(_without_step(words, moment.step)), PLAIN)
        return None
    if kind == ev.MESSAGE_SENT:
        edited = any(m.type == ev.STEP_ANSWERED and m.words.endswith(_("sent (edited)")) for m in group)
        return (words + (" " + _("(edited before sending)") if edited else ""), PLAIN)
    if kind == ev.MILESTONE_REACHED:
        return _milestone(moment, metrics)
    if kind == ev.ESCALATION_UNREACHABLE:
        return (words, ALERT)
    if kind == ev.SEVERITY_CHANGED:
        cause = f" ({moment.step}: "
        if group[0].type == ev.STEP_ANSWERED and cause in words:  # the answer just above is the reason
            words = words[: words.index(cause)]
        return (words, SEVERITY)
    if kind == ev.OUTCOME_DECIDED:  # the decision's row names the step already
        return (_without_step(words, moment.step), SEVERITY)
    if kind in CHANGES:
        return (words, PLAIN)
    if kind == ev.NOTE_ADDED:
        return (clip(words), PLAIN)
    if kind in STANDALONE:
        return (words, PLAIN)
    return None


def _step(metrics: Metrics, step_id: str | None) -> _Step | None:
    """The step's definition in the snapshot, or None (a log written by hand may name any step)."""
    return metrics.playbook.step(step_id) if step_id is not None and step_id in metrics.playbook.step_index else None


def _without_step(words: str, step: str | None) -> str:
    """`assess-reach: Shared widely` → `Shared widely`: the row names the step already."""
    prefix = f"{step}: "
    return words[len(prefix) :] if step and words.startswith(prefix) else words


def _milestone(moment: Moment, metrics: Metrics) -> tuple[str, str]:
    """`milestone acknowledged: missed by 35m (target 1h)`, from the same figures as the response times."""
    step = _step(metrics, moment.step)
    name = getattr(step, "milestone", None)
    target = next((t for t in metrics.targets if t.name == name), None)
    if target is None or target.reached is None or parse_ts(target.reached) != moment.at:
        return (moment.words, PLAIN)
    words = _("milestone {name}: {result}").format(name=target.shown, result=result_words(target))
    if target.target_ms is not None:
        words += " " + _("(target {goal})").format(goal=format_duration(target.target_ms))
    return (words, ALERT if target.result == MISSED else PLAIN)
