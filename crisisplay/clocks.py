"""Deadlines, the update cadence and a decided outcome: views of the log, folded with the state.

No event of their own: a deadline starts at detection or when its start step is answered (again,
in a loop: it restarts), runs `within` (or the chosen option's `within:`) and is met by the first
`step.answered` of one of its `met_by` steps after that start. The cadence is the current
severity's duration since the last `message.sent` of an `updates` step. The one event this adds
is `outcome.decided` (a `monitor-only` choice, with its reason): from then on public messages are
skipped, and no public update is due.

`fold` is called by `events.apply` for every event, so resume, the header and every export see
the same clocks; the status functions are pure functions of the folded clocks and a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from crisisplay.times import elapsed_ms, parse_ts

if TYPE_CHECKING:
    from crisisplay.playbook.model import Playbook

OUTCOME_DECIDED = "outcome.decided"
MONITOR_ONLY = "monitor-only"
# The `reason` the engine logs on a public message skipped under a monitor-only outcome
# (`step.skipped`, `by: outcome`); kept in English in the log, shown in the reader's words.
REASON_MONITOR_ONLY = "monitor only: no public message"
BY_OUTCOME = "outcome"

# A deadline's status, as exports and `export --format json` write it.
NOT_STARTED, OPEN, OVERDUE, MET, MISSED = "not-started", "open", "overdue", "met", "missed"

_STARTED, _ANSWERED, _SEVERITY, _SENT = "incident.started", "step.answered", "severity.changed", "message.sent"


@dataclass
class DeadlineRun:
    """One run of a deadline's clock: from its start to its due time, and when it was met."""

    start_at: datetime
    within_ms: int | None  # None: the start step's chosen option gave no duration
    met_at: datetime | None = None
    met_by: str | None = None  # the step that met it

    @property
    def due_at(self) -> datetime | None:
        return None if self.within_ms is None else self.start_at + timedelta(milliseconds=self.within_ms)


@dataclass
class Clocks:
    """What the log says of the deadlines, the cadence and the outcome, as the events are folded."""

    runs: dict[str, list[DeadlineRun]] = field(default_factory=dict)  # deadline name -> its runs, oldest first
    updates: list[tuple[datetime, str]] = field(default_factory=list)  # each update sent: (when, its step)
    severities: list[tuple[datetime, str]] = field(default_factory=list)  # (from when, level), oldest first
    outcome: dict[str, Any] | None = None  # the last `outcome.decided` data, with `ts` and `step`

    def copy(self) -> Clocks:
        """An independent copy, made on every decision: so field by field, not through `copy.deepcopy`.

        Times and tuples are immutable, and `fold` changes a run in place only to set the `met_at`
        of a deadline's last run while it is unmet: that run is copied, every other one is shared
        (a met run, or one a restart has followed, never changes again)."""
        return Clocks(
            {name: [*runs[:-1], _fresh(runs[-1])] if runs else [] for name, runs in self.runs.items()},
            list(self.updates),
            list(self.severities),
            dict(self.outcome) if self.outcome is not None else None,
        )

    @property
    def monitor_only(self) -> bool:
        return self.outcome is not None and self.outcome.get("outcome") == MONITOR_ONLY


def _fresh(run: DeadlineRun) -> DeadlineRun:
    """The run itself once met (it never changes again), else a copy `fold` may meet."""
    return run if run.met_at is not None else DeadlineRun(run.start_at, run.within_ms, None, run.met_by)


def _option_within(pb: Playbook, step_id: str, answer: Any) -> int | None:
    from crisisplay.playbook.model import parse_duration

    step = pb.step(step_id)
    value = answer.get("value") if isinstance(answer, dict) else None
    option = next((o for o in getattr(step, "options", None) or [] if o.value == value), None)
    return parse_duration(option.within) if option is not None and option.within else None


def _public_send(pb: Playbook, step: str, data: dict[str, Any]) -> bool:
    """Whether a sent update reached the public: not when the step, or the platform it went out on
    (its chosen variant's), is a private one (an e-mail variant of an update tells one person)."""
    from crisisplay.playbook.model import PLATFORMS, PUBLIC_PLATFORMS, MessageStep

    message = pb.step(step)
    if isinstance(message, MessageStep) and message.audience is not None:
        return message.audience == "public"
    platform = data.get("platform")
    return not (platform in PLATFORMS and platform not in PUBLIC_PLATFORMS)


def fold(clocks: Clocks, pb: Playbook, event: dict[str, Any]) -> None:
    """Fold one event into the clocks (in place)."""
    from crisisplay.playbook.model import DETECTION, parse_duration

    kind, data, step = event["type"], event.get("data") or {}, event.get("step")
    if kind == _STARTED:
        detected = parse_ts(data["detected_at"])
        clocks.severities = [(detected, pb.severity.start)]
        for name, deadline in pb.deadlines.items():
            if deadline.start == DETECTION:
                within = parse_duration(deadline.within) if deadline.within else None
                clocks.runs[name] = [DeadlineRun(detected, within)]
        return
    if kind == _ANSWERED and step is not None:
        if not pb.deadlines:
            return  # no clock to meet or start: no time to read
        at = parse_ts(event["ts"])
        for name, deadline in pb.deadlines.items():
            runs = clocks.runs.setdefault(name, [])
            if runs and runs[-1].met_at is None and step in deadline.met_by:
                runs[-1].met_at, runs[-1].met_by = at, step
            if deadline.start == step:  # answered (again): the clock (re)starts
                within = parse_duration(deadline.within) if deadline.within else None
                if within is None:
                    within = _option_within(pb, step, data.get("answer"))
                if within is not None:  # an option without `within:` promises no time: no clock
                    runs.append(DeadlineRun(at, within))
    elif kind == _SEVERITY:
        clocks.severities.append((parse_ts(event["ts"]), str(data.get("to"))))
    elif kind == _SENT and pb.cadence is not None and step in pb.cadence.updates and _public_send(pb, step, data):
        clocks.updates.append((parse_ts(event["ts"]), str(step)))
    elif kind == OUTCOME_DECIDED:
        clocks.outcome = {**data, "ts": event.get("ts"), "step": step}


# ----------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class DeadlineStatus:
    """How one run of a deadline stands at a time: `status` is one of the constants above."""

    name: str
    label: str
    status: str
    start_at: datetime | None = None
    within_ms: int | None = None
    due_at: datetime | None = None
    met_at: datetime | None = None
    met_by: str | None = None
    left_ms: int | None = None  # open: time left; overdue: negative; met/missed: margin at the meeting
    run: int = 1  # which run of the clock (a start step answered again restarts it)

    @property
    def margin_ms(self) -> int | None:
        """Met: time to spare (positive) or late (negative); open: left; overdue: negative."""
        return self.left_ms

    def as_dict(self) -> dict[str, Any]:
        from crisisplay.times import format_ts

        def ts(at: datetime | None) -> str | None:
            return format_ts(at) if at is not None else None

        return {
            "name": self.name,
            "label": self.label,
            "run": self.run,
            "status": self.status,
            "started_at": ts(self.start_at),
            "within_ms": self.within_ms,
            "due_at": ts(self.due_at),
            "met_at": ts(self.met_at),
            "met_by": self.met_by,
            "margin_ms": self.left_ms,
        }


def _status(name: str, label: str, run: DeadlineRun | None, now: datetime, number: int) -> DeadlineStatus:
    if run is None:
        return DeadlineStatus(name, label, NOT_STARTED, run=0)
    due = run.due_at
    if run.met_at is not None:
        margin = None if due is None else elapsed_ms(run.met_at, due)
        status = MET if margin is None or margin >= 0 else MISSED
    elif due is None:
        margin, status = None, OPEN
    else:
        margin = elapsed_ms(now, due)
        status = OPEN if margin >= 0 else OVERDUE
    return DeadlineStatus(
        name, label, status, run.start_at, run.within_ms, due, run.met_at, run.met_by, left_ms=margin, run=number
    )


def deadline_label(pb: Playbook, name: str) -> str:
    deadline = pb.deadlines.get(name)
    return (deadline.label if deadline is not None else None) or name


def deadline_statuses(pb: Playbook, clocks: Clocks, now: datetime) -> list[DeadlineStatus]:
    """Each deadline's current run (the last start), in the playbook's order."""
    out = []
    for name in pb.deadlines:
        runs = clocks.runs.get(name) or []
        out.append(_status(name, deadline_label(pb, name), runs[-1] if runs else None, now, len(runs)))
    return out


def deadline_history(pb: Playbook, clocks: Clocks, now: datetime) -> list[DeadlineStatus]:
    """Every run of every deadline (a restart adds one), in the playbook's order: the report's list."""
    out = []
    for name in pb.deadlines:
        runs = clocks.runs.get(name) or []
        if not runs:
            out.append(_status(name, deadline_label(pb, name), None, now, 0))
        out += [_status(name, deadline_label(pb, name), run, now, i) for i, run in enumerate(runs, 1)]
    return out


# ----------------------------------------------------------------------------- cadence


def cadence_ms(pb: Playbook, level: str) -> int | None:
    """The update cadence at a severity level, None when the level has none (or no cadence)."""
    from crisisplay.playbook.model import parse_duration

    if pb.cadence is None:
        return None
    every = pb.cadence.every.get(level)
    return parse_duration(every) if every else None


@dataclass(frozen=True)
class NextUpdate:
    """When the next public update is due: `left_ms` negative when it is overdue."""

    last_at: datetime
    every_ms: int
    due_at: datetime
    left_ms: int


def next_update(pb: Playbook, clocks: Clocks, severity: str, now: datetime) -> NextUpdate | None:
    """The next update under the current severity's cadence, counted from the last update sent;
    None before the first update, at a level without a cadence, or once monitor-only was decided."""
    every = cadence_ms(pb, severity)
    if every is None or not clocks.updates or clocks.monitor_only:
        return None
    last = clocks.updates[-1][0]
    due = last + timedelta(milliseconds=every)
    return NextUpdate(last, every, due, elapsed_ms(now, due))


@dataclass(frozen=True)
class Gap:
    """A stretch between two updates longer than the cadence in force: `over_ms` past it."""

    start_at: datetime
    end_at: datetime
    every_ms: int
    level: str
    over_ms: int

    def as_dict(self) -> dict[str, Any]:
        from crisisplay.times import format_ts

        return {
            "from": format_ts(self.start_at),
            "to": format_ts(self.end_at),
            "gap_ms": elapsed_ms(self.start_at, self.end_at),
            "every_ms": self.every_ms,
            "severity": self.level,
            "over_ms": self.over_ms,
        }


def cadence_gaps(pb: Playbook, clocks: Clocks) -> list[Gap]:
    """Each gap between two updates that ran past the cadence then in force.

    The rule is the header's: at every moment, the time since the last update against the
    cadence of the severity at that moment. A gap is late when that was ever exceeded; it is
    reported with the level where it ran over most, and by how much.
    """
    gaps = []
    for (start, _step), (end, _next) in zip(clocks.updates, clocks.updates[1:], strict=False):
        worst: tuple[int, int, str] | None = None  # (over, every, level)
        for i, (since, level) in enumerate(clocks.severities):
            until = clocks.severities[i + 1][0] if i + 1 < len(clocks.severities) else end
            if until <= start or since >= end:
                continue
            every = cadence_ms(pb, level)
            if every is None:
                continue
            over = elapsed_ms(start, min(until, end)) - every
            if over > 0 and (worst is None or over > worst[0]):
                worst = (over, every, level)
        if worst is not None:
            gaps.append(Gap(start, end, worst[1], worst[2], worst[0]))
    return gaps
