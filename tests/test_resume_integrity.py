"""`resume` never continues a log that was changed outside crisisplay."""

from __future__ import annotations

import json

from incident_logs import TWO_QUESTIONS as MINI
from incident_logs import rechain


def test_resume_refuses_an_edited_log_and_names_the_line(run_cli, cli_cwd, cli_home):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("inputs:\n  product: Kettle\nsteps:\n  first: one\n")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 3, err
    incident = out.strip()
    log = cli_home / "incidents" / f"{incident}.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    assert json.loads(lines[2])["actor"]  # the third line: an event with an actor to edit
    lines[2] = lines[2].replace('"actor":"', '"actor":"X', 1)
    log.write_text("".join(lines), "utf-8")
    before = log.read_bytes()

    (cli_cwd / "b.yaml").write_text("steps:\n  first: one\n  second: yes\n")
    code, out, err = run_cli("resume", incident, "--answers", "b.yaml")

    assert code == 2
    assert ":3:" in err and "verify" in err
    assert "Traceback" not in err
    assert log.read_bytes() == before  # nothing appended to a broken chain


BOMB = """\
crisisplay: 1
id: bomb
title: A template that asks too much
phases:
  - id: only
    title: Only
    steps:
      - id: first
        type: text
        prompt: First?
      - id: post
        type: message
        channel: X
        template: "{{ 'a' * 10**9 }}"
"""


def test_a_template_the_sandbox_refuses_mid_run_pauses_the_incident_and_sends_nothing(run_cli, cli_cwd, cli_home):
    (cli_cwd / "bomb.yaml").write_text(BOMB)
    (cli_cwd / "a.yaml").write_text("steps:\n  first: one\n  post: send\n")
    code, out, err = run_cli("start", "bomb.yaml", "--answers", "a.yaml")
    assert code == 2
    assert "sandbox" in err and "playbook-error" in err and "Traceback" not in err
    events = [json.loads(line) for line in (cli_home / "incidents" / f"{out.strip()}.jsonl").read_text().splitlines()]
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "playbook-error"
    assert not any(e["type"] == "message.sent" for e in events)
    assert [e["step"] for e in events if e["type"] == "step.answered"] == ["first"]


def test_a_rechained_log_whose_snapshot_does_not_hold_together_is_refused_cleanly(run_cli, cli_cwd, cli_home):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("inputs:\n  product: Kettle\nsteps:\n  first: one\n")
    _code, out, _ = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    incident = out.strip()
    log = cli_home / "incidents" / f"{incident}.jsonl"
    events = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    events[0]["data"]["snapshot"]["phases"][0]["steps"][0]["next"] = "nowhere"
    log.write_text(rechain(events), "utf-8")
    assert run_cli("verify", incident)[0] == 0  # the forged chain itself holds

    (cli_cwd / "b.yaml").write_text("steps:\n  first: one\n  second: yes\n")
    for command in (("resume", incident, "--answers", "b.yaml"), ("export", incident), ("incidents",)):
        _code, _, err = run_cli(*command)
        assert "Traceback" not in err, command
        assert "nowhere" in err, command
    assert run_cli("resume", incident, "--answers", "b.yaml")[0] == 2
