"""`crisisplay drills` and the comparison in a drill's export: two runs of the same scenario, the second faster."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from drill_runs import ANSWERS, TIMES, run_timed_drill

FASTER = {**TIMES, "notify-manager": 4 * 60_000}  # the escalation within its 5m target, the journalist within 2m


@pytest.fixture
def two_runs(cli_home: Path) -> tuple[str, str]:
    first = run_timed_drill(cli_home, ANSWERS, TIMES, started=datetime(2026, 3, 7, 21, 0, tzinfo=UTC))
    second = run_timed_drill(cli_home, ANSWERS, FASTER, started=datetime(2026, 6, 6, 21, 0, tzinfo=UTC))
    return first, second


def test_drills_lists_both_runs_of_a_scenario_with_the_trend(run_cli, two_runs):
    first, second = two_runs
    code, out, err = run_cli("drills", "-f", "json")
    assert code == 0, err
    (group,) = json.loads(out)["drills"]
    assert (group["group"], group["grouped_by"], group["title"]) == (
        "rehearsal-saturday",
        "scenario",
        "Saturday night, the post goes viral",
    )
    runs = group["runs"]
    assert [r["id"] for r in runs] == [first, second]
    assert runs[0]["previous"] is None and runs[0]["trend"] is None
    assert runs[1]["previous"] == first and runs[1]["trend"] == "better"
    assert runs[1]["delta"] == round(runs[1]["score_percent"] - runs[0]["score_percent"], 1) > 0
    code, out, err = run_cli("drills")
    assert code == 0, err
    assert "rehearsal-saturday: Saturday night, the post goes viral" in out
    assert first in out and second in out and "first run" in out and f"better (+{runs[1]['delta']:g})" in out


def test_the_second_runs_export_compares_it_with_the_first(run_cli, two_runs):
    first, second = two_runs
    code, out, err = run_cli("export", second, "-f", "json")
    assert code == 0, err
    comparison = json.loads(out)["comparison"]
    assert comparison["previous"] == first and comparison["trend"] == "better"
    targets = {t["name"]: t for t in comparison["targets"]}
    assert targets["escalated"] == {
        "name": "escalated",
        "elapsed_ms": 240_000,
        "previous_elapsed_ms": 420_000,
        "delta_ms": -180_000,
        "trend": "faster",
    }
    assert targets["resolved"]["trend"] == "same"
    categories = {c["name"]: c for c in comparison["categories"]}
    assert (categories["targets"]["previous_percent"], categories["targets"]["percent"]) == (66.7, 100.0)
    code, md, err = run_cli("export", second, "-f", "md")
    assert code == 0, err
    section = md[md.index("## Compared with the previous run") : md.index("## Response times")]
    assert first in section and "faster by 3m" in section
    code, html, err = run_cli("export", second, "-f", "html")
    assert code == 0, err
    assert '<section id="comparison">' in html and first in html


def test_the_first_run_of_a_scenario_has_no_comparison(run_cli, two_runs):
    first, _second = two_runs
    code, out, err = run_cli("export", first, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["comparison"] is None
    code, md, err = run_cli("export", first, "-f", "md")
    assert code == 0, err
    assert "## Scorecard" in md and "Compared with the previous run" not in md


def test_drills_without_a_scenario_are_grouped_by_playbook(run_cli, cli_cwd):
    (cli_cwd / "a.yaml").write_text(
        "steps:\n  assess: contained\n  fix: all\n  notify-manager: notified\n  call-customer: yes\n"
        "  legal-check: yes\n  holding-statement: {answer: send, approved_by: [manager]}\n  what-happened: x\n",
        encoding="utf-8",
    )
    playbook = Path(__file__).resolve().parent / "data" / "drills" / "rehearsal.yaml"
    code, out, err = run_cli("start", str(playbook), "--drill", "--answers", "a.yaml", "--responder", "Ana")
    assert code == 0, err
    code, listed, err = run_cli("drills", "-f", "json")
    (group,) = json.loads(listed)["drills"]
    assert (group["group"], group["grouped_by"]) == ("rehearsal", "playbook")
    assert [r["id"] for r in group["runs"]] == [out.strip()]
    code, table, err = run_cli("drills")
    assert "rehearsal (drills of the playbook without a scenario)" in table


def test_no_drills_yet(run_cli):
    code, out, err = run_cli("drills")
    assert code == 0 and out == "" and "No drills yet" in err
