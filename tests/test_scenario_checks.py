"""The scenario checks (CP7xx, and the scenario wording of CP101/CP104/CP108): each bad scenario
gives its finding at the line and column of the value (or key) that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write

from crisisplay.scenario.loader import check_scenario_file, check_scenario_text

PLAYBOOK = """\
crisisplay: 1
id: drillbook
title: A playbook to rehearse
locale: en
severity:
  levels: [low, medium, high, critical]
roles:
  manager: Your line manager
  legal: Legal counsel
inputs:
  platform:
    prompt: Where?
    type: choice
    options:
      - label: X
        value: x
      - label: Facebook
        value: facebook
  followers:
    prompt: How many followers?
    type: number
  brand:
    prompt: Your brand
    type: text
    max_length: 10
  customer:
    prompt: The customer's name
    type: text
    personal: customer
phases:
  - id: respond
    title: Respond
    steps:
      - id: assess
        type: choice
        prompt: How far?
        options: [contained, viral]
        save_as: reach
      - id: fixed
        type: confirm
        prompt: Fixed?
        save_as: is_fixed
      - id: count
        type: number
        prompt: How many complaints?
        min: 0
        max: 100
        save_as: complaints
      - id: tell
        type: escalate
        to: [manager, legal]
        prompt: Call them.
      - id: wrap-up
        type: text
        prompt: What happened?
        save_as: story
"""

GOOD = """\
crisisplay-drill: 1
id: drillbook-weekend
playbook: ../playbooks/drillbook.yaml
title: A weekend drill
locale: en
duration: 30m
injects:
  - at: 10m
    text: A journalist calls.
    within: 5m
  - after_step: assess
    text: It spreads.
    answered_by: [tell]
    effects:
      severity: high
      set: {platform: facebook, followers: 5000, brand: Acme, reach: viral, is_fixed: false, complaints: 7, story: x}
      unreachable: {manager: 10m, legal: 5m}
"""


def check(tmp_path: Path, text: str, name: str = "drillbook-weekend.yaml"):
    """Every finding `lint` makes for scenario `text` saved as drills/`name` beside playbooks/drillbook.yaml."""
    (tmp_path / "playbooks").mkdir(exist_ok=True)
    (tmp_path / "drills").mkdir(exist_ok=True)
    write(tmp_path / "playbooks" / "drillbook.yaml", PLAYBOOK)
    path = write(tmp_path / "drills" / name, text)
    return check_scenario_file(path, tmp_path / "home", cwd=tmp_path)


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """1-based line and column of the `nth` occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def found(checked, code: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in checked.findings if f.code == code]


def test_a_good_scenario_has_no_findings_and_finds_its_playbook(tmp_path):
    checked = check(tmp_path, GOOD)
    assert checked.findings == []
    assert checked.ok and checked.playbook is not None and checked.playbook.id == "drillbook"
    assert checked.playbook_path == tmp_path / "drills" / ".." / "playbooks" / "drillbook.yaml"


def test_a_playbook_id_is_looked_up_like_any_playbook(tmp_path):
    checked = check(tmp_path, GOOD.replace("../playbooks/drillbook.yaml", "drillbook"))
    assert checked.findings == [] and checked.playbook is not None


def test_a_playbook_that_does_not_exist_is_cp704_at_the_playbook_value(tmp_path):
    text = GOOD.replace("../playbooks/drillbook.yaml", "drilbook")
    checked = check(tmp_path, text)
    assert found(checked, "CP704") == [at(text, "drilbook")]
    assert "did you mean 'drillbook'?" in checked.findings[0].message
    assert not checked.ok


def test_a_relative_playbook_path_is_relative_to_the_scenario_folder(tmp_path):
    text = GOOD.replace("../playbooks/drillbook.yaml", "playbooks/drillbook.yaml")  # relative to cwd: wrong
    checked = check(tmp_path, text)
    assert found(checked, "CP704") == [at(text, "playbooks/drillbook.yaml")]


def test_a_playbook_with_errors_is_cp704(tmp_path):
    checked = check(tmp_path, GOOD)
    write(tmp_path / "playbooks" / "drillbook.yaml", PLAYBOOK.replace("type: confirm", "type: confrim"))
    checked = check_scenario_file(tmp_path / "drills" / "drillbook-weekend.yaml", tmp_path / "home")
    [finding] = checked.findings
    assert finding.code == "CP704" and "error(s)" in finding.message and "crisisplay lint" in finding.message


def test_an_unknown_after_step_and_answered_by_are_cp703(tmp_path):
    text = GOOD.replace("after_step: assess", "after_step: asess").replace("answered_by: [tell]", "answered_by: [tel]")
    checked = check(tmp_path, text)
    assert found(checked, "CP703") == [at(text, "asess"), at(text, "tel]")]
    assert "did you mean 'assess'?" in checked.findings[0].message


def test_answered_by_written_as_one_step_is_found_at_its_value(tmp_path):
    text = GOOD.replace("answered_by: [tell]", "answered_by: nope")
    assert found(check(tmp_path, text), "CP703") == [at(text, "nope")]


def test_an_inject_due_after_the_end_is_cp705(tmp_path):
    text = GOOD.replace("at: 10m", "at: 45m")
    checked = check(tmp_path, text)
    assert found(checked, "CP705") == [at(text, "45m")]
    assert "inject after the end" in checked.findings[0].message


def test_an_inject_due_exactly_at_the_end_is_fine(tmp_path):
    assert check(tmp_path, GOOD.replace("at: 10m", "at: 30m")).findings == []


def test_an_inject_after_the_last_step_is_cp706(tmp_path):
    text = GOOD.replace("after_step: assess", "after_step: wrap-up").replace("    answered_by: [tell]\n", "")
    checked = check(tmp_path, text)
    assert found(checked, "CP706") == [at(text, "wrap-up")]
    assert checked.findings[0].level == "warning"


def test_an_answer_that_comes_before_the_inject_is_cp716(tmp_path):
    text = GOOD.replace("after_step: assess", "after_step: count").replace(
        "answered_by: [tell]", "answered_by: [fixed]"
    )
    checked = check(tmp_path, text)
    assert found(checked, "CP716") == [at(text, "fixed]")]


def test_an_unknown_severity_level_is_cp707(tmp_path):
    text = GOOD.replace("severity: high", "severity: hihg")
    checked = check(tmp_path, text)
    assert found(checked, "CP707") == [at(text, "hihg")]
    assert "did you mean 'high'?" in checked.findings[0].message


def test_setting_a_name_the_playbook_has_not_is_cp708_at_the_key(tmp_path):
    text = GOOD.replace("platform: facebook", "platfrom: facebook")
    checked = check(tmp_path, text)
    assert found(checked, "CP708") == [at(text, "platfrom")]
    assert "did you mean 'platform'?" in checked.findings[0].message


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("platform: facebook", "platform: facebok"),  # not an option value
        ("followers: 5000", "followers: lots"),  # a number input
        ("brand: Acme", "brand: Acme Worldwide Ltd"),  # longer than max_length
        ("brand: Acme", "brand: 12"),  # a text input gets text
        ("reach: viral", "reach: everywhere"),  # a choice step's values
        ("is_fixed: false", "is_fixed: nope"),  # a confirm step's true/false
        ("complaints: 7", "complaints: 700"),  # outside the number step's min..max
        ("story: x", "story: 3"),  # a text step's text
    ],
)
def test_a_value_the_name_cannot_take_is_cp709_at_the_value(tmp_path, written, value):
    text = GOOD.replace(written, value)
    checked = check(tmp_path, text)
    assert found(checked, "CP709") == [at(text, value.split(": ")[1], text.count(value.split(": ")[1]) - 1)], [
        str(f) for f in checked.findings
    ]


def test_setting_a_personal_input_is_cp710_a_warning(tmp_path):
    text = GOOD.replace("story: x}", "story: x, customer: Jane}")
    checked = check(tmp_path, text)
    assert found(checked, "CP710") == [at(text, "customer: Jane")]
    assert [f.level for f in checked.findings] == ["warning"]


def test_an_unknown_unreachable_role_is_cp711(tmp_path):
    text = GOOD.replace("manager: 10m", "manger: 10m")
    checked = check(tmp_path, text)
    assert found(checked, "CP711") == [at(text, "manger")]
    assert "did you mean 'manager'?" in checked.findings[0].message


def test_two_injects_with_one_id_are_cp712(tmp_path):
    text = GOOD.replace("  - at: 10m", "  - id: call\n    at: 10m").replace(
        "  - after_step: assess", "  - id: call\n    after_step: assess"
    )
    checked = check(tmp_path, text)
    assert found(checked, "CP712") == [at(text, "call", 2)]


def test_an_id_that_collides_with_a_numbered_one_is_cp712(tmp_path):
    text = GOOD.replace("  - after_step: assess", "  - id: i1\n    after_step: assess")
    assert found(check(tmp_path, text), "CP712") == [at(text, "i1")]


def test_an_id_other_than_the_file_name_is_cp713(tmp_path):
    checked = check(tmp_path, GOOD, name="weekend.yaml")
    assert found(checked, "CP713") == [at(GOOD, "drillbook-weekend")]
    assert checked.findings[0].level == "warning"


def test_a_locale_other_than_the_playbooks_is_cp714(tmp_path):
    text = GOOD.replace("locale: en", "locale: es")
    checked = check(tmp_path, text)
    assert found(checked, "CP714") == [at(text, "es\n")]
    assert checked.ok  # a warning


def test_an_id_not_starting_with_the_playbooks_is_cp715(tmp_path):
    text = GOOD.replace("id: drillbook-weekend", "id: weekend")
    checked = check(tmp_path, text, name="weekend.yaml")
    assert found(checked, "CP715") == [at(text, "weekend")]
    assert "drillbook-" in checked.findings[0].message


def test_a_negative_or_unparseable_time_is_cp108_in_scenario_words(tmp_path):
    text = GOOD.replace("at: 10m", "at: -5m").replace("within: 5m", "within: soon")
    checked = check(tmp_path, text)
    assert found(checked, "CP108") == [at(text, "-5m"), at(text, "soon")]
    assert all("scenario time" in f.message for f in checked.findings if f.code == "CP108")


def test_a_bad_unreachable_duration_is_cp108(tmp_path):
    text = GOOD.replace("legal: 5m", "legal: a while")
    assert found(check(tmp_path, text), "CP108") == [at(text, "a while")]


def test_an_unknown_key_is_cp101_with_the_scenarios_own_keys(tmp_path):
    text = GOOD.replace("title:", "titel:").replace("    within: 5m", "    withn: 5m").replace("severity:", "severty:")
    checked = check(tmp_path, text)
    messages = {f.line: f.message for f in checked.findings if f.code == "CP101"}
    assert found(checked, "CP101") == [at(text, "titel"), at(text, "withn"), at(text, "severty")]
    assert "did you mean 'title'?" in messages[at(text, "titel")[0]]
    assert "did you mean 'within'?" in messages[at(text, "withn")[0]]
    assert "did you mean 'severity'?" in messages[at(text, "severty")[0]]


def test_a_version_other_than_1_is_cp104(tmp_path):
    text = GOOD.replace("crisisplay-drill: 1", "crisisplay-drill: 2")
    checked = check(tmp_path, text)
    assert found(checked, "CP104") == [(1, 19)]


def test_an_inject_with_both_triggers_or_none_is_cp702(tmp_path):
    text = GOOD.replace("    text: A journalist calls.", "    after_step: assess\n    text: A journalist calls.")
    assert found(check(tmp_path, text), "CP702") == [at(text, "at: 10m")]


def test_a_mapping_without_the_key_is_cp701():
    checked = check_scenario_text("id: x\n", "x.yaml")
    assert [f.code for f in checked.findings] == ["CP701"] and checked.scenario is None


def test_a_yaml_syntax_error_is_a_finding():
    checked = check_scenario_text("crisisplay-drill: 1\nid: [x\n", "x.yaml")
    assert [f.code for f in checked.findings] == ["CP001"]


def test_an_inject_may_be_due_at_detection(tmp_path):
    """`at: 0m` is the moment of detection, not a duration of no time (which a playbook's targets refuse)."""
    assert check(tmp_path, GOOD.replace("at: 10m", "at: 0m")).findings == []
