"""The playbook checker: every class of finding, pinned to its exact line, column and code.

Each bad playbook is the `minimal_playbook` fixture with one thing broken; the positions
below are positions in that text (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisplay.errors import PlaybookError
from crisisplay.findings import RULES, Finding
from crisisplay.playbook.loader import check_file, check_text, load_playbook


def broken(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not in the minimal playbook exactly once"
    return text.replace(old, new)


def findings_of(text: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in check_text(text, "pb.yaml").findings]


def only_finding(text: str) -> Finding:
    findings = check_text(text, "pb.yaml").findings
    assert len(findings) == 1, [str(f) for f in findings]
    return findings[0]


def assert_finding(text: str, line: int, column: int, code: str, *words: str) -> None:
    finding = only_finding(text)
    assert (finding.line, finding.column, finding.code) == (line, column, code), str(finding)
    for word in words:
        assert word in finding.message, f"{word!r} not in {finding.message!r}"


# ------------------------------------------------------------------ the valid case


def test_minimal_playbook_has_no_findings(minimal_playbook):
    checked = check_text(minimal_playbook, "pb.yaml")
    assert checked.findings == []
    assert checked.ok
    assert [s.id for s in checked.playbook.steps] == [
        "assess-reach",
        "fix-price",
        "notify-manager",
        "holding-statement",
        "what-happened",
    ]


def test_minimal_playbook_fills_defaults(minimal_playbook):
    pb = check_text(minimal_playbook).playbook
    assert pb.locale is None  # no locale written: the playbook does not choose the language
    assert pb.severity.start == "low"
    assert pb.target_ms("acknowledged") == 3_600_000
    options = pb.step("assess-reach").options
    assert [(o.label, o.value) for o in options] == [("Contained", "contained"), ("Viral", "viral")]


def test_plain_string_option_is_its_own_value(minimal_playbook):
    text = broken(
        minimal_playbook, "          - label: Contained\n            value: contained\n", "          - Contained\n"
    )
    pb = check_text(text).playbook
    assert (pb.step("assess-reach").options[0].label, pb.step("assess-reach").options[0].value) == (
        "Contained",
        "Contained",
    )


# ------------------------------------------------------------------ YAML level


def test_yaml_syntax_error_points_at_the_problem(minimal_playbook):
    text = broken(minimal_playbook, "    title: Detection\n", "    title: Detection: [oops\n")
    assert_finding(text, 18, 21, "CP001", "YAML syntax", "mapping values are not allowed")


def test_duplicate_key_points_at_the_second_key(minimal_playbook):
    text = broken(minimal_playbook, "title: A minimal playbook\n", "title: A minimal playbook\ntitle: Again\n")
    assert_finding(text, 4, 1, "CP002", "duplicate key 'title'", "first at line 3")


def test_unsafe_tag_is_refused_at_the_tag(minimal_playbook):
    text = broken(minimal_playbook, "title: A minimal playbook", 'title: !!python/object/apply:os.system ["echo hi"]')
    findings = check_text(text, "pb.yaml").findings
    unsafe = [f for f in findings if f.code == "CP003"]
    assert [(f.line, f.column) for f in unsafe] == [(3, 8)]
    assert "!!python/object/apply:os.system" in unsafe[0].message and "refused" in unsafe[0].message
    assert check_text(text).playbook is None


def test_alias_bomb_is_refused(minimal_playbook):
    bomb = "x: &x [a, a, a, a, a, a, a, a, a, a]\n"
    for name, prev in zip("bcdef", "xbcde", strict=False):
        bomb += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    finding = only_finding(bomb + minimal_playbook)
    # Reported at the innermost anchor that expands too far: &e, 100,001 values.
    assert (finding.line, finding.column, finding.code) == (5, 4, "CP004")
    assert "alias bomb" in finding.message and "50,000" in finding.message


def test_numeric_id_must_be_quoted(minimal_playbook):
    text = broken(minimal_playbook, "id: minimal", "id: 404")
    assert_finding(text, 2, 5, "CP005", "YAML reads 404 as a number", "quote it", "'404'")


def test_quoted_numeric_id_is_accepted(minimal_playbook):
    text = broken(minimal_playbook, "id: minimal", "id: '404'")
    checked = check_text(text)
    assert checked.findings == [] and checked.playbook.id == "404"


def test_sexagesimal_duration_must_be_quoted(minimal_playbook):
    text = broken(minimal_playbook, "acknowledged: 1h", "acknowledged: 1:00")
    assert_finding(text, 8, 17, "CP005", "YAML reads 1:00 as a number", "quote it", "'1:00'")


def test_date_as_id_must_be_quoted(minimal_playbook):
    text = broken(minimal_playbook, "id: minimal", "id: 2024-05-01")
    assert_finding(text, 2, 5, "CP005", "YAML reads 2024-05-01 as a date", "'2024-05-01'")


def test_yes_as_option_label_must_be_quoted(minimal_playbook):
    text = broken(minimal_playbook, "label: Contained", "label: yes")
    assert_finding(text, 24, 20, "CP008", "YAML reads yes as true", "quote it", "'yes'")


def test_no_as_plain_string_option_must_be_quoted(minimal_playbook):
    text = broken(minimal_playbook, "          - label: Contained\n            value: contained\n", "          - no\n")
    assert_finding(text, 24, 13, "CP008", "YAML reads no as false", "'no'")


# ------------------------------------------------------------------ structure


def test_unknown_key_suggests_the_nearest(minimal_playbook):
    text = broken(
        minimal_playbook,
        "        prompt: Is the price fixed?\n",
        "        prompt: Is the price fixed?\n        promt: Really?\n",
    )
    assert_finding(text, 34, 9, "CP101", "unknown key 'promt'", "confirm step", "did you mean 'prompt'?")


def test_misspelt_required_key_is_both_unknown_and_missing(minimal_playbook):
    text = broken(minimal_playbook, "prompt: Is the price fixed?", "promt: Is the price fixed?")
    assert findings_of(text) == [(31, 9, "CP102"), (33, 9, "CP101")]


def test_unknown_top_level_key_suggests_the_nearest(minimal_playbook):
    text = broken(minimal_playbook, "title: A minimal playbook\n", "title: A minimal playbook\ntitel: x\n")
    assert_finding(text, 4, 1, "CP101", "unknown key 'titel'", "top level", "did you mean 'title'?")


def test_unknown_option_key_suggests_the_nearest(minimal_playbook):
    text = broken(
        minimal_playbook, "            value: contained\n", "            value: contained\n            nxt: end\n"
    )
    assert_finding(text, 26, 13, "CP101", "unknown key 'nxt'", "option", "did you mean 'next'?")


def test_flow_mapping_split_on_a_comma_reports_the_stray_key(minimal_playbook):
    text = broken(
        minimal_playbook,
        "          - label: Contained\n            value: contained\n",
        "          - {label: Spam, or links}\n",
    )
    assert_finding(text, 24, 27, "CP101", "unknown key 'or links'")


def test_missing_required_key_points_at_its_mapping(minimal_playbook):
    text = broken(minimal_playbook, "        prompt: Is the price fixed?\n", "")
    assert_finding(text, 31, 9, "CP102", "missing required key 'prompt'", "confirm step")


def test_missing_step_type_lists_the_types(minimal_playbook):
    text = broken(minimal_playbook, "        type: confirm\n", "")
    assert_finding(text, 31, 9, "CP102", "missing required key 'type'", "'confirm'", "'info'")


def test_wrong_type_says_what_was_expected(minimal_playbook):
    text = broken(minimal_playbook, "to: [manager]", "to: manager")
    assert_finding(text, 36, 13, "CP103", "'to' should be a list, not text")


def test_empty_value_is_a_wrong_type(minimal_playbook):
    text = broken(minimal_playbook, "title: A minimal playbook", "title:")
    assert_finding(text, 3, 7, "CP103", "'title' has no value")


def test_missing_format_version(minimal_playbook):
    text = broken(minimal_playbook, "crisisplay: 1\n", "")
    assert_finding(text, 1, 1, "CP104", "missing `crisisplay: 1`")


def test_unsupported_format_version(minimal_playbook):
    text = broken(minimal_playbook, "crisisplay: 1", "crisisplay: 2")
    assert_finding(text, 1, 13, "CP104", "unsupported format version 2")


@pytest.mark.parametrize("written", ["yes", "true", "on", "1.0", "01", "0x1", "+1"])
def test_a_version_yaml_reads_as_one_is_still_not_written_as_1(minimal_playbook, written):
    text = broken(minimal_playbook, "crisisplay: 1", f"crisisplay: {written}")
    assert_finding(text, 1, 13, "CP104", f"unsupported format version {written}")


def test_a_title_is_one_line(minimal_playbook):
    text = broken(minimal_playbook, "title: A minimal playbook", "title: |\n  A minimal\n  playbook")
    assert_finding(text, 3, 8, "CP109", "a title is one line")


def test_a_number_step_whose_min_is_above_its_max_could_never_be_answered(minimal_playbook):
    text = broken(
        minimal_playbook,
        "        prompt: Is the price fixed?\n",
        "        prompt: How many?\n        min: 10\n        max: 1\n",
    )
    text = broken(text, "      - id: fix-price\n        type: confirm", "      - id: fix-price\n        type: number")
    assert_finding(text, 31, 9, "CP109", "`min: 10` is above `max: 1`")


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            "    type: choice\n    options: [x, facebook]\n    default: tiktok\n",
            "`default: tiktok` is not one of the options; expected x, facebook",
        ),
        ("    type: number\n    default: lots\n", "`default: lots` is not a number"),
        ("    max_length: 3\n    default: Muebles Albero\n", "`default:` is 14 characters long, over `max_length: 3`"),
        ("    type: number\n    default: 1e999\n", "`default: 1e999` is too large; a number has at most 100 digits"),
    ],
)
def test_an_input_default_the_run_would_refuse_is_an_error(minimal_playbook, spec, words):
    text = broken(
        minimal_playbook, "    prompt: Which product?\n    type: text\n", "    prompt: Which product?\n" + spec
    )
    assert_finding(text, 14, 5, "CP109", words)


def test_a_duration_of_no_time_at_all_is_refused(minimal_playbook):
    text = broken(minimal_playbook, "  acknowledged: 1h", "  acknowledged: 0m")
    assert_finding(text, 8, 17, "CP108", "'0m' is no time at all")


def test_end_is_reserved_as_a_step_id(minimal_playbook):
    text = broken(minimal_playbook, "id: fix-price", "id: end")
    assert_finding(text, 31, 13, "CP105", "'end' is reserved")


def test_bad_step_id(minimal_playbook):
    text = broken(minimal_playbook, "id: fix-price", "id: Fix_Price")
    assert_finding(text, 31, 13, "CP106", "id 'Fix_Price' is not valid", "lowercase")


def test_bad_variable_name_in_save_as(minimal_playbook):
    text = broken(minimal_playbook, "save_as: reach", "save_as: Reach-Level")
    assert_finding(text, 30, 18, "CP107", "'Reach-Level' is not an identifier")


def test_built_in_name_as_save_as(minimal_playbook):
    text = broken(minimal_playbook, "save_as: reach", "save_as: severity")
    assert_finding(text, 30, 18, "CP107", "'severity' is a built-in name")


def test_bad_input_name_points_at_the_key(minimal_playbook):
    text = broken(minimal_playbook, "  product:\n", "  Product:\n")
    findings = check_text(text, "pb.yaml").findings
    assert [(f.line, f.column, f.code) for f in findings] == [(13, 3, "CP107")]


def test_bad_duration(minimal_playbook):
    text = broken(minimal_playbook, "resolved: 2d", "resolved: two days")
    assert_finding(text, 9, 13, "CP108", "'two days' is not a duration", "90s, 30m, 1h, 2d")


def test_a_duration_longer_than_a_year_is_refused_before_any_clock_overflows(minimal_playbook):
    text = broken(minimal_playbook, "resolved: 2d", "resolved: 9999999999d")
    assert_finding(text, 9, 13, "CP108", "'9999999999d' is longer than 366d", "the longest duration")
    assert check_text(broken(minimal_playbook, "resolved: 2d", "resolved: 366d"), "pb.yaml").ok


def test_unknown_step_type_suggests_the_nearest(minimal_playbook):
    text = broken(minimal_playbook, "type: confirm", "type: confirmm")
    assert_finding(text, 32, 15, "CP110", "unknown step type 'confirmm'", "did you mean 'confirm'?")


def test_id_differing_from_the_file_name_is_a_warning(minimal_playbook, tmp_path: Path):
    path = tmp_path / "other.yaml"
    path.write_text(minimal_playbook, encoding="utf-8")
    checked = check_file(path)
    assert [(f.line, f.column, f.code, f.level) for f in checked.findings] == [(2, 5, "CP111", "warning")]
    assert checked.ok


# ------------------------------------------------------------------ references and graph


def test_duplicate_step_id_across_phases(minimal_playbook):
    text = broken(minimal_playbook, "id: what-happened", "id: fix-price")
    assert_finding(text, 47, 13, "CP202", "step id 'fix-price' is already used at line 31", "across all phases")


def test_dangling_next_suggests_the_nearest(minimal_playbook):
    text = broken(minimal_playbook, "next: notify-manager", "next: notify-manger")
    assert_finding(text, 29, 19, "CP201", "'notify-manger' names no step", "did you mean 'notify-manager'?")


def test_undeclared_role(minimal_playbook):
    text = broken(minimal_playbook, "to: [manager]", "to: [legal]")
    assert_finding(text, 36, 14, "CP203", "role 'legal' is not declared", "'manager'")


def test_milestone_without_target(minimal_playbook):
    text = broken(minimal_playbook, "milestone: acknowledged", "milestone: contacted")
    assert_finding(text, 43, 20, "CP204", "milestone 'contacted' has no target", "'acknowledged'")


def test_unknown_severity_in_an_option(minimal_playbook):
    text = broken(minimal_playbook, "severity: high", "severity: severe")
    assert_finding(text, 28, 23, "CP205", "severity 'severe' is not a declared level")


def test_unknown_initial_severity(minimal_playbook):
    text = broken(minimal_playbook, "initial: low", "initial: lowest")
    assert_finding(text, 6, 12, "CP205", "'lowest' is not a declared level", "did you mean 'low'?")


def test_unknown_severity_in_a_condition(minimal_playbook):
    text = broken(minimal_playbook, "when: severity >= 'medium'", "when: severity >= 'mediun'")
    assert_finding(text, 37, 15, "CP205", "compares severity with 'mediun'", "did you mean 'medium'?")


def test_unreachable_step(minimal_playbook):
    text = broken(
        minimal_playbook,
        "        prompt: Is the price fixed?\n",
        "        prompt: Is the price fixed?\n        next: holding-statement\n",
    )
    text = broken(text, "next: notify-manager", "next: holding-statement")
    assert_finding(text, 35, 13, "CP206", "step 'notify-manager' cannot be reached")


def test_loop_with_no_way_out_is_reported_at_the_loop(minimal_playbook):
    text = broken(
        minimal_playbook, "        milestone: resolved\n", "        milestone: resolved\n        next: what-happened\n"
    )
    assert_finding(text, 47, 13, "CP207", "from step 'what-happened' no path reaches the end", "loop with no way out")


def test_loop_with_no_way_out_names_every_step_of_the_loop(minimal_playbook):
    text = broken(
        minimal_playbook,
        "        prompt: Is the price fixed?\n",
        "        prompt: Is the price fixed?\n        next: assess-reach\n",
    )
    text = broken(text, "next: notify-manager", "next: fix-price")
    findings = check_text(text, "pb.yaml").findings
    assert [(f.line, f.column, f.code) for f in findings if f.code == "CP207"] == [(20, 13, "CP207")]
    loop = next(f for f in findings if f.code == "CP207")
    assert "'assess-reach', 'fix-price'" in loop.message
    # The steps after the loop cannot be reached either.
    assert [f.line for f in findings if f.code == "CP206"] == [35, 40, 48]


def test_loop_with_a_way_out_is_accepted(minimal_playbook):
    text = broken(
        minimal_playbook,
        "        prompt: Is the price fixed?\n",
        "        prompt: Is the price fixed?\n        next: assess-reach\n",
    )
    assert check_text(text).findings == []


# ------------------------------------------------------------------ templates and conditions


def test_template_syntax_error(minimal_playbook):
    text = broken(minimal_playbook, "We are looking into {{ product }}.", "We are looking into {{ product }.")
    assert_finding(text, 42, 19, "CP301", "the template does not parse", "unexpected '}'")


def test_condition_syntax_error(minimal_playbook):
    text = broken(minimal_playbook, "when: severity >= 'medium'", "when: severity >= 'medium' foo")
    assert_finding(text, 37, 15, "CP301", "the condition does not parse", "'foo'")


def test_unknown_name_in_a_template_suggests_the_nearest(minimal_playbook):
    text = broken(minimal_playbook, "{{ product }}.", "{{ prodct }}.")
    assert_finding(text, 42, 42, "CP302", "uses 'prodct'", "did you mean 'product'?")


def test_unknown_name_in_a_condition(minimal_playbook):
    text = broken(minimal_playbook, "when: severity >= 'medium'", "when: reech == 'viral'")
    assert_finding(text, 37, 15, "CP302", "the condition uses 'reech'", "did you mean 'reach'?")


@pytest.mark.parametrize(
    "template, refused",
    [
        ('"{{ product.__class__ }}"', "__class__"),
        ('"{{ product.mro }}"', "mro"),
        ('"{{ product.__class__.__mro__[1].__subclasses__() }}"', "__subclasses__"),
        ("\"{{ product['__class__'] }}\"", "__class__"),
        ("\"{% include 'secrets.txt' %}\"", "include"),
    ],
)
def test_sandbox_escapes_are_refused(minimal_playbook, template, refused):
    text = broken(minimal_playbook, "template: We are looking into {{ product }}.", f"template: {template}")
    findings = check_text(text, "pb.yaml").findings
    assert findings and {f.code for f in findings} == {"CP303"}
    assert any(f"'{refused}'" in f.message and "sandbox refuses" in f.message for f in findings)
    for f in findings:  # each at the refused name itself: the template starts at column 19
        attr = f.message.split("'")[1]
        assert (f.line, f.column) == (42, 19 + template.index(attr))


def test_braces_in_a_condition(minimal_playbook):
    text = broken(minimal_playbook, "when: severity >= 'medium'", "when: \"{{ severity >= 'medium' }}\"")
    assert_finding(text, 37, 15, "CP304", "bare expression")


# ------------------------------------------------------------------ API and format


def test_check_text_of_something_that_is_not_a_mapping():
    for text in ("- a\n- b\n", "just text\n"):
        checked = check_text(text, "pb.yaml")
        assert [(f.line, f.column, f.code) for f in checked.findings] == [(1, 1, "CP006")]
        assert checked.playbook is None and not checked.ok


def test_load_playbook_returns_a_checked_playbook(minimal_playbook, tmp_path: Path):
    path = tmp_path / "minimal.yaml"
    path.write_text(minimal_playbook, encoding="utf-8")
    pb, checked = load_playbook(path)
    assert pb.id == "minimal"
    assert checked.findings == []


def test_load_playbook_raises_with_every_finding(minimal_playbook, tmp_path: Path):
    text = broken(minimal_playbook, "to: [manager]", "to: [legal]")
    text = broken(text, "id: what-happened", "id: fix-price")
    path = tmp_path / "minimal.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError) as raised:
        load_playbook(path)
    err = raised.value
    assert [(f.line, f.column, f.code) for f in err.findings] == [(36, 14, "CP203"), (47, 13, "CP202")]
    assert all(f.path == str(path) for f in err.findings)
    assert "2 error(s)" in str(err)
    assert err.exit_code == 2


def test_findings_are_sorted_by_position(minimal_playbook):
    text = broken(minimal_playbook, "resolved: 2d", "resolved: soon")
    text = broken(text, "type: confirm", "type: confrim")
    text = broken(text, "id: minimal", "id: 404")
    lines = [f.line for f in check_text(text).findings]
    assert lines == sorted(lines) and len(lines) == 3


def test_finding_prints_as_path_line_col_code_level_message():
    finding = Finding("pb.yaml", 3, 7, "CP103", "'title' has no value")
    assert str(finding) == "pb.yaml:3:7: CP103 [error] 'title' has no value"
    warning = Finding("pb.yaml", 2, 5, "CP111", "id differs")
    assert str(warning) == "pb.yaml:2:5: CP111 [warning] id differs"
    assert finding.as_dict()["name"] == "wrong-type"


def test_every_rule_code_is_unique_and_well_formed():
    assert all(code == rule.code and code.startswith("CP") and len(code) == 5 for code, rule in RULES.items())
    assert len({rule.name for rule in RULES.values()}) == len(RULES)


def test_a_hashtag_in_an_unquoted_template_is_reported_where_it_starts(minimal_playbook):
    text = broken(
        minimal_playbook,
        "template: We are looking into {{ product }}.",
        "template: We are sorry #brandfail please DM us",
    )
    assert_finding(text, 42, 32, "CP010", "'#brandfail' starts a YAML comment", "quote the whole value")


def test_an_ordinary_comment_after_a_value_is_not_a_hashtag(minimal_playbook):
    text = minimal_playbook.replace("title: A minimal playbook", "title: A minimal playbook  # the title")
    assert [f.code for f in check_text(text, "minimal.yaml").findings] == []


def test_a_log_keeps_a_playbook_later_rules_would_refuse(minimal_playbook):
    """A snapshot is the playbook as it was checked when its incident started: rules added since
    (one-line titles, min not above max, defaults that fit, no zero durations) do not refuse it."""
    from crisisplay.playbook.loader import from_snapshot

    snapshot = check_text(minimal_playbook, "pb.yaml").playbook.model_dump(mode="json", exclude_none=True)
    snapshot["title"] = "Two\nlines"
    snapshot["targets"]["acknowledged"] = "0m"
    snapshot["inputs"]["product"]["max_length"] = 1
    snapshot["inputs"]["product"]["default"] = "Kettle"
    assert from_snapshot(snapshot).title == "Two\nlines"


def test_a_choice_default_is_read_as_a_run_reads_an_answer(minimal_playbook):
    spec = (
        "    prompt: Which product?\n    type: choice\n    options: [crítica, leve]\n    default: ' cri\u0301tica '\n"
    )
    text = broken(minimal_playbook, "    prompt: Which product?\n    type: text\n", spec)  # spaces, a combining accent
    assert check_text(text, "pb.yaml").findings == []
