"""Lint: 400 copies of a 75-line playbook in one `crisisplay lint` process, against `yamllint`
on the same folder in the same run.

yamllint checks style only and we check far more, but it is the tool people already run on
YAML in pre-commit, so it sets the bar. The two run in pairs, the order alternating. Goals
(issue 16): at most 0.1x yamllint's time, and a peak memory (above `crisisplay --version`'s)
of at most 64 MiB whatever the number of files. When yamllint is not installed the time
figure is skipped, with a note saying so.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from common import MIB, PYTHON, Result, crisisplay_argv, paired, spawn

MEMORY_LIMIT_MIB = 64

COPIES = 400

PLAYBOOK = """\
# yaml-language-server: $schema=../crisisplay/schema/playbook-v1.json
crisisplay: 1
id: {id}
title: Customer complaint goes public
summary: A customer complains in public about a late delivery; answer with care and learn from it.
tags: [e-commerce, delivery]
severity:
  levels: [low, medium, high, critical]
  initial: low
targets:
  escalated: 30m
  acknowledged: 1h
  resolved: 2d
roles:
  manager: Your line manager
  pr: Social-media or PR expert
inputs:
  customer:
    prompt: The customer's public handle
    type: text
  channel:
    prompt: Where is the complaint?
    type: choice
    options: [X, Facebook, Instagram]
phases:
  - id: detection
    title: Size it up
    steps:
      - id: assess-reach
        type: choice
        prompt: How far has it spread?
        options:
          - label: A few replies
            value: contained
          - label: Shared widely, or the press is asking
            value: viral
            severity: high
        save_as: reach
      - id: check-order
        type: checklist
        prompt: Check the order before you reply
        items:
          - Find the order and its tracking
          - Note what went wrong, in plain words
  - id: escalation
    title: Do not handle it alone
    steps:
      - id: tell-manager
        type: escalate
        to: [manager]
        prompt: Call your manager now, then send this.
        template: "{{{{ customer }}}} is complaining on {{{{ channel }}}}; reach {{{{ reach }}}}, severity {{{{ severity }}}}."
        milestone: escalated
      - id: tell-pr
        type: escalate
        to: [pr]
        when: severity >= 'high'
        prompt: It is spreading. Bring in PR before anyone replies.
  - id: respond
    title: Acknowledge
    steps:
      - id: holding-statement
        type: message
        prompt: Reply under the customer's post. Do not argue.
        channel: "{{{{ channel }}}} (public reply)"
        template: "{{{{ customer }}}} We're sorry about your order. We're looking into it now and will message you privately."
        milestone: acknowledged
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: what-happened
        type: text
        prompt: What happened, and how did it end?
        section: summary
        milestone: resolved
"""


def make_folder(root: Path) -> Path:
    """400 playbooks, each named after its id so that none is flagged for a name mismatch."""
    folder = root / "playbooks"
    folder.mkdir()
    for i in range(COPIES):
        (folder / f"complaint-{i:03d}.yaml").write_text(PLAYBOOK.format(id=f"complaint-{i:03d}"))
    return folder


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = make_folder(root)
        lines = PLAYBOOK.count("\n")
        env = {"CRISISPLAY_HOME": str(root / "home")}
        ours = crisisplay_argv("lint", "--strict", str(folder))
        idle = max(spawn(crisisplay_argv("--version"), env, root).peak for _ in range(3))
        yamllint = shutil.which("yamllint", path=str(Path(PYTHON).parent)) or shutil.which("yamllint")
        if yamllint is None:
            alone = spawn(ours, env, root, check=False)
            print(
                f"lint: yamllint not installed (pip install yamllint); skipped the comparison (crisisplay lint: "
                f"{alone.wall:.2f} s for {COPIES} x {lines} lines)",
                file=sys.stderr,
            )
            pairs = None
            peak = alone.peak
        else:
            # lint exits 1 on findings and yamllint on style: only a crash would matter here.
            pairs = paired(
                lambda: spawn(ours, env, root, check=False),
                lambda: spawn([yamllint, str(folder)], env, root, check=False),
            )
            peak = pairs.peak
    results = []
    if pairs is not None:
        results.append(
            pairs.result(f"lint: {COPIES} x {lines}-line playbooks, one process", "yamllint, same folder", 0.1)
        )
    results.append(
        Result(
            f"lint: {COPIES} playbooks, peak memory above `crisisplay --version`",
            peak - idle,
            f"the {MEMORY_LIMIT_MIB} MiB goal",
            0,
            0.0,
            unit="B",
            limit=MEMORY_LIMIT_MIB * MIB,
        )
    )
    return results


if __name__ == "__main__":
    from common import print_results

    print_results(run())
