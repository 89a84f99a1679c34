"""The store contract (store/base.py), run against both stores: the file store and PostgreSQL.

PostgreSQL is a real server (tests/pg_helpers.py): a fresh schema per test, never a mock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pg_helpers import drop_schema, fresh_schema

from crisisplay.errors import IncidentBusy, IncidentNotFound, JournalError
from crisisplay.store.base import HeadMoved, open_location

REPO = Path(__file__).resolve().parents[1]
INCIDENT = "20261125-225156-pricing-error-ab12"
OTHER = "20261125-230000-pricing-error-cd34"


def started(incident_id: str = INCIDENT) -> dict:
    return {
        "type": "incident.started",
        "actor": "Ana",
        "step": None,
        "data": {"incident_id": incident_id, "drill": True, "responder": "Ana"},
        "ts": "2026-11-25T22:51:56.123Z",
    }


def note(text: str, actor: str = "Ana") -> dict:
    return {"type": "note.added", "actor": actor, "step": None, "data": {"text": text}}


@pytest.fixture(params=["files", "postgresql"])
def location(request, tmp_path):
    """Where a store lives: a folder, or a fresh PostgreSQL schema (dropped afterwards)."""
    if request.param == "files":
        yield str(tmp_path / "incidents")
        return
    dsn, schema = fresh_schema()
    yield dsn
    drop_schema(schema)


@pytest.fixture
def store(location, tmp_path):
    opened = open_location(location, tmp_path)
    yield opened
    close = getattr(opened, "close", None)
    if close is not None:
        close()


def test_a_new_incident_is_listed_opened_and_holds_its_first_event(store):
    log = store.create(INCIDENT, started())

    assert store.ids() == [INCIDENT]
    again = store.open(INCIDENT)
    first = next(again.events())
    assert first["seq"] == 0 and first["prev"] == "0" * 64 and first["data"]["incident_id"] == INCIDENT
    assert again.head() == first == log.head()
    assert INCIDENT in log.where()
    assert not log.has_torn_tail() and log.set_aside_torn() is None


def test_an_incident_id_is_created_once(store):
    store.create(INCIDENT, started())
    with pytest.raises(JournalError):
        store.create(INCIDENT, started())


def test_opening_an_unknown_incident_is_not_found(store):
    with pytest.raises(IncidentNotFound):
        store.open(OTHER)


def test_a_decision_is_appended_whole_and_chained_and_verifies(store):
    log = store.create(INCIDENT, started())
    logged = log.append([note("one"), note("two")])

    assert [event["seq"] for event in logged] == [1, 2]
    assert logged[1]["prev"] == logged[0]["hash"]
    events = list(store.open(INCIDENT).events())
    assert events[1:] == logged
    result = log.verify()
    assert result.ok and result.count == 3 and result.head == logged[-1]["hash"]
    assert log.verify(head=logged[0]["hash"]).ok


def test_an_append_on_a_moved_head_raises_head_moved_with_the_newer_events(store):
    log = store.create(INCIDENT, started())
    seen = log.head()["hash"]
    other = store.open(INCIDENT)
    theirs = other.append([note("Marta answered first", actor="Marta")])

    with pytest.raises(HeadMoved) as raised:
        log.append([note("mine")], expect_head=seen)

    assert raised.value.exit_code == 3
    assert raised.value.newer == theirs
    assert [e["data"].get("text") for e in log.events()] == [None, "Marta answered first"]  # nothing of mine
    mine = log.append([note("mine, after reading hers")], expect_head=theirs[-1]["hash"])
    assert mine[0]["prev"] == theirs[-1]["hash"] and log.verify().ok


def test_head_hash_names_the_last_event_whoever_appended_it(store):
    log = store.create(INCIDENT, started())
    assert log.head_hash() == log.head()["hash"]
    mine = log.append([note("mine")])
    assert log.head_hash() == mine[-1]["hash"]
    theirs = store.open(INCIDENT).append([note("Marta's", actor="Marta"), note("and another", actor="Marta")])

    assert log.head_hash() == theirs[-1]["hash"] == log.head()["hash"]  # another writer's, not our last
    again = log.append([note("after hers")], expect_head=theirs[-1]["hash"])
    assert log.head_hash() == again[-1]["hash"]


def test_wait_returns_when_another_writer_appends_and_times_out_otherwise(store):
    log = store.create(INCIDENT, started())
    assert log.wait(0, 0.2) is False
    assert log.wait(-1, 0.2) is True  # seq 0 is there already

    writer = threading.Timer(0.3, lambda: store.open(INCIDENT).append([note("from the other terminal")]))
    writer.start()
    began = time.monotonic()
    try:
        assert log.wait(0, 20) is True
    finally:
        writer.join()
    assert time.monotonic() - began < 10
    log.close()


def test_a_lease_is_held_once_and_given_back(store):
    log = store.create(INCIDENT, started())
    assert not log.is_running() and log.current_lease() is None

    with log.lease("Ana") as handle:
        assert log.is_running() and not handle.lost
        lease = log.current_lease()
        assert lease.holder == "Ana" and lease.pid == os.getpid()
        with pytest.raises(IncidentBusy), store.open(INCIDENT).lease("Bo"):
            pytest.fail("the lease was taken twice")
        handle.renew()
        # A note from a second terminal still goes in while the run holds the incident.
        store.open(INCIDENT).append([note("from a watcher")])

    assert not log.is_running() and log.current_lease() is None
    with log.lease("Bo"):
        assert log.current_lease().holder == "Bo"


HOLD = """
import sys
from pathlib import Path
from crisisplay.store.base import open_location
log = open_location(sys.argv[1], Path.cwd()).open(sys.argv[2])
with log.lease(sys.argv[3], ttl=float(sys.argv[4])) as handle:
    print("held", flush=True)
    for line in sys.stdin:
        try:
            handle.renew()
            print("kept", flush=True)
        except Exception as err:
            print("lost:", type(err).__name__, handle.lost, flush=True)
"""


def hold(location: str, holder: str, ttl: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, location, INCIDENT, holder, str(ttl)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_lease_whose_process_died_is_taken_without_a_take_over(store, location):
    log = store.create(INCIDENT, started())
    holder = hold(location, "Ana", 60)
    assert log.is_running()
    holder.kill()
    holder.wait(timeout=30)

    assert not log.is_running()  # the `interrupted` status, not `running`
    with log.lease("Ana again"):
        assert log.current_lease().holder == "Ana again"


def test_take_over_is_refused_while_a_live_process_here_holds_an_unexpired_lease(store, location):
    log = store.create(INCIDENT, started())
    holder = hold(location, "Ana", 60)
    try:
        with pytest.raises(IncidentBusy, match=str(holder.pid)):
            log.take_over("Bo")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_an_expired_lease_is_taken_over_and_its_holder_learns_it_lost(store, location):
    log = store.create(INCIDENT, started())
    holder = hold(location, "Ana", 1.0)
    try:
        holder.send_signal(signal.SIGSTOP)  # a laptop asleep: no heartbeat
        deadline = time.monotonic() + 30
        while log.is_running():
            assert time.monotonic() < deadline, "the lease never expired"
            time.sleep(0.1)
        held, previous = log.take_over("Bo", ttl=30)
        with held as handle:
            assert previous is not None and previous.holder == "Ana" and previous.pid == holder.pid
            assert log.current_lease().holder == "Bo" and log.is_running()
            holder.send_signal(signal.SIGCONT)
            holder.stdin.write("renew\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "lost: LeaseLost True"
            handle.renew()
            assert not handle.lost
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.stdin.close()
        holder.wait(timeout=30)
    assert log.current_lease() is None  # Ana's exit did not release Bo's lease; Bo's did


def test_take_over_of_a_free_incident_has_no_previous_lease(store):
    log = store.create(INCIDENT, started())
    held, previous = log.take_over("Bo")
    with held:
        assert previous is None and log.current_lease().holder == "Bo"


def test_the_file_store_never_imports_psycopg(tmp_path):
    code = (
        "import sys\n"
        "from crisisplay import cli\n"
        "try:\n"
        "    cli.main(['incidents', '-f', 'json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('psycopg' in sys.modules, file=sys.stderr)\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "CRISISPLAY_STORE"}
    environment.update({"CRISISPLAY_HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False", done.stderr
