"""What the engine marks as personal (issue 17, part 1): every value a responder typed, every text
rendered from a personal value, and the hashes of such texts come out as `Personal`, so the store
seals them. Engine-level tests drive the engine without a terminal; the bundled runs go through
the real CLI with CRISISPLAY_HOME, so every incident has its key."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from incident_logs import REPO, run_crisisplay
from test_bundled_runs import ANSWERS, label, playbook_of
from test_engine import ACTOR, Run, steps_yaml
from test_team import approval_asked, fold, started

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.incidents import load_state
from crisisplay.personal import Personal, kind_of
from crisisplay.playbook.loader import load_playbook
from crisisplay.run.delivery import Deliveries, Reach
from crisisplay.store.base import open_store

INPUTS = """\
inputs:
  customer_name:
    prompt: The customer's first name
    personal: customer
  customer_handle:
    prompt: The customer's public handle
    personal: handle
  product:
    prompt: The product
"""

STEPS = """\
      - id: what
        type: text
        prompt: What happened?
        save_as: what
      - id: lessons
        type: text
        prompt: What did we learn?
        section: what-went-well
        personal: false
      - id: order
        type: text
        prompt: The order number?
        personal: order
        save_as: order_no
      - id: tasks
        type: checklist
        prompt: What is done?
        items: [Refund, Call back]
      - id: reply
        type: message
        prompt: Reply in private
        channel: "DM {{ customer_handle }}"
        template: "Hello {{ customer_name }}, we are sorry."
      - id: status
        type: message
        prompt: Post the status
        channel: status page
        template: "We are fixing the {{ product }}."
      - id: recap
        type: message
        prompt: Tell the team
        channel: team
        template: "Order {{ order_no }} is refunded."
      - id: boss
        type: escalate
        prompt: Tell the manager
        to: [manager]
        template: "{{ customer_name }} is upset about the {{ product }}."
      - id: act
        type: choice
        prompt: What now?
        options:
          - label: Keep watching
            value: watch
            outcome: monitor-only
          - label: Go on
            value: go
"""

NAME, HANDLE = "Laurentina", "@laurentina_77"


def started_run(product: str = "oak desk") -> Run:
    run = Run(steps_yaml(STEPS, extra=INPUTS))
    run.advance()
    run.set_input(NAME)
    run.set_input(HANDLE)
    run.set_input(product)
    return run


def data_of(events: list[dict], kind: str) -> dict:
    found = [e["data"] for e in events if e["type"] == kind]
    assert len(found) == 1, (kind, events)
    return found[0]


def assert_personal(value: object, kind: str = "text") -> None:
    assert isinstance(value, Personal), repr(value)
    assert value.kind == kind


def assert_plain(value: object) -> None:
    assert value is None or type(value) is not Personal, repr(value)


def test_a_text_answer_is_personal_free_text_unless_its_step_says_personal_false():
    run = started_run()
    what = run.answer(f"{NAME} called twice about the refund.")
    lessons = run.answer("Price checks need a second person.")
    order = run.answer("NH-4417")
    assert_personal(data_of(what, ev.STEP_ANSWERED)["answer"])
    assert_plain(data_of(lessons, ev.STEP_ANSWERED)["answer"])
    assert_personal(data_of(order, ev.STEP_ANSWERED)["answer"], "order")
    # save_as carries the mark into the variables, so what is rendered from them is personal too
    assert_personal(run.state.variables["what"])
    assert_personal(run.state.variables["order_no"], "order")
    assert_personal(run.state.variables["customer_name"], "customer")
    assert run.state.playbook.personal_variables == {
        "customer_name": "customer",
        "customer_handle": "handle",
        "what": "text",
        "order_no": "order",
    }


def test_a_personal_false_answer_that_names_someone_as_given_is_sealed_anyway():
    run = started_run()
    run.answer("Called twice.")
    lessons = run.answer(f"Price checks need a second person; {NAME} waited too long.")
    assert_personal(data_of(lessons, ev.STEP_ANSWERED)["answer"])  # the customer's name as it was given


def test_a_personal_false_answer_is_sealed_only_for_a_whole_word_not_a_part_of_one():
    run = started_run()  # the customer is NAME
    run.answer("Called twice.")
    lessons = run.answer(f"{NAME}son reviews and {NAME.upper()}'s order")  # a longer word, then the name in capitals
    assert_personal(data_of(lessons, ev.STEP_ANSWERED)["answer"])
    run = started_run()
    run.answer("Called twice.")
    lessons = run.answer(f"{NAME}son reviews: a second person checks prices")  # only inside another word
    assert_plain(data_of(lessons, ev.STEP_ANSWERED)["answer"])


def test_a_text_steps_personal_accepts_true_a_kind_or_false():
    run = started_run()
    for declared, kind in (("true", "personal"), ("person", "person"), ("false", None)):
        text = STEPS.replace("        personal: order\n", f"        personal: {declared}\n")
        run = Run(steps_yaml(text, extra=INPUTS))
        run.advance()
        run.set_input(NAME)
        run.set_input(HANDLE)
        run.set_input("desk")
        run.answer("a")
        run.answer("b")
        logged = data_of(run.answer("NH-1"), ev.STEP_ANSWERED)["answer"]
        assert kind_of(logged) == kind


def to_messages(run: Run) -> None:
    run.answer("It broke.")
    run.answer("Lessons.")
    run.answer("NH-4417")
    run.answer(engine.Checklist(("Refund",), reason=f"{NAME} asked us to wait"))


def test_typed_reasons_and_a_checklists_reason_are_personal_the_engines_own_are_not():
    run = started_run()
    skipped = run.answer(engine.Skip(f"{NAME} asked us not to"))
    assert_personal(data_of(skipped, ev.STEP_SKIPPED)["reason"])
    run = started_run()
    run.answer("It broke.")
    run.answer("Lessons.")
    run.answer("NH-4417")
    tasks = run.answer(engine.Checklist(("Refund",), reason=f"{NAME} asked us to wait"))
    assert_personal(data_of(tasks, ev.STEP_ANSWERED)["answer"]["reason"])
    assert data_of(run.answer(engine.Skip("  ")), ev.STEP_SKIPPED)["reason"] == ev.REASON_NONE
    assert_plain(data_of(run.events, ev.STEP_SKIPPED)["reason"])
    now = run.now
    severity = engine.change_severity(run.state, "high", f"{NAME} went to the press", now, ACTOR)
    assert_personal(severity[0]["data"]["reason"])
    assert_personal(engine.note(f"{NAME} phoned", now, ACTOR)[0]["data"]["text"])
    assert_personal(engine.close("merged with another incident", now, ACTOR)[0]["data"]["reason"])
    assert_plain(engine.close(ev.REASON_COMPLETED, now, ACTOR)[0]["data"]["reason"])
    assert_personal(engine.handover("ana", "ben", "Ana is ill", now)[0]["data"]["reason"])
    assert engine.handover("ana", "ben", "", now)[0]["data"]["reason"] == ev.REASON_NONE
    assert_plain(engine.handover("ana", "ben", "", now)[0]["data"]["reason"])
    assert engine.note("", now, ACTOR)[0]["data"]["text"] == ""  # nothing to protect in an empty text
    assert_plain(engine.note("", now, ACTOR)[0]["data"]["text"])


def test_rendered_texts_are_personal_when_their_template_uses_a_personal_value():
    run = started_run()
    to_messages(run)
    reply = engine.render(run.state, "reply", run.now)
    assert_personal(reply.text)
    assert_personal(reply.channel)  # rendered from the customer's handle
    sent = data_of(run.answer(engine.Send(reply.text)), ev.MESSAGE_SENT)
    assert_personal(sent["text"])
    assert_personal(sent["channel"])
    status = engine.render(run.state, "status", run.now)
    assert_plain(status.text)
    assert_plain(status.channel)
    sent = data_of(run.answer(engine.Send(status.text)), ev.MESSAGE_SENT)
    assert_plain(sent["text"])
    assert_plain(sent["channel"])
    recap = engine.render(run.state, "recap", run.now)  # a text step's save_as, marked as an order
    assert_personal(recap.text)
    run.answer(engine.Send(recap.text))
    boss = run.answer({"manager": "notified"})
    assert_personal(data_of(boss, ev.ESCALATION_NOTIFIED)["message"])
    assert_personal(data_of(run.answer(engine.Reasoned("watch", f"{NAME} is calm")), clock_outcome())["reason"])


def clock_outcome() -> str:
    return ev.OUTCOME_DECIDED


def test_an_edited_message_is_personal_and_so_is_a_text_holding_a_personal_value_verbatim():
    run = started_run()
    to_messages(run)
    run.answer(engine.Skip("not now"))
    edited = data_of(run.answer(engine.Send("We are fixing it.", edited=True)), ev.MESSAGE_SENT)
    assert_personal(edited["text"])
    # `product` is not personal, but this value holds the customer's name as it is
    run = started_run(product=f"desk {NAME} ordered")
    to_messages(run)
    run.answer(engine.Skip("not now"))
    status = engine.render(run.state, "status", run.now)
    assert_personal(status.text)


def test_a_facilitators_inject_is_personal():
    run = started_run()
    inject = engine.facilitator_inject(run.state, f"{NAME} posts a video", run.now, ACTOR)
    assert_personal(inject[0]["data"]["text"])


def test_the_hash_of_a_personal_text_is_personal_and_still_equals_the_plain_hash():
    plain = ev.text_hash("Hello Laurentina")
    marked = ev.text_hash(Personal("Hello Laurentina"))
    assert_plain(plain)
    assert_personal(marked, "hash")
    assert marked == plain
    assert plain in (marked,)


def test_approvals_of_a_personal_text_log_text_hashes_edits_and_reasons_as_personal():
    state = started()
    now = datetime(2026, 11, 25, 21, 45, tzinfo=UTC)
    requested = engine.request_approval(state, "apology", "Sorry, Laurentina.", now, "Ana")[0]["data"]
    assert_personal(requested["text"])  # not the rendered text: typed
    assert_personal(requested["message_hash"], "hash")
    fold(state, engine.assign(state, "manager", "Marta", now, "Ana"))
    fold(state, [ev.make_event(ev.APPROVAL_REQUESTED, "Ana", "apology", requested, now)])
    approval = state.approvals["apology"]
    given = engine.give_approval(state, approval, "Marta", now, "Marta", edited="Sorry, Laurentina!")[0]["data"]
    assert_personal(given["edited"])
    assert_personal(given["message_hash"], "hash")
    rejected = engine.reject_approval(state, approval, "Marta", "Do not name her", now, "Marta")[0]["data"]
    assert_personal(rejected["reason"])
    # the playbook's own text, sent as rendered, stays plain
    plain = approval_asked(started(), "We are sorry about the wrong price.")
    assert_plain(plain["text"])
    assert_plain(plain["message_hash"])


def test_a_delivery_of_a_personal_text_logs_its_hash_and_channel_as_personal():
    logged: list[dict] = []
    deliveries = Deliveries(Reach(live=False), logged.extend, lambda: datetime(2026, 1, 1, tzinfo=UTC), ACTOR)
    to = {"channel": Personal("DM @laurentina_77")}
    deliveries.simulate("d1", "reply", to, Personal("Hello Laurentina"), "sent")
    deliveries.simulate("d2", "status", {"channel": "status"}, "We are fixing it.", "sent")
    for event in logged[:2]:
        assert_personal(event["data"]["message_hash"], "hash")
        assert_personal(event["data"]["channel"])
    for event in logged[2:]:
        assert_plain(event["data"]["message_hash"])
        assert_plain(event["data"]["channel"])


# ----------------------------------------------------------------------------- bundled playbooks

ENVELOPE = re.compile(rb'\{"\$enc":\s*"[^"]*",\s*"kind":\s*"[^"]*"\}')


def personal_inputs(answers: Path) -> dict[str, str]:
    """The answers file's values of the inputs its playbook marks `personal:`, but for the
    stand-ins for nobody: a value without a letter or digit (`-`), or the word the input's own
    prompt says to write when there is no one ("none")."""
    pb, _checked = load_playbook(REPO / "playbooks" / f"{playbook_of(answers)}.yaml")
    given = yaml.safe_load(answers.read_text(encoding="utf-8")).get("inputs") or {}
    found = {}
    for name, raw in given.items():
        spec, value = pb.inputs.get(name), str(raw).strip()
        if spec is None or spec.personal in (None, False) or not re.search(r"\w", value):
            continue
        if re.search(rf"[\"«“]{re.escape(value)}[\"»”]", f"{spec.prompt} {spec.help or ''}"):
            continue
        found[name] = value
    return found


@pytest.mark.parametrize("answers", ANSWERS, ids=label)
def test_a_bundled_runs_personal_inputs_are_sealed_in_the_log_and_open_again(tmp_path, answers):
    values = personal_inputs(answers)
    done = run_crisisplay(tmp_path, "start", playbook_of(answers), "--drill", "--answers", answers)
    assert done.returncode == 0, done.stderr
    incident_id = done.stdout.strip()
    raw = (tmp_path / "incidents" / f"{incident_id}.jsonl").read_bytes()
    bare = ENVELOPE.sub(b"null", raw)
    for name, value in values.items():
        for written in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            assert written.encode("utf-8") not in bare, f"{name}={value!r} in clear"
    events = list(open_store(None, tmp_path).open(incident_id).events())
    opened = {e["data"]["name"]: e["data"]["value"] for e in events if e["type"] == ev.INPUT_SET}
    for name, value in values.items():
        assert opened[name] == value
        assert isinstance(opened[name], Personal)
    # a replay opens only what its state keeps (lazily), and comes to the state of opening everything
    store = open_store(None, tmp_path)
    assert load_state(store.open(incident_id)) == ev.replay(store.open(incident_id).events())


EXAMPLES = sorted((REPO / "examples").glob("*.answers.yaml"))


def help_texts(path: Path) -> list[str]:
    """Every `help:` and `prompt:` text of a playbook's YAML."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("help", "prompt") and isinstance(value, str):
                    found.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("answers", EXAMPLES, ids=label)
def test_bundled_help_texts_do_not_reuse_the_example_answers_personal_values(answers):
    texts = help_texts(REPO / "playbooks" / f"{playbook_of(answers)}.yaml")
    for name, value in personal_inputs(answers).items():
        word = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
        reused = [text for text in texts if word.search(text)]
        assert reused == [], f"{name}={value!r} appears in {reused}"
