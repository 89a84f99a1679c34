"""What a PR lead's sign-off review of the playbook library (English and Spanish) found, one
regression test per finding: the playbooks as shipped, their example answers files run through
the real CLI, each test asserting the property the review asked for."""

# ruff: noqa: F811  (the tests take `run`, the fixture imported from test_playbook_review, as a parameter)
from __future__ import annotations

import pytest
from incident_logs import REPO, of_type
from test_playbook_review import playbook, run  # noqa: F401 (run: a fixture shared with the first review)

from crisisplay import engine
from crisisplay.events import apply, replay
from crisisplay.playbook.loader import check_text
from crisisplay.playbook.model import ChoiceStep

BUNDLED = sorted(p.stem for p in (REPO / "playbooks").glob("*.yaml"))
T0 = "2026-11-30T08:00:00.000Z"


# --- A1: a monitoring check that says "still growing" never lowers the severity ---------------------


def _loops(pb) -> set[str]:
    """The choice steps a run can come back to (a monitoring loop), by id."""
    order = [step.id for phase in pb.phases for step in phase.steps]
    successors: dict[str, set[str]] = {}
    for index, step_id in enumerate(order):
        step = pb.step(step_id)
        targets = {o.next for o in getattr(step, "options", None) or [] if o.next} | (
            {step.next} if step.next else set()
        )
        if not step.next or any(not o.next for o in getattr(step, "options", None) or []):
            targets |= {order[index + 1]} if index + 1 < len(order) else set()
        successors[step_id] = targets - {"end"}
    looping = set()
    for start in order:
        seen, todo = set(), list(successors[start])
        while todo:
            here = todo.pop()
            if here == start:
                looping.add(start)
                break
            if here not in seen:
                seen.add(here)
                todo.extend(successors.get(here, ()))
    return {s for s in looping if isinstance(pb.step(s), ChoiceStep)}


@pytest.mark.parametrize("pid", BUNDLED)
def test_no_option_of_a_step_visited_again_sets_a_severity_below_the_top(pid):
    pb = playbook(pid)
    top = list(pb.severity.levels)[-1]
    for step_id in _loops(pb):
        for option in pb.step(step_id).options:
            assert option.severity in (None, top), (step_id, option.value, "use raise_severity:")


@pytest.mark.parametrize("name", ["service-complaint.critical.answers.yaml", "review-bombing.critical.answers.yaml"])
def test_still_growing_at_critical_leaves_the_incident_critical(run, name):
    events = run(name)
    changes = [e["data"] for e in of_type(events, "severity.changed")]
    assert changes and changes[0]["to"] == "critical"
    assert all(change["to"] == "critical" for change in changes)  # nothing brought it down


RAISING = """\
crisisplay: 1
id: raising
title: Raising
phases:
  - id: only
    title: Only
    steps:
      - id: check
        type: choice
        prompt: Compared to the last check?
        options:
          - label: Worse
            value: worse
            raise_severity: high
          - label: Much worse
            value: much
            severity: critical
"""


@pytest.mark.parametrize(("before", "after"), [("low", "high"), ("medium", "high"), ("high", None), ("critical", None)])
def test_raise_severity_raises_a_lower_level_and_never_lowers(before, after):
    from datetime import UTC, datetime

    pb = check_text(RAISING, "raising.yaml").playbook
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    source = {"id": pb.id, "title": pb.title, "source": "test", "sha256": "0" * 64}
    started = engine.start(
        "20261130-080000-raising-0000",
        pb,
        source,
        drill=False,
        responder="Ana",
        organisation=None,
        detected_at=now,
        now=now,
        version="test",
    )
    state = replay(started)
    if before != state.severity:
        apply(state, engine.change_severity(state, before, "test", now, "Ana")[0])
    for event in engine.advance(state, now, "Ana")[0]:
        apply(state, event)
    changed = [
        e["data"]["to"] for e in engine.decide(state, "check", "worse", now, "Ana") if e["type"] == "severity.changed"
    ]
    assert changed == ([after] if after else [])


def test_an_option_with_both_severity_keys_is_refused():
    checked = check_text(
        RAISING.replace("raise_severity: high", "raise_severity: high\n            severity: low"), "raising.yaml"
    )
    assert [f.code for f in checked.findings if f.level == "error"] == ["CP109"]
    unknown = check_text(RAISING.replace("raise_severity: high", "raise_severity: hihg"), "raising.yaml")
    assert [f.code for f in unknown.findings if f.level == "error"] == ["CP205"]


def test_show_says_an_option_only_raises_the_severity(run_cli):
    code, out, err = run_cli("show", "pricing-error")
    assert code == 0, err
    assert "Still growing, with new people and bigger accounts joining (growing) · severity at least high" in out
