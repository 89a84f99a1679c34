"""The scorecard of a drill: how the team did, point by point, each point traced to the events it came from.

A view of the log, like the metrics beside it: `Observations` is fed every event of the one
pass `metrics.measure` makes (read on the incident's clock, so a drill's times are scenario
times), and `scorecard` turns what it saw, with the metrics, into points. docs/drills.md gives
the rules; they are, per category (each point earns 0 to 1):

- `targets`: each response-time target of the playbook: met 1, missed or not reached 0;
- `deadlines`: each run of each deadline that started: met 1, missed or overdue 0;
- `injects`: each inject fired: answered (within its `within:`, when it has one) 1, else 0;
- `escalations`: each role escalated to: reached at some point 1; tried only while a drill inject
  held it out of reach 1 (the scenario decided that outcome: the inject's own point scores how
  the team went on); otherwise never reached 0;
- `approvals`: each message sent by a step with `approval:`: approved before it went out 1, else 0;
- `checklists`: each checklist answered: the share of its items done;
- `messages`: each message sent: as the playbook rendered it 1, edited 0 (weight 0 by default: shown, not scored);
- `skips`: each step the responder skipped: with a reason 1, without 0.

A category's score is its points' average; the total is the weighted average of the categories
that have points, as a percentage. Weights come from `[drill.weights]` in config.toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crisisplay import clocks
from crisisplay import events as ev
from crisisplay.personal import Sealed
from crisisplay.times import elapsed_ms, parse_ts

TARGETS, DEADLINES, INJECTS, ESCALATIONS = "targets", "deadlines", "injects", "escalations"
APPROVALS, CHECKLISTS, MESSAGES, SKIPS = "approvals", "checklists", "messages", "skips"
# How a figure compares with the previous run of the same scenario (drill_history.py, the reports).
FASTER, SLOWER, SAME, BETTER, WORSE = "faster", "slower", "same", "better", "worse"
NOT_REACHED = "not-reached"
CATEGORIES = (TARGETS, DEADLINES, INJECTS, ESCALATIONS, APPROVALS, CHECKLISTS, MESSAGES, SKIPS)
# What each category weighs in the total unless `[drill.weights]` says otherwise (docs/drills.md).
DEFAULT_WEIGHTS: dict[str, float] = {
    TARGETS: 3,
    DEADLINES: 2,
    INJECTS: 3,
    ESCALATIONS: 2,
    APPROVALS: 2,
    CHECKLISTS: 1,
    MESSAGES: 0,
    SKIPS: 1,
}
# The most a category may weigh (`[drill.weights]`): far more than any sensible weighting needs,
# and small enough that no sum of weights can overflow a float into inf or nan.
MAX_WEIGHT = 1000
MIN_WEIGHT = 0.001  # a weight of 0 leaves its category out; one above 0 is at least this
SCORECARD_VERSION = 1

# The result of a point, as the json export writes it (the reports put them in words).
MET, MISSED, NOT_REACHED, OVERDUE = "met", "missed", "not-reached", "overdue"
ANSWERED, LATE, UNANSWERED = "answered", "late", "unanswered"
REACHED, OUT_OF_REACH = "reached", "out-of-reach"
APPROVED, NOT_APPROVED = "approved", "not-approved"
COMPLETE, INCOMPLETE = "complete", "incomplete"
AS_RENDERED, EDITED = "as-rendered", "edited"
WITH_REASON, WITHOUT_REASON = "with-reason", "without-reason"


@dataclass(frozen=True)
class Point:
    """One thing scored: what (`category`, `subject`), how it went, what it earned, and from which events."""

    category: str
    subject: str  # a target or deadline name, an inject id, a role, a step id
    result: str
    earned: float  # 0 to 1
    events: tuple[int, ...]  # the `seq` of each event it comes from
    elapsed_ms: int | None = None  # targets: from detection; injects: from the inject to its answer
    target_ms: int | None = None  # the target, deadline or `within:` it was held to
    margin_ms: int | None = None  # to spare (positive) or over (negative)
    # An inject's text, a skip's reason, a checklist's `3/4`, a role's person; None: a personal
    # value erased (shown "[erased]", null in json).
    detail: str | None = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "subject": self.subject,
            "result": self.result,
            "earned": _number(self.earned),
            "events": list(self.events),
            "elapsed_ms": self.elapsed_ms,
            "target_ms": self.target_ms,
            "margin_ms": self.margin_ms,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Category:
    """A category's points summed: `percent` is None when it has no points (it then does not count)."""

    name: str
    weight: float
    earned: float
    count: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.earned / self.count, 1) if self.count else None


@dataclass(frozen=True)
class Scorecard:
    """The points of one drill, by category, and the weighted total."""

    points: tuple[Point, ...]
    categories: tuple[Category, ...]

    @property
    def total(self) -> float | None:
        """The weighted average of the categories with points, as a percentage (None: nothing scored)."""
        return total_of(
            {c.name: (c.earned, c.count) for c in self.categories}, {c.name: c.weight for c in self.categories}
        )

    def of(self, category: str) -> list[Point]:
        return [p for p in self.points if p.category == category]

    def as_dict(self) -> dict[str, Any]:
        """The `scorecard` member of a drill's json export (docs/exports.md)."""
        return {
            "version": SCORECARD_VERSION,
            "total_percent": self.total,
            "categories": [
                {
                    "name": c.name,
                    "weight": _number(c.weight),
                    "earned": _number(c.earned),
                    "count": c.count,
                    "percent": c.percent,
                }
                for c in self.categories
            ],
            "points": [p.as_dict() for p in self.points],
        }


def total_of(sums: Mapping[str, tuple[float, int]], weights: Mapping[str, float]) -> float | None:
    """The weighted total of category sums {name: (earned, count)}, as a percentage rounded to 0.1."""
    weighed = [(weights.get(name, 0), earned / count) for name, (earned, count) in sums.items() if count]
    total_weight = sum(weight for weight, _ in weighed)
    if not total_weight:
        return None
    return round(100 * sum(weight * share for weight, share in weighed) / total_weight, 1)


def _number(value: float) -> float | int:
    """A whole number as an int in JSON (`1`, not `1.0`); otherwise rounded to 3 places."""
    return int(value) if float(value).is_integer() else round(value, 3)


def weights_of(given: Mapping[str, float] | None) -> dict[str, float]:
    """The default weights with those the configuration gives."""
    return {**DEFAULT_WEIGHTS, **(given or {})}


# ----------------------------------------------------------------------------- observing the log


@dataclass
class _Inject:
    id: str
    source: str
    text: str | None  # None: a facilitator's text, erased
    seq: int
    fired_ms: int
    answered_by: tuple[str, ...]
    within_ms: int | None
    answer: tuple[int, int] | None = None  # (seq, ms) of the answer that counts
    # Whether a step was open when it fired, or was opened after: else nothing was left to answer
    # it (an `after_step` inject of the last step fires straight into the close).
    answerable: bool = False


@dataclass
class Observations:
    """What the scorecard needs of each event, gathered in the metrics' pass (`measure(observe=…)`)."""

    drill: bool = False
    injects: list[_Inject] = field(default_factory=list)
    answers: dict[tuple[str, int], int] = field(default_factory=dict)  # (step, ms) -> seq of its answer
    milestones: dict[str, int] = field(default_factory=dict)  # name -> seq of its first milestone.reached
    # role -> (seq, reached, who, held): `held` when a drill inject kept the role out of reach
    escalations: dict[str, list[tuple[int, bool, str, bool]]] = field(default_factory=dict)
    approval_seqs: dict[str, list[int]] = field(default_factory=dict)  # step -> approval events so far
    approved: dict[str, bool] = field(default_factory=dict)  # step -> approved as things stand
    points: list[Point] = field(default_factory=list)  # approvals, checklists, messages and skips, in log order
    last_seq: int = 0
    closed_seq: int | None = None

    def __call__(self, state: ev.State, event: ev.Event) -> None:
        """Take one event, already folded into `state` and read on the incident's clock."""
        if event["type"] == ev.STARTED:
            self.drill = state.drill
        if not self.drill:
            return
        seq = event.get("seq", state.count - 1)
        self.last_seq = seq
        kind, data, step = event["type"], event["data"], event.get("step")
        ms = elapsed_ms(state.detected_at, parse_ts(event["ts"]))
        if kind == ev.DRILL_INJECT:
            self._inject(state, seq, ms, data)
        elif kind == ev.STEP_ENTERED:
            for inject in self.injects:
                inject.answerable = True
        elif kind == ev.STEP_ANSWERED and step is not None:
            self.answers.setdefault((step, ms), seq)
            self._answer(state, seq, ms, step, data)
        elif kind == ev.STEP_SKIPPED and step is not None and data.get("by") == "responder":
            self.points.append(_skip(step, seq, data.get("reason", "")))
        elif kind == ev.MILESTONE_REACHED:
            self.milestones.setdefault(str(data.get("name")), seq)
        elif kind in (ev.ESCALATION_NOTIFIED, ev.ESCALATION_UNREACHABLE):
            contact = data.get("contact") or {}
            who = contact.get("name") or contact.get("description") or ""
            role = str(data.get("role"))
            reached, held = kind == ev.ESCALATION_NOTIFIED, bool(data.get("inject"))
            self.escalations.setdefault(role, []).append((seq, reached, str(who), held and not reached))
        elif kind in (ev.APPROVAL_REQUESTED, ev.APPROVAL_GIVEN, ev.APPROVAL_REJECTED) and step is not None:
            self.approval_seqs.setdefault(step, []).append(seq)
            approval = state.approvals.get(step)
            self.approved[step] = approval is not None and ev.approval_status(approval) == ev.APPROVED
        elif kind == ev.CLOSED and self.closed_seq is None:
            self.closed_seq = seq

    def _inject(self, state: ev.State, seq: int, ms: int, data: dict[str, Any]) -> None:
        if data.get("at_end"):
            return  # fired as the playbook ended, before its time: nothing was left to answer it
        ident = str(data.get("inject") or "")
        run = state.drill_run
        written = run.scenario.inject_index.get(ident) if run is not None and run.scenario is not None else None
        source = str(data.get("source") or "")
        if source != "scenario":
            written = None  # a facilitator's inject: answered by the next answer, no target
        self.injects.append(
            _Inject(
                ident,
                source,
                _text(data.get("text", "")),  # a facilitator's is what a person typed: personal
                seq,
                ms,
                tuple(written.answered_by) if written is not None else (),
                written.within_ms if written is not None else None,
                answerable=state.pending is not None,
            )
        )

    def _answer(self, state: ev.State, seq: int, ms: int, step: str, data: dict[str, Any]) -> None:
        for inject in self.injects:
            if inject.answer is None and (not inject.answered_by or step in inject.answered_by):
                inject.answer = (seq, ms)
        pb = state.playbook
        definition = pb.step(step) if step in pb.step_index else None
        answer = data.get("answer")
        if definition is None or not isinstance(answer, dict):
            return
        if definition.type == "checklist":
            done, not_done = answer.get("done"), answer.get("not_done")
            if not isinstance(done, list) or not isinstance(not_done, list):
                return  # a log written by hand: nothing to count
            total = len(done) + len(not_done)
            if total:
                share = len(done) / total
                result = COMPLETE if not not_done else INCOMPLETE
                self.points.append(Point(CHECKLISTS, step, result, share, (seq,), detail=f"{len(done)}/{total}"))
        elif definition.type == "message" and answer.get("sent"):
            edited = bool(answer.get("edited"))
            self.points.append(Point(MESSAGES, step, EDITED if edited else AS_RENDERED, 0.0 if edited else 1.0, (seq,)))
            if getattr(definition, "approval", None) is not None:
                approved = self.approved.pop(step, False)
                seqs = (*self.approval_seqs.pop(step, []), seq)
                self.points.append(
                    Point(APPROVALS, step, APPROVED if approved else NOT_APPROVED, 1.0 if approved else 0.0, seqs)
                )


def _text(value: Any) -> str | None:
    """A logged text as a point's detail: None when it is a personal value erased (purged, or the
    key missing) or not opened, which only a personal value can be."""
    return None if value is None or isinstance(value, Sealed) else str(value)


def _skip(step: str, seq: int, reason: Any) -> Point:
    """A responder's skip. The engine logs a reason given as personal text and none as
    `ev.REASON_NONE` (plain), so a reason that is erased was given all the same: the point
    earns what it earned before the key went (docs/drills.md: a scorecard comes out the same)."""
    text = _text(reason)
    if text is None:
        return Point(SKIPS, step, WITH_REASON, 1.0, (seq,), detail=None)
    text = text.strip()
    given = bool(text) and text != ev.REASON_NONE
    return Point(SKIPS, step, WITH_REASON if given else WITHOUT_REASON, 1.0 if given else 0.0, (seq,), detail=text)


# ----------------------------------------------------------------------------- scoring


def scorecard(metrics: Any, seen: Observations, weights: Mapping[str, float] | None = None) -> Scorecard:
    """The scorecard of a drill from its metrics and what `seen` gathered in the same pass."""
    chosen = weights_of(weights)
    points: list[Point] = []
    points += _targets(metrics, seen)
    points += _deadlines(metrics, seen)
    points += _injects(seen)
    points += _escalations(seen)
    points += [p for p in seen.points if p.category in (APPROVALS, CHECKLISTS, MESSAGES, SKIPS)]
    order = {name: i for i, name in enumerate(CATEGORIES)}
    points.sort(key=lambda p: order[p.category])  # stable: each category keeps log order
    categories = tuple(
        Category(
            name,
            chosen.get(name, 0),
            sum(p.earned for p in points if p.category == name),
            sum(1 for p in points if p.category == name),
        )
        for name in CATEGORIES
    )
    return Scorecard(tuple(points), categories)


def _end_seq(seen: Observations) -> tuple[int, ...]:
    """A point about something that never happened traces to the end of the log."""
    return (seen.closed_seq if seen.closed_seq is not None else seen.last_seq,)


def _targets(metrics: Any, seen: Observations) -> list[Point]:
    out = []
    for target in metrics.targets:
        if target.target_ms is None:
            continue
        if target.elapsed_ms is None:
            out.append(Point(TARGETS, target.name, NOT_REACHED, 0.0, _end_seq(seen), target_ms=target.target_ms))
            continue
        seq = seen.milestones.get(target.name)
        out.append(
            Point(
                TARGETS,
                target.name,
                target.result,
                1.0 if target.result == MET else 0.0,
                (seq,) if seq is not None else _end_seq(seen),
                elapsed_ms=target.elapsed_ms,
                target_ms=target.target_ms,
                margin_ms=target.margin_ms,
            )
        )
    return out


def _deadlines(metrics: Any, seen: Observations) -> list[Point]:
    out = []
    detected = metrics.state.detected_at
    for run in metrics.deadlines:
        if run.status in (clocks.NOT_STARTED, clocks.OPEN):
            continue  # never started, or no due time: nothing to hold the team to
        seqs = []
        if run.met_at is not None and run.met_by is not None:
            found = seen.answers.get((run.met_by, elapsed_ms(detected, run.met_at)))
            if found is not None:
                seqs.append(found)
        met = run.status == clocks.MET
        elapsed = elapsed_ms(run.start_at, run.met_at) if run.start_at and run.met_at else None
        subject = run.name if run.run <= 1 else f"{run.name} #{run.run}"
        out.append(
            Point(
                DEADLINES,
                subject,
                MET if met else (MISSED if run.status == clocks.MISSED else OVERDUE),
                1.0 if met else 0.0,
                tuple(seqs) or _end_seq(seen),
                elapsed_ms=elapsed,
                target_ms=run.within_ms,
                margin_ms=run.margin_ms,
            )
        )
    return out


def _injects(seen: Observations) -> list[Point]:
    out = []
    for inject in seen.injects:
        if inject.answer is None and not inject.answerable and seen.closed_seq is not None:
            continue  # no step was open when it fired, and none opened before the close
        if inject.answer is None:
            out.append(
                Point(
                    INJECTS, inject.id, UNANSWERED, 0.0, (inject.seq,), target_ms=inject.within_ms, detail=inject.text
                )
            )
            continue
        seq, ms = inject.answer
        taken = max(0, ms - inject.fired_ms)
        margin = inject.within_ms - taken if inject.within_ms is not None else None
        on_time = margin is None or margin >= 0
        out.append(
            Point(
                INJECTS,
                inject.id,
                ANSWERED if on_time else LATE,
                1.0 if on_time else 0.0,
                (inject.seq, seq),
                elapsed_ms=taken,
                target_ms=inject.within_ms,
                margin_ms=margin,
                detail=inject.text,
            )
        )
    return out


def _escalations(seen: Observations) -> list[Point]:
    out = []
    for role, tries in seen.escalations.items():
        reached = [who for _seq, ok, who, _held in tries if ok]
        seqs = tuple(seq for seq, _ok, _who, _held in tries)
        if reached:
            out.append(Point(ESCALATIONS, role, REACHED, 1.0, seqs, detail=reached[0]))
        elif all(held for _seq, _ok, _who, held in tries):
            # Every try fell while a drill inject held the role out of reach: trying was all the team
            # could do, and the inject's own point scores whether it went on in time.
            out.append(Point(ESCALATIONS, role, OUT_OF_REACH, 1.0, seqs, detail=tries[-1][2]))
        else:
            out.append(Point(ESCALATIONS, role, NOT_REACHED, 0.0, seqs, detail=tries[-1][2]))
    return out
