"""The scorecard of a drill: a scripted drill with timed answers, run through the real engine and session,
scored from its log alone; golden files for its json member and its md section (tests/data/drills/)."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from drill_runs import ANSWERS, TIMES, run_timed_drill

GOLDEN = Path(__file__).resolve().parent / "data" / "drills"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CRISISPLAY_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"regenerate with CRISISPLAY_UPDATE_GOLDEN=1 if intended: {path}"


def _section(md: str, heading: str) -> str:
    start = md.index(f"## {heading}\n")
    end = md.find("\n## ", start + 1)
    return md[start : end + 1] if end >= 0 else md[start:]


@pytest.fixture
def drill(cli_home: Path) -> str:
    return run_timed_drill(cli_home, ANSWERS, TIMES)


def _export(run_cli, incident: str, fmt: str) -> str:
    code, out, err = run_cli("export", incident, "-f", fmt)
    assert code == 0, err
    return out


def test_scorecard_of_a_timed_drill_matches_the_golden_files(run_cli, drill):
    data = json.loads(_export(run_cli, drill, "json"))
    _golden("scorecard.json", json.dumps(data["scorecard"], indent=2, ensure_ascii=False) + "\n")
    assert data["comparison"] is None  # the first run of its scenario
    _golden("scorecard.md", _section(_export(run_cli, drill, "md"), "Scorecard"))


def test_an_answer_timed_after_its_target_misses_it_by_the_exact_amount(run_cli, drill):
    card = json.loads(_export(run_cli, drill, "json"))["scorecard"]
    points = {(p["category"], p["subject"]): p for p in card["points"]}
    escalated = points[("targets", "escalated")]  # answered at 7m, target 5m
    assert (escalated["result"], escalated["elapsed_ms"], escalated["margin_ms"]) == ("missed", 420_000, -120_000)
    assert escalated["earned"] == 0
    journalist = points[("injects", "journalist")]  # fired at 4m, answered_by the escalation at 7m, within 2m
    assert (journalist["result"], journalist["elapsed_ms"], journalist["margin_ms"]) == ("late", 180_000, -60_000)
    shares = points[("injects", "shares")]  # after call-customer (9m): the next answer is at 13m, within 5m
    assert (shares["result"], shares["elapsed_ms"], shares["margin_ms"]) == ("answered", 240_000, 60_000)
    assert points[("injects", "legal-away")]["elapsed_ms"] == 60_000  # no `within`: answered is enough
    assert points[("checklists", "fix")]["earned"] == 0.5
    assert points[("skips", "legal-check")]["detail"] == "Counsel not available tonight"
    assert points[("approvals", "holding-statement")]["result"] == "approved"
    # Every point traces to events of the log, by seq.
    events = json.loads(_export(run_cli, drill, "json"))["events"]
    by_seq = {e["seq"]: e for e in events}
    assert by_seq[escalated["events"][0]]["type"] == "milestone.reached"
    assert [by_seq[s]["type"] for s in journalist["events"]] == ["drill.inject", "step.answered"]
    assert by_seq[journalist["events"][1]]["step"] == "notify-manager"


def test_the_md_report_links_each_point_to_its_row_in_the_appendix(run_cli, drill):
    md = _export(run_cli, drill, "md")
    links = set(re.findall(r"\]\(#event-(\d+)\)", _section(md, "Scorecard")))
    anchors = set(re.findall(r'<a id="event-(\d+)"></a>', _section(md, "Appendix: event log")))
    assert links and links <= anchors
    html = _export(run_cli, drill, "html")
    assert set(re.findall(r'href="#event-(\d+)"', html)) <= set(re.findall(r'<tr id="event-(\d+)"', html))


def test_the_post_mortem_chart_spans_the_scenario_not_the_seconds_it_took(run_cli, drill):
    md = _export(run_cli, drill, "md")
    assert "| Duration | 30m |" in md
    timeline = _section(md, "Timeline")
    since = re.findall(r"^\| [\d:]+ \| (\+[\dhms]+) \|", timeline, flags=re.M)
    assert since[0] == "+0s" and since[-1] == "+30m" and len(set(since)) > 5
    gantt = md[md.index("```mermaid") :]
    phases = re.findall(r":p\d+, (\S+ \S+), (\S+ \S+)$", gantt, flags=re.M)
    first, last = datetime.fromisoformat(phases[0][0]), datetime.fromisoformat(phases[-1][1])
    assert last - first == timedelta(minutes=30)  # the phases' bars span the scenario's 30 minutes
    data = json.loads(_export(run_cli, drill, "json"))
    assert data["metrics"]["duration_ms"] == 30 * 60_000
    assert [t["elapsed_ms"] for t in data["metrics"]["targets"]] == [420_000, 780_000, 1_800_000]
    # The events stay exactly as logged: wall times in `ts`, scenario times in `scenario_ms`.
    assert data["events"][-1]["ts"] != data["metrics"]["end"]
    assert data["events"][-1]["data"]["scenario_ms"] == 30 * 60_000


def test_a_drills_csv_adds_its_scenario_time_and_a_real_incidents_does_not(run_cli, drill, cli_cwd):
    lines = _export(run_cli, drill, "csv").splitlines()
    assert lines[0] == "seq,ts,scenario_ts,elapsed,type,phase,step,actor,summary,data,hash,verification"
    last = lines[-1].split(",")
    assert last[2] == "2026-03-07T21:30:01.000Z" and last[3] == str(30 * 60_000)
    (cli_cwd / "a.yaml").write_text(
        "steps:\n  assess: contained\n  fix: all\n  notify-manager: notified\n"
        "  call-customer: yes\n  legal-check: yes\n"
        "  holding-statement: {skip: none}\n  what-happened: x\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("start", str(GOLDEN / "rehearsal.yaml"), "--answers", "a.yaml", "--responder", "Ana")
    assert code == 0, err
    real = out.strip()
    assert _export(run_cli, real, "csv").splitlines()[0].startswith("seq,ts,elapsed,")
    data = json.loads(_export(run_cli, real, "json"))
    assert "scorecard" not in data and "comparison" not in data
    assert "## Scorecard" not in _export(run_cli, real, "md")


def test_weights_from_the_configuration_change_the_score(run_cli, drill, cli_home):
    before = json.loads(_export(run_cli, drill, "json"))["scorecard"]
    (cli_home / "config.toml").write_text(
        "[drill.weights]\ntargets = 10\ninjects = 0\nmessages = 1\n", encoding="utf-8"
    )
    after = json.loads(_export(run_cli, drill, "json"))["scorecard"]
    assert before["total_percent"] != after["total_percent"]
    weights = {c["name"]: c["weight"] for c in after["categories"]}
    assert (weights["targets"], weights["injects"], weights["messages"], weights["deadlines"]) == (10, 0, 1, 2)
    # The total is the weighted average of the categories' shares.
    shares = [(c["weight"], c["earned"] / c["count"]) for c in after["categories"] if c["count"]]
    expected = round(100 * sum(w * s for w, s in shares) / sum(w for w, _ in shares), 1)
    assert after["total_percent"] == expected


def test_every_weight_zero_says_so_instead_of_nothing_to_score(run_cli, drill, cli_home):
    weights = "".join(
        f"{name} = 0\n"
        for name in ("targets", "deadlines", "injects", "escalations", "approvals", "checklists", "messages", "skips")
    )
    (cli_home / "config.toml").write_text("[drill.weights]\n" + weights, encoding="utf-8")
    card = json.loads(_export(run_cli, drill, "json"))["scorecard"]
    assert card["total_percent"] is None and any(c["count"] for c in card["categories"])
    assert "Score: none (every category with points has weight 0 in " in _export(run_cli, drill, "md")


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ('[drill.weights]\ntargets = "high"\n', "config.toml:2:1: [drill.weights] 'targets'"),
        ("[drill.weights]\ninjects = -1\n", "config.toml:2:1: [drill.weights] 'injects'"),
        ("[drill.weights]\ntimeliness = 2\n", "config.toml:2:1: unknown key 'timeliness' in [drill.weights]"),
        # Huge weights would overflow the weighted sum into inf or nan (NaN% and invalid json).
        ("[drill.weights]\ntargets = 1e308\ninjects = 1e308\n", "config.toml:2:1: [drill.weights] 'targets'"),
        ("[drill.weights]\ninjects = 1000.5\n", "config.toml:2:1: [drill.weights] 'injects'"),
        ("[drill.weights]\ntargets = 5e-324\n", "config.toml:2:1: [drill.weights] 'targets'"),
        ("[drill.weights]\nskips = 1" + "0" * 400 + "\n", "config.toml:2:1: [drill.weights] 'skips'"),
        ("[drill.weights]\nskips = nan\n", "config.toml:2:1: [drill.weights] 'skips'"),
    ],
)
def test_a_bad_weight_is_exit_2_naming_the_file_and_key(run_cli, cli_home, table, where):
    (cli_home / "config.toml").write_text(table, encoding="utf-8")
    code, _out, err = run_cli("drills")
    assert code == 2
    assert where in err
    assert "Traceback" not in err


def test_the_largest_weights_give_a_score_in_valid_json(run_cli, drill, cli_home):
    weights = "".join(f"{name} = 1000\n" for name in ("targets", "deadlines", "injects", "escalations", "checklists"))
    (cli_home / "config.toml").write_text("[drill.weights]\n" + weights, encoding="utf-8")

    def refuse(constant: str) -> None:
        raise AssertionError(f"not json: {constant}")

    code, out, err = run_cli("drills", "-f", "json")
    assert code == 0, err
    score = json.loads(out, parse_constant=refuse)["drills"][0]["runs"][0]["score_percent"]
    assert 0 < score < 100
    card = json.loads(_export(run_cli, drill, "json"), parse_constant=refuse)["scorecard"]
    assert card["total_percent"] == score
    assert f"**Score: {score:g}%" in _export(run_cli, drill, "md")


def test_a_drill_run_ends_with_its_scorecard(run_cli, cli_cwd):
    (cli_cwd / "a.yaml").write_text(
        "steps:\n  assess: viral\n  fix: all\n  notify-manager: notified\n  call-customer: yes\n"
        "  legal-check: {skip: ''}\n  holding-statement: {answer: send, approved_by: [manager]}\n"
        "  what-happened: x\n",
        encoding="utf-8",
    )
    code, _out, err = run_cli(
        "start", str(GOLDEN / "rehearsal.yaml"), "--drill", "--answers", "a.yaml", "--responder", "Ana"
    )
    assert code == 0, err
    assert "Drill scorecard: 90.9%" in err
    assert "Skipped steps, legal-check: skipped without a reason" in err


def test_the_scorecard_speaks_the_reports_language(run_cli, drill):
    code, md, err = run_cli("--lang", "es", "export", drill, "-f", "md")
    assert code == 0, err
    section = _section(md, "Tarjeta de puntuación")
    assert "**Puntuación: 82,1 % (la media ponderada de las categorías de abajo).**" in section
    assert "| Objetivos de respuesta | 3 | 2 de 3 | 66,7 % |" in section
    assert "**respondida en 3m, 1m por encima de su objetivo de 2m**" in section


PERSONAL_POINTS = """\
crisisplay: 1
id: personal-points
title: Points that read personal values
locale: en
roles:
  manager: Your line manager
phases:
  - id: only
    title: Only
    steps:
      - id: holding
        type: message
        channel: x
        template: We are looking into it.
        approval:
          by: [manager]
      - id: reply
        type: confirm
        prompt: Replied to the customer?
      - id: check
        type: confirm
        prompt: Checked the order?
      - id: done
        type: confirm
        prompt: Done?
"""
PERSONAL_POINTS_DRILL = """\
crisisplay-drill: 1
id: personal-points-drill
playbook: personal-points.yaml
title: A short drill
duration: 10m
injects:
  - id: i1
    at: 1m
    text: A journalist asks.
"""


def _scores(run_cli) -> dict[str, tuple[float, dict]]:
    code, out, err = run_cli("drills", "-f", "json")
    assert code == 0, err
    return {run["id"]: (run["score_percent"], run["categories"]) for run in json.loads(out)["drills"][0]["runs"]}


def _points(run_cli, incident: str) -> list[tuple[str, str, str, float]]:
    card = json.loads(_export(run_cli, incident, "json"))["scorecard"]
    return [(p["category"], p["subject"], p["result"], p["earned"]) for p in card["points"]]


def _personal_points_drill(run_cli) -> str:
    """A drill whose points read personal values: a skip's reason, and an approval the approver
    gave to their own wording (`approve --edit`); plus a skip without a reason."""
    code, out, err = run_cli("drill", "personal-points-drill.yaml", "--answers", "a.yaml", "--responder", "Ana")
    assert code == 3, err  # waiting for the approval
    incident = out.strip()
    assert run_cli("assign", incident, "manager", "Marta Gil")[0] == 0
    code, _out, err = run_cli("approve", incident, "--as", "Marta Gil", "--edit", "-", input="We are on it.\n")
    assert code == 0, err
    code, _out, err = run_cli("resume", incident, "--answers", "a.yaml")
    assert code == 0, err
    return incident


def test_a_purge_or_a_lost_key_leaves_every_score_as_it_was(run_cli, cli_home, cli_cwd):
    # A reason given and an approver's edit are personal (sealed) and read as erased once the key
    # is gone; no reason is logged in clear as such. Not one point may move.
    (cli_cwd / "personal-points.yaml").write_text(PERSONAL_POINTS, encoding="utf-8")
    (cli_cwd / "personal-points-drill.yaml").write_text(PERSONAL_POINTS_DRILL, encoding="utf-8")
    (cli_cwd / "a.yaml").write_text(
        "steps:\n  holding: send\n  reply: {skip: 'customer asked us not to'}\n  check: {skip: ''}\n  done: yes\n",
        encoding="utf-8",
    )
    purged, key_lost = _personal_points_drill(run_cli), _personal_points_drill(run_cli)
    ids = (purged, key_lost)
    before = _scores(run_cli)
    points = {incident: _points(run_cli, incident) for incident in ids}
    assert before[purged][0] == 91.7  # injects (weight 3) and approvals (2) in full, skips 1 of 2 (1)
    assert ("approvals", "holding", "approved", 1) in points[purged]
    assert ("skips", "reply", "with-reason", 1) in points[purged]
    assert ("skips", "check", "without-reason", 0) in points[purged]

    code, _out, err = run_cli("purge", purged, "--reason", "erasure request", "--yes")
    assert code == 0, err
    (cli_home / "keys" / f"{key_lost}.key").unlink()

    assert {incident: _points(run_cli, incident) for incident in ids} == points
    assert _scores(run_cli) == before
    code, md, err = run_cli("export", purged, "-f", "md")
    assert code == 0, err
    assert "| skipped: \\[erased\\] |" in md
    skip = next(
        p for p in json.loads(_export(run_cli, purged, "json"))["scorecard"]["points"] if p["subject"] == "reply"
    )
    assert skip["detail"] is None  # erased: null in data, never the word


COUNSEL = """\
crisisplay: 1
id: counsel
title: Counsel, twice
locale: en
roles:
  legal: Legal counsel
phases:
  - id: only
    title: Only
    steps:
      - id: call-legal
        type: escalate
        to: [legal]
        template: Please call me.
      - id: call-legal-again
        type: escalate
        to: [legal]
        template: Please call me, it is still urgent.
"""
COUNSEL_DRILL = """\
crisisplay-drill: 1
id: counsel-drill
playbook: counsel.yaml
title: Counsel on a plane
duration: 10m
injects:
  - id: on-a-plane
    at: 1m
    text: Counsel is on a plane for 5 minutes.
    effects: {unreachable: {legal: 5m}}
    answered_by: call-legal
"""


@pytest.mark.parametrize(
    ("again", "result", "earned"),
    [
        ("{skip: 'Counsel is still in the air'}", "out-of-reach", 1),  # tried while held: all the team could do
        ("{answer: notified, at: 8m}", "reached", 1),  # tried again once landed, and reached
        ("{answer: unreachable, at: 8m}", "not-reached", 0),  # landed, and the team could not reach them
    ],
)
def test_an_escalation_an_inject_holds_out_of_reach_counts_as_tried(run_cli, cli_cwd, again, result, earned):
    (cli_cwd / "counsel.yaml").write_text(COUNSEL, encoding="utf-8")
    (cli_cwd / "counsel-drill.yaml").write_text(COUNSEL_DRILL, encoding="utf-8")
    (cli_cwd / "a.yaml").write_text(
        f"steps:\n  call-legal: {{answer: notified, at: 2m}}\n  call-legal-again: {again}\n", encoding="utf-8"
    )
    code, out, err = run_cli("drill", "counsel-drill.yaml", "--answers", "a.yaml", "--responder", "Ana")
    assert code == 0, err
    card = json.loads(_export(run_cli, out.strip(), "json"))["scorecard"]
    [point] = [p for p in card["points"] if p["category"] == "escalations"]
    assert (point["subject"], point["result"], point["earned"]) == ("legal", result, earned)
    if result == "out-of-reach":
        md = _export(run_cli, out.strip(), "md")
        assert "| Escalations | legal | tried while the drill kept them out of reach (Legal counsel) |" in md
