"""Run every crisisplay benchmark and print each figure as a ratio against its baseline.

    python benchmarks/run.py                     # all of them
    python benchmarks/run.py startup decisions   # only the named ones
    python benchmarks/run.py --large export      # with the 1M-event figures (export, replay, incidents)

Each figure that has a baseline is measured in pairs (crisisplay, then the baseline, the
order alternating; CRISISPLAY_BENCH_PAIRS pairs, 7 by default): the ratio printed is the
median of the per-pair ratios, with their spread, so a machine getting busier weighs on both
sides alike. Peak memory (max RSS of each child process) is printed beside the time. Goals
come from the issues (issue 16's table for most); a figure over its goal is marked, but the
command still exits 0: it reports, it does not gate.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import common  # noqa: E402
from common import Result, print_results  # noqa: E402

SUITES = ("startup", "decisions", "replay", "lint", "export", "incidents", "interactive", "notify", "store", "privacy")


def main(argv: list[str]) -> int:
    common.LARGE = "--large" in argv
    chosen = [name for name in argv if name != "--large"] or list(SUITES)
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    results: list[Result] = []
    began = time.perf_counter()
    common.compile_package()
    try:
        for name in chosen:
            module = __import__(f"bench_{name}")
            print(f"… {name}", file=sys.stderr, flush=True)
            results.extend(module.run())
    finally:
        shutil.rmtree(HERE / "out" / "logs", ignore_errors=True)
    print_results(results)
    print(f"\n{len(results)} figures in {time.perf_counter() - began:.0f} s ({common.PAIRS} pairs each)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
