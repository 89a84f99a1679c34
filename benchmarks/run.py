"""Run every crisisplay benchmark and print each figure as a ratio against its baseline.

    python benchmarks/run.py            # all of them
    python benchmarks/run.py startup    # only the named ones

Each baseline is measured in the same run, on the same machine, so the ratios hold up on a
busy shared machine better than absolute times do. Goals come from the issues; a figure
over its goal is marked, but the command still exits 0: it reports, it does not gate.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import Result, print_results  # noqa: E402

SUITES = ("startup", "decisions", "replay", "lint", "export", "interactive", "notify", "store", "incidents")


def main(argv: list[str]) -> int:
    chosen = argv or list(SUITES)
    unknown = [name for name in chosen if name not in SUITES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    results: list[Result] = []
    began = time.perf_counter()
    for name in chosen:
        module = __import__(f"bench_{name}")
        print(f"… {name}", file=sys.stderr, flush=True)
        results.extend(module.run())
    print_results(results)
    print(f"\n{len(results)} figures in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
