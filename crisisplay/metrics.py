"""The figures of an incident, computed in one streaming pass over its log: every export shares them.

`measure` folds the events with `events.apply` (so severity, responders, milestones and the
lifecycle can never disagree with resume or `incidents`) and keeps, beside that state, only
what a report needs: the notes, messages, escalations, skips, post-mortem answers and, when
asked, one timeline line per event. It never holds the events themselves, nor the timeline:
its lines go to a `Timeline` spool (a few MiB in memory, then an unnamed owner-only file that
vanishes with the process) and are read back, in log order, as often as a report needs them.
"""

from __future__ import annotations

import marshal
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from crisisplay import clocks
from crisisplay import events as ev
from crisisplay.errors import JournalError
from crisisplay.narrative import describe
from crisisplay.times import elapsed_ms, parse_ts

if TYPE_CHECKING:
    from crisisplay.playbook.model import Playbook
    from crisisplay.store.base import IncidentLog
    from crisisplay.store.chain import ChainCheck, VerifyResult

Record = dict[str, Any]  # one fact a report lists: a note, a message, an escalation, an answer
Observe = Callable[[ev.State, Record], None]  # sees each event as the pass folds it (the scorecard)
# Sees each event as logged and as read on the incident's clock, once folded (the csv's rows).
Each = Callable[[ev.State, Record, Record], None]

ACTION_SECTION = "action-items"
ACTION_PREFIX = "action:"
# A list bullet before an action item ("- ", "* ", "• "), not a dash that is part of the text ("-2 fix").
_BULLET = re.compile(r"[-*•](?:\s+|$)")
MET, MISSED, NOT_REACHED, REACHED = "met", "missed", "not-reached", "reached"
CLOSED, PAUSED, RUNNING, INTERRUPTED = "closed", "paused", "running", "interrupted"
_PHASED = frozenset((ev.STEP_ENTERED, ev.STEP_ANSWERED, ev.STEP_SKIPPED))


class Moment(NamedTuple):
    """One line of the timeline: an event in the responder's words."""

    seq: int
    at: datetime
    elapsed_ms: int
    phase: str | None
    step: str | None
    actor: str
    type: str
    words: str


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SPOOL_IN_MEMORY = 4 * 1024 * 1024  # then an unnamed file on disk (O_TMPFILE where the system has it)
_BATCH = 512  # moments per marshalled record: fewer, larger writes and reads


class Timeline:
    """The timeline's moments in log order, spooled rather than held: read back as often as needed.

    Each moment is kept as a plain tuple (its time as microseconds since the epoch), marshalled
    in batches into a `SpooledTemporaryFile`: in memory up to a few MiB, then an unnamed file
    (`tempfile.TemporaryFile`: O_TMPFILE, owner-only, gone when closed or when the process dies;
    personal data is never left behind in a named temporary file).
    """

    def __init__(self) -> None:
        self._spool: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (closed in close())
        self._batch: list[tuple[Any, ...]] = []
        self._count = 0

    def append(self, moment: Moment) -> None:
        self.add(*moment)

    def add(
        self,
        seq: int,
        at: datetime,
        elapsed: int,
        phase: str | None,
        step: str | None,
        actor: str,
        kind: str,
        words: str,
    ) -> None:
        """`append(Moment(…))` without making the Moment: the pass calls this once per event."""
        batch = self._batch
        batch.append((seq, (at - _EPOCH) // _MICROSECOND, elapsed, phase, step, actor, kind, words))
        self._count += 1
        if len(batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            blob = marshal.dumps(self._batch)
            self._spool.seek(0, 2)
            self._spool.write(len(blob).to_bytes(4, "little") + blob)  # marshal.load from a file reads byte by byte
            self._batch = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Moment]:
        self._flush()
        spool, epoch, micro, make = self._spool, _EPOCH, _MICROSECOND, Moment._make
        position = 0
        while True:
            spool.seek(position)  # a reader may have been interleaved with another one
            size = int.from_bytes(spool.read(4), "little")
            if not size:
                return
            batch = marshal.loads(spool.read(size))
            position += 4 + size
            for record in batch:
                yield make((record[0], epoch + record[1] * micro) + record[2:])

    def among(self, wanted: Iterable[int]) -> set[int]:
        """Which of the `wanted` seqs have a moment (a drill's scorecard links to those): one read of the spool."""
        wanted = set(wanted)
        if not wanted:
            return set()
        return {m.seq for m in self if m.seq in wanted}

    def close(self) -> None:
        self._spool.close()


@dataclass(frozen=True)
class TargetResult:
    """One response-time target (or a milestone reached without one) and how it went."""

    name: str
    target_ms: int | None
    elapsed_ms: int | None  # from detection to the milestone, None when not reached
    reached: str | None  # the milestone's time as logged (UTC)
    label: str = ""  # the words reports show for the milestone (its target's `label`); the name when empty

    @property
    def shown(self) -> str:
        return self.label or self.name

    @property
    def result(self) -> str:
        if self.elapsed_ms is None:
            return NOT_REACHED
        if self.target_ms is None:
            return REACHED
        return MET if self.elapsed_ms <= self.target_ms else MISSED

    @property
    def margin_ms(self) -> int | None:
        """Time to spare (positive) or over the target (negative); None without both figures."""
        if self.elapsed_ms is None or self.target_ms is None:
            return None
        return self.target_ms - self.elapsed_ms


@dataclass
class Metrics:
    """Everything an export reports, from the log alone."""

    state: ev.State
    running: bool = False
    ended: str | None = None  # the incident.closed time, on the incident's clock (a drill's: scenario time)
    closed_at: str | None = None  # the incident.closed time as logged (wall time): retention counts from it
    severity_changes: list[Record] = field(default_factory=list)
    decisions: int = 0
    skips: list[Record] = field(default_factory=list)
    notes: list[Record] = field(default_factory=list)
    messages: list[Record] = field(default_factory=list)
    escalations: list[Record] = field(default_factory=list)
    # Each escalation's step visit, beside `escalations` (not in the json): the report's rounds are
    # one per visit, whether its people were logged together or one by one as they answered.
    escalation_visits: list[int] = field(default_factory=list)
    answers: list[Record] = field(default_factory=list)  # text answers of steps with a `section:`
    reached: dict[str, str] = field(default_factory=dict)  # milestone name -> its time as logged
    phases: dict[str, list[datetime]] = field(default_factory=dict)  # phase id -> [first, last] datetime
    timeline: Timeline | None = None  # the moments, spooled (`measure(timeline=True)`); None otherwise
    phase_ids: dict[str, str] = field(default_factory=dict)  # step id -> its phase id, from the snapshot
    sections: dict[str, str] = field(default_factory=dict)  # step id -> its post-mortem `section:`
    verification: VerifyResult | None = None  # what checking the chain found, when the log was checked
    # Team incidents: every role assignment, every approval asked, given or refused, every handover.
    assignments: list[Record] = field(default_factory=list)
    approvals: list[Record] = field(default_factory=list)
    handovers: list[Record] = field(default_factory=list)
    # A drill's scorecard and its comparison with the scenario's previous run, set by the export
    # (crisisplay/scorecard.py, crisisplay/drill_history.py); None otherwise.
    scorecard: Any = None
    comparison: Any = None

    def __post_init__(self) -> None:
        pb = self.state.playbook
        self.phase_ids = {step: phase.id for step, phase in pb.phase_of.items()}
        self.sections = {s.id: section for s in pb.steps if (section := getattr(s, "section", None))}

    @property
    def playbook(self) -> Playbook:
        return self.state.playbook

    @property
    def count(self) -> int:
        return self.state.count

    @property
    def head(self) -> str | None:
        return self.state.head

    @property
    def complete(self) -> bool:
        return self.state.closed

    @property
    def status(self) -> str:
        """closed, paused, running or interrupted: the `incidents` words, from the log and the run lock."""
        if self.state.closed:
            return CLOSED
        if self.running:  # a run holds it now, even one that has not logged `resumed` yet
            return RUNNING
        return PAUSED if self.state.lifecycle == ev.PAUSED else INTERRUPTED

    @property
    def end_at(self) -> datetime:
        """When the incident ended, or its last event when it has not (yet)."""
        return parse_ts(self.ended) if self.ended else (self.state.active_ts or self.state.started_at)

    @property
    def duration_ms(self) -> int:
        """From detection to the end (or, unfinished, to the last event so far)."""
        return elapsed_ms(self.state.detected_at, self.end_at)

    @property
    def targets(self) -> list[TargetResult]:
        """Each target in the playbook's order, then milestones reached that have no target."""
        pb, milestones = self.playbook, self.state.milestones
        out = [
            TargetResult(
                name, pb.target_ms(name), milestones.get(name), self.reached.get(name), pb.milestone_label(name)
            )
            for name in pb.targets
        ]
        out += [
            TargetResult(name, None, elapsed, self.reached.get(name))
            for name, elapsed in milestones.items()
            if name not in pb.targets
        ]
        return out

    @property
    def deadlines(self) -> list[clocks.DeadlineStatus]:
        """Every run of every deadline, as it stood at the end (or the last event so far)."""
        return clocks.deadline_history(self.playbook, self.state.clocks, self.end_at)

    @property
    def cadence_gaps(self) -> list[clocks.Gap]:
        """Each gap between public updates longer than the cadence then in force."""
        return clocks.cadence_gaps(self.playbook, self.state.clocks)

    @property
    def outcome(self) -> dict[str, Any] | None:
        """The outcome the responder decided (`outcome`, `reason`, `option`, `step`, `ts`), if any."""
        return self.state.clocks.outcome

    @property
    def people(self) -> tuple[list[Record], list[Record]]:
        """(reached, not reached): a person unreachable at first and notified later was reached."""
        outcome: dict[tuple[str, str], bool] = {}
        for item in self.escalations:
            key = (item["role"], item["name"])
            outcome[key] = outcome.get(key, False) or item["outcome"] == "notified"
        reached = [{"role": r, "name": n} for (r, n), ok in outcome.items() if ok]
        missed = [{"role": r, "name": n} for (r, n), ok in outcome.items() if not ok]
        return reached, missed

    @property
    def deliveries(self) -> list[Record]:
        """Each delivery in the order queued: to whom, how, its outcome, and when it was queued and
        when it finished (`unknown`: queued, and no outcome was ever logged)."""
        out = []
        for delivery in self.state.deliveries.values():
            status = delivery.get("status")
            out.append(
                {
                    "delivery": delivery.get("delivery"),
                    "step": delivery.get("step"),
                    "role": delivery.get("role"),
                    "channel": delivery.get("channel"),
                    "service": delivery.get("service"),
                    "target": delivery.get("target"),
                    "status": "unknown" if status in ("queued", "unknown") else status,
                    "error": delivery.get("error"),
                    "attempts": delivery.get("attempts"),
                    "queued_at": delivery.get("queued_at"),
                    "finished_at": delivery.get("finished_at"),
                    "simulated": bool(delivery.get("simulated")),
                    "replaced_by": delivery.get("replaced_by"),
                }
            )
        return out

    @property
    def action_items(self) -> list[Record]:
        """Lines of the `action-items` answers, then notes that start with `ACTION:`."""
        items = []
        for answer in self.answers:
            if answer["section"] == ACTION_SECTION:
                if answer["text"] is None:  # erased: one item says so, rather than none at all
                    items.append({"text": None, "source": answer["step"], "ts": answer["ts"]})
                    continue
                for line in answer["text"].splitlines():
                    text = line.strip()
                    text = text[bullet.end() :] if (bullet := _BULLET.match(text)) else text
                    if text:
                        items.append({"text": text, "source": answer["step"], "ts": answer["ts"]})
        for note in self.notes:
            if note["text"] is None:  # an erased note: whether it was an action item is gone with it
                continue
            text = note["text"].strip()
            if text[: len(ACTION_PREFIX)].lower() == ACTION_PREFIX:
                items.append({"text": text[len(ACTION_PREFIX) :].strip(), "source": "note", "ts": note["ts"]})
        return items


def measure(
    events: Iterable[Record],
    *,
    running: bool = False,
    timeline: bool = False,
    on_start: Callable[[ev.State], None] | None = None,
    observe: Observe | None = None,
    each: Each | None = None,
) -> Metrics:
    """The metrics of an incident from its events, first to last, in one pass.

    `on_start` is called with the state `incident.started` begins, before any other event is
    put into words: an export chooses its language there, from the playbook snapshot's locale.
    `observe` is called with the state and each event once folded (read on the incident's clock):
    the scorecard gathers what it needs in this same pass. `each` is called with the state, the
    event as logged and the event on the incident's clock (the csv writes its rows from them).
    With `timeline`, the metrics' `timeline` is a spool the caller closes (`Timeline.close`).
    """
    iterator = iter(events)
    first = next(iterator, None)
    if first is None or first.get("type") != ev.STARTED:
        raise ValueError("an incident log starts with incident.started")
    state = ev.start_state(first)
    if on_start is not None:
        on_start(state)
    metrics = Metrics(state, running=running, timeline=Timeline() if timeline else None)
    try:
        _take(metrics, first, observe, each)
        for event in iterator:
            _take(metrics, event, observe, each)
    except BaseException:
        if metrics.timeline is not None:
            metrics.timeline.close()
        raise
    return metrics


def measure_log(
    journal: IncidentLog,
    *,
    running: bool = False,
    timeline: bool = False,
    check: ChainCheck | None = None,
    on_start: Callable[[ev.State], None] | None = None,
    observe: Observe | None = None,
    each: Each | None = None,
    read: Callable[[Iterable[Record]], Iterable[Record]] | None = None,
    lazy: bool = False,
) -> Metrics:
    """`measure` over a journal; a log that is not an incident's is a JournalError naming its file.

    With `check` (a `journal.ChainCheck`), the events come from it: each line is verified as
    it is read, in this same pass, and what it found is the metrics' `verification`. The
    caller decides what a problem means (`check.result`): the check stops at the first one
    unless it is lenient, so the metrics then cover only what came before it. The check gives
    the events as logged: `read` opens them (the journal's seal by default: personal values
    as text, or None once erased). With `lazy` (and no `check`), nothing is decrypted: personal
    values stay `Sealed` in the state and the records, for a caller that shows none of them
    (`incidents`' headline) and reveals what it shows.
    """
    if check is None:
        events: Iterable[Record] = journal.events(tolerate_torn=True, lazy=lazy)
    else:
        events = (read or journal.seal.opened)(check.events())
    try:
        metrics = measure(events, running=running, timeline=timeline, on_start=on_start, observe=observe, each=each)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as err:
        from crisisplay.i18n import _

        raise JournalError(
            _("{path}: not a crisisplay incident log ({reason})").format(path=journal.where(), reason=err)
        ) from None
    if check is not None:
        metrics.verification = check.result
    return metrics


def _take(metrics: Metrics, event: Record, observe: Observe | None = None, each: Each | None = None) -> None:
    """Fold one event into the state and keep what the report needs of it."""
    state = ev.apply(metrics.state, event)
    logged, event = event, ev.on_incident_clock(state, event)  # a drill's figures are on scenario time
    if observe is not None:
        observe(state, event)
    if each is not None:
        each(state, logged, event)
    kind, data, step = event["type"], event["data"], event.get("step")
    at = state.last_ts
    assert at is not None  # `apply` has just set it from this event's time
    phase = data.get("phase") if kind in _PHASED else None
    if phase is None and step is not None:
        phase = metrics.phase_ids.get(step)
    if phase is not None:
        span = metrics.phases.get(phase)
        if span is None:
            metrics.phases[phase] = [at, at]
        else:
            span[1] = at
    if kind == ev.STEP_ENTERED:  # bookkeeping: the answer or the skip that follows says it all
        return
    if kind == ev.CLOSED and metrics.closed_at is None:
        metrics.closed_at = logged.get("ts")
    elapsed = elapsed_ms(state.detected_at, at)
    _record(metrics, kind, event, elapsed)
    if kind in (ev.ESCALATION_NOTIFIED, ev.ESCALATION_UNREACHABLE):
        metrics.escalation_visits.append(state.visits.get(str(step), 0))
    if metrics.timeline is not None:
        words = describe(event, state.playbook)
        if words is not None:
            metrics.timeline.add(
                event.get("seq", state.count - 1), at, elapsed, phase, step, event.get("actor", ""), kind, words
            )


def _record(metrics: Metrics, kind: str, event: Record, elapsed: int) -> None:
    """Keep the facts of one event that the report lists."""
    data, step, ts = event["data"], event.get("step"), event["ts"]
    when = {"ts": ts, "elapsed_ms": elapsed}
    if kind == ev.STEP_ANSWERED:
        metrics.decisions += 1
        section = metrics.sections.get(step) if step is not None else None
        # An erased answer (None) keeps its place in the post-mortem, shown "[erased]".
        if step is not None and section and (isinstance(data.get("answer"), str) or _erased(data, "answer")):
            definition = metrics.playbook.step(step)
            metrics.answers.append(
                {
                    **when,
                    "section": section,
                    "step": step,
                    "title": definition.title or definition.prompt,
                    "text": data["answer"],
                }
            )
    elif kind == ev.STEP_SKIPPED:
        metrics.skips.append({**when, "step": step, "by": data.get("by"), "reason": data.get("reason")})
    elif kind == ev.NOTE_ADDED:
        metrics.notes.append({**when, "actor": event.get("actor"), "step": step, "text": data.get("text", "")})
    elif kind == ev.MESSAGE_SENT:
        metrics.messages.append(
            {**when, "step": step, "channel": data.get("channel", ""), "text": data.get("text", "")}
        )
    elif kind in (ev.ESCALATION_NOTIFIED, ev.ESCALATION_UNREACHABLE):
        contact = data.get("contact") or {}
        metrics.escalations.append(
            {
                **when,
                "step": step,
                "role": data.get("role"),
                "name": contact.get("name") or contact.get("description") or data.get("role"),
                "outcome": "notified" if kind == ev.ESCALATION_NOTIFIED else "unreachable",
                "message": data.get("message", ""),
            }
        )
    elif kind == ev.SEVERITY_CHANGED:
        metrics.severity_changes.append(
            {**when, "step": step, "from": data.get("from"), "to": data.get("to"), "reason": data.get("reason")}
        )
    elif kind == ev.MILESTONE_REACHED:
        metrics.reached.setdefault(data["name"], ts)
    elif kind == ev.ROLE_ASSIGNED:
        metrics.assignments.append(
            {**when, "role": data.get("role"), "person": data.get("person"), "by": data.get("by")}
        )
    elif kind in (ev.APPROVAL_REQUESTED, ev.APPROVAL_GIVEN, ev.APPROVAL_REJECTED):
        record = {**when, "event": kind.removeprefix("approval."), "step": step, "actor": event.get("actor")}
        keys = ("by", "need", "person", "by_phone", "edited", "reason", "message_hash", "simulated")
        record.update({key: data[key] for key in keys if key in data})
        metrics.approvals.append(record)
    elif kind == ev.HANDOVER:
        metrics.handovers.append({**when, "from": data.get("from"), "to": data.get("to"), "reason": data.get("reason")})
    elif kind == ev.CLOSED and metrics.ended is None:
        metrics.ended = ts


def _erased(data: Record, key: str) -> bool:
    """Whether `data` logs `key` and it reads as None: a personal value whose key is gone."""
    return key in data and data[key] is None


def headline(metrics: Metrics) -> dict[str, Any]:
    """The figures `incidents` shows: duration, and how the milestones went against their targets."""
    results = [t.result for t in metrics.targets if t.target_ms is not None]
    return {
        "duration_ms": metrics.duration_ms,
        "milestones": {
            "met": results.count(MET),
            "missed": results.count(MISSED),
            "not_reached": results.count(NOT_REACHED),
            "targets": len(results),
        },
    }
