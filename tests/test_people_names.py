"""People, not ids: wherever a role comes up for the responder, it is the role in words and the
person configured for it ("Leo Kim (social-media or PR expert)"), never `pr`; the log keeps ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crisisplay.playbook.loader import check_file, check_text
from crisisplay.playbook.roles import person, reach_question, role_label, someone

REPO = Path(__file__).resolve().parents[1]
PRICING = check_file(REPO / "playbooks" / "pricing-error.yaml").playbook


@pytest.mark.parametrize(
    "role, label",
    [
        ("manager", "Your line manager"),
        ("pr", "Social-media or PR expert"),
        ("legal", "Legal counsel"),
        ("executive", "The executive on call"),
        ("tech", "On-call web or e-commerce developer"),
    ],
)
def test_a_roles_label_is_the_first_clause_of_its_description(role, label):
    assert role_label(PRICING, role) == label


LABELLED = """\
crisisplay: 1
id: labelled
title: Labelled roles
roles:
  asesoría: {label: Asesoría jurídica, description: Abogada de consumo}
  it-lead: ""
phases:
  - id: only
    title: Only phase
    steps:
      - id: call
        type: escalate
        to: [asesoría, it-lead]
        template: Call me.
"""


def test_a_label_is_used_as_written_and_a_role_without_words_reads_as_its_id_in_words():
    checked = check_text(LABELLED)
    assert checked.ok, [str(f) for f in checked.findings]
    pb = checked.playbook
    assert role_label(pb, "asesoría") == "Asesoría jurídica"
    assert reach_question(pb, "asesoría") == "Did you reach Asesoría jurídica?"
    assert reach_question(pb, "asesoría", "Bufete Díaz") == "Did you reach Bufete Díaz (Asesoría jurídica)?"
    assert role_label(pb, "it-lead") == "it lead"


@pytest.mark.parametrize(
    "role, name, question",
    [
        ("pr", "Leo Kim", "Did you reach Leo Kim (social-media or PR expert)?"),
        ("pr", None, "Did you reach the social-media or PR expert?"),
        ("manager", None, "Did you reach your line manager?"),
        ("manager", "Ann Example", "Did you reach Ann Example (your line manager)?"),
        ("executive", None, "Did you reach the executive on call?"),
        ("legal", "  ", "Did you reach the legal counsel?"),
    ],
)
def test_the_escalation_question_names_the_person_and_the_role(role, name, question):
    assert reach_question(PRICING, role, name) == question


def test_person_and_someone_read_well_at_the_start_and_inside_a_sentence():
    assert person(PRICING, "legal") == "Legal counsel"
    assert person(PRICING, "legal", "Lex") == "Lex (legal counsel)"
    assert someone(PRICING, "legal") == "the legal counsel"
    assert someone(PRICING, "manager") == "your line manager"


# ----------------------------------------------------------------------------- the real CLI

BOOK = """\
crisisplay: 1
id: people
title: People, not ids
roles:
  pr: Social-media or PR expert who can review public wording
  legal: Legal counsel who knows consumer law
phases:
  - id: only
    title: Only phase
    steps:
      - id: get-help
        type: escalate
        to: [pr, legal]
        template: Please call me back.
"""
CONFIG = '[contacts.pr]\nname = "Leo Kim"\nphone = "+34 600 000 000"\n'


@pytest.fixture
def people(cli_cwd: Path, cli_home: Path) -> Path:
    (cli_home / "config.toml").write_text(CONFIG, encoding="utf-8")
    book = cli_cwd / "people.yaml"
    book.write_text(BOOK, encoding="utf-8")
    return book


def test_a_scripted_run_names_people_and_the_log_keeps_role_ids(run_cli, people, cli_cwd, cli_home):
    (cli_cwd / "answers.yaml").write_text("steps:\n  get-help: {pr: notified, legal: unreachable}\n", "utf-8")
    code, out, err = run_cli("start", str(people), "--answers", "answers.yaml", "--responder", "Ana")
    assert code == 0, err
    assert "get-help: social-media or PR expert notified, legal counsel unreachable" in err
    assert "Leo Kim (social-media or PR expert): notified" in err
    assert "Legal counsel: unreachable" in err
    assert " pr " not in err and "legal:" not in err
    incident_id = out.splitlines()[0]
    events = [
        json.loads(line) for line in (cli_home / "incidents" / f"{incident_id}.jsonl").read_text("utf-8").splitlines()
    ]
    assert [e["data"]["role"] for e in events if e["type"].startswith("escalation.")] == ["pr", "legal"]
    assert [e["data"]["answer"] for e in events if e["type"] == "step.answered"] == [
        {"pr": "notified", "legal": "unreachable"}
    ]


def test_show_names_the_people_an_escalation_reaches(run_cli, people):
    code, out, err = run_cli("show", str(people))
    assert code == 0, err
    assert "[escalate → Leo Kim (social-media or PR expert), Legal counsel]" in out
    # the roles line is where ids meet people: it is what [contacts.<role>] in the config names
    assert "roles: pr (Social-media or PR expert who can review public wording)" in out
