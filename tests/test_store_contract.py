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
from crisisplay.personal import Personal
from crisisplay.store.base import HeadMoved, open_location
from crisisplay.store.sealing import FINGERPRINT, MISSING, PLAIN, READY, WRONG, strip_envelopes

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


# --- personal values, sealed (issue 17) ----------------------------------------------------------

# Distinctive values, so that no base64 or hash can hold them by chance.
CUSTOMER = "Zelda Quixbury-Marrow"
ORDER = "ORD-88317-QXZ"


def personal_input(customer: str = CUSTOMER) -> dict:
    return {
        "type": "input.set",
        "actor": "Ana",
        "step": None,
        "data": {
            "name": "customer_name",
            "value": Personal(customer, "customer"),
            "also": [Personal(ORDER, "order"), 3],
        },
    }


def keyless(location: str):
    """The same store, made without keys (as a store opened by hand, or by a crisisplay before issue 17)."""
    if location.startswith("postgresql"):
        from crisisplay.store.postgres import PostgresStore

        return PostgresStore(location, keys=False)
    from crisisplay.store.files import FileStore

    return FileStore(Path(location))


def stored_lines(store, incident_id: str = INCIDENT) -> list[str]:
    """The incident's lines as the store holds them: the log file's bytes, or the `events` rows."""
    from crisisplay.store.files import FileStore

    if isinstance(store, FileStore):
        return store.path_of(incident_id).read_text(encoding="utf-8").splitlines()
    return [
        line for (line,) in store._query("SELECT line FROM events WHERE incident_id = %s ORDER BY seq", (incident_id,))
    ]


def clear_text(lines: list[str]) -> str:
    """The stored lines with every envelope removed: what a reader without the key sees."""
    import json

    return "\n".join(json.dumps(strip_envelopes(json.loads(line)), ensure_ascii=False) for line in lines)


def values(event: dict) -> tuple:
    return event["data"]["value"], event["data"]["also"][0]


def test_a_personal_value_is_stored_as_an_envelope_and_read_back_personal_with_its_kind(store):
    log = store.create(INCIDENT, started())
    logged = log.append([personal_input(), note("no personal value here")])

    # append gives back the events as the caller gave them: plain, still marked
    assert logged[0]["data"]["value"] == CUSTOMER and logged[0]["data"]["value"].kind == "customer"
    assert logged[1]["data"]["text"] == "no personal value here"
    lines = stored_lines(store)
    assert "$enc" in lines[1] and CUSTOMER not in "\n".join(lines) and ORDER not in "\n".join(lines)
    assert CUSTOMER not in clear_text(lines) and "no personal value here" in lines[2]
    assert FINGERPRINT in next(store.open(INCIDENT).events(raw=True))["data"]

    again = store.open(INCIDENT)
    opened = list(again.events())
    value, order = values(opened[1])
    assert type(value) is Personal and value == CUSTOMER and value.kind == "customer"
    assert type(order) is Personal and order == ORDER and order.kind == "order"
    assert opened[1]["data"]["also"][1] == 3 and opened[1]["hash"] == logged[0]["hash"]
    assert again.seal.status == READY and again.seal.warning() is None
    raw = list(again.events(raw=True))[1]["data"]
    assert set(raw["value"]) == {"$enc", "kind"} and raw["value"]["kind"] == "customer"
    assert raw["also"][0]["kind"] == "order" and raw["also"][1] == 3
    head = store.open(INCIDENT).head()
    assert head["data"]["text"] == "no personal value here"
    log.append([personal_input("Ximena Head-Of-Log")])
    assert store.open(INCIDENT).head()["data"]["value"] == "Ximena Head-Of-Log"  # head() opens too
    assert log.verify().ok


def test_head_moved_gives_the_newer_events_opened(store):
    log = store.create(INCIDENT, started())
    seen = log.head()["hash"]
    store.open(INCIDENT).append([personal_input()])

    with pytest.raises(HeadMoved) as raised:
        log.append([note("mine")], expect_head=seen)

    newer = raised.value.newer[0]["data"]["value"]
    assert type(newer) is Personal and newer == CUSTOMER and newer.kind == "customer"


def test_a_deleted_key_reads_as_erased_and_warns_until_the_purge_is_logged(store):
    log = store.create(INCIDENT, started())
    before = log.append([personal_input()])[-1]["hash"]
    assert store.keys.delete(INCIDENT) is True
    assert store.keys.get(INCIDENT) is None and INCIDENT not in store.keys.ids()

    erased = store.open(INCIDENT)
    assert values(list(erased.events())[1]) == (None, None)
    assert erased.seal.status == MISSING
    assert "missing, not purged" in erased.seal.warning()
    with pytest.raises(JournalError, match="without its key"):
        erased.append([personal_input("Nobody New")])  # nothing personal is logged without the key

    reason = {"type": "incident.purged", "actor": "Ana", "step": None, "data": {"reason": "retention"}}
    erased.append([reason])
    purged = store.open(INCIDENT)
    assert values(list(purged.events())[1]) == (None, None)
    assert purged.seal.purged and purged.seal.warning() is None
    assert purged.verify().ok and purged.verify(head=before).ok  # no key needed
    assert store.keys.delete(INCIDENT) is False


def test_another_incidents_key_put_in_place_is_wrong_reads_as_erased_and_still_verifies(store):
    log = store.create(INCIDENT, started())
    head = log.append([personal_input()])[-1]["hash"]
    store.create(OTHER, started(OTHER))
    store.keys.put(INCIDENT, store.keys.get(OTHER), replace=True)

    wrong = store.open(INCIDENT)
    assert values(list(wrong.events())[1]) == (None, None)
    assert wrong.seal.status == WRONG and "not this incident's" in wrong.seal.warning()
    assert wrong.verify().ok and wrong.verify(head=head).ok


def test_a_damaged_key_reads_as_erased_says_it_is_not_a_key_and_still_verifies(store):
    log = store.create(INCIDENT, started())
    head = log.append([personal_input()])[-1]["hash"]
    store.keys.put(INCIDENT, b"not a key", replace=True)  # nine bytes where a key has 32

    damaged = store.open(INCIDENT)
    assert values(list(damaged.events())[1]) == (None, None)
    warning = damaged.seal.warning()
    assert damaged.seal.status == WRONG and "does not hold a key" in warning and "fingerprint" not in warning
    assert damaged.verify().ok and damaged.verify(head=head).ok


def test_a_key_is_not_replaced_unless_asked(store):
    store.create(INCIDENT, started())
    key = store.keys.get(INCIDENT)
    with pytest.raises(JournalError, match="already has a key"):
        store.keys.put(INCIDENT, b"x" * 32)
    assert store.keys.get(INCIDENT) == key


def test_a_sealed_log_read_by_a_store_without_keys_reads_values_as_none(store, location):
    store.create(INCIDENT, started()).append([personal_input()])

    without = keyless(location).open(INCIDENT)
    assert values(list(without.events())[1]) == (None, None)
    assert without.seal.status == MISSING and without.verify().ok


def test_a_log_written_before_encryption_reads_as_before(store, location):
    old = keyless(location).create(INCIDENT, started())
    old.append([personal_input()])
    lines = stored_lines(store)
    assert FINGERPRINT not in lines[0] and CUSTOMER in lines[1] and "$enc" not in lines[1]  # plain, as then
    assert store.keys.get(INCIDENT) is None

    log = store.open(INCIDENT)
    value, order = values(list(log.events())[1])
    assert (value, order) == (CUSTOMER, ORDER)
    assert log.seal.status == PLAIN and log.seal.warning() is None
    # A store that keeps keys never writes personal data in clear: nothing personal is logged to it
    # any more (and no key is made for it now); what is not personal still is.
    with pytest.raises(JournalError, match="no key"):
        log.append([personal_input("Still Plain Person")])
    assert "Still Plain Person" not in "".join(stored_lines(store)) and store.keys.get(INCIDENT) is None
    log.append([{"type": "note.added", "actor": "Ana", "step": None, "data": {"text": "not personal"}}])
    assert log.verify().ok
