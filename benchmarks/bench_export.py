"""Export a 100,000-event incident (md and json) and verify it, against `json.loads` of every line of the same file.

Goals: each at most 3x the baseline, measured in the same run; peak memory of each export at
most 3x the file's size. The log is `bench_replay.build_log`'s: the engine's own events.
"""

from __future__ import annotations

import io
import shutil

from bench_replay import fresh_log, loads_every_line
from common import Result, median_time, peak_rss_of


def run() -> list[Result]:
    from crisisplay.export import export_incident
    from crisisplay.journal import Journal

    path, size = fresh_log("export")
    out = path.parent
    journal = Journal(path)

    def baseline():
        loads_every_line(path)

    def export(fmt: str):
        export_incident(journal, fmt, out / f"report.{fmt}", io.BytesIO())

    base = median_time(baseline, 3)
    md_time = median_time(lambda: export("md"), 3)
    json_time = median_time(lambda: export("json"), 3)
    assert journal.verify().ok
    verify_time = median_time(lambda: journal.verify(), 3)
    setup = (
        f"import io; from pathlib import Path; from crisisplay.journal import Journal; "
        f"from crisisplay.export import export_incident; j = Journal({str(path)!r})"
    )
    md_mem = peak_rss_of(setup + f"\nexport_incident(j, 'md', Path({str(out / 'mem.md')!r}), io.BytesIO())")
    json_mem = peak_rss_of(setup + f"\nexport_incident(j, 'json', Path({str(out / 'mem.json')!r}), io.BytesIO())")
    with open(path, "rb") as handle:
        count = sum(1 for _ in handle)
    shutil.rmtree(out, ignore_errors=True)
    name = f"json.loads of {count:,} lines"
    size_name = f"log file size ({count:,} events)"
    return [
        Result("export md: 100k-event incident", md_time, name, base, 3.0),
        Result("export json: 100k-event incident", json_time, name, base, 3.0),
        Result("verify (export suite): 100k events", verify_time, name, base, 3.0),
        Result("export md: peak memory", md_mem, size_name, size, 3.0, unit="B"),
        Result("export json: peak memory", json_mem, size_name, size, 3.0, unit="B"),
    ]
