"""Lint: 400 copies of a 75-line playbook in one `crisisplay lint` process, against `yamllint`
on the same folder in the same run.

yamllint checks style only and we check far more, but it is the tool people already run on
YAML in pre-commit, so it sets the bar. Goal: at most 0.5x yamllint's time (issue 16 asks
0.1x). When yamllint is not installed the figure is skipped, with a note saying so.

Memory (issue 16): lint keeps nothing per file once it is reported, so its peak stays flat
whatever the count; measured on 400 copies of the bundled playbooks (20 folders of the 20,
translations beside their originals), peak resident memory above an idle interpreter's.
Goal: at most 64 MiB.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import PYTHON, REPO, Result, crisisplay_argv, median_time, peak_rss_of

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


def bundled_copies(root: Path, folders: int = 20) -> Path:
    """`folders` copies of the bundled playbooks, each folder holding all of them."""
    top = root / "bundled"
    for n in range(folders):
        shutil.copytree(REPO / "playbooks", top / f"copy-{n:02d}")
    return top


def _time(argv: list[str], env: dict, cwd: Path) -> float:
    """Median wall time of a command; its exit code is ignored (yamllint exits 1 on style findings)."""
    full_env = {**os.environ, **env}

    def once() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, cwd=cwd)

    once()  # warm the page cache and the .pyc files
    return median_time(once, repeat=5)


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = make_folder(root)
        lines = PLAYBOOK.count("\n")
        env = {"CRISISPLAY_HOME": str(root / "home")}
        ours = _time(crisisplay_argv("lint", "--strict", str(folder)), env, root)
        yamllint = shutil.which("yamllint", path=str(Path(PYTHON).parent)) or shutil.which("yamllint")
        results = []
        if yamllint is None:
            print(
                f"lint: yamllint not installed; skipped the comparison (crisisplay lint: {ours:.2f} s "
                f"for {COPIES} x {lines} lines)",
                file=sys.stderr,
            )
        else:
            theirs = _time([yamllint, str(folder)], env, root)
            name = f"lint: {COPIES} x {lines}-line playbooks, one process"
            results.append(Result(name, ours, "yamllint, same folder", theirs, 0.5))
        bundled = bundled_copies(root)
        count = sum(1 for _ in bundled.rglob("*.yaml"))
        code = f"from crisisplay.lint.runner import lint_paths; lint_paths([{str(bundled)!r}])"
        peak = peak_rss_of(code, env)
        results.append(
            Result(f"lint: peak memory, {count} bundled playbooks", peak, "64 MiB", 64 * 2**20, 1.0, unit="B")
        )
    return results
