"""`incidents` over a home of 1,000 incidents (about 70 events each), against `json.loads` of
every line of every log in the same run.

Three figures: a cold listing (no summary cache: every log read, each distinct playbook
snapshot validated once), a warm one (every summary from `<home>/incidents/.cache`, checked
against its log's size, times and last line), and the table a person sees (warm). Goal: at
most 1.5x the baseline. Each figure is the median of per-pair ratios, the command and the
baseline run in turns, in process (start-up is the start-up benchmark's business).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import REPO, Result, crisisplay_argv

COUNT = 1000
TEMPLATES = 12  # bundled example runs cloned into COUNT incidents (ids changed, chains rebuilt)
PAIRS = 7


def _templates(home: Path) -> list[Path]:
    """Real incidents: the bundled playbooks run from their example answers files."""
    examples = sorted((REPO / "examples").glob("*.answers.yaml"))[:TEMPLATES]
    env = {**os.environ, "CRISISPLAY_HOME": str(home)}
    for answers in examples:
        playbook = answers.name.split(".")[0]
        argv = crisisplay_argv("start", playbook, "--answers", str(answers), "--drill")
        subprocess.run(argv, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return sorted((home / "incidents").glob("*.jsonl"))


def build_home(root: Path, count: int = COUNT) -> tuple[Path, int]:
    """A home of `count` incidents; every fourth stops before it closed (interrupted). Returns (home, events)."""
    from crisisplay.store.chain import canonical_line

    templates = _templates(root / "templates")
    home = root / "home"
    folder = home / "incidents"
    folder.mkdir(parents=True, mode=0o700)
    events = 0
    for n in range(count):
        source = [json.loads(line) for line in templates[n % len(templates)].read_text("utf-8").splitlines()]
        if n % 4 == 3:
            source = [e for e in source if e["type"] != "incident.closed"]
        first = source[0]["data"]
        incident_id = f"2026{1 + n % 12:02d}{1 + n % 28:02d}-{n % 24:02d}0000-{first['playbook']['id']}-{n:04x}"
        first["incident_id"] = incident_id
        prev, lines = "0" * 64, []
        for event in source:
            event = {k: v for k, v in event.items() if k != "hash"}
            event["prev"] = prev
            line, prev = canonical_line(event)
            lines.append(line + "\n")
        (folder / f"{incident_id}.jsonl").write_text("".join(lines), "utf-8")
        events += len(lines)
    return home, events


def loads_every_line(home: Path) -> None:
    """The baseline: read every log and `json.loads` every line."""
    for path in sorted((home / "incidents").glob("*.jsonl")):
        with open(path, "rb") as f:
            for line in f:
                json.loads(line)


def paired(ours: Callable[[], object], base: Callable[[], object], before: Callable[[], object] = lambda: None):
    """(median time of ours, median of the baseline, median and spread of the per-pair ratios)."""
    mine, theirs, ratios = [], [], []
    for _ in range(PAIRS):
        before()
        t0 = time.perf_counter()
        ours()
        t1 = time.perf_counter()
        base()
        t2 = time.perf_counter()
        mine.append(t1 - t0)
        theirs.append(t2 - t1)
        ratios.append(mine[-1] / theirs[-1])
    return statistics.median(mine), statistics.median(theirs), statistics.median(ratios), (min(ratios), max(ratios))


def run() -> list[Result]:
    import contextlib
    import io

    from crisisplay.cli.incidents import _incidents_table
    from crisisplay.incidents import listing

    with tempfile.TemporaryDirectory() as tmp:
        home, events = build_home(Path(tmp))
        cache = home / "incidents" / ".cache"
        loads = lambda: loads_every_line(home)  # noqa: E731
        loads()
        rows = listing(home)

        def table() -> None:
            with contextlib.redirect_stdout(io.StringIO()):
                _incidents_table(listing(home))

        figures = (
            ("cold (no summary cache)", lambda: listing(home), lambda: shutil.rmtree(cache, ignore_errors=True)),
            ("warm (summaries cached)", lambda: listing(home), lambda: None),
            ("warm, the table drawn", table, lambda: None),
        )
        results = []
        name = f"json.loads of {events:,} lines"
        for label, ours, before in figures:
            mine, theirs, ratio, (low, high) = paired(ours, loads, before)
            results.append(Result(f"incidents: {len(rows):,} incidents, {label}", mine, name, theirs, 1.5))
            print(f"incidents {label}: pair ratios median {ratio:.2f}x, spread {low:.2f}–{high:.2f}x")
    return results
