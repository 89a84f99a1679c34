"""Incident event types and `replay`: the state of an incident is a fold over its log.

`apply` is the only function that changes a `State`; the engine folds the events it makes
with it, and resume, `incidents` and exports fold the logged events the same way, so a
state can never disagree with the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from crisisplay.clocks import OUTCOME_DECIDED as OUTCOME_DECIDED  # re-exported
from crisisplay.clocks import Clocks, fold
from crisisplay.personal import Personal, Sealed
from crisisplay.playbook.model import END, Playbook
from crisisplay.scenario.state import DRILL_INJECT as DRILL_INJECT  # re-exported
from crisisplay.scenario.state import MAX_SCENARIO_MS, DrillState, drill_state
from crisisplay.scenario.state import fold as fold_drill
from crisisplay.times import elapsed_ms as elapsed_ms  # re-exported
from crisisplay.times import format_ts as format_ts  # re-exported
from crisisplay.times import parse_ts as parse_ts  # re-exported

STARTED = "incident.started"
INPUT_SET = "input.set"
STEP_ENTERED = "step.entered"
STEP_ANSWERED = "step.answered"
STEP_SKIPPED = "step.skipped"
SEVERITY_CHANGED = "severity.changed"
MESSAGE_SENT = "message.sent"
ESCALATION_NOTIFIED = "escalation.notified"
ESCALATION_UNREACHABLE = "escalation.unreachable"
MILESTONE_REACHED = "milestone.reached"
NOTE_ADDED = "note.added"
PAUSED = "incident.paused"
RESUMED = "incident.resumed"
CLOSED = "incident.closed"
# Issue 17: the incident's personal data erased (its key deleted right after). Not activity: an
# incident's duration and last activity are those of what was decided, not of the purge.
PURGED = "incident.purged"
# A delivery through a notification service (crisisplay/notify): queued when the responder
# sends, then one `sent` or `failed` per attempt; a `queued` with neither is a delivery whose
# outcome nobody saw (the run stopped while it was in flight).
NOTIFICATION_QUEUED = "notification.queued"
NOTIFICATION_SENT = "notification.sent"
NOTIFICATION_FAILED = "notification.failed"
# Team incidents (issue 10): who holds which role, approvals before a message goes out, and a
# driver taking over an incident whose lease someone else held.
ROLE_ASSIGNED = "role.assigned"
APPROVAL_REQUESTED = "approval.requested"
APPROVAL_GIVEN = "approval.given"
APPROVAL_REJECTED = "approval.rejected"
HANDOVER = "incident.handover"
LEAD = "lead"  # the built-in role of whoever starts the incident (until `assign` names another)
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"

# Outcomes and reasons the engine itself writes into the log. The log keeps them in English
# (it is language-neutral data); `narrative.log_words` shows them in the reader's language.
COMPLETED = "completed"
REASON_COMPLETED = "the playbook reached its end"
REASON_NONE = "no reason given"
REASON_WHEN_FALSE = "when: {condition} is false"
REASON_INJECT = "drill inject {inject}: {text}"  # a severity a drill's inject raised

# An event as JSON data: `type`, `actor`, `step`, `data` and `ts`, and once logged `v`, `seq`,
# `prev` and `hash`. A log read back is checked by the journal, not by this type.
Event = dict[str, Any]


def make_event(type_: str, actor: str, step: str | None, data: dict[str, Any], ts: datetime) -> Event:
    """An event as the engine makes it; the journal adds `v`, `seq`, `prev` and `hash`."""
    return {"type": type_, "actor": actor, "step": step, "data": data, "ts": format_ts(ts)}


HASH = "hash"  # the kind of a personal text's hash


def text_hash(text: str) -> str:
    """The SHA-256 of a message's exact text, as approvals and deliveries log it. The hash of a
    personal text is personal too (`Personal` of kind `hash`): sealed with the text, since a
    guessed text could be checked against it. It compares equal to the same hash unmarked."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Personal(digest, HASH) if isinstance(text, Personal) else digest


def approval_status(approval: dict[str, Any]) -> str:
    """`pending`, `approved` or `rejected`: approvals count only for the text as it stands now
    (an approver's edit asks the others again)."""
    if approval.get("rejected"):
        return REJECTED
    current = approval["message_hash"]
    given = {g["by"] for g in approval["given"] if g["message_hash"] == current}
    needed = set(approval["by"])
    done = bool(given & needed) if approval["need"] == "any" else needed <= given
    return APPROVED if done else PENDING


def answer_value(step_type: str, answer: Any) -> Any:
    """The variable a `save_as` gets from a logged answer."""
    if step_type == "choice":
        return answer["value"]
    if step_type == "number":
        return as_number(answer)
    return answer


def as_number(value: Any) -> Any:
    """A number variable from its logged value: exact text becomes a `Decimal` (a sealed one, when
    it is opened); any other value is kept as it is, and so is text that is not a number (a
    redacted export's pseudonym, "Personal data 1", in place of a personal number)."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if type(value) is Sealed:
        return value.as_number()
    return value


@dataclass
class State:
    """Everything known about an incident, computed from its events alone."""

    playbook: Playbook
    incident_id: str
    drill: bool
    responder: str
    organisation: str | None
    started_at: datetime
    detected_at: datetime
    version: str = ""
    source: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    severity: str = ""
    position: str | None = None  # the next step to enter, END when the run is over
    pending: str | None = None  # a step entered and not yet answered or skipped
    visits: dict[str, int] = field(default_factory=dict)
    milestones: dict[str, int] = field(default_factory=dict)
    responders: list[str] = field(default_factory=list)
    lifecycle: str = STARTED  # the last of started/resumed/paused/closed
    pause_reason: str | None = None
    outcome: str | None = None
    close_reason: str | None = None
    last_ts: datetime | None = None  # the last event's time
    active_ts: datetime | None = None  # the last event's time but a purge's: when the incident last moved
    count: int = 0
    head: str | None = None
    # Each delivery by its `delivery` key, in the order queued: the `queued` event's data with
    # `status` (queued, sent, failed; `unknown` once a later run resumed without its outcome) and,
    # once it has one, `error` and `attempts`.
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Who holds each incident role (`lead` is whoever started it, until assigned to someone else).
    roles: dict[str, str] = field(default_factory=dict)
    # The approval of each message step that asked for one, by step id, until the step is answered
    # or skipped: `by`, `need`, `text` (to be sent, an approver's edit included), `message_hash`,
    # `requested_hash` (of the text the driver asked approval for), `requested_by`, `requested_at`,
    # `given` (each approval.given's data with `ts` and `actor`) and `rejected` (the last rejection).
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The pending escalate step's outcomes already logged, by role: a terminal run logs each
    # person's as it is given, so an interruption between two people loses neither.
    escalated: dict[str, str] = field(default_factory=dict)
    # Deadlines, the update cadence and a decided outcome (clocks.py), folded from the same events.
    clocks: Clocks = field(default_factory=Clocks)
    # A drill's scenario clock and injects (scenario/state.py); None outside drills, and for a
    # drill logged before drills had a scenario clock (its events carry no `scenario_ms`).
    drill_run: DrillState | None = None

    @property
    def closed(self) -> bool:
        return self.lifecycle == CLOSED

    def copy(self) -> State:
        """A copy safe to fold more events into (the playbook itself is shared, it never changes)."""
        twin = object.__new__(type(self))  # copy.copy, without the pickle protocol's round trip
        twin.__dict__ = self.__dict__.copy()
        twin.variables, twin.visits = dict(self.variables), dict(self.visits)
        twin.milestones, twin.responders = dict(self.milestones), list(self.responders)
        twin.deliveries = {key: dict(value) for key, value in self.deliveries.items()}
        twin.roles = dict(self.roles)
        twin.approvals = {key: {**value, "given": list(value["given"])} for key, value in self.approvals.items()}
        twin.clocks = self.clocks.copy()
        twin.drill_run = self.drill_run.copy() if self.drill_run is not None else None
        return twin

    def pending_approvals(self) -> list[dict[str, Any]]:
        """The approvals asked for and neither given in full nor rejected yet."""
        return [a for a in self.approvals.values() if approval_status(a) == PENDING]

    def in_flight(self) -> list[dict[str, Any]]:
        """Deliveries queued whose outcome was never logged (the run stopped while they were sent), and
        that nobody has since sent again or chosen to leave as they are."""
        return [d for d in self.deliveries.values() if d["status"] in ("queued", "unknown") and not d.get("settled")]

    def visit_of(self, step_id: str) -> int:
        return self.visits.get(step_id, 0)


def following(pb: Playbook, step_id: str) -> str:
    """The step after `step_id` in run order, or END."""
    index = pb.step_index[step_id] + 1
    return pb.steps[index].id if index < len(pb.steps) else END


def after_answer(pb: Playbook, step_id: str, answer: Any) -> str:
    """Where the run goes once `step_id` is answered: an option's `next`, the step's, or on."""
    step = pb.step(step_id)
    target = step.next
    if step.type == "choice":
        value = answer["value"]
        for option in step.options:  # the first option of that value (a loop: no generator per answer)
            if option.value == value:
                if option.next:
                    target = option.next
                break
    return target or following(pb, step_id)


ORDERED_MAPPINGS = ("inputs", "roles", "targets", "deadlines")


def _in_written_order(snapshot: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with its mappings back in the playbook's order (the log stores keys sorted)."""
    snapshot = dict(snapshot)
    for key in ORDERED_MAPPINGS:
        mapping, names = snapshot.get(key), order.get(key)
        if isinstance(mapping, dict) and isinstance(names, list) and set(names) == set(mapping):
            snapshot[key] = {name: mapping[name] for name in names}
    return snapshot


# Playbooks rebuilt from snapshots, by the sha256 `incident.started` records: listing a thousand
# incidents of one playbook validates its snapshot once. A hit is used only when the snapshot
# (and its key order) equals the one the model was built from, so an edited log is rebuilt.
_SNAPSHOTS: dict[str, tuple[dict[str, Any], Any, Playbook]] = {}
_SNAPSHOTS_KEPT = 32


def snapshot_playbook(data: dict[str, Any]) -> Playbook:
    """The playbook of an `incident.started` event's data, validated once per distinct snapshot."""
    from crisisplay.playbook.loader import from_snapshot

    snapshot, order = data["snapshot"], data.get("snapshot_order") or {}
    source = data.get("playbook")
    digest = source.get("sha256") if isinstance(source, dict) else None
    known = _SNAPSHOTS.get(digest) if isinstance(digest, str) else None
    if known is not None and known[0] == snapshot and known[1] == order:
        return known[2]
    pb = from_snapshot(_in_written_order(snapshot, order))
    if isinstance(digest, str) and isinstance(snapshot, dict):
        if len(_SNAPSHOTS) >= _SNAPSHOTS_KEPT:
            _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
        _SNAPSHOTS[digest] = (snapshot, order, pb)
    return pb


def start_state(event: Event) -> State:
    data = event["data"]
    pb = snapshot_playbook(data)
    started = parse_ts(event["ts"])
    detected = parse_ts(data["detected_at"])
    run = drill_state(data) if data["drill"] and "scenario_ms" in data else None
    if run is not None:  # a drill starts at its scenario time, on the incident's clock
        with suppress(OverflowError):  # an edited log's detection at the end of time: the wall's
            started = detected + timedelta(milliseconds=run.anchor_ms)
    state = State(
        playbook=pb,
        incident_id=data["incident_id"],
        drill=bool(data["drill"]),
        responder=data["responder"],
        organisation=data.get("organisation"),
        started_at=started,
        detected_at=detected,
        version=data.get("version", ""),
        source=data.get("playbook", {}),
        severity=pb.severity.start,
        position=pb.steps[0].id,
        responders=[data["responder"]],
        roles={LEAD: data["responder"]},
        drill_run=run,
    )
    return state


def on_incident_clock(state: State, event: Event) -> Event:
    """The event at the incident's own time: a drill's event at its scenario time (its `ts` replaced
    by detection + `scenario_ms`), any other as logged. Every time-based view reads events through it."""
    if state.drill_run is None:
        return event
    ms = event["data"].get("scenario_ms")
    if type(ms) is not int or ms < 0 or "ts" not in event:
        return event
    try:
        moment = state.detected_at + timedelta(milliseconds=min(ms, MAX_SCENARIO_MS))
    except OverflowError:  # an edited log's detection at the end of time: its own wall time, then
        return event
    return {**event, "ts": format_ts(moment)}


_last_parsed: tuple[str, datetime] | None = None  # the time `_event_time` parsed last


def _event_time(ts: str) -> datetime:
    """`parse_ts`, remembering the last text: a step's events are often logged in one millisecond."""
    global _last_parsed
    known = _last_parsed
    if known is not None and known[0] == ts:
        return known[1]
    moment = parse_ts(ts)
    _last_parsed = (ts, moment)
    return moment


def apply(state: State, event: Event) -> State:
    """Fold one event into the state (in place) and return it."""
    kind, data = event["type"], event["data"]
    if state.drill_run is not None and "ts" in event:
        fold_drill(state.drill_run, event, parse_ts(event["ts"]))  # on the wall clock it was logged by
        event = on_incident_clock(state, event)
    # The step events (entered, answered, skipped) name their step; the journal checks logs read back.
    step: str = event.get("step")  # type: ignore[assignment]  # (not `cast`: a call per event)
    pb = state.playbook
    # The kinds are distinct, so the order of the tests is free: the commonest first.
    if kind == STEP_ENTERED:
        state.pending = step
        state.visits[step] = data["visit"]
        if state.escalated:
            state.escalated = {}
    elif kind == STEP_ANSWERED:
        definition = pb.step(step)
        save_as = getattr(definition, "save_as", None)
        if save_as:
            state.variables[save_as] = answer_value(definition.type, data["answer"])
        state.pending = None
        if state.escalated:
            state.escalated = {}
        state.position = after_answer(pb, step, data["answer"])
        state.approvals.pop(step, None)
    elif kind == INPUT_SET:
        value = data["value"]
        spec = pb.inputs.get(data["name"])
        if spec is not None and spec.type == "number":
            value = as_number(value)  # logged as exact text, like a number step's answer
        state.variables[data["name"]] = value
    elif kind == STEP_SKIPPED:
        state.visits[step] = data["visit"]
        state.pending = None
        if state.escalated:
            state.escalated = {}
        state.position = following(pb, step)
        state.approvals.pop(step, None)
    elif kind == SEVERITY_CHANGED:
        state.severity = data["to"]
    elif kind in (ESCALATION_NOTIFIED, ESCALATION_UNREACHABLE):
        role = data.get("role")
        if step == state.pending and isinstance(role, str):  # before its step's answer: one person's, as given
            outcome = "notified" if kind == ESCALATION_NOTIFIED else "unreachable"
            state.escalated = {**state.escalated, role: outcome}  # copied: a State copy shares the dict
    elif kind == MILESTONE_REACHED:
        state.milestones.setdefault(data["name"], data["elapsed_ms"])
    elif kind == PAUSED:
        state.lifecycle, state.pause_reason = PAUSED, data.get("reason")
    elif kind == ROLE_ASSIGNED:
        state.roles[data["role"]] = data["person"]
    elif kind == APPROVAL_REQUESTED:
        earlier = state.approvals.get(step)
        state.approvals[step] = {
            "step": step,
            "by": list(data["by"]),
            "need": data["need"],
            "text": data["text"],
            "message_hash": data["message_hash"],
            "requested_hash": data["message_hash"],
            "requested_by": event.get("actor"),
            "requested_at": event.get("ts"),
            "given": [],
            "rejected": None,
            # Every text of this step an approver rejected (its hash, who and why), kept across the
            # requests that follow: `send` of one of them is refused, never asked again.
            "refused": earlier["refused"] if earlier is not None else (),
        }
    elif kind == APPROVAL_GIVEN:
        approval = state.approvals.get(step)
        if approval is not None:
            # The approver's edit is the text to send now. It is personal: once erased it reads None,
            # and its hash still says which text the approval was for (a scorecard made after a
            # purge must count it as it did before).
            if "edited" in data:
                approval["text"], approval["message_hash"] = data["edited"], data["message_hash"]
            approval["given"].append({**data, "ts": event.get("ts"), "actor": event.get("actor")})
    elif kind == APPROVAL_REJECTED:
        approval = state.approvals.get(step)
        if approval is not None:
            approval["rejected"] = {**data, "ts": event.get("ts"), "actor": event.get("actor")}
            refused = {
                "message_hash": approval["message_hash"],
                "person": data.get("person"),
                "reason": data.get("reason"),
            }
            approval["refused"] = (*approval.get("refused", ()), refused)  # a new tuple: State.copy shares it
    elif kind in (RESUMED, HANDOVER):
        state.lifecycle, state.pause_reason = RESUMED, None
        for delivery in state.in_flight():  # queued by a run that stopped: nobody saw the outcome
            delivery["status"] = "unknown"
        who = data.get("responder") or data.get("to")
        if who:
            state.responder = who
            if who not in state.responders:
                state.responders.append(who)
    elif kind == NOTIFICATION_QUEUED:
        state.deliveries[data["delivery"]] = {**data, "status": "queued", "queued_at": event.get("ts")}
        replaced = state.deliveries.get(data.get("replaces") or "")
        if replaced is not None and replaced["status"] in ("queued", "unknown"):
            replaced.update(status="unknown", settled=True, replaced_by=data["delivery"])
    elif kind in (NOTIFICATION_SENT, NOTIFICATION_FAILED):
        delivery = state.deliveries.setdefault(data["delivery"], {**data, "queued_at": None})
        delivery["attempts"] = data.get("attempt")
        delivery["service"], delivery["target"] = data.get("service"), data.get("target")
        if kind == NOTIFICATION_SENT:
            delivery.update(status="sent", error=None, finished_at=event.get("ts"))
        elif data.get("unknown"):  # left as it was: its outcome stays unknown, and nobody asks again
            delivery.update(status="unknown", settled=True)
        elif delivery.get("status") != "sent":  # a late failure never hides a success
            delivery["error"] = data.get("error")
            if data.get("final", True):  # otherwise another attempt follows: still sending
                delivery.update(status="failed", finished_at=event.get("ts"))
    elif kind == DRILL_INJECT:
        effects = data.get("effects")
        facts = effects.get("set") if isinstance(effects, dict) else None
        if isinstance(facts, dict):
            state.variables.update(facts)
    elif kind == CLOSED:
        state.lifecycle = CLOSED
        state.outcome, state.close_reason = data.get("outcome"), data.get("reason")
    fold(state.clocks, pb, event)
    if "ts" in event:
        state.last_ts = _event_time(event["ts"])
        if kind != PURGED:
            state.active_ts = state.last_ts
    if "hash" in event:
        state.head = event["hash"]
    state.count += 1
    return state


def replay(events: Iterable[Event]) -> State:
    """The state of an incident from its events, first to last."""
    iterator = iter(events)
    first = next(iterator, None)
    if first is None or first.get("type") != STARTED:
        raise ValueError("an incident log starts with incident.started")
    state = start_state(first)
    apply(state, first)
    for event in iterator:
        apply(state, event)
    return state
