"""Suppressions (`# crisisplay: noqa`, `disable-file`), CP501 unused-noqa, and the `[lint]` config."""

from __future__ import annotations

import pytest
from lint_helpers import codes, line_of, lint, only

from crisisplay.config import load_config
from crisisplay.errors import ConfigError
from crisisplay.lint.command import policy_for
from crisisplay.lint.policy import from_config

UNUSED_INPUT = "  order:\n    prompt: Order number?\nphases:\n"


@pytest.fixture
def warned(minimal_playbook) -> str:
    """The minimal playbook with one CP306 warning, on the line `  order:`."""
    return minimal_playbook.replace("phases:\n", UNUSED_INPUT, 1)


def test_noqa_at_the_end_of_the_line_suppresses_that_code(warned):
    assert "CP306" in codes(lint(warned))
    assert codes(lint(warned.replace("  order:\n", "  order:  # crisisplay: noqa CP306\n"))) == []


def test_noqa_alone_on_the_line_before_covers_the_next_line(warned):
    text = warned.replace("  order:\n", "  # crisisplay: noqa CP306\n\n  order:\n")
    assert codes(lint(text)) == []


def test_bare_noqa_suppresses_every_code_on_its_line(warned):
    assert codes(lint(warned.replace("  order:\n", "  order: # crisisplay: noqa\n"))) == []


def test_noqa_takes_a_comma_or_space_list_and_a_reason(warned):
    text = warned.replace("  order:\n", "  order:  # crisisplay: noqa: CP406, CP306 asked for the log only\n")
    assert codes(lint(text)) == ["CP501"]  # CP406 is listed but not reported on that line
    assert "CP406 is not reported" in lint(text)[0].message


def test_noqa_for_another_code_suppresses_nothing_and_is_reported(warned):
    text = warned.replace("  order:\n", "  order:  # crisisplay: noqa CP405\n")
    found = lint(text)
    assert sorted(codes(found)) == ["CP306", "CP501"]
    [unused] = only(found, "CP501")
    assert (unused.line, unused.column) == (line_of(text, "order:"), text.split("\n")[unused.line - 1].index("#") + 1)
    assert unused.level == "warning"


def test_noqa_naming_no_rule_suggests_the_near_code(minimal_playbook):
    text = minimal_playbook.replace("title: A minimal playbook", "title: A minimal playbook  # crisisplay: noqa CP3066")
    [finding] = only(lint(text), "CP501")
    assert "'CP3066' names no rule" in finding.message


def test_hash_inside_a_word_is_not_a_comment(warned):
    text = warned.replace("prompt: Order number?", "prompt: 'Order number?#crisisplay: noqa'")
    assert "CP501" not in codes(lint(text)) and "CP306" in codes(lint(text))


def test_checker_errors_cannot_be_suppressed(minimal_playbook):
    text = minimal_playbook.replace("next: notify-manager", "next: notfy-manager  # crisisplay: noqa CP201")
    found = lint(text)
    assert "CP201" in codes(found)
    message = only(found, "CP501")[0].message
    assert "cannot be suppressed" in message and "`start` or `drill` refuses it" in message  # playbooks and scenarios


def test_disable_file_at_the_top_hides_warnings_but_not_checker_errors(warned):
    text = "# yaml-language-server: $schema=x.json\n# crisisplay: disable-file\n" + warned
    assert codes(lint(text)) == []
    broken = text.replace("next: notify-manager", "next: nowhere")
    assert codes(lint(broken)) == ["CP201"]


def test_disable_file_below_the_first_key_is_reported(warned):
    text = warned.replace("title: A minimal playbook", "title: A minimal playbook\n# crisisplay: disable-file")
    found = lint(text)
    assert "CP306" in codes(found)
    assert "top of the file" in only(found, "CP501")[0].message


def test_select_keeps_only_the_chosen_families_and_the_checker_errors(warned):
    policy = from_config({"select": ["CP4"]}, None)
    assert codes(lint(warned, policy=policy)) == []
    broken = warned.replace("next: notify-manager", "next: nowhere")
    assert codes(lint(broken, policy=policy)) == ["CP201"]


def test_ignore_takes_codes_and_rule_names(warned):
    assert codes(lint(warned, policy=from_config({"ignore": ["CP306"]}, None))) == []
    assert codes(lint(warned, policy=from_config({"ignore": ["unused-variable"]}, None))) == []


def test_per_file_ignores_match_globs_relative_to_the_config(tmp_path, warned):
    policy = from_config({"per-file-ignores": {"drafts/*.yaml": ["CP3"]}}, tmp_path / "crisisplay.toml")
    assert codes(lint(warned, str(tmp_path / "drafts" / "minimal.yaml"), policy)) == []
    assert codes(lint(warned, str(tmp_path / "playbooks" / "minimal.yaml"), policy)) == ["CP306"]


def test_noqa_for_a_code_the_config_switched_off_is_not_reported_as_unused(warned):
    text = warned.replace("  order:\n", "  order:  # crisisplay: noqa CP306\n")
    assert codes(lint(text, policy=from_config({"ignore": ["CP306"]}, None))) == []


@pytest.mark.parametrize(
    "options, message",
    [
        ({"ignore": ["CP201"]}, "CP201 cannot be ignored"),
        ({"ignore": ["dangling-next"]}, "CP201 cannot be ignored"),
        ({"select": ["CP3066"]}, "did you mean"),
        ({"select": "maybe-unsett"}, "did you mean 'maybe-unset'?"),
        ({"ignore": [305]}, "as text in quotes"),
        ({"select": {"a": 1}}, "expected a list of rule codes"),
        ({"per-file-ignores": ["x"]}, "should be a table"),
    ],
)
def test_unusable_lint_options_are_configuration_errors(options, message):
    with pytest.raises(ConfigError, match=message):
        from_config(options, None)


def test_lint_options_are_read_from_pyproject(tmp_path, warned):
    (tmp_path / "pyproject.toml").write_text('[tool.crisisplay.lint]\nignore = ["CP306"]\n')
    policy = policy_for(load_config(tmp_path / "home", tmp_path))
    assert codes(lint(warned, policy=policy)) == []


def test_crisisplay_toml_beats_pyproject(tmp_path, warned):
    (tmp_path / "pyproject.toml").write_text('[tool.crisisplay.lint]\nignore = ["CP306"]\n')
    (tmp_path / "crisisplay.toml").write_text('[lint]\nselect = ["CP3"]\n')
    policy = policy_for(load_config(tmp_path / "home", tmp_path))
    assert codes(lint(warned, policy=policy)) == ["CP306"]
