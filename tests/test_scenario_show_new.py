"""`crisisplay show SCENARIO` and `crisisplay new ID --drill`."""

from __future__ import annotations

import json

from conftest import write

SCENARIO = """\
crisisplay-drill: 1
id: pricing-error-weekend
playbook: pricing-error
title: Saturday night, the post goes viral
summary: The customer's post about the 0 EUR desk is spreading.
duration: 30m
injects:
  - id: press
    at: 10m
    text: A journalist asks for comment.
    within: 15m
  - after_step: holding-statement
    text: The post has 5,000 shares.
    effects: {severity: high, set: {platform: x}, unreachable: {manager: 20m}}
    answered_by: [public-update]
"""


def test_show_a_scenario_by_path_prints_each_inject(run_cli, cli_cwd):
    write(cli_cwd / "weekend.yaml", SCENARIO.replace("pricing-error-weekend", "weekend-x"))
    code, out, err = run_cli("show", "weekend.yaml")
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "weekend-x — Saturday night, the post goes viral",
        "  The customer's post about the 0 EUR desk is spreading.",
        "  drill of playbook pricing-error (Product published at the wrong price)",
        "  planned length: 30m",
    ]
    assert "  press  at 10m\n      A journalist asks for comment.\n      response: within 15m\n" in out
    assert "  i2  after holding-statement is answered\n" in out
    assert "effects: severity at least high; platform set to x; manager unreachable for 20m" in out
    assert "response: answered by public-update" in out
    assert "CP713 [warning]" in err and "CP715 [warning]" in err  # warnings printed, show goes on


def test_show_a_scenario_by_id_from_the_drills_folder(run_cli, cli_cwd):
    (cli_cwd / "drills").mkdir()
    write(cli_cwd / "drills" / "pricing-error-weekend.yaml", SCENARIO)
    code, out, err = run_cli("show", "pricing-error-weekend", "-f", "json")
    assert (code, err) == (0, "")
    snapshot = json.loads(out)
    assert snapshot["crisisplay-drill"] == 1 and [i["id"] for i in snapshot["injects"]] == ["press", "i2"]
    assert snapshot["injects"][1]["answered_by"] == ["public-update"]


def test_a_playbook_id_wins_over_a_scenario_of_the_same_id(run_cli, cli_cwd):
    (cli_cwd / "drills").mkdir()
    write(cli_cwd / "drills" / "pricing-error.yaml", SCENARIO.replace("pricing-error-weekend", "pricing-error"))
    code, out, _ = run_cli("show", "pricing-error")
    assert code == 0 and out.startswith("pricing-error — Product published at the wrong price")


def test_show_mermaid_of_a_scenario_is_refused(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO)
    code, out, err = run_cli("show", "pricing-error-weekend.yaml", "-f", "mermaid")
    assert (code, out) == (2, "") and "a drill scenario has no flowchart" in err and len(err.splitlines()) == 1


def test_show_a_scenario_with_errors_prints_them_and_exits_2(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO.replace("at: 10m", "at: -10m"))
    code, out, err = run_cli("show", "pricing-error-weekend.yaml")
    assert (code, out) == (2, "")
    assert "pricing-error-weekend.yaml:9:9: CP108 [error] '-10m' is not a scenario time" in err
    assert "the scenario has 1 error(s)" in err and "Traceback" not in err


def test_show_of_a_scenario_whose_playbook_is_missing_exits_2_at_the_playbook_line(run_cli, cli_cwd):
    write(cli_cwd / "pricing-error-weekend.yaml", SCENARIO.replace("playbook: pricing-error", "playbook: pricing"))
    code, _, err = run_cli("show", "pricing-error-weekend.yaml")
    assert code == 2 and "pricing-error-weekend.yaml:3:11: CP704 [error] no playbook 'pricing'" in err


def test_show_of_an_unknown_id_names_both_lookups(run_cli):
    code, _, err = run_cli("show", "pricing-eror")
    assert code == 2 and "no playbook or drill scenario 'pricing-eror'; did you mean 'pricing-error'?" in err


def test_new_drill_writes_a_skeleton_that_lints_clean_under_strict(run_cli, cli_cwd):
    code, out, err = run_cli("new", "pricing-error-weekend", "--drill")
    assert code == 0 and out.strip() == "drills/pricing-error-weekend.yaml"
    text = (cli_cwd / "drills" / "pricing-error-weekend.yaml").read_text("utf-8")
    assert "crisisplay-drill: 1" in text and "playbook: pricing-error " in text and "# " in text
    code, out, err = run_cli("lint", "--strict", "drills")
    assert (code, out) == (0, ""), err
    code, out, err = run_cli("show", "pricing-error-weekend")
    assert code == 0 and "after fix-price is answered" in out


def test_new_drill_for_a_playbook_path_writes_a_path_relative_to_the_scenario(run_cli, cli_cwd, minimal_playbook):
    write(cli_cwd / "minimal.yaml", minimal_playbook)
    code, _, err = run_cli("new", "minimal-quarterly", "--drill", "--from", "minimal.yaml", "-o", "rehearsals/q3")
    assert code == 0, err
    text = (cli_cwd / "rehearsals" / "q3" / "minimal-quarterly.yaml").read_text("utf-8")
    assert 'playbook: "../../minimal.yaml"' in text
    assert run_cli("lint", "--strict", "rehearsals")[0] == 0


def test_new_drill_needs_to_know_its_playbook(run_cli, cli_cwd):
    code, _, err = run_cli("new", "weekend", "--drill")
    assert code == 2 and "--from PLAYBOOK" in err
    code, _, err = run_cli("new", "weekend", "--drill", "--from", "pricing-error")
    assert code == 2 and "try 'pricing-error-weekend'" in err
    code, _, err = run_cli("new", "nope-weekend", "--drill", "--from", "nope")
    assert code == 2 and "no playbook 'nope'" in err
    assert not (cli_cwd / "drills").exists()


def test_new_drill_refuses_to_overwrite(run_cli, cli_cwd):
    assert run_cli("new", "pricing-error-weekend", "--drill")[0] == 0
    code, _, err = run_cli("new", "pricing-error-weekend", "--drill")
    assert code == 2 and "already exists" in err


def test_schema_drill_prints_the_shipped_scenario_schema(run_cli):
    from crisisplay.scenario.schema import SHIPPED

    code, out, _ = run_cli("schema", "--drill")
    assert code == 0 and out == SHIPPED.read_text(encoding="utf-8")


def test_scenarios_validate_against_the_scenario_schema_and_typos_do_not(run_cli, cli_cwd):
    import jsonschema
    import yaml

    from crisisplay.scenario.schema import SHIPPED

    validator = jsonschema.Draft7Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))
    jsonschema.Draft7Validator.check_schema(validator.schema)
    assert run_cli("new", "pricing-error-weekend", "--drill")[0] == 0
    written = (cli_cwd / "drills" / "pricing-error-weekend.yaml").read_text("utf-8")
    assert written.startswith("# yaml-language-server: $schema=drill-v1.json\n")
    assert (cli_cwd / "drills" / "drill-v1.json").read_bytes() == SHIPPED.read_bytes()
    for text in (written, SCENARIO, SCENARIO.replace("answered_by: [public-update]", "answered_by: public-update")):
        assert list(validator.iter_errors(yaml.safe_load(text))) == []
    for broken in (
        SCENARIO.replace("within:", "withn:"),
        SCENARIO.replace("  - id: press\n", "  - id: press\n    after_step: x\n"),
    ):
        assert list(validator.iter_errors(yaml.safe_load(broken)))
