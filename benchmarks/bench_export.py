"""Export a 100,000-event incident (and 1M with `--large`) in every format, against `json.loads`
of every line of the same file.

Each export runs in a fresh Python (imports done before the clock starts), paired with the
baseline in a fresh Python of its own, the order alternating. Goals (issue 16): every format
at most 2x the baseline; md and html at most 64 MiB of peak memory above the same process
idle after its imports, at any size. The log is `bench_replay.shared_log`'s: the engine's
own events, built once per run.
"""

from __future__ import annotations

import sys

import common
from bench_replay import baseline_run, label, shared_log, sizes
from common import REPO, Result, paired, print_results, python_run

FORMATS = ("csv", "md", "html", "json")
MEMORY_LIMIT_MIB = 64


def run() -> list[Result]:
    out = REPO / "benchmarks" / "out" / "export"
    out.mkdir(parents=True, exist_ok=True)
    setup = "import io\nfrom crisisplay.journal import Journal\nfrom crisisplay.export import export_incident"
    idle = python_run(setup, "pass").peak
    results: list[Result] = []
    for events in sizes():
        path, size = shared_log(events)
        name = f"json.loads of {events:,} lines"
        for fmt in FORMATS:
            target = out / f"report.{fmt}"
            work = f"export_incident(Journal({str(path)!r}), {fmt!r}, {str(target)!r}, io.BytesIO(), force=False)"
            pairs = paired(lambda w=work: python_run(setup, w), lambda p=path: baseline_run(p))
            results.append(pairs.result(f"export {fmt}: {label(events)}-event incident", name, 2.0))
            memory = Result(
                f"export {fmt}: peak memory above idle, {label(events)}",
                pairs.peak - idle,
                "",
                0,
                0.0,
                unit="B",
                limit=MEMORY_LIMIT_MIB * common.MIB if fmt in ("md", "html") else None,
            )
            if memory.limit is None:  # json and csv: the older goal, at most 3x the file's size
                memory.baseline, memory.baseline_name, memory.goal = size, "log file size", 3.0
            else:
                memory.baseline_name = f"the {MEMORY_LIMIT_MIB} MiB goal (log file {size / common.MIB:.0f} MiB)"
            results.append(memory)
            target.unlink(missing_ok=True)
    return results


if __name__ == "__main__":
    common.LARGE = "--large" in sys.argv
    print_results(run())
