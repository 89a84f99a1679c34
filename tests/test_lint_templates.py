"""Template and condition rules: CP305 maybe-unset, CP306 unused-variable, CP205 in lists, and the
checker's CP301–CP303 as `lint` reports them."""

from __future__ import annotations

from lint_helpers import codes, line_of, lint, only

from crisisplay.playbook.where import locate, name_offset
from crisisplay.yamlsource import load


def test_minimal_playbook_has_no_template_findings(minimal_playbook):
    assert not [f for f in lint(minimal_playbook) if f.code.startswith("CP3")]


def test_name_set_by_a_step_a_condition_can_skip_is_maybe_unset_at_its_use(minimal_playbook):
    text = minimal_playbook.replace(
        "        prompt: How far has it spread?\n",
        "        prompt: How far has it spread?\n        when: severity == 'high'\n",
    )
    [finding] = only(lint(text), "CP305")
    assert finding.level == "warning"
    row = line_of(text, "{{ reach }}")
    assert (finding.line, finding.column) == (row, text.split("\n")[row - 1].index("reach }}") + 1)
    assert "'reach' may be unset here" in finding.message
    assert "'assess-reach'" in finding.message and "[[reach]]" in finding.message


def test_name_set_by_a_step_a_next_jumps_over_names_the_run(minimal_playbook):
    text = minimal_playbook.replace(
        "        prompt: Is the price fixed?\n", "        prompt: Is the price fixed?\n        save_as: fixed\n"
    )
    text = text.replace(
        "template: We are looking into {{ product }}.", "template: We are looking into {{ product }} ({{ fixed }})."
    )
    [finding] = only(lint(text), "CP305")
    assert finding.line == line_of(text, "({{ fixed }})")
    assert "assess-reach → notify-manager → holding-statement" in finding.message


def test_name_used_in_a_condition_is_seen_as_none(minimal_playbook):
    text = minimal_playbook.replace(
        "        prompt: Is the price fixed?\n", "        prompt: Is the price fixed?\n        save_as: fixed\n"
    )
    text = text.replace("when: severity >= 'medium'", "when: fixed")
    [finding] = only(lint(text), "CP305")
    assert "would see it as none" in finding.message
    assert finding.column == text.split("\n")[finding.line - 1].index("fixed") + 1


def test_name_set_on_every_path_including_a_loop_is_not_reported(minimal_playbook):
    text = minimal_playbook.replace(
        "        prompt: Is the price fixed?\n", "        prompt: Is the price fixed?\n        save_as: fixed\n"
    )
    text = text.replace("template: We are looking into {{ product }}.", "template: We are looking into {{ fixed }}.")
    text = text.replace("            next: notify-manager\n", "")
    # A loop back to the first step: every run still answers fix-price before the message.
    text = text.replace("        milestone: acknowledged\n", "        milestone: acknowledged\n        next: end\n")
    assert "CP305" not in codes(lint(text))


def test_input_nobody_uses_is_an_unused_variable_at_its_key(minimal_playbook):
    text = minimal_playbook.replace("phases:\n", "  order:\n    prompt: Order number?\nphases:\n", 1)
    [finding] = only(lint(text), "CP306")
    assert (finding.line, finding.column) == (line_of(text, "  order:"), 3)
    assert "input 'order'" in finding.message


def test_save_as_nobody_uses_is_an_unused_variable(minimal_playbook):
    text = minimal_playbook.replace(
        "        prompt: Is the price fixed?\n", "        prompt: Is the price fixed?\n        save_as: fixed\n"
    )
    [finding] = only(lint(text), "CP306")
    assert finding.line == line_of(text, "save_as: fixed")


def test_severity_tested_against_a_list_with_an_undeclared_level(minimal_playbook):
    text = minimal_playbook.replace("when: severity >= 'medium'", "when: severity in ['hgh', 'medium']")
    [finding] = only(lint(text), "CP205")
    assert "'hgh'" in finding.message and "did you mean 'high'?" in finding.message


def test_severity_compared_with_an_undeclared_level_is_the_checkers_cp205(minimal_playbook):
    text = minimal_playbook.replace("when: severity >= 'medium'", "when: severity >= 'critical'")
    [finding] = only(lint(text), "CP205")
    assert finding.level == "error" and "'critical'" in finding.message


def test_unknown_name_suggests_the_near_one(minimal_playbook):
    text = minimal_playbook.replace("{{ reach }}.", "{{ rech }}.")
    [finding] = only(lint(text), "CP302")
    assert "did you mean 'reach'?" in finding.message


def test_attribute_the_sandbox_refuses_is_an_error(minimal_playbook):
    text = minimal_playbook.replace("{{ reach }}.", "{{ reach.__class__.__mro__ }}.")
    found = only(lint(text), "CP303")
    assert found and all(f.level == "error" for f in found)


def test_template_syntax_error_is_reported_once_and_not_analysed_further(minimal_playbook):
    text = minimal_playbook.replace("{{ reach }}.", "{{ reach }.")
    found = lint(text)
    assert codes(found).count("CP301") == 1
    assert "CP305" not in codes(found)


def test_name_offset_finds_the_name_inside_tags_not_in_the_text():
    source = "reach is {{ reach }}"
    assert name_offset(source, "reach", bare=False) == source.index("{{") + 3
    assert name_offset("severity == reach", "reach", bare=True) == 12
    assert name_offset("{{ 'reach' }}", "reach", bare=False) is None


def test_locate_maps_a_block_template_line_back_to_the_file():
    text = "t:\n  template: |\n    Hello.\n    Reach: {{ reach }}\n"
    doc = load(text, "x.yaml")
    assert locate(doc, ("t", "template"), doc.data["t"]["template"], "reach") == (4, 15)


def test_a_text_input_compared_with_a_number_is_an_error_at_the_comparison(minimal_playbook):
    text = minimal_playbook.replace("        when: severity >= 'medium'\n", "        when: product > 10\n")
    [finding] = only(lint(text), "CP307")
    assert finding.level == "error"
    assert (finding.line, finding.column) == (line_of(text, "when: product > 10"), 15)
    assert "compares 'product', which holds text, with the number 10" in finding.message
    assert "`type: number`" in finding.message


def test_a_choice_answer_compared_with_a_number_in_a_template_is_an_error_and_numbers_are_not(minimal_playbook):
    text = minimal_playbook.replace(
        "template: We are looking into {{ product }}.",
        "template: We are looking into {{ product }}{% if reach == 3 %}!{% endif %}.",
    )
    assert [f.code for f in only(lint(text), "CP307")] == ["CP307"]
    numeric = minimal_playbook.replace("    type: text\n", "    type: number\n", 1).replace(
        "        when: severity >= 'medium'\n", "        when: product > 10\n"
    )
    assert only(lint(numeric), "CP307") == []


def test_a_name_used_only_in_a_template_that_does_not_parse_is_not_called_unused(minimal_playbook):
    text = minimal_playbook.replace("inputs:\n", "inputs:\n  order_ref:\n    prompt: Which order?\n", 1)
    text = text.replace("template: We are looking into {{ product }}.", "template: We are looking into {{ order_ref }.")
    assert codes(lint(text)) == ["CP301"]


def test_a_text_input_compared_with_a_negative_number_is_reported_too(minimal_playbook):
    text = minimal_playbook.replace("        when: severity >= 'medium'\n", "        when: product > -1\n")
    [finding] = only(lint(text), "CP307")
    assert "with the number -1" in finding.message


def test_a_syntax_error_deep_in_a_block_template_is_reported_at_its_own_line(minimal_playbook):
    # The same text ({% endif %}) on two lines: the error is the second one's.
    block = "|\n          Hello\n          {% if reach %}\n          Sorry.\n          {% endif %}\n          {% endif %}\n          bye\n"
    line, key = _template_line(minimal_playbook)
    text = minimal_playbook.replace(line, f"{key}: {block}")
    [found] = only(lint(text), "CP301")
    lines = text.split("\n")
    assert lines[found.line - 1].strip() == "{% endif %}" and lines[found.line - 2].strip() == "{% endif %}"
    assert found.column == lines[found.line - 1].index("{") + 1
    assert "of the template" not in found.message


def test_a_syntax_error_on_a_line_the_file_does_not_hold_as_it_is_says_which_line_of_the_template(minimal_playbook):
    # A double-quoted template with an escaped quote: its second line is not the file's text.
    line, key = _template_line(minimal_playbook)
    text = minimal_playbook.replace(line, key + ': "Hello\\n{{ \\"reach\\" }"')
    [found] = only(lint(text), "CP301")
    assert (found.line, found.column) == (line_of(text, "Hello"), len(key) + 3)
    assert found.message.endswith("(line 2 of the template)")


def _template_line(playbook: str) -> tuple[str, str]:
    """The minimal playbook's template line, and its key with the indentation before it."""
    line = next(text for text in playbook.split("\n") if "{{ reach }}." in text)
    return line, line.split(":")[0]
