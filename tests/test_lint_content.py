"""Content rules (warnings): CP401 no-escalation, CP402 no-message, CP403 no-post-mortem,
CP404 empty-prompt, CP405 too-long-for-x, CP406 unreached-target."""

from __future__ import annotations

from lint_helpers import codes, line_of, lint, only

from crisisplay.lint.rules_content import TEXT_LENGTH, _parse, estimate


def test_minimal_playbook_has_no_content_findings(minimal_playbook):
    assert not [f for f in lint(minimal_playbook) if f.code.startswith("CP4")]


def test_playbook_without_escalation_is_warned_at_phases(minimal_playbook):
    text = minimal_playbook.replace(
        "        type: escalate\n        to: [manager]\n", "        type: info\n        prompt: Tell your manager.\n"
    )
    text = text.replace('        template: "{{ product }} is {{ reach }}."\n', "")
    [finding] = only(lint(text), "CP401")
    assert finding.level == "warning"
    assert (finding.line, finding.column) == (line_of(text, "phases:"), 1)


def test_playbook_without_message_is_warned(minimal_playbook):
    text = minimal_playbook.replace(
        "        type: message\n        channel: twitter\n        template: We are looking into {{ product }}.\n",
        "        type: info\n        prompt: Post something.\n",
    )
    assert "CP402" in codes(lint(text))


def test_playbook_without_post_mortem_phase_or_section_is_warned(minimal_playbook):
    text = minimal_playbook.replace("- id: post-mortem\n    title: Post-mortem", "- id: wrap-up\n    title: Wrap up")
    assert "CP403" not in codes(lint(text))  # the `section:` step still feeds the post-mortem
    text = text.replace("        section: summary\n", "")
    assert "CP403" in codes(lint(text))


def test_blank_prompt_is_an_empty_prompt_warning(minimal_playbook):
    text = minimal_playbook.replace("prompt: Is the price fixed?", "prompt: '   '")
    [finding] = only(lint(text), "CP404")
    assert finding.line == line_of(text, "prompt: '   '")
    assert "step 'fix-price'" in finding.message


def test_blank_input_prompt_is_an_empty_prompt_warning(minimal_playbook):
    text = minimal_playbook.replace("prompt: Which product?", "prompt: ' '")
    assert "input 'product'" in only(lint(text), "CP404")[0].message


LONG = "We are so sorry. " * 17  # 289 characters of static text


def test_long_message_on_twitter_is_warned_with_its_length(minimal_playbook):
    text = minimal_playbook.replace("template: We are looking into {{ product }}.", f"template: {LONG}")
    [finding] = only(lint(text), "CP405")
    assert finding.line == line_of(text, LONG.strip())
    assert "about 288 characters" in finding.message and "at most 280" in finding.message


def test_long_message_on_facebook_is_not_warned(minimal_playbook):
    text = minimal_playbook.replace("template: We are looking into {{ product }}.", f"template: {LONG}")
    text = text.replace("channel: twitter", "channel: Facebook")
    assert "CP405" not in codes(lint(text))


def test_channel_from_a_choice_input_that_can_be_x_counts_as_twitter(minimal_playbook):
    text = minimal_playbook.replace(
        "    type: text\nphases:",
        "    type: text\n  where:\n    prompt: Where?\n    type: choice\n    options: [X, Facebook]\nphases:",
    )
    text = text.replace("channel: twitter", 'channel: "{{ where }} (public)"')
    text = text.replace("template: We are looking into {{ product }}.", f"template: {LONG}")
    assert "CP405" in codes(lint(text))


def test_placeholders_count_at_a_realistic_length(minimal_playbook):
    body = "x" * (280 - TEXT_LENGTH) + "{{ product }}"  # exactly 280: fine
    text = minimal_playbook.replace("template: We are looking into {{ product }}.", f'template: "{body}"')
    assert "CP405" not in codes(lint(text))
    text = text.replace(body, body + "!")
    assert "CP405" in codes(lint(text))


def test_estimate_takes_the_longest_branch_and_never_runs_the_template():
    ast = _parse(
        "{% if a %}{{ 'abc' }}{% elif b %}abcdef{% else %}ab{% endif %}{% for i in range(10**9) %}xy{% endfor %}"
    )
    assert estimate(ast, {}) == 6 + 2


def test_target_no_milestone_reaches_is_warned_at_its_key(minimal_playbook):
    text = minimal_playbook.replace("  resolved: 2d\n", "  resolved: 2d\n  contained: 15m\n")
    [finding] = only(lint(text), "CP406")
    assert (finding.line, finding.column) == (line_of(text, "contained: 15m"), 3)
    assert "milestone: contained" in finding.message
