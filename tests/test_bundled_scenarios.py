"""The bundled drill scenarios (crisisplay/drills/): one per bundled playbook, each checked against
its playbook and run to the end as a scripted drill with the playbook's main example answers, every
inject firing exactly once; each Spanish scenario is the translation of its English one."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from incident_logs import REPO, assert_log_contract, of_type, run_crisisplay

from crisisplay.playbook.loader import load_playbook
from crisisplay.scenario.loader import bundled_scenarios_dir, check_against_playbook, check_scenario_text
from crisisplay.scenario.model import Scenario

DRILLS = sorted(bundled_scenarios_dir().glob("*.yaml"))
PLAYBOOKS = sorted(p.stem for p in (REPO / "playbooks").glob("*.yaml"))

# Each English playbook and its Spanish translation.
TRANSLATED = {
    "pricing-error": "error-precio",
    "offensive-post": "publicacion-ofensiva",
    "service-complaint": "queja-servicio",
    "review-bombing": "resenas-falsas",
    "account-hacked": "cuenta-hackeada",
    "impersonation": "suplantacion",
    "outage-delays": "caida-retrasos",
    "data-breach": "brecha-datos",
    "staff-conduct": "conducta-personal",
    "product-recall": "retirada-producto",
}
# The playbooks whose main example answers leave something undone (a checklist item, a role they
# say did not answer): their drills score below 100%, as docs/library/drills.md says.
ANSWERS_LEAVE_UNDONE = {"offensive-post", "publicacion-ofensiva", "resenas-falsas", "suplantacion"}


def scenario_of(path: Path) -> Scenario:
    checked = check_scenario_text(path.read_bytes(), str(path))
    assert checked.scenario is not None, [f.message for f in checked.findings]
    return checked.scenario


def playbook_for(scenario: Scenario):
    return load_playbook(REPO / "playbooks" / f"{scenario.playbook}.yaml")[0]


def test_the_drills_folder_is_the_bundled_scenarios_folder():
    assert bundled_scenarios_dir() == REPO / "crisisplay" / "drills"


def test_one_scenario_for_each_bundled_playbook():
    by_playbook = Counter(scenario_of(path).playbook for path in DRILLS)
    assert sorted(by_playbook) == PLAYBOOKS
    assert set(by_playbook.values()) == {1}
    assert sorted([*TRANSLATED, *TRANSLATED.values()]) == PLAYBOOKS


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_bundled_scenario_checks_clean_against_its_playbook(path):
    checked = check_scenario_text(path.read_bytes(), str(path))
    assert checked.errors == [] and checked.scenario is not None
    scenario = checked.scenario
    assert Scenario.model_validate(checked.doc.data) == scenario
    pb = playbook_for(scenario)
    findings = [*checked.findings, *check_against_playbook(checked, pb)]
    assert [f"{f.level} {f.code} {f.message}" for f in findings] == []  # no error, nor any warning
    assert scenario.id == path.stem and scenario.id.startswith(pb.id + "-")
    assert scenario.title.strip() and (scenario.summary or "").strip()
    assert scenario.duration == "30m"
    assert 4 <= len(scenario.injects) <= 6
    assert len(scenario.inject_index) == len(scenario.injects)  # ids unique
    triggers = {"at" if i.at is not None else "after_step" for i in scenario.injects}
    assert triggers == {"at", "after_step"}, "a drill mixes timed injects and injects after a step"
    duration_ms = scenario.duration_ms
    assert duration_ms is not None
    for inject in scenario.injects:
        at = inject.at_ms
        assert at is None or 0 <= at <= duration_ms, inject.id
        for step in [inject.after_step, *inject.answered_by]:
            assert step is None or step in pb.step_index, (inject.id, step)
        assert inject.answered_by, f"{inject.id}: which step answers it"
        effects = inject.effects
        if effects.severity is not None:
            assert effects.severity in pb.severity.levels, inject.id
        for role in effects.unreachable:
            assert role in pb.roles, (inject.id, role)
        for name, value in effects.set.items():
            assert name in pb.inputs, (inject.id, name)
            spec = pb.inputs[name]
            if spec.type == "choice":
                assert value in [o.value for o in spec.options], (inject.id, name, value)


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_no_inject_is_answered_only_by_calling_whom_it_holds_out_of_reach(path):
    # An inject that makes a role unreachable asks how the team goes on without it (calls someone
    # else, records the gap and decides what it can). Answered in time by an escalation to none but
    # that role, its answer could only ever record the role as unreachable: nothing to learn.
    from crisisplay.playbook.model import parse_duration

    scenario = scenario_of(path)
    pb = playbook_for(scenario)
    for inject in scenario.injects:
        held = set(inject.effects.unreachable)
        if not held:
            continue
        within = inject.within_ms
        longest = max(parse_duration(str(span)) for span in inject.effects.unreachable.values())
        if within is not None and within >= longest:
            continue  # the team can wait until they are back and still answer in time
        for step_id in inject.answered_by:
            step = pb.step(step_id)
            if step.type == "escalate":
                assert set(step.to) - held, (
                    f"{inject.id}: answered by {step_id}, which escalates only to {sorted(held)}, "
                    f"unreachable for longer than its within: {inject.within}"
                )


@pytest.mark.parametrize("english", sorted(TRANSLATED))
def test_each_spanish_scenario_translates_its_english_one(english):
    scenarios = {scenario_of(path).playbook: scenario_of(path) for path in DRILLS}
    en, es = scenarios[english], scenarios[TRANSLATED[english]]
    assert en.locale in (None, "en") and es.locale == "es"
    assert playbook_for(es).locale == "es"
    assert en.duration == es.duration
    assert len(en.injects) == len(es.injects)
    es_playbook = playbook_for(es)
    for one, other in zip(en.injects, es.injects, strict=True):
        # The same drill: the translated playbook keeps the step, role, level and input names, so
        # everything but the text the facilitator reads out is the same.
        assert (one.id, one.at, one.after_step, one.answered_by, one.within) == (
            other.id,
            other.at,
            other.after_step,
            other.answered_by,
            other.within,
        )
        assert (one.effects.severity, one.effects.unreachable) == (other.effects.severity, other.effects.unreachable)
        assert list(one.effects.set) == list(other.effects.set)
        for name, value in one.effects.set.items():
            if es_playbook.inputs[name].type != "text":  # a text value is translated too
                assert other.effects.set[name] == value, (one.id, name)
        assert one.text != other.text


def run_drill(path: Path, home: Path) -> tuple[list[dict], dict]:
    """`crisisplay drill ID --answers` with the playbook's main example answers: the log's events,
    replayed to its end, and the drill's json export (its scorecard)."""
    import json

    from crisisplay.export import export_incident
    from crisisplay.incidents import load_state
    from crisisplay.journal import Journal

    checked = check_scenario_text(path.read_bytes(), str(path))
    assert checked.scenario is not None
    scenario = checked.scenario
    pb = playbook_for(scenario)
    assert [f for f in check_against_playbook(checked, pb) if f.level == "error"] == []
    answers = REPO / "examples" / f"{pb.id}.answers.yaml"
    done = run_crisisplay(home, "drill", scenario.id, "--answers", answers, "--responder", "Drill Lead")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    incident_id = done.stdout.strip()
    log = home / "incidents" / f"{incident_id}.jsonl"
    state = load_state(Journal(log))
    assert state.closed and state.outcome == "completed"
    out = home / "drill.json"
    export_incident(Journal(log), "json", out, io.BytesIO())
    return assert_log_contract(log), json.loads(out.read_text("utf-8"))


@pytest.mark.parametrize("path", DRILLS, ids=lambda p: p.stem)
def test_bundled_scenario_runs_to_the_end_with_the_main_example_answers(path, tmp_path):
    events, export = run_drill(path, tmp_path)
    scenario = scenario_of(path)
    first = events[0]["data"]
    assert first["drill"] is True and first["scenario"] == scenario.normalised()
    assert first["scenario_source"]["id"] == scenario.id
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    injects = of_type(events, "drill.inject")
    assert Counter(e["data"]["inject"] for e in injects) == Counter(list(scenario.inject_index))
    assert all(e["data"]["source"] == "scenario" for e in injects)
    # Each inject lands in the scenario's 30 minutes, after its step when it follows one, and is answered
    # by a step answered after it: the main example answers are a team that responds to every inject.
    fired = {e["data"]["inject"]: e for e in injects}
    answered = [(e["seq"], e["step"]) for e in of_type(events, "step.answered")]
    for inject in scenario.injects:
        event = fired[str(inject.id)]
        if inject.at_ms is not None:
            assert event["data"]["scenario_ms"] >= inject.at_ms, inject.id
        assert event["data"]["scenario_ms"] <= (scenario.duration_ms or 0), inject.id
        if inject.after_step is not None:
            assert any(seq < event["seq"] and step == inject.after_step for seq, step in answered), inject.id
        assert any(seq > event["seq"] and step in inject.answered_by for seq, step in answered), inject.id
    # ... within the time each one gives, so the example run scores every inject
    points = [p for p in export["scorecard"]["points"] if p["category"] == "injects"]
    assert sorted(p["subject"] for p in points) == sorted(scenario.inject_index)
    assert [(p["subject"], p["result"]) for p in points if p["result"] != "answered"] == []
    # ... and nothing the scenario does costs a point (docs/library/drills.md): a role an inject holds
    # out of reach counts as tried. What the run loses is only what the answers file itself left
    # undone: a checklist's items not done, or a role it says did not answer.
    by_seq = {e["seq"]: e for e in events}
    lost = [p for p in export["scorecard"]["points"] if p["earned"] < 1]
    for point in lost:
        if point["category"] == "escalations":
            tries = [by_seq[seq] for seq in point["events"]]
            assert any("inject" not in e["data"] for e in tries), point  # the file said unreachable
        else:
            assert point["category"] == "checklists", point
    undone = scenario.playbook in ANSWERS_LEAVE_UNDONE
    assert bool(lost) == undone, "docs/library/drills.md names the playbooks whose main answers lose points"
    if not undone:
        assert export["scorecard"]["total_percent"] == 100


def test_the_library_docs_list_every_bundled_scenario():
    doc = (REPO / "docs" / "library" / "drills.md").read_text("utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| `")]
    assert len(rows) == len(DRILLS)
    for path in DRILLS:
        scenario = scenario_of(path)
        [row] = [r for r in rows if r.startswith(f"| `{scenario.id}` |")]
        assert f"| `{scenario.playbook}` | {scenario.title} |" in row
        assert row.endswith(f"| {scenario.duration} |")
    assert "](drills.md)" in (REPO / "docs" / "library" / "README.md").read_text("utf-8")
    links = re.findall(r"\]\(([^)#:]+\.md)\)", doc)
    assert [link for link in links if not (REPO / "docs" / "library" / link).is_file()] == []
