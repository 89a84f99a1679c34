"""`resume` never continues a log that was changed outside crisisplay."""

from __future__ import annotations

import json

MINI = """\
crisisplay: 1
id: mini
title: Two questions
phases:
  - id: only
    title: Only
    steps:
      - id: first
        type: text
        prompt: First?
      - id: second
        type: text
        prompt: Second?
"""


def test_resume_refuses_an_edited_log_and_names_the_line(run_cli, cli_cwd, cli_home):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("steps:\n  first: one\n")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 3, err
    incident = out.strip()
    log = cli_home / "incidents" / f"{incident}.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    assert json.loads(lines[2])["actor"]  # the third line: an event with an actor to edit
    lines[2] = lines[2].replace('"actor":"', '"actor":"X', 1)
    log.write_text("".join(lines), "utf-8")
    before = log.read_bytes()

    (cli_cwd / "b.yaml").write_text("steps:\n  first: one\n  second: two\n")
    code, out, err = run_cli("resume", incident, "--answers", "b.yaml")

    assert code == 2
    assert ":3:" in err and "verify" in err
    assert "Traceback" not in err
    assert log.read_bytes() == before  # nothing appended to a broken chain
