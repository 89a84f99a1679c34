"""Graph rules beyond the checker: CP208 too-few-options, CP209 duplicate-option, CP210 skippable-phase."""

from __future__ import annotations

from lint_helpers import codes, line_of, lint, only


def test_minimal_playbook_has_no_graph_findings(minimal_playbook):
    assert not [f for f in lint(minimal_playbook) if f.code in ("CP208", "CP209", "CP210")]


def test_choice_step_with_one_option_is_an_error_at_its_options(minimal_playbook):
    text = minimal_playbook.replace(
        "          - label: Viral\n            value: viral\n            severity: high\n            next: notify-manager\n",
        "",
    )
    [finding] = only(lint(text), "CP208")
    assert finding.level == "error"
    assert finding.line == line_of(text, "- label: Contained")
    assert "step 'assess-reach' offers 1 option" in finding.message


def test_choice_input_with_one_option_is_reported_too(minimal_playbook):
    text = minimal_playbook.replace("    type: text\nphases:", "    type: choice\n    options: [only]\nphases:")
    [finding] = only(lint(text), "CP208")
    assert "input 'product'" in finding.message


def test_two_options_with_the_same_value_point_at_the_second(minimal_playbook):
    text = minimal_playbook.replace("            value: viral\n", "            value: contained\n")
    [finding] = only(lint(text), "CP209")
    assert finding.line == line_of(text, "- label: Viral")
    assert f"line {line_of(text, '- label: Contained')}" in finding.message
    assert "value 'contained'" in finding.message


def test_two_options_with_the_same_label_are_reported(minimal_playbook):
    text = minimal_playbook.replace("- label: Viral", "- label: Contained")
    [finding] = only(lint(text), "CP209")
    assert "label 'Contained'" in finding.message


def _with_respond_phase(text: str) -> str:
    return text.replace(
        "      - id: holding-statement",
        "  - id: respond\n    title: Respond\n    steps:\n      - id: holding-statement",
    )


def test_phase_a_next_jumps_over_is_a_warning_naming_the_run(minimal_playbook):
    text = _with_respond_phase(minimal_playbook).replace("next: notify-manager", "next: what-happened")
    [finding] = only(lint(text), "CP210")
    assert finding.level == "warning"
    assert finding.line == line_of(text, "- id: respond")
    assert "phase 'respond'" in finding.message
    assert "assess-reach → what-happened → end" in finding.message


def test_phase_whose_steps_all_have_conditions_is_not_reported(minimal_playbook):
    text = _with_respond_phase(minimal_playbook).replace(
        "        channel: twitter\n", "        channel: twitter\n        when: severity >= 'high'\n"
    )
    assert "CP210" not in codes(lint(text))


def test_phase_every_run_enters_is_not_reported(minimal_playbook):
    assert "CP210" not in codes(lint(_with_respond_phase(minimal_playbook)))
