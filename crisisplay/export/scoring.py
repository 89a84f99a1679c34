"""A drill's scorecard and its comparison with the previous run, in words: for the md and html reports
and for the lines a drill run ends with. The figures come from crisisplay/scorecard.py and
crisisplay/drill_history.py (its words come from crisisplay/scorecard.py); this module only says them.
"""

from __future__ import annotations

from typing import Any

from crisisplay import scorecard as sc
from crisisplay.i18n import N_, _
from crisisplay.personal import shown
from crisisplay.playbook.model import Playbook, format_duration
from crisisplay.scorecard import BETTER, FASTER, NOT_REACHED, SAME, SLOWER, WORSE

CATEGORY_NAMES = {
    sc.TARGETS: N_("Response targets"),
    sc.DEADLINES: N_("Deadlines"),
    sc.INJECTS: N_("Injects"),
    sc.ESCALATIONS: N_("Escalations"),
    sc.APPROVALS: N_("Approvals"),
    sc.CHECKLISTS: N_("Checklists"),
    sc.MESSAGES: N_("Messages"),
    sc.SKIPS: N_("Skipped steps"),
}
CATEGORY_COLUMNS = (N_("Category"), N_("Weight"), N_("Points"), N_("Score"))
POINT_COLUMNS = (N_("Category"), N_("What"), N_("Result"), N_("Events"))
COMPARE_COLUMNS = (N_("Category"), N_("This run"), N_("Previous run"), N_("Change"))
TARGET_COMPARE_COLUMNS = (N_("Target"), N_("This run"), N_("Previous run"), N_("Change"))


def category_name(name: str) -> str:
    return _(CATEGORY_NAMES.get(name, name))


def percent(value: float | None) -> str:
    """`72.5%` (`72,5 %` in Spanish, as the language writes a percentage), `100%`, or `—` when there is nothing to score."""
    if value is None:
        return "—"
    return _("{number}%").format(number=number(value))


def number(value: float) -> str:
    """A score's figure in the reader's language, to two places at most."""
    from crisisplay.i18n import format_number

    return format_number(f"{round(value, 2):g}")


def total_words(card: sc.Scorecard) -> str:
    total = card.total
    if total is None:
        if card.points:  # points, every one in a category weighted 0
            return _("Score: none (every category with points has weight 0 in [drill.weights]).")
        return _("Score: nothing to score in this drill.")
    return _("Score: {percent} (the weighted average of the categories below).").format(percent=percent(total))


def category_rows(card: sc.Scorecard) -> list[tuple[str, str, str, str]]:
    """(category, weight, points, score) for each category with points."""
    return [
        (
            category_name(c.name),
            number(c.weight),
            _("{earned} of {count}").format(earned=number(c.earned), count=c.count),
            percent(c.percent),
        )
        for c in card.categories
        if c.count
    ]


def subject_words(point: sc.Point, pb: Playbook) -> str:
    """What a point is about, as the report names it."""
    if point.category == sc.TARGETS:
        return pb.milestone_label(point.subject)
    if point.category == sc.DEADLINES:
        name, _sep, run = point.subject.partition(" #")
        deadline = pb.deadlines.get(name)
        label = (deadline.label if deadline is not None else None) or name
        return f"{label} #{run}" if run else label
    if point.category == sc.INJECTS:
        return f"{point.subject}: {shown(point.detail)}" if point.detail != "" else point.subject
    if point.category == sc.ESCALATIONS:
        return pb.role_label(point.subject)
    step = pb.step(point.subject) if point.subject in pb.step_index else None
    return (step.title or step.id) if step is not None else point.subject


def result_words(point: sc.Point) -> str:
    """How a point went, with the times it was held to."""
    result, margin = point.result, point.margin_ms
    took = format_duration(point.elapsed_ms) if point.elapsed_ms is not None else None
    goal = format_duration(point.target_ms) if point.target_ms is not None else None
    if result == sc.MET:
        words = _("met, {margin} to spare").format(margin=format_duration(margin)) if margin else _("met, just in time")
    elif result in (sc.MISSED, sc.OVERDUE):
        words = _("missed by {margin}").format(margin=format_duration(-margin)) if margin is not None else _("missed")
    elif result == sc.NOT_REACHED and point.category == sc.ESCALATIONS:
        return _("not reached ({person})").format(person=point.detail) if point.detail else _("not reached")
    elif result == sc.NOT_REACHED:
        return _("not reached (target {goal})").format(goal=goal) if goal else _("not reached")
    elif result in (sc.ANSWERED, sc.LATE):
        assert took is not None
        if result == sc.LATE and margin is not None:
            return _("answered in {took}, {over} over its {goal} target").format(
                took=took, over=format_duration(-margin), goal=goal
            )
        return (_("answered in {took} (target {goal})") if goal else _("answered in {took}")).format(
            took=took, goal=goal
        )
    elif result == sc.UNANSWERED:
        return _("not answered")
    elif result == sc.REACHED:
        return _("reached {person}").format(person=point.detail) if point.detail else _("reached")
    elif result == sc.OUT_OF_REACH:
        return (
            _("tried while the drill kept them out of reach ({person})").format(person=point.detail)
            if point.detail
            else _("tried while the drill kept them out of reach")
        )
    elif result == sc.APPROVED:
        return _("approved before it was sent")
    elif result == sc.NOT_APPROVED:
        return _("sent without approval")
    elif result in (sc.COMPLETE, sc.INCOMPLETE):
        return _("{done} items done").format(done=point.detail)
    elif result == sc.AS_RENDERED:
        return _("sent as the playbook wrote it")
    elif result == sc.EDITED:
        return _("edited before sending")
    elif result == sc.WITH_REASON:
        return _("skipped: {reason}").format(reason=shown(point.detail))
    elif result == sc.WITHOUT_REASON:
        return _("skipped without a reason")
    else:
        return result
    if goal is not None and took is not None:
        words += " " + _("(target {goal}, took {took})").format(goal=goal, took=took)
    return words


def lost(point: sc.Point) -> bool:
    """A point that earned less than all it could: the report marks it."""
    return point.earned < 1


def trend_words(trend: str | None, delta: float | None) -> str:
    """`better (+12.5)`, `worse (-3)`, `same`, or `—`."""
    if trend is None or delta is None:
        return "—"
    if trend == SAME:
        return _("same")
    words = _("better") if trend == BETTER else _("worse") if trend == WORSE else trend
    return f"{words} ({'+' if delta > 0 else '-' if delta < 0 else ''}{number(abs(delta))})"


def target_change_words(row: dict[str, Any]) -> str:
    """`faster by 2m`, `slower by 30s`, `same`, `not reached this time`, or `—`."""
    trend, delta = row.get("trend"), row.get("delta_ms")
    if trend == FASTER and delta is not None:
        return _("faster by {span}").format(span=format_duration(-delta))
    if trend == SLOWER and delta is not None:
        return _("slower by {span}").format(span=format_duration(delta))
    if trend == SAME:
        return _("same")
    if trend == NOT_REACHED:
        return _("not reached this time")
    return "—"


def elapsed_words(ms: int | None) -> str:
    return format_duration(ms) if ms is not None else _("not reached")


def comparison_lead(comparison: dict[str, Any]) -> str:
    return _(
        "Compared with the previous run of this scenario, {incident}: score {now}, before {then}, {trend}."
    ).format(
        incident=comparison["previous"],
        now=percent(comparison["total_percent"]),
        then=percent(comparison["previous_total_percent"]),
        trend=trend_words(comparison["trend"], comparison["delta"]),
    )


def comparison_rows(comparison: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (
            category_name(row["name"]),
            percent(row["percent"]),
            percent(row["previous_percent"]),
            trend_words(row["trend"], row["delta"]),
        )
        for row in comparison["categories"]
    ]


def target_rows(comparison: dict[str, Any], pb: Playbook) -> list[tuple[str, str, str, str]]:
    return [
        (
            pb.milestone_label(row["name"]),
            elapsed_words(row["elapsed_ms"]),
            elapsed_words(row["previous_elapsed_ms"]),
            target_change_words(row),
        )
        for row in comparison["targets"]
    ]


def summary_lines(card: sc.Scorecard, pb: Playbook) -> list[str]:
    """The lines a drill run ends with: the score, each category, and each point not earned in full."""
    lines = [_("Drill scorecard: {score} (the weighted average of these categories)").format(score=percent(card.total))]
    for name, weight, points, score in category_rows(card):
        lines.append(
            "  "
            + _("{category}: {score} ({points}, weight {weight})").format(
                category=name, score=score, points=points, weight=weight
            )
        )
    for point in card.points:
        if lost(point) and point.category != sc.MESSAGES:
            lines.append(
                "  ✗ "
                + _("{category}, {what}: {result}").format(
                    category=category_name(point.category), what=subject_words(point, pb), result=result_words(point)
                )
            )
    return lines
