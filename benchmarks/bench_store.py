"""The stores: a durable decision on PostgreSQL, and how soon another terminal sees an event.

- A decision on PostgreSQL (one transaction: the head locked FOR UPDATE, the lines inserted,
  the head moved, a NOTIFY) against a bare `INSERT` + `COMMIT` (one autocommit statement) of
  the same bytes into a table of one text column, on the same server, interleaved one for
  one in the same run. Goal: at most 1.5x.
- Event → visible through `wait()` (what `watch` blocks in) on each store: the time from the
  start of an append in one thread to `wait` returning in another. Goal: under 300 ms (the
  baseline column is that goal, so the ratio must stay under 1).

PostgreSQL comes from CRISISPLAY_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test),
in a schema of its own dropped afterwards; with no server there, its figures are skipped with
the reason printed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from common import REPO, Result

DECISIONS = 200
VISIBLE = 30
GOAL_VISIBLE = 0.3
DSN = os.environ.get("CRISISPLAY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def started(incident_id: str) -> dict:
    return {"type": "incident.started", "actor": "bench", "step": None, "data": {"incident_id": incident_id}}


def note(number: int) -> dict:
    return {"type": "note.added", "actor": "bench", "step": None, "data": {"text": f"decision {number}: " + "x" * 200}}


def visible_after_append(log, writer) -> float:
    """Median time from an append's start (in this thread) to `wait` returning in another."""
    delays = []
    for _ in range(VISIBLE):
        head = log.head()["seq"]
        seen: list[float] = []
        watcher = threading.Thread(target=lambda h=head, out=seen: out.append(log.wait(h, 10) and time.perf_counter()))
        watcher.start()
        time.sleep(0.05)  # the watcher is waiting
        began = time.perf_counter()
        writer.append([note(head)])
        watcher.join()
        delays.append(seen[0] - began)
    return statistics.median(delays)


def run() -> list[Result]:
    from crisisplay.store.files import FileStore

    results = []
    folder = REPO / "benchmarks" / "out" / "store"
    shutil.rmtree(folder, ignore_errors=True)
    files = FileStore(folder / "incidents")
    incident = "20260101-000000-bench-0001"
    files.create(incident, started(incident))
    value = visible_after_append(files.open(incident), files.open(incident))
    results.append(Result("event visible via wait(), files", value, "the 300 ms goal", GOAL_VISIBLE, 1.0))
    results += postgres()
    return results


def postgres() -> list[Result]:
    import psycopg

    from crisisplay.store.postgres import PostgresStore

    try:
        psycopg.connect(DSN, connect_timeout=3).close()
    except psycopg.Error as err:
        reason = str(err).strip().splitlines()[0]
        print(f"store: PostgreSQL figures skipped: no server at {DSN} ({reason})", file=sys.stderr)
        return []
    schema = "bench_" + secrets.token_hex(4)
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    parts = urllib.parse.urlsplit(DSN)
    query = urllib.parse.parse_qsl(parts.query) + [("options", f"-csearch_path={schema}")]
    dsn = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    try:
        store = PostgresStore(dsn)
        store.init()
        incident = "20260101-000000-bench-0002"
        log = store.create(incident, started(incident))
        for number in range(10):  # warm up
            log.append([note(number)])
        from crisisplay.store.chain import canonical_line

        text = canonical_line({k: v for k, v in log.head().items() if k != "hash"})[0]  # a note's bytes
        with psycopg.connect(dsn, autocommit=True) as bare:
            bare.execute("CREATE TABLE bare (line text NOT NULL)")
            # Interleaved, one of each in turn, so both see the same load on a shared machine.
            decisions, inserts = [], []
            for number in range(DECISIONS):
                began = time.perf_counter()
                log.append([note(number)])
                decisions.append(time.perf_counter() - began)
                began = time.perf_counter()
                bare.execute("INSERT INTO bare (line) VALUES (%s)", (text,))  # autocommit: INSERT, then COMMIT
                inserts.append(time.perf_counter() - began)
        decision, insert = statistics.median(decisions), statistics.median(inserts)
        results = [Result("durable decision, PostgreSQL", decision, "bare INSERT + COMMIT", insert, 1.5)]
        other = PostgresStore(dsn)
        value = visible_after_append(log, other.open(incident))
        results.append(Result("event visible via wait(), PostgreSQL", value, "the 300 ms goal", GOAL_VISIBLE, 1.0))
        log.close()
        store.close()
        other.close()
        return results
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    from common import print_results

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print_results(run())
