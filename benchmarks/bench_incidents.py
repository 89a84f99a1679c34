"""`crisisplay incidents` over a home of 1,000 incidents (about 66,000 events; 1,000 events
each, 1M in all, with `--large`), against `json.loads` of every line of every log.

The command runs in a fresh Python (crisisplay imported before the clock starts, output
discarded), paired with the baseline in a fresh Python of its own. Two figures per size:
the first listing (no summary cache: `<home>/cache` removed before each run) and a second
one (whatever the first left behind reused). Goal (issue 16): at most 1.5x.

The logs are dated an hour back once built: the summary cache never trusts a log changed in
the last 2 seconds (a write within the file system's timestamp tick could leave its key as it
was), so logs written just before the listing would be read in full every time, and "listed
again" would measure the first listing twice.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import common
from bench_replay import build_log, label
from common import REPO, Result, paired, print_results, python_run

INCIDENTS = 1000
EVENTS_EACH = 66
LARGE_EVENTS_EACH = 1000

_HOMES: dict[int, Path] = {}


def home_of(each: int) -> Path:
    """A home of INCIDENTS incidents of `each` events, built once per run of the benchmarks."""
    if each not in _HOMES:
        home = REPO / "benchmarks" / "out" / "logs" / f"incidents-{each}"
        shutil.rmtree(home, ignore_errors=True)
        folder = home / "incidents"
        folder.mkdir(parents=True)
        began = time.perf_counter()
        for number in range(INCIDENTS):
            incident_id = (
                f"20261125-{number // 60 // 60:02d}{number // 60 % 60:02d}{number % 60:02d}-bench-replay-{number:04x}"
            )
            build_log(folder / f"{incident_id}.jsonl", each, incident_id)
        age(folder)
        print(
            f"  built {INCIDENTS:,} incidents of {each} events in {time.perf_counter() - began:.0f} s", file=sys.stderr
        )
        _HOMES[each] = home
    return _HOMES[each]


def age(folder: Path, seconds: int = 3600) -> None:
    """Date every log in `folder` back by `seconds`, as if written a while ago: settled logs the
    summary cache may trust (it skips any changed in the last 2 s)."""
    when = time.time() - seconds
    for path in folder.glob("*.jsonl"):
        os.utime(path, (when, when))


def loads_every_log(folder: str) -> None:
    """The baseline: `json.loads` of every line of every log in the folder."""
    import json
    import os

    for name in sorted(os.listdir(folder)):
        if name.endswith(".jsonl"):
            with open(os.path.join(folder, name), "rb") as f:
                for line in f:
                    json.loads(line)


SETUP = "import contextlib\nfrom crisisplay.cli import main"
WORK = "with contextlib.suppress(SystemExit):\n    main(['incidents'])"


def run() -> list[Result]:
    results: list[Result] = []
    for each in [EVENTS_EACH, LARGE_EVENTS_EACH] if common.LARGE else [EVENTS_EACH]:
        home = home_of(each)
        env = {"CRISISPLAY_HOME": str(home)}
        total = INCIDENTS * each
        name = f"json.loads of {total:,} lines in {INCIDENTS:,} files"

        def baseline(folder: str = str(home / "incidents")) -> common.Run:
            return python_run("from bench_incidents import loads_every_log", f"loads_every_log({folder!r})")

        def first(home: Path = home, env: dict = env) -> common.Run:
            # cold: neither the lint cache nor the incidents' summary cache beside the logs
            shutil.rmtree(home / "cache", ignore_errors=True)
            shutil.rmtree(home / "incidents" / ".cache", ignore_errors=True)
            return python_run(SETUP, WORK, env)

        cold = paired(first, baseline)
        python_run(SETUP, WORK, env)  # the cache the second listings reuse, whatever the last cold run left
        warm = paired(lambda env=env: python_run(SETUP, WORK, env), baseline)
        results += [
            cold.result(f"incidents: {INCIDENTS:,} incidents, {label(total)} events, first listing", name, 1.5),
            warm.result(f"incidents: {INCIDENTS:,} incidents, {label(total)} events, listed again", name, 1.5),
        ]
    return results


if __name__ == "__main__":
    common.LARGE = "--large" in sys.argv
    print_results(run())
