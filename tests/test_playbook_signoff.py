"""What a PR lead's sign-off review of the playbook library (English and Spanish) found, one
regression test per finding: the playbooks as shipped, their example answers files run through
the real CLI, each test asserting the property the review asked for."""

# ruff: noqa: F811  (the tests take `run`, the fixture imported from test_playbook_review, as a parameter)
from __future__ import annotations

import pytest
from incident_logs import REPO, of_type, run_crisisplay
from test_playbook_review import playbook, run  # noqa: F401 (run: a fixture shared with the first review)

from crisisplay import engine
from crisisplay.events import apply, replay
from crisisplay.playbook.loader import check_text
from crisisplay.playbook.model import ChoiceStep

BUNDLED = sorted(p.stem for p in (REPO / "playbooks").glob("*.yaml"))
T0 = "2026-11-30T08:00:00.000Z"


# --- A1: a monitoring check that says "still growing" never lowers the severity ---------------------


def _loops(pb) -> set[str]:
    """The choice steps a run can come back to (a monitoring loop), by id."""
    order = [step.id for phase in pb.phases for step in phase.steps]
    successors: dict[str, set[str]] = {}
    for index, step_id in enumerate(order):
        step = pb.step(step_id)
        targets = {o.next for o in getattr(step, "options", None) or [] if o.next} | (
            {step.next} if step.next else set()
        )
        if not step.next or any(not o.next for o in getattr(step, "options", None) or []):
            targets |= {order[index + 1]} if index + 1 < len(order) else set()
        successors[step_id] = targets - {"end"}
    looping = set()
    for start in order:
        seen, todo = set(), list(successors[start])
        while todo:
            here = todo.pop()
            if here == start:
                looping.add(start)
                break
            if here not in seen:
                seen.add(here)
                todo.extend(successors.get(here, ()))
    return {s for s in looping if isinstance(pb.step(s), ChoiceStep)}


@pytest.mark.parametrize("pid", BUNDLED)
def test_no_option_of_a_step_visited_again_sets_a_severity_below_the_top(pid):
    pb = playbook(pid)
    top = list(pb.severity.levels)[-1]
    for step_id in _loops(pb):
        for option in pb.step(step_id).options:
            assert option.severity in (None, top), (step_id, option.value, "use raise_severity:")


@pytest.mark.parametrize("name", ["service-complaint.critical.answers.yaml", "review-bombing.critical.answers.yaml"])
def test_still_growing_at_critical_leaves_the_incident_critical(run, name):
    events = run(name)
    changes = [e["data"] for e in of_type(events, "severity.changed")]
    assert changes and changes[0]["to"] == "critical"
    assert all(change["to"] == "critical" for change in changes)  # nothing brought it down


RAISING = """\
crisisplay: 1
id: raising
title: Raising
phases:
  - id: only
    title: Only
    steps:
      - id: check
        type: choice
        prompt: Compared to the last check?
        options:
          - label: Worse
            value: worse
            raise_severity: high
          - label: Much worse
            value: much
            severity: critical
"""


@pytest.mark.parametrize(("before", "after"), [("low", "high"), ("medium", "high"), ("high", None), ("critical", None)])
def test_raise_severity_raises_a_lower_level_and_never_lowers(before, after):
    from datetime import UTC, datetime

    pb = check_text(RAISING, "raising.yaml").playbook
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    source = {"id": pb.id, "title": pb.title, "source": "test", "sha256": "0" * 64}
    started = engine.start(
        "20261130-080000-raising-0000",
        pb,
        source,
        drill=False,
        responder="Ana",
        organisation=None,
        detected_at=now,
        now=now,
        version="test",
    )
    state = replay(started)
    if before != state.severity:
        apply(state, engine.change_severity(state, before, "test", now, "Ana")[0])
    for event in engine.advance(state, now, "Ana")[0]:
        apply(state, event)
    changed = [
        e["data"]["to"] for e in engine.decide(state, "check", "worse", now, "Ana") if e["type"] == "severity.changed"
    ]
    assert changed == ([after] if after else [])


def test_an_option_with_both_severity_keys_is_refused():
    checked = check_text(
        RAISING.replace("raise_severity: high", "raise_severity: high\n            severity: low"), "raising.yaml"
    )
    assert [f.code for f in checked.findings if f.level == "error"] == ["CP109"]
    unknown = check_text(RAISING.replace("raise_severity: high", "raise_severity: hihg"), "raising.yaml")
    assert [f.code for f in unknown.findings if f.level == "error"] == ["CP205"]


def test_show_says_an_option_only_raises_the_severity(run_cli):
    code, out, err = run_cli("show", "pricing-error")
    assert code == 0, err
    assert "Still growing, with new people and bigger accounts joining (growing) · severity at least high" in out


def report(tmp_path, example: str, replace: tuple[str, str] | None = None) -> str:
    """The md report of an example answers file run as a drill (`replace` edits the file first)."""
    answers = REPO / "examples" / example
    if replace is not None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        edited = tmp_path / example
        edited.write_text(answers.read_text(encoding="utf-8").replace(*replace), encoding="utf-8")
        answers = edited
    home = tmp_path / "home"
    home.mkdir(parents=True)
    started = run_crisisplay(home, "start", example.split(".")[0], "--drill", "--answers", answers)
    assert started.returncode == 0, started.stderr
    exported = run_crisisplay(home, "export", started.stdout.strip(), "-f", "md")
    assert exported.returncode == 0, exported.stderr
    return exported.stdout


# --- A2, A3: offensive-post's English says what the Spanish says about personal data ----------------


def test_a_hacked_account_points_to_the_72_hour_breach_duty_in_both_languages():
    assert "72 hours" in playbook("offensive-post").step("post-source").help
    assert "72 horas" in playbook("publicacion-ofensiva").step("post-source").help


@pytest.mark.parametrize("pid", ["offensive-post", "publicacion-ofensiva"])
def test_the_evidence_of_a_pile_on_goes_in_a_restricted_folder(pid):
    items = " ".join(playbook(pid).step("preserve-evidence").items)
    assert "restricted" in items or "restringido" in items
    assert "shared folder" not in items and "carpeta compartida" not in items


# --- A4: messages say words, never an option's id ---------------------------------------------------


@pytest.mark.parametrize(
    ("example", "raw"),
    [
        ("offensive-post.answers.yaml", [" on x.", "our x account", "(latest check: growing)"]),
        ("pricing-error.answers.yaml", ["Reach: press.", "(latest check: growing)", "Our decision: refund-goodwill"]),
        ("product-recall.critical.answers.yaml", ["recall: new-report.", "Authorities: filed."]),
        ("staff-conduct.answers.yaml", ["Reach: linked.", "Reach: viral.", "targeted: customer."]),
    ],
)
def test_messages_show_words_not_option_ids(tmp_path, example, raw):
    text = report(tmp_path, example)
    assert not [phrase for phrase in raw if phrase in text]


# --- A6, A7: the data-breach texts claim nothing that is not so -------------------------------------


@pytest.mark.parametrize(
    ("example", "words"),
    [("data-breach.answers.yaml", "same password"), ("brecha-datos.answers.yaml", "donde usaras la misma")],
)
def test_the_breach_letter_mentions_passwords_only_when_they_were_exposed(tmp_path, example, words):
    assert words not in report(tmp_path / "no", example)
    exposed = report(tmp_path / "yes", example, ("passwords-exposed: no", "passwords-exposed: yes"))
    assert words in exposed


@pytest.mark.parametrize(
    ("pid", "words"), [("data-breach", "not from this message"), ("brecha-datos", "no desde este mensaje")]
)
def test_the_72_hours_run_from_awareness_not_from_the_escalation(pid, words):
    template = playbook(pid).step("escalate-core").template
    assert words in template and "from now" not in template and "desde ahora" not in template


# --- A5: what is written to the customer is quoted, never said to a colleague as "you" ---------------


@pytest.mark.parametrize(
    ("example", "quoted", "unquoted"),
    [
        (
            "service-complaint.answers.yaml",
            "our reply says we're sorry about “the three weeks you",
            "complaint about the three",
        ),
        ("queja-servicio.answers.yaml", "sentimos mucho «el mes que llevas", "queja de un cliente sobre el mes"),
    ],
)
def test_escalations_quote_the_customers_apology_words(tmp_path, example, quoted, unquoted):
    text = report(tmp_path, example)
    assert quoted in text and unquoted not in text


# --- B: wording that read badly once filled in -------------------------------------------------------


@pytest.mark.parametrize(
    ("example", "absent", "present"),
    [
        ("offensive-post.hacked.answers.yaml", ["The post about "], ["did not come from us"]),
        ("pricing-error.answers.yaml", [". Oslo", "We listed Oslo", "we listed Oslo"], []),
        ("retirada-producto.answers.yaml", ["si tienes uno,"], []),
        ("account-hacked.answers.yaml", ["until now was not from us"], []),
    ],
)
def test_filled_in_texts_read_as_sentences(tmp_path, example, absent, present):
    text = report(tmp_path, example)
    assert [words for words in absent if words in text] == []
    assert all(words in text for words in present)


def test_the_holding_statement_asks_for_criticism_of_us_without_ordering_people_about():
    for pid, words in (("offensive-post", "Criticise us, not people"), ("publicacion-ofensiva", "no a personas.")):
        texts = [playbook(pid).step("holding-statement").template or ""]
        texts += [v.template for v in (playbook(pid).step("holding-statement").variants or {}).values()]
        assert not [t for t in texts if words in t]


# --- C: the English and the Spanish say the same material things -----------------------------------


def test_counsel_is_asked_whether_the_displayed_price_binds_in_both_languages():
    assert "bind us as an offer" in playbook("pricing-error").step("ask-counsel").template
    assert "TRLGDCU art. 61" in playbook("error-precio").step("ask-counsel").template


def test_offensive_posts_english_has_the_spanish_safety_and_discipline_points():
    assert "112" in " ".join(playbook("offensive-post").step("person-safety").items)
    assert "do not announce discipline" in playbook("offensive-post").step("staff-facts").help


def test_a_late_delivery_letter_does_not_steer_customers_away_from_cancelling(tmp_path):
    text = report(tmp_path, "outage-delays.answers.yaml")
    assert "cancelling included" in text


@pytest.mark.parametrize(
    ("example", "board", "no_comment"),
    [
        ("staff-conduct.founder.answers.yaml", "Our board is looking into it", "comment on individuals"),
        ("conducta-personal.fundador.answers.yaml", "Nuestro consejo lo está revisando", "personas concretas"),
    ],
)
def test_a_founders_conduct_is_answered_by_the_board_not_with_no_comment(tmp_path, example, board, no_comment):
    messages = next(
        part for part in report(tmp_path, example).split("\n## ") if part.startswith(("Messages", "Mensajes"))
    )
    assert board in messages and no_comment not in messages


# --- A new-user trial: a pile-on at the person on duty, and containment not yet done ---------------


@pytest.mark.parametrize("example", ["offensive-post.answers.yaml", "publicacion-ofensiva.answers.yaml"])
def test_the_escalations_name_the_targeted_responder_in_the_third_person_and_claim_nothing_undone(tmp_path, example):
    # Whoever sends it (the target, or a colleague after the handover the playbook asks for),
    # the message must be true: no "aimed at me", and containment "under way", not "done".
    text = report(tmp_path, example, ("person-at-risk: named", "person-at-risk: responder\n  step-back: all"))
    for wrong in (
        "aimed at me",
        "va contra mí",
        "evidence saved.",
        "pruebas guardadas.",
        "I am handing",
        "paso la gestión",
    ):
        assert wrong not in text, wrong
    assert "our person on duty" in text or "nuestra persona de guardia" in text
