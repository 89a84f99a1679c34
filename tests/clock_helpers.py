"""A playbook with deadlines, a cadence and a monitor-only option, and a run driven by hand
(no terminal, a fixed clock): what tests/test_deadlines.py and tests/test_outcome.py share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.playbook.loader import check_text

DETECTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACTOR = "ana"

CLOCKS = """\
crisisplay: 1
id: clocks
title: Clock drill
severity:
  levels: [low, medium, high, critical]
  initial: high
targets:
  acknowledged: 1h
roles:
  manager: Your line manager
deadlines:
  authority:
    label: Notify the authority
    within: 72h
    met_by: [notify-authority]
  next-update:
    label: Next update we promised
    start: promise
    met_by: [public-update]
cadence:
  label: Public updates
  every: {critical: 1h, high: 2h}
  updates: [holding, public-update]
references:
  - title: "GDPR art. 33: notification of a personal data breach"
    url: https://eur-lex.europa.eu/eli/reg/2016/679/oj
    note: 72 hours from becoming aware
  - A title alone
phases:
  - id: work
    title: Work
    steps:
      - id: holding
        type: message
        audience: public
        channel: X
        template: We are looking into it.
        milestone: acknowledged
      - id: decide
        type: choice
        prompt: Respond or monitor?
        options:
          - label: Respond
            value: respond
          - label: "Monitor only: a reply would spread it"
            value: monitor
            outcome: monitor-only
          - label: It got worse
            value: worse
            severity: critical
      - id: promise
        type: choice
        prompt: When is the next update?
        options:
          - label: Within 2 hours
            value: soon
            within: 2h
          - label: Within a day
            value: later
            within: 1d
      - id: tell-manager
        type: escalate
        to: [manager]
      - id: public-update
        type: message
        audience: public
        channel: X
        template: Here is where we stand.
      - id: private-note
        type: message
        audience: private
        channel: DM
        template: Hello, we are on it.
      - id: again
        type: choice
        prompt: Another round?
        options:
          - label: Another round
            value: round
            next: promise
          - label: Done
            value: done
      - id: notify-authority
        type: confirm
        prompt: Authority notified?
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: lessons
        type: text
        prompt: What did we learn?
        section: lessons
"""


def playbook_from(text: str):
    checked = check_text(text, "clocks.yaml")
    assert checked.ok, [str(f) for f in checked.findings]
    return checked.playbook


class Run:
    """One incident driven by hand: every event the engine returns is folded and kept."""

    def __init__(self, text: str = CLOCKS, detected_at: datetime = DETECTED):
        self.playbook = playbook_from(text)
        self.now = detected_at
        source = {"id": self.playbook.id, "title": self.playbook.title, "source": "clocks.yaml", "sha256": "0" * 64}
        self.events = engine.start(
            "20260301-080000-clocks-beef",
            self.playbook,
            source,
            drill=True,
            responder=ACTOR,
            organisation=None,
            detected_at=detected_at,
            now=self.now,
            version="test",
        )
        self.state = ev.replay(self.events)
        self.advance()

    def log(self, events: list[dict]) -> list[dict]:
        for event in events:
            ev.apply(self.state, event)
        self.events += events
        return events

    def advance(self):
        events, self.action = engine.advance(self.state, self.now, ACTOR)
        self.log(events)
        return self.action

    def answer(self, answer, minutes: float = 1) -> list[dict]:
        """Answer the step being asked `minutes` after the last event; the decision's events."""
        assert isinstance(self.action, engine.AskStep), self.action
        self.now += timedelta(minutes=minutes)
        made = self.log(engine.decide(self.state, self.action.step_id, answer, self.now, ACTOR))
        self.advance()
        return made

    def send(self, minutes: float = 1) -> list[dict]:
        text = engine.render(self.state, self.asked(), self.now).text
        return self.answer(engine.Send(text), minutes)

    def asked(self) -> str:
        assert isinstance(self.action, engine.AskStep), self.action
        return self.action.step_id

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]
