"""The pure engine, without files or a terminal: a playbook from a YAML string, the started
event from `engine.start`, state folded with `events.apply`, and a clock we pass in."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.config import Contact
from crisisplay.errors import AnswerError, PlaybookError
from crisisplay.narrative import describe
from crisisplay.playbook.loader import check_text
from crisisplay.templates import evaluate_condition, render_template

DETECTED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
OPENED = datetime(2026, 3, 1, 8, 10, tzinfo=UTC)
INCIDENT_ID = "20260301-081000-demo-beef"
ACTOR = "ana"


def playbook_from(text: str):
    checked = check_text(text, "demo.yaml")
    assert checked.ok, [str(f) for f in checked.findings]
    return checked.playbook


class Run:
    """One incident driven by hand: every event the engine returns is folded and kept."""

    def __init__(
        self,
        text: str,
        *,
        detected_at: datetime = DETECTED,
        contacts: dict | None = None,
        organisation: str | None = "Acme",
    ):
        self.playbook = playbook_from(text)
        self.now = OPENED
        self.contacts = contacts or {}
        source = {"id": self.playbook.id, "title": self.playbook.title, "source": "demo.yaml", "sha256": "0" * 64}
        self.events = engine.start(
            INCIDENT_ID,
            self.playbook,
            source,
            drill=True,
            responder=ACTOR,
            organisation=organisation,
            detected_at=detected_at,
            now=self.now,
            version="test",
        )
        self.state = ev.replay(self.events)
        self.action = None

    def log(self, events: list[dict]) -> list[dict]:
        for event in events:
            ev.apply(self.state, event)
        self.events += events
        return events

    def tick(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)

    def advance(self):
        events, self.action = engine.advance(self.state, self.now, ACTOR)
        self.log(events)
        return self.action

    def set_input(self, raw, minutes: float = 0.5):
        assert isinstance(self.action, engine.AskInput), self.action
        self.tick(minutes)
        self.log(engine.set_input(self.state, self.action.name, raw, self.now, ACTOR))
        return self.advance()

    def answer(self, answer, minutes: float = 1) -> list[dict]:
        """Answer the step being asked; returns the decision's events."""
        assert isinstance(self.action, engine.AskStep), self.action
        self.tick(minutes)
        made = self.log(engine.decide(self.state, self.action.step_id, answer, self.now, ACTOR, self.contacts))
        self.advance()
        return made

    def asked(self) -> str | None:
        return self.action.step_id if isinstance(self.action, engine.AskStep) else None

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def entered(self) -> list[tuple[str, int]]:
        return [(e["step"], e["data"]["visit"]) for e in self.of_type(ev.STEP_ENTERED)]


def steps_yaml(steps: str, *, extra: str = "", initial: str = "medium") -> str:
    """A playbook around `steps` (YAML already indented for a phase's `steps:`)."""
    return f"""\
crisisplay: 1
id: demo
title: Demo incident
severity:
  levels: [low, medium, high, critical]
  initial: {initial}
targets:
  acknowledged: 1h
  escalated: 30m
  resolved: 2d
roles:
  manager: Your line manager
  legal: Legal counsel
{extra}phases:
  - id: work
    title: Work
    steps:
{steps}"""


def one_step(step: str, **kwargs) -> Run:
    """A run whose first (and only) step is `step`, already entered."""
    run = Run(steps_yaml(step), **kwargs)
    run.advance()
    return run


# ----------------------------------------------------------------------------- start and inputs

INPUTS = steps_yaml(
    """\
      - id: first
        type: info
        prompt: Go.
""",
    extra="""\
inputs:
  product:
    prompt: Which product?
  channel:
    prompt: Where?
    type: choice
    options:
      - label: X (Twitter)
        value: x
      - label: Facebook
        value: facebook
  budget:
    prompt: How much can we spend?
    type: number
""",
)


def test_started_event_holds_what_resume_and_export_need():
    run = Run(INPUTS)
    (started,) = run.events
    assert started["type"] == ev.STARTED and started["step"] is None and started["actor"] == ACTOR
    data = started["data"]
    assert data["incident_id"] == INCIDENT_ID
    assert data["playbook"] == {"id": "demo", "title": "Demo incident", "source": "demo.yaml", "sha256": "0" * 64}
    assert data["snapshot"] == run.playbook.normalised()
    assert data["drill"] is True and data["responder"] == ACTOR and data["version"] == "test"
    assert data["detected_at"] == "2026-03-01T08:00:00.000Z"
    assert started["ts"] == "2026-03-01T08:10:00.000Z"
    assert run.state.severity == "medium" and run.state.position == "first"


def test_inputs_are_asked_first_in_declared_order_before_any_step_is_entered():
    run = Run(INPUTS)
    asked = []
    action = run.advance()
    for raw in ("Blue Kettle", "x", "250"):
        asked.append(action.name)
        assert run.of_type(ev.STEP_ENTERED) == []
        action = run.set_input(raw)
    assert asked == ["product", "channel", "budget"]
    assert run.asked() == "first"
    assert [(e["data"]["name"], e["data"]["value"]) for e in run.of_type(ev.INPUT_SET)] == [
        ("product", "Blue Kettle"),
        ("channel", "x"),
        ("budget", 250),
    ]


def test_inputs_keep_the_authors_order_through_the_logs_sorted_keys():
    text = INPUTS.replace("  product:\n    prompt: Which product?\n", "").replace(
        "phases:",
        """\
  zebra_first:
    prompt: Asked third, though it sorts last
  aardvark:
    prompt: Asked last, though it sorts first
phases:""",
    )
    run = Run(text)
    logged = json.loads(json.dumps(run.events[0], sort_keys=True))  # as the journal writes it
    assert list(logged["data"]["snapshot"]["inputs"]) == ["aardvark", "budget", "channel", "zebra_first"]
    state = ev.replay([logged])
    assert list(state.playbook.inputs) == ["channel", "budget", "zebra_first", "aardvark"]
    assert list(state.playbook.targets) == ["acknowledged", "escalated", "resolved"]
    assert list(state.playbook.roles) == ["manager", "legal"]
    asked = []
    action = engine.advance(state, OPENED, ACTOR)[1]
    while isinstance(action, engine.AskInput):
        asked.append(action.name)
        for event in engine.set_input(state, action.name, "1" if action.name == "budget" else "x", OPENED, ACTOR):
            ev.apply(state, event)
        action = engine.advance(state, OPENED, ACTOR)[1]
    assert asked == ["channel", "budget", "zebra_first", "aardvark"]


@pytest.mark.parametrize("raw", [["Blue", "Kettle"], {"name": "Blue Kettle"}])
def test_an_input_given_as_a_list_or_mapping_is_refused_not_stringified(raw):
    run = Run(INPUTS)
    run.advance()
    with pytest.raises(AnswerError, match=r"input 'product'.*single value"):
        engine.set_input(run.state, "product", raw, run.now, ACTOR)


def test_choice_input_accepts_the_label_and_logs_the_value():
    run = Run(INPUTS)
    run.advance()
    run.set_input("Blue Kettle")
    run.set_input("Facebook")
    assert run.state.variables["channel"] == "facebook"


def test_choice_input_refuses_an_unknown_option_naming_the_allowed_ones():
    run = Run(INPUTS)
    run.advance()
    run.set_input("Blue Kettle")
    with pytest.raises(AnswerError, match="'x' or 'facebook'"):
        engine.set_input(run.state, "channel", "tiktok", run.now, ACTOR)


def test_decimal_number_input_is_logged_as_exact_text_and_replayed_as_a_decimal():
    run = Run(INPUTS)
    run.advance()
    run.set_input("Blue Kettle")
    run.set_input("x")
    (event,) = engine.set_input(run.state, "budget", "12.50", run.now, ACTOR)
    assert event["data"]["value"] == "12.50"
    run.set_input("12.50")
    assert run.state.variables["budget"] == Decimal("12.50")
    assert ev.replay(run.events).variables["budget"] == Decimal("12.50")


def test_number_input_refuses_a_word():
    run = Run(INPUTS)
    run.advance()
    run.set_input("Blue Kettle")
    run.set_input("x")
    with pytest.raises(AnswerError, match=r"input 'budget'.*not a number"):
        engine.set_input(run.state, "budget", "lots", run.now, ACTOR)


def test_text_input_refuses_an_empty_value():
    run = Run(INPUTS)
    run.advance()
    with pytest.raises(AnswerError, match="needs a value"):
        engine.set_input(run.state, "product", "  ", run.now, ACTOR)


# ----------------------------------------------------------------------------- step types


def test_confirm_step_logs_a_boolean_and_saves_it():
    run = one_step("""\
      - id: fixed
        type: confirm
        prompt: Is it fixed?
        save_as: is_fixed
""")
    (answered,) = run.answer(False)
    assert answered["type"] == ev.STEP_ANSWERED and answered["step"] == "fixed"
    assert answered["data"] == {"phase": "work", "visit": 1, "answer": False}
    assert run.state.variables["is_fixed"] is False


@pytest.mark.parametrize("answer", ["yes", 1, None])
def test_confirm_step_refuses_anything_but_a_boolean(answer):
    run = one_step("""\
      - id: fixed
        type: confirm
        prompt: Is it fixed?
""")
    with pytest.raises(AnswerError, match=r"step 'fixed'.*yes or no"):
        engine.decide(run.state, "fixed", answer, run.now, ACTOR)


CHOICE = """\
      - id: reach
        type: choice
        prompt: How far has it spread?
        options:
          - label: One post, little engagement
            value: contained
          - label: Shared widely
            value: viral
        save_as: reach
"""


@pytest.mark.parametrize("given", ["viral", "Shared widely"])
def test_choice_step_accepts_the_value_or_the_label_and_logs_both(given):
    run = one_step(CHOICE)
    (answered,) = run.answer(given)
    assert answered["data"]["answer"] == {"value": "viral", "label": "Shared widely"}
    assert run.state.variables["reach"] == "viral"


def test_choice_step_refuses_an_unknown_option_naming_the_values():
    run = one_step(CHOICE)
    with pytest.raises(AnswerError, match=r"step 'reach'.*'contained' or 'viral'"):
        engine.decide(run.state, "reach", "everywhere", run.now, ACTOR)


CHECKLIST = """\
      - id: stop-damage
        type: checklist
        prompt: Stop the damage
        items:
          - Correct the price
          - Hold the orders
          - Pause the ads
"""


def test_checklist_logs_done_and_not_done_in_item_order():
    run = one_step(CHECKLIST)
    (answered,) = run.answer(engine.Checklist(("Pause the ads", "Correct the price")))
    assert answered["data"]["answer"] == {
        "done": ["Correct the price", "Pause the ads"],
        "not_done": ["Hold the orders"],
    }


def test_checklist_with_nothing_done_lists_every_item_as_not_done():
    run = one_step(CHECKLIST)
    (answered,) = run.answer(engine.Checklist(()))
    assert answered["data"]["answer"] == {
        "done": [],
        "not_done": ["Correct the price", "Hold the orders", "Pause the ads"],
    }


def test_checklist_refuses_an_item_that_is_not_on_the_list():
    run = one_step(CHECKLIST)
    with pytest.raises(AnswerError, match="Call the customer"):
        engine.decide(run.state, "stop-damage", engine.Checklist(("Call the customer",)), run.now, ACTOR)


def test_text_step_logs_the_text_exactly_as_given():
    run = one_step("""\
      - id: what-happened
        type: text
        prompt: What happened?
        save_as: story
""")
    text = "  Price field left empty.\nSecond line: «ok» 🙂\n"
    (answered,) = run.answer(text)
    assert answered["data"]["answer"] == text
    assert run.state.variables["story"] == text


def test_text_step_refuses_blank_text():
    run = one_step("""\
      - id: what-happened
        type: text
        prompt: What happened?
""")
    with pytest.raises(AnswerError, match="some text"):
        engine.decide(run.state, "what-happened", "   ", run.now, ACTOR)


NUMBER = """\
      - id: orders
        type: number
        prompt: How many orders?
        min: 0
        max: 1000
        save_as: orders
"""


def test_number_step_keeps_a_decimal_as_its_exact_text_and_saves_a_decimal():
    run = one_step(NUMBER)
    (answered,) = run.answer(engine.parse_number("2.50", "orders"))
    assert answered["data"]["answer"] == "2.50"
    assert run.state.variables["orders"] == Decimal("2.50")


def test_number_step_logs_a_whole_number_as_an_integer():
    run = one_step(NUMBER)
    (answered,) = run.answer(engine.parse_number("212", "orders"))
    assert answered["data"]["answer"] == 212 and type(answered["data"]["answer"]) is int


@pytest.mark.parametrize("text", ["-1", "1000.5", "1001"])
def test_number_step_refuses_a_value_outside_min_and_max(text):
    run = one_step(NUMBER)
    with pytest.raises(AnswerError, match="from 0 to 1000"):
        engine.decide(run.state, "orders", engine.parse_number(text, "orders"), run.now, ACTOR)


@pytest.mark.parametrize("bound", ["0", "1000"])
def test_number_step_accepts_min_and_max_themselves(bound):
    run = one_step(NUMBER)
    (answered,) = run.answer(engine.parse_number(bound, "orders"))
    assert answered["data"]["answer"] == int(bound)


@pytest.mark.parametrize("text", ["many", "", "nan", "inf", "1e5000"])
def test_parse_number_refuses_what_is_not_a_loggable_number(text):
    with pytest.raises(AnswerError, match="orders"):
        engine.parse_number(text, "orders")


def test_number_step_refuses_a_boolean():
    run = one_step(NUMBER)
    with pytest.raises(AnswerError, match="a number"):
        engine.decide(run.state, "orders", True, run.now, ACTOR)


MESSAGE = steps_yaml(
    """\
      - id: holding-statement
        type: message
        channel: "{{ channel }} (public reply)"
        template: |
          We're sorry about {{ product }}. We'll update you {{ next_update }}.
        milestone: acknowledged
""",
    extra="""\
inputs:
  product:
    prompt: Which product?
  channel:
    prompt: Where?
  next_update:
    prompt: When is the next update?
""",
)


def message_run() -> Run:
    run = Run(MESSAGE)
    run.advance()
    for raw in ("Blue Kettle", "Facebook", "by noon"):
        run.set_input(raw)
    return run


def test_message_send_records_the_rendered_text_and_channel():
    run = message_run()
    rendered = engine.render(run.state, "holding-statement", run.now)
    assert rendered.text == "We're sorry about Blue Kettle. We'll update you by noon."
    assert rendered.channel == "Facebook (public reply)" and rendered.placeholders == ()
    decision = run.answer(engine.Send(rendered.text))
    (sent,) = [e for e in decision if e["type"] == ev.MESSAGE_SENT]
    assert sent["data"] == {"channel": "Facebook (public reply)", "text": rendered.text}
    assert decision[0]["data"]["answer"] == {"sent": True, "edited": False}


def test_message_sends_an_edited_text_exactly_as_edited():
    run = message_run()
    edited = "Sorry, Blue Kettle was our mistake.\n  We'll DM you. 🙏"
    decision = run.answer(engine.Send(edited, edited=True))
    (sent,) = [e for e in decision if e["type"] == ev.MESSAGE_SENT]
    assert sent["data"]["text"] == edited
    assert decision[0]["data"]["answer"] == {"sent": True, "edited": True}


def test_message_refuses_an_empty_text():
    run = message_run()
    with pytest.raises(AnswerError, match="holding-statement"):
        engine.decide(run.state, "holding-statement", engine.Send("  ", edited=True), run.now, ACTOR)


ESCALATE = """\
      - id: call-people
        type: escalate
        to: [manager, legal]
        template: "Severity {{ severity }} on incident {{ incident_id }}."
        milestone: escalated
"""


def test_escalate_notified_logs_one_event_per_role_with_its_contact_and_the_message():
    manager = Contact(name="Marta Ruiz", phone="+34 600 000 000", email="marta@example.com")
    run = one_step(ESCALATE, contacts={"manager": manager})
    decision = run.answer("notified")
    assert decision[0]["data"]["answer"] == {"manager": "notified", "legal": "notified"}
    notified = [e for e in decision if e["type"] == ev.ESCALATION_NOTIFIED]
    assert [e["data"]["role"] for e in notified] == ["manager", "legal"]
    message = f"Severity medium on incident {INCIDENT_ID}."
    assert notified[0]["data"] == {
        "role": "manager",
        "message": message,
        "contact": {
            "name": "Marta Ruiz",
            "phone": "+34 600 000 000",
            "email": "marta@example.com",
            "description": "Your line manager",
        },
    }
    assert notified[1]["data"]["contact"] == {"description": "Legal counsel"}


def test_escalate_outcome_per_role_records_who_was_unreachable():
    run = one_step(ESCALATE)
    decision = run.answer({"manager": "unreachable", "legal": "notified"})
    kinds = [(e["type"], e["data"]["role"]) for e in decision if e["type"].startswith("escalation.")]
    assert kinds == [(ev.ESCALATION_UNREACHABLE, "manager"), (ev.ESCALATION_NOTIFIED, "legal")]


@pytest.mark.parametrize(
    "answer, named",
    [
        ({"manager": "notified"}, "legal"),
        ({"manager": "notified", "legal": "notified", "pr": "notified"}, "pr"),
        ("maybe", "manager"),
        ({"manager": "called", "legal": "notified"}, "called"),
    ],
)
def test_escalate_refuses_a_missing_unknown_or_wrong_outcome(answer, named):
    run = one_step(ESCALATE)
    with pytest.raises(AnswerError, match=named):
        engine.decide(run.state, "call-people", answer, run.now, ACTOR)


def test_escalate_without_a_template_sends_a_default_message_naming_the_incident():
    run = one_step("""\
      - id: call-manager
        type: escalate
        prompt: Call your manager
        to: [manager]
""")
    decision = run.answer("notified")
    message = decision[1]["data"]["message"]
    assert INCIDENT_ID in message and "Call your manager" in message and "medium" in message


def test_info_step_is_acknowledged():
    run = one_step("""\
      - id: wait
        type: info
        prompt: Wait ten minutes.
""")
    (answered, closed) = run.answer(True) + run.of_type(ev.CLOSED)
    assert answered["data"]["answer"] == {"acknowledged": True}
    assert closed["data"]["outcome"] == "completed"


# ----------------------------------------------------------------------------- branching

BRANCHES = steps_yaml("""\
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Contained
            value: contained
          - label: Viral
            value: viral
            next: call-manager
          - label: False alarm
            value: false-alarm
            next: end
      - id: monitor
        type: info
        prompt: Keep watching.
        next: write-up
      - id: call-manager
        type: escalate
        to: [manager]
      - id: write-up
        type: text
        prompt: What happened?
""")


def test_an_options_next_jumps_over_the_steps_in_between():
    run = Run(BRANCHES)
    run.advance()
    run.answer("viral")
    assert run.asked() == "call-manager"
    run.answer("notified")
    assert [s for s, _ in run.entered()] == ["reach", "call-manager", "write-up"]


def test_a_steps_next_jumps_over_the_steps_in_between():
    run = Run(BRANCHES)
    run.advance()
    run.answer("contained")
    run.answer(True)
    assert [s for s, _ in run.entered()] == ["reach", "monitor", "write-up"]


def test_next_end_closes_the_incident_as_completed():
    run = Run(BRANCHES)
    run.advance()
    run.answer("false-alarm")
    assert run.action == engine.Finished("completed")
    (closed,) = run.of_type(ev.CLOSED)
    assert closed["data"]["outcome"] == "completed"
    assert run.state.closed and [s for s, _ in run.entered()] == ["reach"]
    assert engine.advance(run.state, run.now, ACTOR) == ([], engine.Finished("completed"))


LOOP = steps_yaml("""\
      - id: check-mentions
        type: choice
        prompt: How are the mentions?
        options:
          - label: Still growing
            value: growing
            next: wait
          - label: Calm
            value: calm
            next: close-out
        milestone: acknowledged
      - id: wait
        type: info
        prompt: Wait 30 minutes, then check again.
        next: check-mentions
      - id: close-out
        type: confirm
        prompt: Done?
""")


def test_a_loop_back_counts_each_visit_of_the_step():
    run = Run(LOOP)
    run.advance()
    for answer in ("growing", True, "growing", True, "calm"):
        run.answer(answer)
    assert run.entered() == [
        ("check-mentions", 1),
        ("wait", 1),
        ("check-mentions", 2),
        ("wait", 2),
        ("check-mentions", 3),
        ("close-out", 1),
    ]
    visits = [e["data"]["visit"] for e in run.of_type(ev.STEP_ANSWERED) if e["step"] == "check-mentions"]
    assert visits == [1, 2, 3]


def test_a_milestone_in_a_loop_is_reached_only_once():
    run = Run(LOOP)
    run.advance()
    for answer in ("growing", True, "growing", True, "calm"):
        run.answer(answer)
    (milestone,) = run.of_type(ev.MILESTONE_REACHED)
    assert milestone["data"]["name"] == "acknowledged"


# ----------------------------------------------------------------------------- conditions and severity

SEVERITY = steps_yaml("""\
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Contained
            value: contained
            severity: low
          - label: Viral
            value: viral
            severity: high
          - label: As before
            value: same
      - id: call-manager
        type: escalate
        to: [manager]
        when: severity >= 'medium'
      - id: wrap-up
        type: info
        prompt: Wrap up.
""")


def test_severity_compares_by_level_order_so_high_is_at_least_medium():
    run = Run(SEVERITY)
    run.advance()
    run.answer("viral")
    assert run.asked() == "call-manager"
    assert run.of_type(ev.STEP_SKIPPED) == []


def test_severity_compares_by_level_order_so_low_is_not_at_least_medium():
    run = Run(SEVERITY)
    run.advance()
    run.answer("contained")
    (skipped,) = run.of_type(ev.STEP_SKIPPED)
    assert skipped["step"] == "call-manager"
    assert skipped["data"]["by"] == "condition" and skipped["data"]["visit"] == 1
    assert skipped["data"]["phase"] == "work" and "severity >= 'medium'" in skipped["data"]["reason"]
    assert run.asked() == "wrap-up"
    assert run.entered() == [("reach", 1), ("wrap-up", 1)]


def test_an_option_raising_the_severity_emits_severity_changed_with_the_option_as_reason():
    run = Run(SEVERITY)
    run.advance()
    decision = run.answer("Viral")
    (changed,) = [e for e in decision if e["type"] == ev.SEVERITY_CHANGED]
    assert changed["data"] == {"from": "medium", "to": "high", "reason": "reach: Viral"}
    assert run.state.severity == "high"


def test_an_option_lowering_the_severity_emits_severity_changed():
    run = Run(SEVERITY)
    run.advance()
    decision = run.answer("contained")
    (changed,) = [e for e in decision if e["type"] == ev.SEVERITY_CHANGED]
    assert (changed["data"]["from"], changed["data"]["to"]) == ("medium", "low")
    assert run.state.severity == "low"


def test_an_option_without_severity_changes_nothing():
    run = Run(SEVERITY)
    run.advance()
    decision = run.answer("same")
    assert [e["type"] for e in decision] == [ev.STEP_ANSWERED]
    assert run.state.severity == "medium"


def test_an_option_setting_the_current_severity_emits_no_change():
    run = Run(SEVERITY.replace("initial: medium", "initial: high"))
    run.advance()
    decision = run.answer("viral")
    assert ev.SEVERITY_CHANGED not in [e["type"] for e in decision]


def test_severity_condition_on_the_lowest_and_highest_levels():
    levels = ("low", "medium", "high", "critical")
    from crisisplay.templates import SeverityLevel

    assert evaluate_condition("severity >= 'medium'", {"severity": SeverityLevel("critical", levels)})
    assert not evaluate_condition("severity >= 'medium'", {"severity": SeverityLevel("low", levels)})
    assert evaluate_condition("severity < 'high'", {"severity": SeverityLevel("medium", levels)})
    assert not evaluate_condition("severity > 'critical'", {"severity": SeverityLevel("critical", levels)})


UNSET = steps_yaml("""\
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Contained
            value: contained
            next: count
          - label: Viral
            value: viral
      - id: describe
        type: text
        prompt: Who shared it?
        save_as: sharer
      - id: count
        type: number
        prompt: How many orders?
        when: sharer == 'press' or orders > 5
        save_as: orders
      - id: big
        type: info
        prompt: Big.
        when: orders > 5
      - id: reply
        type: message
        channel: X
        template: "Thanks {{ sharer }}, we are on it ({{ orders + 1 }} orders, {{ sharer.name }})."
""")


def test_a_condition_sees_an_unset_variable_as_none_and_does_not_crash():
    run = Run(UNSET)
    run.advance()
    run.answer("contained")  # `describe` never ran: `sharer` and `orders` are unset
    skipped = [(e["step"], e["data"]["by"]) for e in run.of_type(ev.STEP_SKIPPED)]
    assert skipped == [("count", "condition"), ("big", "condition")]
    assert run.asked() == "reply"


def test_a_template_shows_an_unset_variable_as_a_visible_placeholder():
    run = Run(UNSET)
    run.advance()
    run.answer("contained")
    rendered = engine.render(run.state, "reply", run.now)
    assert rendered.text == "Thanks [[sharer]], we are on it ([[orders]] orders, [[sharer]])."
    assert rendered.placeholders == ("orders", "sharer")


def test_sending_a_message_that_still_shows_a_placeholder_unedited_is_an_answer_error():
    run = Run(UNSET)
    run.advance()
    run.answer("contained")
    rendered = engine.render(run.state, "reply", run.now)
    with pytest.raises(AnswerError, match=r"reply.*\[\[.*\]\].*text"):
        engine.decide(run.state, "reply", engine.Send(rendered.text), run.now, ACTOR)


def test_an_edited_message_may_replace_the_placeholder():
    run = Run(UNSET)
    run.advance()
    run.answer("contained")
    decision = run.answer(engine.Send("Thanks, we are on it.", edited=True))
    assert decision[1]["data"]["text"] == "Thanks, we are on it."
    assert run.state.closed


def test_a_variable_set_on_the_path_taken_fills_the_template():
    run = Run(UNSET)
    run.advance()
    run.answer("viral")
    run.answer("press")
    run.answer(engine.parse_number("2", "count"))
    assert run.of_type(ev.STEP_SKIPPED)[0]["step"] == "big"
    assert engine.render(run.state, "reply", run.now).text.startswith("Thanks press, we are on it (3 orders")


# ----------------------------------------------------------------------------- milestones and skips

MILESTONES = steps_yaml("""\
      - id: call-manager
        type: escalate
        to: [manager]
        milestone: escalated
      - id: reply
        type: confirm
        prompt: Replied in public?
        milestone: acknowledged
      - id: legal
        type: confirm
        prompt: Legal check done?
        when: severity == 'critical'
        milestone: resolved
      - id: write-up
        type: text
        prompt: What happened?
        milestone: resolved
""")


def test_a_milestone_is_reached_when_its_step_is_answered_timed_from_detection():
    run = Run(MILESTONES)
    run.advance()
    run.answer("notified", minutes=5)  # 08:15, detected at 08:00
    (reached,) = run.of_type(ev.MILESTONE_REACHED)
    assert reached["step"] == "call-manager"
    assert reached["data"] == {"name": "escalated", "elapsed_ms": 15 * 60_000, "target_ms": 30 * 60_000}


def test_a_milestone_is_not_reached_when_its_step_is_skipped_by_the_responder_or_a_condition():
    run = Run(MILESTONES)
    run.advance()
    run.answer("notified")
    decision = run.answer(engine.Skip("Customer asked us not to reply"))
    assert decision == [dict(decision[0], type=ev.STEP_SKIPPED)]
    assert decision[0]["data"] == {
        "phase": "work",
        "visit": 1,
        "by": "responder",
        "reason": "Customer asked us not to reply",
    }
    assert [(e["step"], e["data"]["by"]) for e in run.of_type(ev.STEP_SKIPPED)] == [
        ("reply", "responder"),
        ("legal", "condition"),
    ]
    assert [e["data"]["name"] for e in run.of_type(ev.MILESTONE_REACHED)] == ["escalated"]
    run.answer("We fixed it.", minutes=60)
    assert [e["data"]["name"] for e in run.of_type(ev.MILESTONE_REACHED)] == ["escalated", "resolved"]
    assert run.state.milestones["resolved"] == ev.elapsed_ms(DETECTED, run.now)


def test_a_responder_skip_moves_on_to_the_next_step():
    run = Run(MILESTONES)
    run.advance()
    run.answer(engine.Skip("Manager is on the call already"))
    assert run.asked() == "reply" and run.state.pending == "reply"


def test_a_milestone_reached_on_two_steps_is_logged_once():
    run = Run(MILESTONES.replace("when: severity == 'critical'", "when: severity == 'medium'"))
    run.advance()
    run.answer("notified")
    run.answer(True)
    run.answer(True)
    run.answer("Done.")
    assert [e["data"]["name"] for e in run.of_type(ev.MILESTONE_REACHED)] == ["escalated", "acknowledged", "resolved"]


def test_a_milestone_missed_target_still_records_elapsed_and_target():
    run = Run(MILESTONES, detected_at=OPENED - timedelta(hours=2))
    run.advance()
    run.answer("notified")
    (reached,) = run.of_type(ev.MILESTONE_REACHED)
    assert reached["data"]["elapsed_ms"] > reached["data"]["target_ms"] == 30 * 60_000


def test_elapsed_minutes_counts_from_detection():
    run = Run(
        steps_yaml("""\
      - id: late
        type: info
        prompt: Late.
        when: elapsed_minutes >= 45
      - id: done
        type: info
        prompt: Done.
"""),
        detected_at=OPENED - timedelta(minutes=45),
    )
    run.advance()
    assert run.asked() == "late"
    early = Run(
        steps_yaml("""\
      - id: late
        type: info
        prompt: Late.
        when: elapsed_minutes >= 45
      - id: done
        type: info
        prompt: Done.
""")
    )
    early.advance()
    assert early.asked() == "done"


def test_builtins_are_visible_to_templates():
    run = one_step("""\
      - id: tell
        type: message
        channel: "{{ organisation }}"
        template: "{{ playbook }} {{ incident_id }} {{ responder }} {{ drill }} {{ severity }}"
""")
    rendered = engine.render(run.state, "tell", run.now)
    assert rendered.text == f"demo {INCIDENT_ID} {ACTOR} yes medium"
    assert rendered.channel == "Acme"


# ----------------------------------------------------------------------------- responder actions


def test_note_pause_resume_and_close_events():
    run = one_step(CHOICE)
    (note,) = engine.note("Customer called back", run.now, ACTOR, "reach")
    assert (note["type"], note["step"], note["data"]) == (ev.NOTE_ADDED, "reach", {"text": "Customer called back"})
    run.log(engine.pause("answers-ran-out", run.now, ACTOR))
    assert run.state.lifecycle == ev.PAUSED and run.state.pause_reason == "answers-ran-out"
    run.log(engine.resume("bo", run.now))
    assert run.state.lifecycle == ev.RESUMED and run.state.responders == [ACTOR, "bo"]
    assert run.advance() == engine.AskStep("reach", 1)  # the pending step, not entered again
    assert run.entered() == [("reach", 1)]
    run.log(engine.close("False alarm", run.now, ACTOR))
    assert run.state.closed and run.state.outcome == "closed" and run.state.close_reason == "False alarm"


def test_change_severity_refuses_an_unknown_level_and_ignores_the_current_one():
    run = one_step(CHOICE)
    with pytest.raises(AnswerError, match="'low', 'medium', 'high' or 'critical'"):
        engine.change_severity(run.state, "huge", "why", run.now, ACTOR)
    assert engine.change_severity(run.state, "medium", "why", run.now, ACTOR) == []
    (changed,) = engine.change_severity(run.state, "critical", "press called", run.now, ACTOR)
    assert changed["data"] == {"from": "medium", "to": "critical", "reason": "press called"}


# ----------------------------------------------------------------------------- replay


def test_replay_of_every_event_equals_the_state_built_step_by_step():
    run = Run(
        steps_yaml(
            """\
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Viral
            value: viral
            severity: high
          - label: Contained
            value: contained
        save_as: reach
      - id: orders
        type: number
        prompt: How many?
        save_as: orders
      - id: check
        type: choice
        prompt: Calm?
        options:
          - label: Still growing
            value: growing
            next: check
          - label: Calm
            value: calm
        milestone: acknowledged
      - id: legal
        type: confirm
        prompt: Legal?
        when: severity == 'critical'
      - id: call
        type: escalate
        to: [manager, legal]
        milestone: escalated
      - id: write-up
        type: text
        prompt: What happened?
""",
            extra="""\
inputs:
  product:
    prompt: Which product?
  budget:
    prompt: Budget?
    type: number
""",
        )
    )
    run.advance()
    run.set_input("Kettle")
    run.set_input("7.25")
    run.answer("viral")
    run.log(engine.note("A journalist called", run.now, ACTOR, run.state.pending))
    run.answer(engine.parse_number("3.50", "orders"))
    run.answer("growing")
    run.answer("growing")
    run.answer("calm")
    run.answer({"manager": "notified", "legal": "unreachable"})
    run.log(engine.pause("answers-ran-out", run.now, ACTOR))
    run.log(engine.resume("bo", run.now))
    run.advance()
    run.answer("It calmed down.")
    assert run.state.closed

    def fields_of(state):
        return {f.name: getattr(state, f.name) for f in dataclasses.fields(state) if f.name != "playbook"}

    replayed = ev.replay(run.events)
    assert fields_of(replayed) == fields_of(run.state)
    assert replayed.playbook.normalised() == run.state.playbook.normalised()
    assert replayed.visits == {"reach": 1, "orders": 1, "check": 3, "legal": 1, "call": 1, "write-up": 1}
    assert replayed.variables == {
        "product": "Kettle",
        "budget": Decimal("7.25"),
        "reach": "viral",
        "orders": Decimal("3.50"),
    }


def test_replay_refuses_a_log_that_does_not_start_with_incident_started():
    with pytest.raises(ValueError, match=r"incident\.started"):
        ev.replay([])
    with pytest.raises(ValueError, match=r"incident\.started"):
        ev.replay(engine.note("x", OPENED, ACTOR))


def test_describe_says_each_decision_in_the_responders_words():
    run = Run(MILESTONES)
    run.advance()
    run.answer({"manager": "unreachable"}, minutes=50)
    lines = [describe(e, run.playbook) for e in run.events]
    assert "Your line manager: unreachable" in lines  # people, not role ids
    assert "milestone escalated after 1h, target 30m missed" in lines
    assert describe(run.of_type(ev.STEP_ENTERED)[0], run.playbook) is None


# ----------------------------------------------------------------------------- the sandbox

HOSTILE_TEMPLATES = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ product.__class__.mro() }}",
    "{{ product.mro }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ self }}",
    "{{ self.__init__ }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as secrets %}",
    "{% extends '/etc/passwd' %}",
    "{{ product['__class__'] }}",
    "{{ product.format }}",
]


@pytest.mark.parametrize("source", HOSTILE_TEMPLATES)
def test_the_sandbox_refuses_python_internals_and_files_at_render_time(source):
    try:
        text = render_template(source, {"product": "Kettle"})
    except PlaybookError as err:
        assert "refused" in str(err) or "could not be rendered" in str(err)
    else:
        pytest.fail(f"rendered {text!r}")


@pytest.mark.parametrize("source", ["self", "product.__class__.__mro__", "cycler.__init__", "product['__class__']"])
def test_the_sandbox_refuses_python_internals_in_conditions(source):
    with pytest.raises(PlaybookError, match="refused"):
        evaluate_condition(source, {"product": "Kettle"})


@pytest.mark.parametrize("source", HOSTILE_TEMPLATES)
def test_the_checker_reports_hostile_templates(source):
    text = steps_yaml(
        f"""\
      - id: reply
        type: message
        channel: X
        template: {json.dumps(source)}
""",
        extra="""\
inputs:
  product:
    prompt: Which product?
""",
    )
    checked = check_text(text, "hostile.yaml")
    assert not checked.ok
    codes = {f.code for f in checked.errors}
    assert codes & {"CP303", "CP302"}, [str(f) for f in checked.findings]


@pytest.mark.parametrize("condition", ["self", "product.__class__", "cycler.__init__.__globals__", "product.mro()"])
def test_the_checker_reports_hostile_conditions(condition):
    text = steps_yaml(
        f"""\
      - id: reply
        type: info
        prompt: Hi
        when: {json.dumps(condition)}
""",
        extra="""\
inputs:
  product:
    prompt: Which product?
""",
    )
    checked = check_text(text, "hostile.yaml")
    assert {f.code for f in checked.errors} & {"CP303", "CP302"}, [str(f) for f in checked.findings]


def test_a_template_that_fails_on_a_set_value_is_a_playbook_error_not_a_crash():
    with pytest.raises(PlaybookError, match="could not be rendered"):
        render_template("{{ product + 1 }}", {"product": "Kettle"})
    with pytest.raises(PlaybookError, match="sandbox refused"):  # a call too large for the sandbox
        render_template("{{ range(10000000) | list }}", {})


def test_an_ordinary_template_renders_in_the_sandbox():
    assert (
        render_template(
            "{{ product | upper }} x{{ n * 2 }}{% if n > 1 %} many{% endif %}", {"product": "kettle", "n": 3}
        )
        == "KETTLE x6 many"
    )


def test_a_placeholder_changed_by_a_filter_still_blocks_an_unedited_send():
    run = Run(
        steps_yaml("""\
      - id: reply
        type: message
        channel: X
        template: "Hello {{ who | upper }}"
      - id: ask
        type: text
        prompt: Who?
        save_as: who
""")
    )
    run.advance()
    rendered = engine.render(run.state, "reply", run.now)
    assert rendered.text == "Hello [[WHO]]" and rendered.placeholders == ("who",)
    with pytest.raises(AnswerError, match=r"\[\[who\]\]"):
        engine.decide(run.state, "reply", engine.Send(rendered.text), run.now, ACTOR)


def test_a_default_filter_fills_an_unset_variable_so_the_message_can_be_sent():
    run = Run(
        steps_yaml("""\
      - id: reply
        type: message
        channel: X
        template: "Hello {{ who | default('everyone') }}"
      - id: ask
        type: text
        prompt: Who?
        save_as: who
""")
    )
    run.advance()
    rendered = engine.render(run.state, "reply", run.now)
    assert rendered.placeholders == ()
    decision = run.answer(engine.Send(rendered.text))
    assert decision[1]["data"]["text"] == "Hello everyone"


@pytest.mark.parametrize("text", ["1,5", "1_000", "١٢", "12 orders", "0x10"])
def test_a_number_that_could_be_misread_is_refused_rather_than_guessed(text):
    with pytest.raises(AnswerError, match="not a number"):
        engine.parse_number(text, "step 'count'")


def test_a_condition_on_a_missing_value_is_false_and_on_text_against_a_number_a_playbook_error():
    assert not evaluate_condition("orders > 10", {"orders": None})  # not set on this path: false, as documented
    with pytest.raises(PlaybookError, match=r"the condition `orders > 10` could not be evaluated: .*'str' and 'int'"):
        evaluate_condition("orders > 10", {"orders": "500"})  # never a silent false: it would skip an escalation


def test_a_decimal_answer_meets_a_decimal_literal_in_a_condition():
    """Number answers are kept exact (Decimal); Jinja reads `1.5` as a float: they still compare."""
    assert evaluate_condition("amount * 1.5 > 10", {"amount": Decimal("7.5")})
    assert not evaluate_condition("amount * 1.5 > 10", {"amount": Decimal("3.5")})


def test_a_builtin_without_a_value_shows_its_placeholder_and_a_boolean_reads_yes_or_no():
    run = one_step(
        """\
      - id: reply
        type: message
        channel: X
        template: "{{ organisation }} apologises. Drill: {{ drill }}. Team: {{ organisation | default('our team') }}"
""",
        organisation=None,
    )
    rendered = engine.render(run.state, "reply", run.now)
    assert rendered.text == "[[organisation]] apologises. Drill: yes. Team: our team"
    assert rendered.placeholders == ("organisation",)
    with pytest.raises(AnswerError, match=r"\[\[organisation\]\]"):  # never "None apologises" to a customer
        engine.decide(run.state, "reply", engine.Send(rendered.text), run.now, ACTOR)


def test_a_yes_or_no_in_a_template_is_in_the_playbooks_language_whatever_the_screen_speaks():
    run = Run(
        steps_yaml(
            """\
      - id: reply
        type: message
        channel: X
        template: "Simulacro: {{ drill }}"
""",
            extra="locale: es\n",
        )
    )
    run.advance()
    assert engine.render(run.state, "reply", run.now).text == "Simulacro: sí"
