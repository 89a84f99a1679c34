"""The terminal front end without a terminal: keystrokes through prompt_toolkit's pipe input.

Each test runs a real incident (`start_incident`, a real log on disk) with a TerminalFrontend
whose Prompter reads from `create_pipe_input()` and draws on `DummyOutput()`. Keys are sent
up front; prompt_toolkit keeps what one prompt did not read for the next one. A prompt that
gets no Enter waits forever, hence the per-test timeout.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from incident_logs import assert_log_contract
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from crisisplay.config import Config, Contact
from crisisplay.export import export_incident
from crisisplay.playbook.loader import check_text
from crisisplay.run.lifecycle import StartRequest, resume_incident, start_incident
from crisisplay.run.terminal import Prompter, TerminalFrontend

pytestmark = pytest.mark.timeout(15)

DOWN, UP, ENTER, ESC_ENTER, CTRL_U, CTRL_C, CTRL_D = "\x1b[B", "\x1b[A", "\r", "\x1b\r", "\x15", "\x03", "\x04"
# At a menu, after the step's own answers and a separator: note, severity, skip, pause.
MENU_NOTE, MENU_SEVERITY, MENU_SKIP, MENU_PAUSE = 0, 1, 2, 3


def playbook(*steps: dict, inputs: dict | None = None, roles: dict | None = None, extra: dict | None = None) -> str:
    doc = {
        "crisisplay": 1,
        "id": "frontend",
        "title": "Front-end test",
        "severity": {"levels": ["low", "medium", "high", "critical"], "initial": "low"},
        "targets": {"acknowledged": "1h"},
        **({"roles": roles} if roles else {}),
        **({"inputs": inputs} if inputs else {}),
        "phases": [{"id": "only", "title": "Only phase", "steps": list(steps)}],
        **(extra or {}),
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


class Run:
    """One incident run through the terminal front end; its log, screen text and outcome."""

    def __init__(self, tmp_path: Path, text: str, keys: str, contacts: dict | None = None):
        checked = check_text(text)
        assert checked.ok, [str(f) for f in checked.findings]
        self.playbook = checked.playbook
        self.book = tmp_path / "frontend.yaml"
        self.book.write_text(text)
        self.home = tmp_path / "home"
        self.screen_file = io.StringIO()
        self.config = Config(contacts=contacts or {})
        self.ids: list[str] = []
        self.outcome = None
        self.interrupted = False
        with create_pipe_input() as pipe:
            pipe.send_text(keys)
            try:
                self.outcome = start_incident(
                    StartRequest(self.playbook, self.book, responder="Alice"),
                    self.config,
                    self.home,
                    lambda overrides: self.frontend(pipe),
                    self.ids.append,
                )
            except KeyboardInterrupt:
                self.interrupted = True

    def frontend(self, pipe) -> TerminalFrontend:
        console = Console(file=self.screen_file, width=80, color_system=None, highlight=False)
        return TerminalFrontend(
            console, Prompter(pipe, DummyOutput()), contacts=self.config.contacts, clipboard=lambda text: False
        )

    @property
    def log(self) -> Path:
        return self.home / "incidents" / f"{self.ids[0]}.jsonl"

    @property
    def events(self) -> list[dict]:
        from incident_logs import opened_events

        return opened_events(self.log)

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def answer(self, step: str):
        answered = [e for e in self.of("step.answered") if e["step"] == step]
        assert len(answered) == 1, answered
        return answered[0]["data"]["answer"]

    @property
    def screen(self) -> str:
        return self.screen_file.getvalue()


def menu(own_answers: int, action: int) -> str:
    """Keys to pick a responder action in a menu that lists `own_answers` of the step's own first."""
    return DOWN * (own_answers - 1 + 1 + action) + ENTER


CONFIRM = {"id": "is-fixed", "type": "confirm", "prompt": "Is the price fixed?"}
TEXT = {"id": "what-happened", "type": "text", "prompt": "What happened?"}


# ----------------------------------------------------------------------------- each step type


@pytest.mark.parametrize("key, expected", [("y", True), ("n", False)])
def test_confirm_is_answered_by_the_key_alone(tmp_path, key, expected):
    run = Run(tmp_path, playbook(CONFIRM), key)
    assert run.outcome.finished
    assert run.answer("is-fixed") is expected


def test_confirm_also_answers_with_arrow_keys_and_enter(tmp_path):
    run = Run(tmp_path, playbook(CONFIRM), DOWN + ENTER)
    assert run.answer("is-fixed") is False


def test_choice_is_picked_with_the_arrow_keys_and_its_severity_applies(tmp_path):
    step = {
        "id": "assess-reach",
        "type": "choice",
        "prompt": "How far?",
        "options": [
            {"label": "Contained", "value": "contained"},
            {"label": "Growing", "value": "growing", "severity": "medium"},
            {"label": "Viral", "value": "viral", "severity": "high", "help": "Strangers are sharing it"},
        ],
    }
    run = Run(tmp_path, playbook(step), DOWN + DOWN + UP + DOWN + ENTER)
    assert run.answer("assess-reach") == {"value": "viral", "label": "Viral"}
    [change] = run.of("severity.changed")
    assert change["data"] == {"from": "low", "to": "high", "reason": "assess-reach: Viral"}


def test_checklist_records_ticked_items_as_done_and_the_rest_as_not_done_with_the_reason(tmp_path):
    step = {
        "id": "fix",
        "type": "checklist",
        "prompt": "Stop the damage",
        "items": ["Fix price", "Hold orders", "Pause ads"],
    }
    run = Run(tmp_path, playbook(step), " " + DOWN + DOWN + " " + ENTER + "Ads team asleep" + ENTER)
    assert run.answer("fix") == {
        "done": ["Fix price", "Pause ads"],
        "not_done": ["Hold orders"],
        "reason": "Ads team asleep",
    }


def test_checklist_all_ticked_asks_for_no_reason(tmp_path):
    step = {"id": "fix", "type": "checklist", "prompt": "Stop the damage", "items": ["Fix price", "Hold orders"]}
    run = Run(tmp_path, playbook(step, TEXT), " " + DOWN + " " + ENTER + "next step's answer" + ENTER)
    assert run.answer("fix") == {"done": ["Fix price", "Hold orders"], "not_done": []}
    assert run.answer("what-happened") == "next step's answer"


def test_checklist_reason_is_optional(tmp_path):
    step = {"id": "fix", "type": "checklist", "prompt": "Stop the damage", "items": ["Fix price", "Hold orders"]}
    run = Run(tmp_path, playbook(step), ENTER + ENTER)
    assert run.answer("fix") == {"done": [], "not_done": ["Fix price", "Hold orders"]}


def test_text_answer_is_logged_as_typed(tmp_path):
    run = Run(tmp_path, playbook(TEXT), "Price field left empty by the import" + ENTER)
    assert run.answer("what-happened") == "Price field left empty by the import"


def test_an_empty_text_answer_is_refused_and_asked_again(tmp_path):
    run = Run(tmp_path, playbook(TEXT), ENTER + "  " + ENTER + CTRL_U + "Now an answer" + ENTER)
    assert run.answer("what-happened") == "Now an answer"


def test_number_refuses_a_word_then_takes_a_number(tmp_path):
    step = {"id": "orders", "type": "number", "prompt": "How many orders?"}
    run = Run(tmp_path, playbook(step), "twelve" + ENTER + CTRL_U + "12" + ENTER)
    assert run.outcome.finished
    assert run.answer("orders") == 12


def test_number_outside_the_steps_range_is_asked_again_not_a_paused_run(tmp_path):
    step = {"id": "orders", "type": "number", "prompt": "How many orders?", "min": 0, "max": 100}
    run = Run(tmp_path, playbook(step), "-3" + ENTER + CTRL_U + "250" + ENTER + CTRL_U + "3.5" + ENTER)
    assert run.outcome.finished, run.outcome.reason
    assert run.answer("orders") == "3.5"  # decimals are logged as exact text
    assert run.of("incident.paused") == []


def test_number_input_refuses_a_word_then_takes_a_number(tmp_path):
    inputs = {"orders": {"prompt": "Orders so far?", "type": "number"}}
    run = Run(tmp_path, playbook(CONFIRM, inputs=inputs), "many" + ENTER + CTRL_U + "7" + ENTER + "y")
    assert run.outcome.finished, run.outcome.reason
    [set_input] = run.of("input.set")
    assert set_input["data"] == {"name": "orders", "value": 7}


def test_typed_actions_at_an_incident_fact_act_and_are_never_logged_as_the_fact(tmp_path):
    keys = ":note" + ENTER + "Customer is a journalist" + ESC_ENTER + ":skip" + ENTER + CTRL_U + "Kettle" + ENTER
    run = Run(tmp_path, playbook(CONFIRM, inputs=PRODUCT), keys + "y")
    assert run.outcome.finished, run.outcome.reason
    assert [e["data"] for e in run.of("input.set")] == [{"name": "product", "value": "Kettle"}]
    assert [e["data"]["text"] for e in run.of("note.added")] == ["Customer is a journalist"]


def test_pause_typed_at_an_incident_fact_pauses_the_run(tmp_path):
    run = Run(tmp_path, playbook(CONFIRM, inputs=PRODUCT), ":pause" + ENTER)
    assert not run.outcome.finished and run.outcome.reason == "responder"
    assert not run.of("input.set")


def test_info_is_acknowledged_with_enter(tmp_path):
    step = {"id": "wait", "type": "info", "prompt": "Wait 15 minutes, then check again."}
    run = Run(tmp_path, playbook(step), ENTER)
    assert run.answer("wait") == {"acknowledged": True}
    assert "Wait 15 minutes, then check again." in run.screen


# ----------------------------------------------------------------------------- messages

MESSAGE = {
    "id": "holding",
    "type": "message",
    "prompt": "Reply under the post.",
    "channel": "twitter",
    "template": "We are looking into {{ product }} now.",
    "milestone": "acknowledged",
}
PRODUCT = {"product": {"prompt": "Which product?", "type": "text"}}


def test_message_sent_as_is_logs_the_rendered_text_and_shows_it_plain_for_copying(tmp_path):
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), "Blue Kettle" + ENTER + ENTER)
    [sent] = run.of("message.sent")
    assert sent["data"] == {"channel": "twitter", "text": "We are looking into Blue Kettle now."}
    assert run.answer("holding") == {"sent": True, "edited": False}
    assert [m["data"]["name"] for m in run.of("milestone.reached")] == ["acknowledged"]
    # the panel and, on a line of its own, the plain text with no border characters
    assert "\nWe are looking into Blue Kettle now.\n" in run.screen


def test_message_edited_in_the_terminal_sends_exactly_the_edited_text(tmp_path):
    keys = "Blue Kettle" + ENTER + DOWN + ENTER + " Sorry!" + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), keys)
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "We are looking into Blue Kettle now. Sorry!"
    assert run.answer("holding") == {"sent": True, "edited": True}


UNSET = [
    {
        "id": "legal",
        "type": "text",
        "prompt": "What did counsel say?",
        "save_as": "counsel",
        "when": "severity >= 'high'",
    },
    {"id": "reply", "type": "message", "channel": "email", "template": "Counsel says: {{ counsel }}."},
]


def test_a_message_showing_an_unset_variable_cannot_be_sent_as_is_and_must_be_edited(tmp_path):
    # The first Enter lands on "Edit the text": "Send as is" is disabled while [[counsel]] shows.
    keys = ENTER + CTRL_U + "We will reply by Friday." + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook(*UNSET), keys)
    assert run.outcome.finished
    assert "Counsel says: [[counsel]]." in run.screen  # what the responder saw first
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "We will reply by Friday."
    assert run.answer("reply") == {"sent": True, "edited": True}


def test_an_edit_that_leaves_the_placeholder_still_cannot_be_sent(tmp_path):
    # Edit once but keep [[counsel]]: Enter edits again instead of sending.
    keys = ENTER + " Soon." + ESC_ENTER + ENTER + CTRL_U + "Fixed text." + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook(*UNSET), keys)
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "Fixed text."


def test_a_message_edited_to_nothing_cannot_be_sent(tmp_path):
    keys = "Kettle" + ENTER + DOWN + ENTER + CTRL_U + ESC_ENTER + ENTER + "Something to say." + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), keys)
    assert run.outcome.finished, run.outcome.reason
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "Something to say."


def test_a_message_edited_past_its_platforms_limit_is_flagged_before_it_is_sent(tmp_path):
    long = "We are sorry. " * 25  # 350 characters, for X's 280
    keys = "Kettle" + ENTER + DOWN + ENTER + CTRL_U + long + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook({**MESSAGE, "platform": "x"}, inputs=PRODUCT), keys)
    assert run.of("message.sent")
    assert "350 characters, over the 280 Twitter/X takes" in " ".join(run.screen.split())
    (tmp_path / "short").mkdir()
    short = Run(tmp_path / "short", playbook({**MESSAGE, "platform": "x"}, inputs=PRODUCT), "Kettle" + ENTER + ENTER)
    assert "over the 280" not in short.screen


def test_message_edited_with_editor_from_the_environment(tmp_path, monkeypatch):
    editor = tmp_path / "append-signature"
    editor.write_text('#!/bin/sh\nprintf "Signed, the team\\n" >> "$1"\n')
    editor.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), "Kettle" + ENTER + DOWN + ENTER + ENTER)
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "We are looking into Kettle now.\nSigned, the team"


def test_an_editor_that_cannot_start_falls_back_to_editing_in_the_terminal(tmp_path, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    keys = "Kettle" + ENTER + DOWN + ENTER + " Typed here." + ESC_ENTER + ENTER
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), keys)
    assert run.outcome.finished
    assert "cannot run the editor" in run.screen
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "We are looking into Kettle now. Typed here."


def test_an_editor_that_exits_with_an_error_leaves_the_message_unchanged(tmp_path, monkeypatch):
    editor = tmp_path / "abort"
    editor.write_text('#!/bin/sh\nprintf "half-written" > "$1"\nexit 1\n')
    editor.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    run = Run(tmp_path, playbook(MESSAGE, inputs=PRODUCT), "Kettle" + ENTER + DOWN + ENTER + ENTER)
    [sent] = run.of("message.sent")
    assert sent["data"]["text"] == "We are looking into Kettle now."
    assert run.answer("holding") == {"sent": True, "edited": False}


# ----------------------------------------------------------------------------- escalations

ESCALATE = {
    "id": "notify",
    "type": "escalate",
    "prompt": "Call them now.",
    "to": ["manager", "legal"],
    "template": "The price of {{ product }} is wrong.",
}
ROLES = {"manager": "Your line manager", "legal": "Legal counsel"}
ANN = Contact(name="Ann Example", phone="+44 20 7946 0000", email="ann@example.com")


def test_escalate_records_each_role_reached_or_unreachable_with_the_configured_contact(tmp_path):
    run = Run(
        tmp_path,
        playbook(ESCALATE, inputs=PRODUCT, roles=ROLES),
        "Kettle" + ENTER + ENTER + DOWN + ENTER,
        contacts={"manager": ANN},
    )
    assert run.answer("notify") == {"manager": "notified", "legal": "unreachable"}
    [reached] = run.of("escalation.notified")
    [missed] = run.of("escalation.unreachable")
    assert reached["data"] == {
        "role": "manager",
        "message": "The price of Kettle is wrong.",
        "contact": {
            "name": "Ann Example",
            "phone": "+44 20 7946 0000",
            "email": "ann@example.com",
            "description": "Your line manager",
        },
    }
    assert missed["data"]["role"] == "legal"
    assert missed["data"]["contact"] == {"description": "Legal counsel"}
    # who to call was on screen, by role and name, and what to do when nobody else is left
    assert "Your line manager: Ann Example · +44 20 7946 0000 · ann@example.com" in run.screen
    assert "Legal counsel: no contact configured (add [contacts.legal] to config.toml)" in run.screen
    assert "Legal counsel unreachable — nobody else on this step" in run.screen
    assert "The price of Kettle is wrong." in run.screen


def test_escalate_says_who_is_next_when_a_role_is_unreachable(tmp_path):
    run = Run(tmp_path, playbook(ESCALATE, inputs=PRODUCT, roles=ROLES), "Kettle" + ENTER + DOWN + ENTER + ENTER)
    assert run.answer("notify") == {"manager": "unreachable", "legal": "notified"}
    assert "Your line manager unreachable — next: try the legal counsel" in run.screen


# ----------------------------------------------------------------------------- actions from the menu


def test_note_from_the_menu_is_logged_and_the_step_is_asked_again(tmp_path):
    keys = menu(2, MENU_NOTE) + "Called the customer" + ESC_ENTER + "y"
    run = Run(tmp_path, playbook(CONFIRM), keys)
    [note] = run.of("note.added")
    assert note["data"] == {"text": "Called the customer"}
    assert (note["step"], note["actor"]) == ("is-fixed", "Alice")
    assert run.answer("is-fixed") is True


def test_severity_from_the_menu_is_logged_with_its_reason(tmp_path):
    keys = menu(2, MENU_SEVERITY) + DOWN + DOWN + ENTER + "A journalist asked" + ENTER + "n"
    run = Run(tmp_path, playbook(CONFIRM), keys)
    [change] = run.of("severity.changed")
    assert change["data"] == {"from": "low", "to": "high", "reason": "A journalist asked"}
    assert (change["step"], change["actor"]) == ("is-fixed", "Alice")
    assert run.answer("is-fixed") is False
    assert "Severity HIGH" in run.screen  # the header shown again after the change


def test_picking_the_current_severity_changes_nothing(tmp_path):
    run = Run(tmp_path, playbook(CONFIRM), menu(2, MENU_SEVERITY) + ENTER + "y")
    assert run.of("severity.changed") == []
    assert run.answer("is-fixed") is True


def test_skip_from_the_menu_is_logged_as_skipped_by_the_responder_with_the_reason(tmp_path):
    step = {"id": "assess", "type": "choice", "prompt": "How far?", "options": ["calm", "growing", "viral"]}
    run = Run(tmp_path, playbook(step, TEXT), menu(3, MENU_SKIP) + "Already known" + ENTER + "done" + ENTER)
    [skipped] = run.of("step.skipped")
    assert skipped["step"] == "assess"
    assert skipped["data"] == {"phase": "only", "visit": 1, "by": "responder", "reason": "Already known"}
    assert [e["step"] for e in run.of("step.answered")] == ["what-happened"]


def test_a_skip_picked_by_mistake_goes_back_to_the_step_with_an_empty_reason(tmp_path):
    step = {"id": "assess", "type": "choice", "prompt": "How far?", "options": ["calm", "growing", "viral"]}
    run = Run(tmp_path, playbook(step, TEXT), menu(3, MENU_SKIP) + ENTER + ENTER + "done" + ENTER)
    assert not run.of("step.skipped")
    assert run.answer("assess") == {"value": "calm", "label": "calm"}


def test_pause_from_the_menu_pauses_the_run_and_logs_the_reason(tmp_path):
    run = Run(tmp_path, playbook(CONFIRM, TEXT), menu(2, MENU_PAUSE))
    assert not run.outcome.finished and run.outcome.reason == "responder"
    last = run.events[-1]
    assert last["type"] == "incident.paused"
    assert (last["data"], last["actor"]) == ({"reason": "responder"}, "Alice")
    assert run.of("step.answered") == []


def test_actions_are_offered_at_a_checklist_too(tmp_path):
    step = {"id": "fix", "type": "checklist", "prompt": "Stop the damage", "items": ["Fix price", "Hold orders"]}
    # items, separator, then the actions: tick "Add a note"
    keys = DOWN * 2 + " " + ENTER + "Price team on it" + ESC_ENTER + " " + ENTER + ENTER
    run = Run(tmp_path, playbook(step), keys)
    assert [n["data"]["text"] for n in run.of("note.added")] == ["Price team on it"]
    assert run.answer("fix") == {"done": ["Fix price"], "not_done": ["Hold orders"]}


# ----------------------------------------------------------------------------- actions typed at text prompts


def test_typed_note_at_a_text_prompt(tmp_path):
    run = Run(tmp_path, playbook(TEXT), ":note" + ENTER + "Customer called back" + ESC_ENTER + "The answer" + ENTER)
    assert [n["data"]["text"] for n in run.of("note.added")] == ["Customer called back"]
    assert run.answer("what-happened") == "The answer"


def test_typed_skip_at_a_number_prompt(tmp_path):
    step = {"id": "orders", "type": "number", "prompt": "How many orders?"}
    run = Run(tmp_path, playbook(step), ":skip" + ENTER + "No access to the shop" + ENTER)
    [skipped] = run.of("step.skipped")
    assert (skipped["step"], skipped["data"]["by"], skipped["data"]["reason"]) == (
        "orders",
        "responder",
        "No access to the shop",
    )


def test_typed_pause_at_a_text_prompt(tmp_path):
    run = Run(tmp_path, playbook(TEXT), " :pause " + ENTER)
    assert run.outcome.reason == "responder"
    assert run.events[-1]["type"] == "incident.paused"
    assert run.events[-1]["data"] == {"reason": "responder"}


def test_typed_severity_at_a_multiline_text_prompt(tmp_path):
    step = {**TEXT, "multiline": True}
    keys = ":severity" + ESC_ENTER + DOWN + ENTER + "Spreading" + ENTER + "Line one\nLine two" + ESC_ENTER
    run = Run(tmp_path, playbook(step), keys)
    [change] = run.of("severity.changed")
    assert change["data"] == {"from": "low", "to": "medium", "reason": "Spreading"}
    assert run.answer("what-happened") == "Line one\nLine two"


# ----------------------------------------------------------------------------- Ctrl-C and resume


def test_ctrl_c_pauses_with_everything_answered_so_far_in_the_log(tmp_path):
    run = Run(tmp_path, playbook(CONFIRM, TEXT), "y" + "half an ans" + CTRL_C)
    assert run.interrupted
    assert run.answer("is-fixed") is True
    assert run.events[-1]["type"] == "incident.paused"
    assert run.events[-1]["data"] == {"reason": "interrupted"}
    assert [e["step"] for e in run.of("step.entered")] == ["is-fixed", "what-happened"]


@pytest.mark.parametrize("step", [CONFIRM, {"id": "fix", "type": "checklist", "prompt": "Done?", "items": ["A", "B"]}])
def test_ctrl_d_at_a_menu_pauses_like_ctrl_c_and_what_follows_answers_nothing(tmp_path, step):
    run = Run(tmp_path, playbook(step, TEXT), CTRL_D + ENTER + "y")
    assert run.interrupted
    assert not run.of("step.answered")
    assert run.events[-1]["type"] == "incident.paused" and run.events[-1]["data"] == {"reason": "interrupted"}


def test_resume_shows_the_last_decisions_and_continues_at_the_same_step(tmp_path):
    text = playbook(CONFIRM, TEXT)
    first = Run(tmp_path, text, "y" + CTRL_C)
    assert first.interrupted
    screen = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("Handled by Bob" + ENTER)
        console = Console(file=screen, width=80, color_system=None)
        frontend = TerminalFrontend(console, Prompter(pipe, DummyOutput()), clipboard=lambda t: False)
        from crisisplay.journal import Journal
        from crisisplay.store.keys import FileKeys, keys_dir

        keys = FileKeys(keys_dir(first.log.parent.parent))  # the run's home keeps the incident's key
        outcome = resume_incident(Journal(first.log, keys=keys), Config(), "Bob", frontend, warn=lambda m: None)
    assert outcome.finished
    shown = screen.getvalue()
    assert "Last decisions:" in shown and "is-fixed: yes" in shown
    assert "paused (interrupted)" not in shown  # bookkeeping, not a decision
    assert "Phase 1/1 · Only phase · step 2 of 2" in shown
    events = first.events
    resumed = next(e for e in events if e["type"] == "incident.resumed")
    assert resumed["data"] == {"responder": "Bob"}
    answered = [e for e in events if e["type"] == "step.answered"]
    assert [(e["step"], e["actor"], e["data"]["answer"]) for e in answered] == [
        ("is-fixed", "Alice", True),
        ("what-happened", "Bob", "Handled by Bob"),
    ]
    # the step was not entered again: the run landed on it exactly
    assert [e["step"] for e in events if e["type"] == "step.entered"] == ["is-fixed", "what-happened"]


def test_an_escalation_interrupted_between_two_people_keeps_the_first_and_asks_only_the_other(tmp_path):
    text = playbook(ESCALATE, inputs=PRODUCT, roles=ROLES)
    first = Run(tmp_path, text, "Kettle" + ENTER + ENTER + CTRL_C, contacts={"manager": ANN})
    assert first.interrupted
    # the manager's outcome was logged before the next question appeared
    assert [(e["type"], e["data"]["role"]) for e in first.of("escalation.notified")] == [
        ("escalation.notified", "manager")
    ]
    assert not first.of("step.answered") and first.events[-1]["type"] == "incident.paused"
    screen = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(DOWN + ENTER)  # legal: could not reach them (the manager is not asked again)
        console = Console(file=screen, width=80, color_system=None)
        frontend = TerminalFrontend(
            console, Prompter(pipe, DummyOutput()), contacts={"manager": ANN}, clipboard=lambda t: False
        )
        from crisisplay.journal import Journal
        from crisisplay.store.keys import FileKeys, keys_dir

        keys = FileKeys(keys_dir(first.log.parent.parent))
        outcome = resume_incident(
            Journal(first.log, keys=keys), Config(contacts={"manager": ANN}), "Bob", frontend, warn=lambda m: None
        )
    assert outcome.finished
    assert "already recorded: Reached: they know" in screen.getvalue()
    assert first.answer("notify") == {"manager": "notified", "legal": "unreachable"}
    kinds = [(e["type"], e["data"].get("role")) for e in first.events if e["type"].startswith("escalation.")]
    assert kinds == [("escalation.notified", "manager"), ("escalation.unreachable", "legal")]  # each once
    assert_log_contract(first.log)
    # the report still shows one round for the step, both people in it, though logged minutes apart
    out = io.BytesIO()
    export_incident(Journal(first.log, keys=keys), "md", None, out)
    report = out.getvalue().decode("utf-8")
    assert report.count("### 1. ") == 1 and "### 2. " not in report
    assert "Ann Example (manager) notified; Legal counsel (legal) **unreachable**" in report


def test_ticking_everything_with_a_ticks_no_action_and_keeps_the_items_ticked(tmp_path):
    step = {"id": "fix", "type": "checklist", "prompt": "Stop the damage", "items": ["Fix price", "Hold orders"]}
    run = Run(tmp_path, playbook(step), "a" + ENTER + ENTER)  # everything ticked; then Enter as it stands again
    assert "one action at a time" in run.screen
    assert not run.of("step.skipped") and not run.of("note.added")
    assert run.outcome.finished and run.answer("fix")["done"] == ["Fix price", "Hold orders"]


def test_ticks_made_before_adding_a_note_are_still_ticked_after_it(tmp_path):
    step = {"id": "fix", "type": "checklist", "prompt": "Stop the damage", "items": ["Fix price", "Hold orders"]}
    # tick "Fix price", then also tick "Add a note" (below the separator), Enter, write the note;
    # the list comes back with "Fix price" still ticked: Enter alone keeps it, one reason for the other
    keys = " " + DOWN * 2 + " " + ENTER + "Price team on it" + ESC_ENTER + ENTER + "later" + ENTER
    run = Run(tmp_path, playbook(step), keys)
    assert [n["data"]["text"] for n in run.of("note.added")] == ["Price team on it"]
    assert run.answer("fix") == {"done": ["Fix price"], "not_done": ["Hold orders"], "reason": "later"}
