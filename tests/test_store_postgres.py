"""The real CLI on both stores: the same answers give the same export, many writers fork no
chain, a server restart mid-run loses and doubles nothing, and a store that cannot be used
is one line, exit 2, never a password. PostgreSQL is a real server (tests/pg_helpers.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_environment
from incident_logs import with_clear
from pg_helpers import Cluster, drop_schema, fresh_schema, with_schema
from test_store_contract import CUSTOMER, INCIDENT, ORDER, started

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "examples" / "pricing-error.answers.yaml"
ID_RE = re.compile(r"\d{8}-\d{6}-pricing-error-[0-9a-f]{4}")
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z")


@pytest.fixture
def pg():
    dsn, schema = fresh_schema()
    yield dsn
    drop_schema(schema)


def crisisplay(home: Path, store: str, *args: str, timeout: float = 120, script: str | None = None):
    environment = cli_environment(home)
    environment["CRISISPLAY_STORE"] = store
    command = [sys.executable, script, *args] if script else [sys.executable, "-m", "crisisplay", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout, cwd=home)
    return done.returncode, done.stdout, done.stderr


def normalised(export: str, opened: list[dict] | None = None) -> str:
    """An export with what differs between two runs of the same answers (ids, times, hashes) blanked;
    with `opened` (the events as the store opens them), each event's sealed values as their plain
    text: two stores seal the same value with different keys and nonces, so only that compares."""
    data = json.loads(export)
    for number, event in enumerate(data["events"]):
        for key in ("ts", "hash", "prev"):
            event[key] = key
        if opened is not None:
            assert opened[number]["seq"] == event["seq"]
            event["data"] = json.loads(json.dumps(opened[number]["data"]))
    text = json.dumps(data, sort_keys=True)
    text = ID_RE.sub("ID", text)
    text = TS_RE.sub("TS", text)
    text = re.sub(r'"(elapsed_ms|duration_ms|[a-z_]*_ms)": \d+', r'"\1": 0', text)
    text = re.sub(r"[0-9a-f]{64}", "HASH", text)
    return text


def opened_events(home: Path, store: str, incident: str) -> list[dict]:
    """The incident's events as the store opens them with its keys (file store: `<home>/keys`)."""
    from crisisplay.store.base import open_location

    return list(open_location(store, home).open(incident).events())


def test_the_same_answers_give_the_same_json_export_on_both_stores(tmp_path, pg):
    exports, sealed = [], []
    for store in (str(tmp_path / "folder"), pg):
        home = tmp_path / ("home-" + str(len(exports)))
        home.mkdir()
        code, out, err = crisisplay(home, store, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
        assert code == 0, err
        incident = out.strip()
        code, verified, err = crisisplay(home, store, "verify", incident, "-f", "json")
        assert code == 0 and json.loads(verified)["ok"], err
        code, out, err = crisisplay(home, store, "export", incident, "--format", "json")
        assert code == 0, err
        opened = opened_events(home, store, incident)
        handle = [e for e in json.loads(out)["events"] if e["type"] == "input.set" and e["step"] is None]
        handle = [e["data"]["value"] for e in handle if e["data"]["name"] == "customer_handle"]
        assert handle and set(handle[0]) == {"$enc", "kind"}  # `events` exactly as logged
        assert [e["data"]["value"] for e in opened if e["data"].get("name") == "customer_handle"] == ["@laura_mtz84"]
        exports.append(normalised(out, opened))
        sealed.append(normalised(out))
        code, listed, err = crisisplay(home, store, "incidents", "-f", "json")
        assert code == 0 and json.loads(listed)["incidents"][0]["status"] == "closed"
    assert exports[0] == exports[1]
    assert sealed[0] != sealed[1]  # the same values, sealed under each incident's own key


NOTES = """
import sys
from crisisplay import cli
for number in range(int(sys.argv[2])):
    cli._store.cache_clear()  # each note opens the store afresh, as `crisisplay note` does
    try:
        cli.main(["note", sys.argv[1], f"{sys.argv[3]}-{number}"])
    except SystemExit as done:
        assert done.code == 0, done.code
"""


@pytest.mark.parametrize("kind", ["files", "postgresql"])
def test_eight_processes_writing_notes_at_once_log_every_note_once_on_one_chain(tmp_path, kind, request):
    store = str(tmp_path / "folder") if kind == "files" else request.getfixturevalue("pg")
    home = tmp_path / "home"
    home.mkdir()
    code, out, err = crisisplay(home, store, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    assert code == 0, err
    incident = out.strip()
    writers, each = 8, 200
    environment = cli_environment(home)
    environment["CRISISPLAY_STORE"] = store
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", NOTES, incident, str(each), f"w{writer}"],
            env=environment,
            cwd=home,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for writer in range(writers)
    ]
    for process in processes:
        assert process.wait(timeout=600) == 0, process.stderr.read()[-2000:]

    code, out, err = crisisplay(home, store, "export", incident, "--format", "json")
    assert code == 0, err
    notes = [event["data"]["text"] for event in with_clear(json.loads(out)) if event["type"] == "note.added"]
    expected = {f"w{writer}-{number}" for writer in range(writers) for number in range(each)}
    assert sorted(notes) == sorted(expected)  # every note exactly once
    code, out, err = crisisplay(home, store, "verify", incident)
    assert code == 0 and "chain intact" in out


# --- a store that cannot be used -------------------------------------------------------------


SECRET = "pw-Zq7-unique-4711"


def one_line_exit_2(result, *, secret: str = SECRET) -> str:
    code, out, err = result
    assert code == 2, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("crisisplay: error: "), err
    assert "Traceback" not in err and secret not in err + out
    return lines[0]


def test_a_refused_connection_is_one_line_exit_2_without_the_password(tmp_path):
    from pg_helpers import free_port

    store = f"postgresql://someone:{SECRET}@127.0.0.1:{free_port()}/crisis"
    line = one_line_exit_2(crisisplay(tmp_path, store, "incidents"))
    assert "cannot connect to the PostgreSQL store postgresql://someone@127.0.0.1:" in line


@pytest.mark.parametrize(
    "store",
    [
        f"postgresql://someone:{SECRET}@127.0.0.1:5432/test?sslmode=sometimes",
        f"postgresql://someone:{SECRET}@[::1",  # a bracket left open: urlsplit refuses it
        f"postgresql://someone@127.0.0.1/test?password={SECRET}&sslmode=sometimes",
    ],
)
def test_a_dsn_that_cannot_be_read_is_one_line_exit_2_without_the_password(tmp_path, store):
    one_line_exit_2(crisisplay(tmp_path, store, "incidents"))


def test_a_store_without_the_schema_says_to_run_store_init(tmp_path):
    dsn, schema = fresh_schema(init=False)
    try:
        line = one_line_exit_2(crisisplay(tmp_path, dsn, "start", "pricing-error", "--answers", str(ANSWERS)))
        assert "run `crisisplay store init`" in line
        code, _, err = crisisplay(tmp_path, dsn, "store", "init")
        assert code == 0 and "Created the crisisplay schema (version 2)" in err
        code, _, err = crisisplay(tmp_path, dsn, "store", "init")
        assert code == 0 and "nothing to do" in err
        code, _out, err = crisisplay(tmp_path, dsn, "incidents")
        assert code == 0 and "No incidents." in err
    finally:
        drop_schema(schema)


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path, pg):
    import psycopg

    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("UPDATE crisisplay_meta SET value = '7' WHERE key = 'schema_version'")
    line = one_line_exit_2(crisisplay(tmp_path, pg, "incidents"))
    assert "schema version 7, newer than this crisisplay knows (2): upgrade crisisplay" in line


@pytest.fixture(scope="module")
def password_cluster():
    cluster = Cluster(password=SECRET)
    yield cluster
    cluster.destroy()


def test_wrong_credentials_are_one_line_exit_2_and_never_show_a_password(tmp_path, password_cluster):
    wrong = password_cluster.dsn("not-" + SECRET)
    line = one_line_exit_2(crisisplay(tmp_path, wrong, "store", "init"), secret="not-" + SECRET)
    assert "password authentication failed" in line
    # The right password works, and is never shown either.
    right = password_cluster.dsn(SECRET)
    code, out, err = crisisplay(tmp_path, right, "store", "init")
    assert code == 0 and SECRET not in out + err
    code, out, err = crisisplay(tmp_path, right, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    assert code == 0 and SECRET not in out + err
    code, out, err = crisisplay(tmp_path, right, "export", out.strip(), "-f", "json")
    assert code == 0 and SECRET not in out + err


# --- a server restart in the middle of a run ---------------------------------------------------


def test_a_server_restart_mid_run_pauses_and_resume_loses_and_doubles_nothing(tmp_path):
    cluster = Cluster()
    try:
        store = with_schema(cluster.dsn(), "public")
        home = tmp_path / "home"
        home.mkdir()
        assert crisisplay(home, store, "store", "init")[0] == 0
        environment = cli_environment(home)
        environment.update({"CRISISPLAY_STORE": store, "CRISISPLAY_TEST_APPEND_DELAY": "0.15"})
        run = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "slow_crisisplay.py"), "start", "pricing-error", "--drill"]
            + ["--answers", str(ANSWERS)],
            env=environment,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        incident = run.stdout.readline().strip()
        assert ID_RE.fullmatch(incident)
        time.sleep(1.0)  # a few decisions in
        cluster.stop()
        code = run.wait(timeout=120)
        err = run.stderr.read()
        assert code == 3, err
        lines = [line for line in err.splitlines() if line.startswith("crisisplay:")]
        assert len(lines) == 1 and "lost the connection to the PostgreSQL store" in lines[0], err
        assert f"crisisplay resume {incident}" in lines[0] and "Traceback" not in err

        cluster.start()
        cluster.wait_ready()
        code, out, err = crisisplay(home, store, "incidents", "-f", "json")
        assert code == 0 and json.loads(out)["incidents"][0]["status"] == "interrupted", out + err
        code, out, err = crisisplay(home, store, "resume", incident, "--answers", str(ANSWERS))
        assert code == 0, err
        code, out, err = crisisplay(home, store, "export", incident, "-f", "json")
        events = json.loads(out)["events"]
        answered = [(e["step"], e["data"]["visit"]) for e in events if e["type"] == "step.answered"]
        assert len(answered) == len(set(answered))  # no decision written twice
        assert [e["seq"] for e in events] == list(range(len(events)))
        assert events[-1]["type"] == "incident.closed"
        code, out, err = crisisplay(home, store, "verify", incident)
        assert code == 0 and "chain intact" in out
    finally:
        cluster.destroy()


def test_store_copy_copies_once_and_reports_a_different_head(tmp_path, pg):
    home = tmp_path / "home"
    home.mkdir()
    folder = str(tmp_path / "folder")
    code, out, err = crisisplay(home, folder, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    incident = out.strip()

    code, _, err = crisisplay(home, folder, "store", "copy", "--to", pg)
    assert code == 0 and f"{incident}: copied (" in err and "1 incident(s) copied" in err
    code, _, err = crisisplay(home, folder, "store", "copy", "--to", pg)
    assert code == 0 and f"{incident}: already there, same head" in err and "0 incident(s) copied" in err
    source = json.loads(crisisplay(home, folder, "export", incident, "-f", "json")[1])
    copied = json.loads(crisisplay(home, pg, "export", incident, "-f", "json")[1])
    assert source["events"] == copied["events"]

    assert crisisplay(home, folder, "note", incident, "only in the folder")[0] == 0
    code, _, err = crisisplay(home, folder, "store", "copy", "--to", pg)
    assert code == 1 and "already there with another head" in err and "not overwritten" in err
    back = str(tmp_path / "back")
    code, _, err = crisisplay(home, pg, "store", "copy", "--to", back)
    assert code == 0 and f"{incident}: copied (" in err


def test_a_file_given_as_the_store_is_refused_in_one_line(tmp_path):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("hello", encoding="utf-8")
    line = one_line_exit_2(crisisplay(tmp_path, str(not_a_folder), "incidents"))
    assert f"{not_a_folder} is not a folder" in line


# --- schema version 2: incident_keys (issue 17) ----------------------------------------------------


def personal_input(customer: str = CUSTOMER) -> dict:
    from crisisplay.personal import Personal

    return {
        "type": "input.set",
        "actor": "Ana",
        "step": None,
        "data": {"name": "customer_name", "value": Personal(customer, "customer"), "order": Personal(ORDER, "order")},
    }


def rows(dsn: str, statement: str, *params) -> list[tuple]:
    """What another connection sees: committed rows only."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description is not None else []


def test_a_version_1_store_is_refused_until_store_init_upgrades_it(tmp_path):
    from crisisplay.store.postgres import PostgresStore

    dsn, schema = fresh_schema(init=False)
    try:
        # A store as a crisisplay before issue 17 left it: no incident_keys, personal values in clear.
        old = PostgresStore(dsn, keys=False)
        old.init()
        old.create(INCIDENT, started()).append([personal_input()])
        old.close()
        rows(dsn, "DROP TABLE incident_keys")
        rows(dsn, "UPDATE crisisplay_meta SET value = '1' WHERE key = 'schema_version'")

        for command in (["incidents"], ["start", "pricing-error", "--drill", "--answers", str(ANSWERS)]):
            line = one_line_exit_2(crisisplay(tmp_path, dsn, *command))
            assert "has schema version 1, older than this crisisplay needs (2)" in line
            assert "run `crisisplay store init` to upgrade it" in line
        assert rows(dsn, "SELECT count(*) FROM incidents") == [(1,)]  # the refused start wrote nothing

        code, _, err = crisisplay(tmp_path, dsn, "store", "init")
        assert code == 0 and "Upgraded the crisisplay schema in postgresql://" in err and "from version 1 to 2" in err
        assert rows(dsn, "SELECT value FROM crisisplay_meta WHERE key = 'schema_version'") == [("2",)]
        code, _, err = crisisplay(tmp_path, dsn, "store", "init")
        assert code == 0 and "(version 2); nothing to do" in err

        # The incident logged before reads and verifies as it did; a new one gets its key.
        log = PostgresStore(dsn).open(INCIDENT)
        assert [e["data"].get("value") for e in log.events()] == [None, CUSTOMER]
        assert log.seal.status == "plain" and log.seal.warning() is None
        code, out, err = crisisplay(tmp_path, dsn, "verify", INCIDENT)
        assert code == 0 and "chain intact" in out, err
        code, out, err = crisisplay(tmp_path, dsn, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
        assert code == 0, err
        assert rows(dsn, "SELECT incident_id FROM incident_keys") == [(out.strip(),)]
    finally:
        drop_schema(schema)


def test_the_key_is_committed_before_the_incidents_row_is_written(pg):
    import threading

    from crisisplay.store.postgres import PostgresStore

    # A slow insert of the incident's row: while it waits, another connection looks at both tables.
    rows(
        pg,
        "CREATE FUNCTION slow_incident() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$",
    )
    rows(pg, "CREATE TRIGGER slow BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION slow_incident()")
    store = PostgresStore(pg)
    creating = threading.Thread(target=lambda: store.create(INCIDENT, started()))
    creating.start()
    seen = []
    deadline = time.monotonic() + 30
    while not seen or seen[-1][0] == 0:
        assert time.monotonic() < deadline, "the key never showed"
        seen.append(
            (
                rows(pg, "SELECT count(*) FROM incident_keys WHERE incident_id = %s", INCIDENT)[0][0],
                rows(pg, "SELECT count(*) FROM incidents WHERE id = %s", INCIDENT)[0][0],
            )
        )
        time.sleep(0.05)
    creating.join(timeout=30)
    assert seen[-1] == (1, 0)  # the key committed, the incident's row not yet
    assert rows(pg, "SELECT count(*) FROM incidents WHERE id = %s", INCIDENT) == [(1,)]
    assert store.open(INCIDENT).seal.status == "ready"
    store.close()


def test_a_create_the_server_refuses_leaves_no_key_and_says_why_in_one_line(tmp_path, pg):
    from crisisplay.errors import JournalError
    from crisisplay.store.postgres import PostgresStore

    rows(
        pg,
        "CREATE FUNCTION refuse_incident() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'no new incidents in this test'; END $$",
    )
    rows(pg, "CREATE TRIGGER refuse BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION refuse_incident()")
    store = PostgresStore(pg)
    with pytest.raises(JournalError, match="could not be created: no new incidents in this test"):
        store.create(INCIDENT, started())
    assert rows(pg, "SELECT count(*) FROM incident_keys") == [(0,)]
    assert rows(pg, "SELECT count(*) FROM incidents") == [(0,)]

    code, _out, err = crisisplay(tmp_path, pg, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    errors = [line for line in err.splitlines() if line.startswith("crisisplay:")]
    assert code == 2 and len(errors) == 1 and "Traceback" not in err, err
    assert errors[0].endswith("could not be created: no new incidents in this test")
    assert rows(pg, "SELECT count(*) FROM incident_keys") == [(0,)]


def test_a_key_put_or_deleted_is_committed_when_the_call_returns(pg):
    from crisisplay.store.postgres import PostgresStore

    store = PostgresStore(pg)
    store.create(INCIDENT, started())
    key = rows(pg, "SELECT key FROM incident_keys WHERE incident_id = %s", INCIDENT)
    assert len(key) == 1 and bytes(key[0][0]) == store.keys.get(INCIDENT)
    assert store.keys.ids() == [INCIDENT] and "incident_keys" in store.keys.where(INCIDENT)

    assert store.keys.delete(INCIDENT) is True
    assert rows(pg, "SELECT count(*) FROM incident_keys WHERE incident_id = %s", INCIDENT) == [(0,)]
    assert store.keys.delete(INCIDENT) is False
    store.keys.put(INCIDENT, bytes(key[0][0]))
    assert rows(pg, "SELECT count(*) FROM incident_keys WHERE incident_id = %s", INCIDENT) == [(1,)]
    store.close()


def test_after_a_purge_no_row_of_the_store_holds_anything_personal(pg):
    from crisisplay.store.postgres import PostgresStore
    from crisisplay.store.sealing import MISSING, READY

    store = PostgresStore(pg)
    log = store.create(INCIDENT, started())
    log.append([personal_input(), {"type": "note.added", "actor": "Ana", "step": None, "data": {"text": "kept"}}])
    other = "20261125-230000-pricing-error-cd34"
    store.create(other, started(other)).append([personal_input("Someone Else Entirely")])
    assert store.open(INCIDENT).seal.status == READY
    head = log.head_hash()

    # What `crisisplay purge` does at the store level: the event first, then the key, durably.
    purged = {"type": "incident.purged", "actor": "Ana", "step": None, "data": {"reason": "retention period"}}
    log.append([purged])
    assert store.keys.delete(INCIDENT)

    everything = json.dumps(
        [
            rows(pg, "SELECT * FROM events WHERE incident_id = %s ORDER BY seq", INCIDENT),
            rows(pg, "SELECT * FROM incidents WHERE id = %s", INCIDENT),
            rows(pg, "SELECT * FROM leases WHERE incident_id = %s", INCIDENT),
        ],
        default=str,
    )
    assert CUSTOMER not in everything and ORDER not in everything
    assert "kept" in everything and "retention period" in everything
    assert rows(pg, "SELECT * FROM incident_keys WHERE incident_id = %s", INCIDENT) == []
    # Every key the store still keeps is another incident's: none opens what is left.
    for kept in store.keys.ids():
        store.keys.put(INCIDENT, store.keys.get(kept), replace=True)
        tried = store.open(INCIDENT)
        assert [e["data"].get("value") for e in tried.events()][1] is None  # a purged log never opens
        assert tried.seal.purged and tried.seal.status == MISSING
        assert store.keys.get(INCIDENT) == store.keys.get(kept)  # another incident's key is never deleted
        store.keys.delete(INCIDENT)
    after = store.open(INCIDENT)
    assert [e["data"].get("value") for e in after.events()][1] is None
    assert after.seal.purged and after.seal.warning() is None
    assert after.verify().ok and after.verify(head=head).ok
    store.close()


# --- store copy carries keys ------------------------------------------------------------------------


def verified_head(home: Path, store: str, incident: str) -> str:
    code, out, err = crisisplay(home, store, "verify", incident, "-f", "json")
    assert code == 0 and json.loads(out)["ok"], out + err
    return json.loads(out)["head"]


def handle_of(home: Path, store: str, incident: str):
    """The customer's handle as the store opens it with its keys."""
    found = [
        e["data"]["value"]
        for e in opened_events(home, store, incident)
        if e["type"] == "input.set" and e["data"].get("name") == "customer_handle"
    ]
    assert len(found) == 1
    return found[0]


def test_store_copy_carries_the_key_from_files_to_postgresql_and_back(tmp_path, pg):
    from crisisplay.personal import Personal
    from crisisplay.store.keys import FileKeys

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    folder = str(tmp_path / "folder")
    code, out, err = crisisplay(home, folder, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    assert code == 0, err
    incident = out.strip()
    head = verified_head(home, folder, incident)
    key = FileKeys(home / "keys").get(incident)

    code, _, err = crisisplay(home, folder, "store", "copy", "--to", pg)
    assert code == 0 and f"{incident}: copied (" in err and f"head {head})" in err, err
    assert verified_head(home, pg, incident) == head
    assert [(i, bytes(k)) for i, k in rows(pg, "SELECT incident_id, key FROM incident_keys")] == [(incident, key)]
    handle = handle_of(home, pg, incident)
    from crisisplay.store.base import open_location

    raw = [e for e in open_location(pg, home).open(incident).events(raw=True) if e["type"] == "input.set"]
    envelope = next(e["data"]["value"] for e in raw if e["data"].get("name") == "customer_handle")
    assert type(handle) is Personal and handle == "@laura_mtz84" and handle.kind == envelope["kind"]

    # PostgreSQL into a folder of a home that has no key for it yet: the key goes with it.
    back = str(tmp_path / "back")
    code, _, err = crisisplay(elsewhere, pg, "store", "copy", "--to", back)
    assert code == 0 and f"{incident}: copied (" in err, err
    assert verified_head(elsewhere, back, incident) == head
    assert FileKeys(elsewhere / "keys").get(incident) == key
    assert handle_of(elsewhere, back, incident) == "@laura_mtz84"
    assert (Path(back) / f"{incident}.jsonl").read_bytes() == (Path(folder) / f"{incident}.jsonl").read_bytes()


def test_store_copy_reports_a_target_keeping_another_key_and_overwrites_nothing(tmp_path, pg):
    from crisisplay.store.keys import FileKeys
    from crisisplay.store.sealing import new_key

    home, other_home = tmp_path / "home", tmp_path / "other"
    home.mkdir()
    other_home.mkdir()
    code, out, err = crisisplay(home, pg, "start", "pricing-error", "--drill", "--answers", str(ANSWERS))
    incident = out.strip()
    theirs = new_key()
    FileKeys(other_home / "keys").put(incident, theirs)

    target = str(tmp_path / "target")
    code, _, err = crisisplay(other_home, pg, "store", "copy", "--to", target)
    assert code == 1, err
    assert f"{incident}: the target keeps another key for it ({other_home / 'keys' / incident}.key)" in err
    assert "not overwritten, not copied" in err and "0 incident(s) copied" in err and "1 not copied" in err
    assert FileKeys(other_home / "keys").get(incident) == theirs
    assert not (Path(target) / f"{incident}.jsonl").exists()
    assert handle_of(home, pg, incident) == "@laura_mtz84"  # the source is as it was

    # Into a folder that holds the incident already (same head), its missing key is carried.
    code, _, err = crisisplay(home, pg, "store", "copy", "--to", target)
    assert code == 0 and f"{incident}: copied (" in err, err
    assert FileKeys(home / "keys").get(incident) is not None
    FileKeys(home / "keys").delete(incident)
    code, _, err = crisisplay(home, pg, "store", "copy", "--to", target)
    assert code == 0 and "already there, same head" in err, err
    assert handle_of(home, target, incident) == "@laura_mtz84"


def test_store_copy_copies_a_log_written_before_encryption_as_it_is(tmp_path, pg):
    from crisisplay.store.files import FileStore

    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "folder"
    FileStore(folder).create(INCIDENT, started()).append([personal_input()])  # no keys: values in clear
    head = verified_head(home, str(folder), INCIDENT)

    code, _, err = crisisplay(home, str(folder), "store", "copy", "--to", pg)
    assert code == 0 and f"{INCIDENT}: copied (2 events, head {head})" in err, err
    assert rows(pg, "SELECT count(*) FROM incident_keys") == [(0,)]  # no key made for it
    assert [e["data"].get("value") for e in opened_events(home, pg, INCIDENT)] == [None, CUSTOMER]
