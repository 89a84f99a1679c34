"""Output formats: text (with the caret), json, github workflow commands and SARIF 2.1.0.

tests/data/sarif-schema-2.1.0.excerpt.json is an excerpt of the official OASIS schema
(Schemata/sarif-schema-2.1.0.json in oasis-tcs/sarif-spec): the definitions a crisisplay log
uses, copied as published, with the properties crisisplay never writes removed. Every object
keeps `additionalProperties: false`, so a log valid against the excerpt is valid against the
full schema.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest

from crisisplay.findings import RULES, Finding
from crisisplay.lint import formats
from crisisplay.lint.command import rule_table

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.excerpt.json").read_text())

ERR = Finding("playbooks/a.yaml", 3, 9, "CP201", "next: 'x' names no step")
WARN = Finding("playbooks/b.yaml", 1, 1, "CP401", "no step escalates")


def test_text_is_one_line_per_finding_in_the_contract_format():
    assert formats.text([ERR, WARN]) == (
        "playbooks/a.yaml:3:9: CP201 [error] next: 'x' names no step\n"
        "playbooks/b.yaml:1:1: CP401 [warning] no step escalates\n"
    )


def test_text_on_a_terminal_shows_the_line_and_a_caret_under_the_column():
    source = "a: 1\nb: 2\n\tnext: x\n"
    out = formats.text([Finding("p", 3, 8, "CP201", "m")], {"p": source}).split("\n")
    assert out[1] == "    3 | \tnext: x"
    assert out[2] == "      | \t      ^"
    assert out[1].rindex("x") == out[2].index("^")


def test_json_is_the_documented_stable_shape():
    body = json.loads(formats.json_report([ERR, WARN], files=2, suppressed=1))
    assert set(body) == {"findings", "summary"}
    assert body["findings"][0] == {
        "path": "playbooks/a.yaml",
        "line": 3,
        "column": 9,
        "code": "CP201",
        "name": "dangling-next",
        "level": "error",
        "message": "next: 'x' names no step",
    }
    assert body["summary"] == {
        "files": 2,
        "findings": 2,
        "errors": 1,
        "warnings": 1,
        "suppressed": 1,
        "by_code": {"CP201": 1, "CP401": 1},
    }


def test_github_annotations_escape_data_and_properties_as_the_toolkit_does():
    finding = Finding("dir,a:b/100%.yaml", 2, 5, "CP201", "50% done\r\nnext: x, y")
    assert formats.github([finding, WARN]) == (
        "::error file=dir%2Ca%3Ab/100%25.yaml,line=2,col=5,title=CP201::50%25 done%0D%0Anext: x, y\n"
        "::warning file=playbooks/b.yaml,line=1,col=1,title=CP401::no step escalates\n"
    )


def test_github_escaping_is_reversible_and_leaves_no_raw_separator():
    value = "a%b:c,d\ne\r"
    escaped = formats.escape_property(value)
    assert not set(escaped) & set(":,\n\r")
    restored = (
        escaped.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    )
    assert restored == value


def _sarif(findings, root: Path) -> dict:
    return json.loads(formats.sarif(findings, rule_table(), root, "1.2.3"))


def test_sarif_is_valid_against_the_official_schema(tmp_path):
    stdin = Finding("<stdin>", 1, 1, "CP001", "YAML syntax")
    outside = Finding("/elsewhere/x y.yaml", 2, 3, "CP306", "unused")
    log = _sarif([ERR, WARN, stdin, outside], tmp_path)
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_sarif_lists_every_rule_with_stable_ids_and_help_anchors(tmp_path):
    driver = _sarif([], tmp_path)["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == sorted(RULES)
    rule = driver["rules"][[r["id"] for r in driver["rules"]].index("CP201")]
    assert rule["name"] == "dangling-next"
    assert rule["shortDescription"]["text"] == RULES["CP201"].summary
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert urlparse(rule["helpUri"]).scheme == "https"
    assert rule["helpUri"].endswith("lint-rules.md#cp201-dangling-next")


def test_sarif_results_use_relative_paths_under_srcroot(tmp_path):
    inside = Finding(str(tmp_path / "playbooks" / "a b.yaml"), 3, 9, "CP201", "m")
    run = _sarif([inside, Finding("/elsewhere/x.yaml", 1, 1, "CP401", "m")], tmp_path)["runs"][0]
    first, second = (r["locations"][0]["physicalLocation"] for r in run["results"])
    assert first["artifactLocation"] == {"uri": "playbooks/a%20b.yaml", "uriBaseId": "%SRCROOT%"}
    assert first["region"] == {"startLine": 3, "startColumn": 9}
    assert second["artifactLocation"] == {"uri": "file:///elsewhere/x.yaml"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["results"][0]["ruleId"] == "CP201"
    assert run["results"][0]["level"] == "error" and run["results"][1]["level"] == "warning"
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_statistics_count_each_code_most_frequent_first():
    out = formats.statistics([WARN, ERR, WARN])
    assert out == "    2  CP401  no-escalation [warning]\n    1  CP201  dangling-next [error]\n"


def test_every_help_anchor_exists_in_the_rules_document():
    doc = (REPO / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#{2,4} (.+)$", doc, flags=re.M)
    }
    for rule in rule_table():
        assert rule["help_uri"].split("#")[1] in anchors, rule["id"]


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_is_documented_with_a_bad_and_a_fixed_example(code):
    doc = (REPO / "docs" / "lint-rules.md").read_text(encoding="utf-8")
    heading = f"### {code} {RULES[code].name}"
    assert heading in doc, f"docs/lint-rules.md has no '{heading}'"
    section = doc.split(heading, 1)[1].split("\n### ", 1)[0]
    assert "Bad" in section and "Fixed" in section and "```yaml" in section, code
