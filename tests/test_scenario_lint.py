"""`crisisplay lint` on drill scenarios: told from playbooks by their `crisisplay-drill` key, checked
against their playbook, reported in every format with the contract's exit codes; and no hostile
input crashes the scenario loader."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import write

from crisisplay.findings import RULES
from crisisplay.scenario.loader import check_scenario, check_scenario_doc, check_scenario_text
from crisisplay.yamlsource import load as load_yaml

CORPUS = Path(__file__).resolve().parent / "data" / "yaml-test-suite"
CASES = sorted(CORPUS.glob("*.yaml"))

SCENARIO = """\
crisisplay-drill: 1
id: pricing-error-weekend
playbook: pricing-error
title: Saturday night
duration: 30m
injects:
  - at: 10m
    text: A journalist asks for comment.
  - after_step: holding-statement
    text: The post has 5,000 shares.
    effects: {severity: high}
"""


def test_a_clean_scenario_lints_clean(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO)
    code, out, err = run_cli("lint", "pricing-error-weekend.yaml")
    assert (code, out) == (0, "") and "ok: 1 file linted" in err


def test_lint_without_a_path_in_a_folder_of_scenarios_only_lints_its_drills(run_cli, cli_cwd):
    assert not (cli_cwd / "playbooks").exists()
    (cli_cwd / "drills").mkdir()
    write(cli_cwd / "drills" / "pricing-error-weekend.yaml", SCENARIO)
    code, out, err = run_cli("lint")
    assert (code, out) == (0, "") and "ok: 1 file linted" in err


def test_a_scenario_error_exits_1_in_text_json_and_sarif(run_cli, cli_cwd):
    text = SCENARIO.replace("after_step: holding-statement", "after_step: holding")
    write(cli_cwd / "pricing-error-weekend.yaml", text)
    code, out, _ = run_cli("lint", "pricing-error-weekend.yaml")
    assert code == 1
    assert out.startswith("pricing-error-weekend.yaml:9:17: CP703 [error] no step 'holding' in playbook pricing-error")
    code, out, _ = run_cli("lint", "-f", "json", "pricing-error-weekend.yaml")
    body = json.loads(out)
    assert code == 1 and [(f["code"], f["name"], f["line"], f["column"]) for f in body["findings"]] == [
        ("CP703", "unknown-scenario-step", 9, 17)
    ]
    code, out, _ = run_cli("lint", "-f", "sarif", "pricing-error-weekend.yaml")
    sarif = json.loads(out)["runs"][0]
    assert code == 1 and sarif["results"][0]["ruleId"] == "CP703"
    described = {r["id"]: r["shortDescription"]["text"] for r in sarif["tool"]["driver"]["rules"]}
    assert described["CP705"] == RULES["CP705"].summary


def test_warnings_exit_0_and_1_with_strict(run_cli, cli_cwd):
    write(cli_cwd / "weekend.yaml", SCENARIO.replace("id: pricing-error-weekend", "id: weekend"))
    code, out, _ = run_cli("lint", "weekend.yaml")
    assert code == 0 and "CP715 [warning]" in out
    code, _, _ = run_cli("lint", "--strict", "weekend.yaml")
    assert code == 1


def test_a_yaml_syntax_error_in_a_scenario_is_a_finding(run_cli, cli_cwd):
    write(cli_cwd / "broken.yaml", SCENARIO + "  - at: [10m\n")
    code, out, _ = run_cli("lint", "broken.yaml")
    assert code == 1 and "CP001 [error]" in out and "Traceback" not in out


def test_a_folder_with_a_playbook_and_a_scenario(run_cli, cli_cwd, minimal_playbook):
    (cli_cwd / "playbooks").mkdir()
    (cli_cwd / "drills").mkdir()
    write(cli_cwd / "playbooks" / "minimal.yaml", minimal_playbook)
    write(
        cli_cwd / "drills" / "minimal-drill.yaml",
        "crisisplay-drill: 1\nid: minimal-drill\nplaybook: minimal\ntitle: T\n"
        "injects:\n  - after_step: assess-reach\n    text: It spreads.\n    effects: {severity: critical}\n",
    )
    code, out, err = run_cli("lint", "-f", "json", ".")
    body = json.loads(out)
    assert code == 1 and body["summary"]["files"] == 2
    assert [(f["path"], f["code"], f["line"], f["column"]) for f in body["findings"]] == [
        ("drills/minimal-drill.yaml", "CP707", 8, 25)  # minimal's levels stop at high
    ]
    code, out, err = run_cli("lint")  # no PATH: ./playbooks and ./drills
    assert code == 1 and "drills/minimal-drill.yaml:8:25: CP707" in out and "2 files" in err


def test_standard_input_is_linted_as_a_scenario(run_cli):
    code, out, _ = run_cli("lint", "-", input=SCENARIO.replace("severity: high", "severity: urgent"))
    assert code == 1 and out.startswith("<stdin>:11:25: CP707")


def test_list_rules_shows_the_scenario_rules(run_cli):
    code, out, _ = run_cli("lint", "--list-rules")
    listed = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and {f"CP7{n:02}" for n in range(1, 17)} <= set(listed)


def test_noqa_hides_a_scenario_warning_not_an_error(run_cli, cli_cwd):
    text = SCENARIO.replace("id: pricing-error-weekend", "id: weekend  # crisisplay: noqa CP715")
    text = text.replace("after_step: holding-statement", "after_step: holding  # crisisplay: noqa CP703")
    write(cli_cwd / "weekend.yaml", text)
    code, out, _ = run_cli("lint", "weekend.yaml")
    assert code == 1 and "CP715" not in out and "CP703 [error]" in out


def test_a_scenario_is_checked_against_its_playbook_as_it_is_now(run_cli, cli_cwd, minimal_playbook):
    """Scenarios are never served from the lint cache: an edit to the playbook shows at once."""
    (cli_cwd / "playbooks").mkdir()
    (cli_cwd / "drills").mkdir()
    write(cli_cwd / "playbooks" / "minimal.yaml", minimal_playbook)
    write(
        cli_cwd / "drills" / "minimal-drill.yaml",
        "crisisplay-drill: 1\nid: minimal-drill\nplaybook: minimal\ntitle: T\n"
        "injects:\n  - after_step: fix-price\n    text: It spreads.\n",
    )
    assert run_cli("show", "minimal-drill")[0] == 0
    assert run_cli("lint", "drills")[0] == 0
    write(cli_cwd / "playbooks" / "minimal.yaml", minimal_playbook.replace("fix-price", "fix-the-price"))
    code, _, err = run_cli("show", "minimal-drill")
    assert code == 2 and "CP703" in err
    assert run_cli("lint", "drills")[0] == 1


def test_start_of_a_scenario_file_says_what_it_is(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO)
    code, _, err = run_cli("start", "pricing-error-weekend.yaml", "--drill")
    assert code == 2 and "drill scenario, not a playbook" in err and "Traceback" not in err


@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_hostile_yaml_never_crashes_the_scenario_loader(case: Path, tmp_path):
    raw = case.read_bytes()
    lines = raw.decode("utf-8-sig", "replace").split("\n")
    outcomes = [check_scenario_text(raw, str(case), stem=case.stem)]
    doc = load_yaml(raw, str(case))
    if isinstance(doc.data, dict):
        # The same mapping, as a scenario: with the key in its text, and in its data.
        outcomes.append(check_scenario_text(b"crisisplay-drill: 1\n" + raw, str(case), stem=case.stem))
        keyed = replace(doc, data={"crisisplay-drill": 1, **doc.data}, findings=[])
        outcomes.append(check_scenario(check_scenario_doc(keyed, stem=case.stem), tmp_path, cwd=tmp_path))
    for checked in outcomes:
        assert checked.scenario is not None or checked.errors, "no scenario and no error to say why"
        for finding in checked.findings:
            assert finding.code in RULES and finding.message, str(finding)
            assert finding.line >= 1 and finding.column >= 1, str(finding)
    for finding in outcomes[0].findings:
        assert finding.line <= len(lines) + 1, str(finding)


REPO = Path(__file__).resolve().parents[1]


def test_bundled_scenarios_lint_clean_under_strict(monkeypatch, tmp_path):
    """What the bundled scenarios must pass: no finding at all, warnings included (ids that start
    with their playbook's and match their file names, the playbook's locale, no personal data)."""
    from crisisplay.lint.runner import lint_paths

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("CRISISPLAY_HOME", str(tmp_path))
    for path in sorted((REPO / "crisisplay" / "drills").glob("*.y*ml")):
        report = lint_paths([str(path)])
        assert report.findings == [] and not report.unreadable, [str(f) for f in report.findings]


def test_scenario_findings_are_worded_in_spanish(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO.replace("at: 10m", "at: 45m"))
    code, out, _ = run_cli("--lang", "es", "lint", "pricing-error-weekend.yaml")
    assert code == 1 and "CP705 [error] inyección después del final: toca a los 45m" in out
