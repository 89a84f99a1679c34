"""No input ends in a traceback or a hang: the yaml-test-suite, random bytes, random YAML and
mutations of the bundled playbooks all go through the whole linter (checker, rules, noqa)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisisplay.findings import RULES
from crisisplay.lint import formats
from crisisplay.lint.runner import lint_text

REPO = Path(__file__).resolve().parents[1]
CORPUS = sorted((REPO / "tests" / "data" / "yaml-test-suite").glob("*.yaml"))
BUNDLED = [p.read_text(encoding="utf-8") for p in sorted((REPO / "playbooks").glob("*.yaml"))]
FUZZ = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def assert_clean(raw: bytes | str, path: str = "fuzz.yaml") -> list:
    """Lint `raw`; every finding is a known code at a position inside the text."""
    result = lint_text(raw, path)
    text = raw if isinstance(raw, str) else raw.decode("utf-8-sig", "replace")
    if isinstance(raw, str) or text == raw.decode("utf-8-sig", "ignore"):  # UTF-8: read as text, where
        text = re.sub("\r(?!\n)", "\n", text)  # a CR alone ends a line, as editors show it
    lines = text.split("\n")
    for f in result.findings:
        assert f.code in RULES and f.level in ("error", "warning") and f.message, str(f)
        assert 1 <= f.line <= len(lines) and 1 <= f.column <= len(lines[f.line - 1]) + 1, str(f)
        assert f.path == path
    # Every format renders whatever came out.
    formats.text(result.findings, {path: result.text})
    formats.github(result.findings)
    formats.json_report(result.findings, 1)
    return result.findings


@pytest.mark.timeout(10)
@pytest.mark.parametrize("case", CORPUS, ids=[p.name for p in CORPUS])
def test_yaml_test_suite_case_gives_clean_findings(case):
    findings = assert_clean(case.read_bytes(), "fuzz.yaml")
    if case.name.endswith(".error.yaml"):
        assert any(f.level == "error" for f in findings)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(raw):
    assert_clean(raw)


_scalars = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.booleans(),
    st.none(),
    st.sampled_from(["{{ x }}", "{% if %}", "severity >= 'hgh'", "end", "# crisisplay: noqa"]),
)
_keys = st.sampled_from(
    [
        "crisisplay",
        "id",
        "title",
        "phases",
        "steps",
        "type",
        "prompt",
        "options",
        "next",
        "when",
        "template",
        "channel",
        "save_as",
        "inputs",
        "targets",
        "milestone",
        "to",
        "roles",
        "severity",
        "levels",
        "label",
        "value",
        "items",
    ]
) | st.text(max_size=8)
_yaml_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=5), max_leaves=30
)


@FUZZ
@given(st.dictionaries(_keys, _yaml_values, max_size=8))
def test_random_yaml_never_crashes(data):
    assert_clean(yaml.safe_dump(data, allow_unicode=True))


@st.composite
def _mutated(draw) -> str:
    lines = draw(st.sampled_from(BUNDLED)).split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "replace", "indent", "noqa"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "replace":
            words = [
                "next: end",
                "next: nowhere",
                "when: severity >= 'hgh'",
                "save_as: reach",
                "type: choice",
                "- id: end",
                "template: '{{ __class__ }}'",
                "options: [a]",
                "milestone: nope",
                "{{",
                ": :",
            ]
            lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + draw(st.sampled_from(words))
        elif action == "indent":
            lines[i] = "  " + lines[i]
        else:
            lines[i] += draw(
                st.sampled_from(
                    ["  # crisisplay: noqa", "  # crisisplay: noqa CP305, CP9", "  # crisisplay: disable-file"]
                )
            )
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(max_examples=80, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutations_of_the_bundled_playbooks_never_crash(text):
    assert_clean(text)


@pytest.mark.parametrize(
    "key,source", [("template", "'{{ " + "9" * 5000 + " }}'"), ("when", "'" + "9" * 5000 + " > 1'")]
)
def test_a_number_too_long_for_python_is_a_syntax_finding_not_a_crash(minimal_playbook, key, source):
    line = (
        "        template: We are looking into {{ product }}.\n"
        if key == "template"
        else "        when: severity >= 'medium'\n"
    )
    text = minimal_playbook.replace(line, f"        {key}: {source}\n")
    findings = assert_clean(text)
    assert [f.code for f in findings if f.level == "error"] == ["CP301"]
    assert "cannot be read" in findings[0].message
