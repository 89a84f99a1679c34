"""The incident log: canonical lines, the hash chain, tamper detection, torn tails, locks."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crisisplay.errors import IncidentBusy, IncidentNotFound, JournalError, UsageError
from crisisplay.journal import (
    ZERO_HASH,
    EventNotLoggable,
    Journal,
    canonical_line,
    format_ts,
    parse_ts,
)

REPO = Path(__file__).resolve().parents[1]
INCIDENT_ID = "20261125-225156-pricing-error-ab12"
START = datetime(2026, 11, 25, 22, 51, 56, 123456, tzinfo=UTC)


class TickingClock:
    """A clock that moves one second forward each time it is read."""

    def __init__(self, start: datetime = START):
        self.moment = start - timedelta(seconds=1)

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


def started_event() -> dict:
    return {
        "type": "incident.started",
        "actor": "Ana",
        "step": None,
        "data": {"incident_id": INCIDENT_ID, "drill": True, "responder": "Ana"},
    }


def note(text: str, actor: str = "Ana") -> dict:
    return {"type": "note.added", "actor": actor, "step": None, "data": {"text": text}}


def log_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "incidents" / f"{INCIDENT_ID}.jsonl"


def make_log(tmp_path: Path, events: int = 6) -> Journal:
    """A log of `events` events: the start and `events - 1` notes, one decision each."""
    journal = Journal.create(log_path(tmp_path), started_event(), clock=TickingClock())
    for number in range(1, events):
        journal.append([note(f"note {number}")])
    return journal


def independent_line(event: dict) -> tuple[str, str]:
    """The contract's line and hash, computed here without the module's code."""
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return canonical[:-1] + f',"hash":"{digest}"}}', digest


def raw_lines(journal: Journal) -> list[bytes]:
    return journal.path.read_bytes().splitlines(keepends=True)


def write_lines(journal: Journal, lines: list[bytes]) -> None:
    journal.path.write_bytes(b"".join(lines))


def parsed(line: bytes) -> dict:
    return json.loads(line)


def forged_line(seq: int, prev: str, text: str = "forged") -> bytes:
    """A self-consistent event line (its hash matches) that the tool never wrote."""
    event = {
        "v": 1,
        "seq": seq,
        "ts": "2026-11-25T23:00:00.000Z",
        "type": "note.added",
        "actor": "Mallory",
        "step": None,
        "data": {"text": text},
        "prev": prev,
    }
    return (independent_line(event)[0] + "\n").encode("utf-8")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- canonical form and creation --------------------------------------------------------


def test_canonical_line_is_sorted_compact_utf8_text_with_hash_added_last():
    event = {
        "v": 1,
        "seq": 0,
        "ts": "2026-11-25T22:51:56.123Z",
        "type": "incident.started",
        "actor": "Zoë",
        "step": None,
        "data": {"z": 1, "a": ["x", True, None]},
        "prev": ZERO_HASH,
    }

    line, digest = canonical_line(event)

    assert (line, digest) == independent_line(event)
    assert line.startswith('{"actor":"Zoë","data":{"a":["x",true,null],"z":1},"prev":"000')
    assert line.endswith(f',"hash":"{digest}"}}')
    assert json.loads(line)["hash"] == digest


def test_create_writes_the_first_event_complete_with_seq_zero_and_zero_prev(tmp_path):
    journal = Journal.create(log_path(tmp_path), started_event(), clock=TickingClock())

    (line,) = raw_lines(journal)
    event = parsed(line)
    without_hash = {key: value for key, value in event.items() if key != "hash"}
    assert line.decode("utf-8") == independent_line(without_hash)[0] + "\n"
    assert event["v"] == 1 and event["seq"] == 0 and event["prev"] == ZERO_HASH
    assert event["ts"] == "2026-11-25T22:51:56.123Z"
    assert event["type"] == "incident.started" and event["step"] is None
    # Nothing but the log is left in the folder: the temporary file was renamed into place.
    assert sorted(p.name for p in journal.path.parent.iterdir()) == [journal.path.name]


def test_create_makes_owner_only_folders_and_file_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        journal = Journal.create(log_path(tmp_path), started_event())
    finally:
        os.umask(old)

    assert mode(journal.path) == 0o600
    assert mode(journal.path.parent) == 0o700  # <home>/incidents
    assert mode(journal.path.parent.parent) == 0o700  # <home>


def test_create_refuses_to_replace_an_existing_log(tmp_path):
    journal = make_log(tmp_path, events=2)
    before = journal.path.read_bytes()

    with pytest.raises(JournalError, match="already exists"):
        Journal.create(journal.path, started_event())

    assert journal.path.read_bytes() == before


# --- appending ------------------------------------------------------------------------------


def test_append_chains_each_event_onto_the_previous_hash(tmp_path):
    journal = make_log(tmp_path, events=4)

    events = [parsed(line) for line in raw_lines(journal)]

    assert [event["seq"] for event in events] == [0, 1, 2, 3]
    assert events[0]["prev"] == ZERO_HASH
    for earlier, later in itertools.pairwise(events):
        assert later["prev"] == earlier["hash"]
    for event in events:
        without_hash = {key: value for key, value in event.items() if key != "hash"}
        assert independent_line(without_hash)[1] == event["hash"]


def test_one_decision_of_three_events_is_logged_with_consecutive_seqs_and_one_time(tmp_path):
    journal = make_log(tmp_path, events=2)

    step = {"actor": "Ana", "step": "apologise"}
    logged = journal.append(
        [
            {**step, "type": "step.entered", "data": {"phase": "acknowledge", "visit": 1}},
            {**step, "type": "message.sent", "data": {"channel": "twitter", "text": "Sorry."}},
            {**step, "type": "step.answered", "data": {"phase": "acknowledge", "answer": True}},
        ]
    )

    assert [event["seq"] for event in logged] == [2, 3, 4]
    assert len({event["ts"] for event in logged}) == 1
    assert [parsed(line) for line in raw_lines(journal)[2:]] == logged
    assert journal.verify().ok


def test_append_stamps_missing_times_from_the_clock_and_keeps_given_ones(tmp_path):
    journal = make_log(tmp_path, events=1)

    paris = timezone(timedelta(hours=1))
    (stamped,) = journal.append([note("first")])
    (given,) = journal.append([dict(note("second"), ts=datetime(2026, 11, 26, 1, 2, 3, 4000, paris))])

    assert stamped["ts"] == "2026-11-25T22:51:57.123Z"
    assert given["ts"] == "2026-11-26T00:02:03.004Z"


def test_floats_are_refused_and_nothing_is_written(tmp_path):
    journal = make_log(tmp_path, events=2)
    before = journal.path.read_bytes()
    answer = {"type": "step.answered", "actor": "Ana", "step": "refund", "data": {"answer": {"amount": 19.99}}}

    with pytest.raises(EventNotLoggable, match=r"data\.answer\.amount is a float \(19\.99\)"):
        journal.append([note("fine"), answer])
    with pytest.raises(EventNotLoggable, match="float"):
        journal.append([{"type": "x", "actor": "Ana", "step": None, "data": {"v": float("nan")}}])
    with pytest.raises(EventNotLoggable, match="float"):
        Journal.create(tmp_path / "other.jsonl", dict(started_event(), data={"elapsed": 1.5}))

    assert journal.path.read_bytes() == before
    assert not (tmp_path / "other.jsonl").exists()


def test_fields_the_journal_owns_cannot_be_given(tmp_path):
    journal = make_log(tmp_path, events=1)

    with pytest.raises(EventNotLoggable, match="seq"):
        journal.append([dict(note("x"), seq=7)])
    with pytest.raises(EventNotLoggable, match="at least one"):
        journal.append([])


def test_a_missing_log_is_incident_not_found(tmp_path):
    journal = Journal(tmp_path / "nope.jsonl")

    with pytest.raises(IncidentNotFound):
        journal.append([note("x")])
    with pytest.raises(IncidentNotFound):
        journal.verify()


def test_unicode_round_trips_and_is_written_as_utf8_not_escapes(tmp_path):
    journal = make_log(tmp_path, events=1)
    text = 'Désolé 🙏 — نعتذر عن الخطأ \u2028 שלום "quoted"\n'

    journal.append([note(text, actor="Zoë 👩‍💼")])

    line = raw_lines(journal)[1]
    assert "🙏".encode() in line and "نعتذر".encode() in line
    assert b"\\u" not in line.replace(b"\\u2028", b"")  # only JSON's own escapes remain
    event = list(journal.events())[1]
    assert event["data"]["text"] == text and event["actor"] == "Zoë 👩‍💼"
    assert journal.verify().ok


def test_format_ts_and_parse_ts_are_rfc3339_utc_with_milliseconds():
    moment = datetime(2026, 11, 25, 23, 51, 56, 123999, tzinfo=timezone(timedelta(hours=1)))

    assert format_ts(moment) == "2026-11-25T22:51:56.123Z"
    # In UTC already (the default clock): milliseconds cut, never rounded; a whole second and a
    # small year padded all the same.
    assert format_ts(datetime(2026, 12, 31, 23, 59, 59, 999999, UTC)) == "2026-12-31T23:59:59.999Z"
    assert format_ts(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05.000Z"
    assert format_ts(datetime(999, 1, 2, 3, 4, 5, 6000, UTC)) == "0999-01-02T03:04:05.006Z"
    utc = UTC
    assert parse_ts("2026-11-25T22:51:56.123Z") == datetime(2026, 11, 25, 22, 51, 56, 123000, utc)
    assert parse_ts("2026-11-25T23:51:56+01:00") == datetime(2026, 11, 25, 22, 51, 56, tzinfo=utc)
    with pytest.raises(ValueError, match="naive"):
        format_ts(datetime(2026, 11, 25))
    with pytest.raises(ValueError, match="timezone"):
        parse_ts("2026-11-25T22:51:56")
    with pytest.raises(ValueError):
        parse_ts("yesterday")


# --- reading --------------------------------------------------------------------------------


def test_events_streams_every_event_as_logged(tmp_path):
    journal = make_log(tmp_path, events=5)

    events = list(journal.events())

    assert [event["seq"] for event in events] == [0, 1, 2, 3, 4]
    assert events == [parsed(line) for line in raw_lines(journal)]


def test_events_names_the_path_and_line_of_a_bad_line(tmp_path):
    journal = make_log(tmp_path, events=4)
    lines = raw_lines(journal)
    lines[2] = b"{not json\n"
    write_lines(journal, lines)

    with pytest.raises(JournalError, match="^" + re.escape(f"{journal.path}:3: not valid JSON")):
        list(journal.events())


def test_events_on_a_torn_tail_raises_unless_told_to_tolerate_it(tmp_path):
    journal = make_log(tmp_path, events=3)
    with journal.path.open("ab") as log:
        log.write(b'{"v":1,"seq":3,"ts":"2026-')

    with pytest.raises(JournalError, match=re.escape(f"{journal.path}:4: torn last line")):
        list(journal.events())
    assert [event["seq"] for event in journal.events(tolerate_torn=True)] == [0, 1, 2]


def test_head_is_the_last_complete_event_even_behind_a_torn_tail(tmp_path):
    journal = make_log(tmp_path, events=3)
    last = parsed(raw_lines(journal)[-1])
    assert journal.head() == last
    assert not journal.has_torn_tail()

    with journal.path.open("ab") as log:
        log.write(b'{"v":1,"se')

    assert journal.head() == last
    assert journal.has_torn_tail()


def test_head_reads_a_last_line_longer_than_one_read_chunk(tmp_path):
    journal = make_log(tmp_path, events=1)
    big = "x" * 300_000

    journal.append([note(big)])
    journal.append([note("after")])

    assert journal.head()["data"]["text"] == "after"
    journal.append([note("again")])
    assert journal.verify().ok
    assert [event["seq"] for event in journal.events()] == [0, 1, 2, 3]


# --- verify -----------------------------------------------------------------------------------


def test_verify_of_an_intact_log_reports_its_head_and_count(tmp_path):
    journal = make_log(tmp_path, events=6)

    result = journal.verify()

    assert result.ok and result.count == 6 and result.line is None and result.kind is None
    assert result.head == parsed(raw_lines(journal)[-1])["hash"]
    assert journal.verify(head=result.head).ok
    assert journal.verify(head=parsed(raw_lines(journal)[2])["hash"].upper()).ok  # an older head


def test_verify_finds_an_edited_field_on_its_line(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    lines[2] = lines[2].replace(b"note 2", b"note X")
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.ok, result.kind, result.line, result.count) == (False, "edited", 3, 2)
    assert result.message.startswith(f"{journal.path}:3: edited")


def test_verify_finds_a_line_reformatted_out_of_canonical_form(tmp_path):
    journal = make_log(tmp_path, events=4)
    lines = raw_lines(journal)
    lines[1] = lines[1].replace(b'"actor":"Ana"', b'"actor": "Ana"')
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("edited", 2)
    assert "canonical" in result.message


def test_verify_finds_an_edit_whose_hash_was_recomputed(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    event = parsed(lines[2])
    del event["hash"]
    event["data"]["text"] = "we never promised a refund"
    lines[2] = (independent_line(event)[0] + "\n").encode()
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("edited", 3)
    assert "recomputed" in result.message


def test_verify_finds_a_deleted_middle_line(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    del lines[2]
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line, result.count) == ("deleted", 3, 2)
    assert "1 event (seq 2)" in result.message


def test_verify_finds_an_inserted_copy_of_an_earlier_line(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    lines.insert(4, lines[1])
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("inserted", 5)
    assert "copy of line 2" in result.message


def test_verify_finds_an_inserted_line_that_was_chained_in_carefully(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    after = parsed(lines[2])
    lines.insert(3, forged_line(seq=after["seq"] + 1, prev=after["hash"]))
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line, result.count) == ("inserted", 4, 3)


def test_verify_finds_an_inserted_line_that_chains_onto_nothing(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    lines.insert(3, forged_line(seq=3, prev="f" * 64))
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("inserted", 4)


def test_verify_finds_two_swapped_lines(tmp_path):
    journal = make_log(tmp_path, events=6)
    lines = raw_lines(journal)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("reordered", 3)
    assert "seq 3 comes before seq 2" in result.message


def test_verify_finds_a_line_moved_far_back(tmp_path):
    journal = make_log(tmp_path, events=8)
    lines = raw_lines(journal)
    lines.append(lines.pop(2))
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("reordered", 3)


def test_verify_reports_a_torn_last_line_after_checking_every_earlier_one(tmp_path):
    journal = make_log(tmp_path, events=5)
    with journal.path.open("ab") as log:
        log.write(b'{"v":1,"seq":5,"ts":"2026-11-25T22:5')

    result = journal.verify()

    assert (result.ok, result.kind, result.line, result.count) == (False, "torn", 6, 5)
    assert "torn last line" in result.message
    assert result.head == parsed(raw_lines(journal)[4])["hash"]


def test_verify_counts_a_zero_filled_last_line_as_torn_a_crash_artifact(tmp_path):
    journal = make_log(tmp_path, events=3)
    with journal.path.open("ab") as log:
        log.write(b"\x00\x00\x00\x00\n")

    assert (journal.verify().kind, journal.verify().line) == ("torn", 4)


def test_verify_counts_a_complete_garbled_last_line_as_corrupt_not_torn(tmp_path):
    journal = make_log(tmp_path, events=3)
    with journal.path.open("ab") as log:
        log.write(b'{"v":1,"seq":3,"note":"written by hand"\n')

    assert (journal.verify().kind, journal.verify().line) == ("corrupt", 4)
    assert not journal.has_torn_tail()  # so `resume` refuses it instead of setting it aside


def test_verify_finds_a_garbled_middle_line(tmp_path):
    journal = make_log(tmp_path, events=4)
    lines = raw_lines(journal)
    lines[1] = b"\xff\xfe garbage\n"
    write_lines(journal, lines)

    result = journal.verify()

    assert (result.kind, result.line) == ("corrupt", 2)
    assert "UTF-8" in result.message


def test_verify_of_an_empty_log_fails(tmp_path):
    journal = make_log(tmp_path, events=2)
    journal.path.write_bytes(b"")

    result = journal.verify()

    assert not result.ok and result.line == 1 and result.count == 0


def test_a_cut_off_tail_passes_plain_verify_but_not_the_head_check(tmp_path):
    journal = make_log(tmp_path, events=6)
    old_head = journal.verify().head
    write_lines(journal, raw_lines(journal)[:4])

    assert journal.verify().ok
    result = journal.verify(head=old_head)

    assert (result.ok, result.kind, result.line, result.count) == (False, "head-missing", 5, 4)
    assert old_head in result.message


def test_verify_refuses_a_head_that_is_not_a_full_hash(tmp_path):
    journal = make_log(tmp_path, events=2)

    with pytest.raises(UsageError, match="64 hex"):
        journal.verify(head=journal.verify().head[:12])


def test_verify_streams_a_large_log_in_far_less_memory_than_its_size(tmp_path):
    journal = make_log(tmp_path, events=1)
    prev = journal.head()["hash"]
    with journal.path.open("a", encoding="utf-8") as log:
        for seq in range(1, 20_000):
            line, prev = independent_line(
                {
                    "v": 1,
                    "seq": seq,
                    "ts": "2026-11-25T22:51:56.123Z",
                    "type": "note.added",
                    "actor": "Ana",
                    "step": None,
                    "data": {"text": f"note {seq} 🙂 " * 5},
                    "prev": prev,
                }
            )
            log.write(line + "\n")
    size = journal.path.stat().st_size

    tracemalloc.start()
    try:
        result = journal.verify()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.ok and result.count == 20_000
    assert peak < size / 2


# --- torn tails -------------------------------------------------------------------------------


def test_set_aside_torn_keeps_every_earlier_event_and_moves_the_torn_bytes(tmp_path):
    journal = make_log(tmp_path, events=4)
    intact = journal.path.read_bytes()
    torn = '{"v":1,"seq":4,"data":{"text":"Désolé'.encode()
    with journal.path.open("ab") as log:
        log.write(torn)

    warning = journal.set_aside_torn()

    assert journal.path.read_bytes() == intact
    assert journal.torn_path.read_bytes() == torn
    assert mode(journal.torn_path) == 0o600
    assert f"{journal.path}:5:" in warning and str(journal.torn_path) in warning
    assert journal.verify().ok
    assert journal.set_aside_torn() is None


def test_set_aside_torn_appends_to_earlier_torn_bytes_and_logging_goes_on(tmp_path):
    journal = make_log(tmp_path, events=2)
    with journal.path.open("ab") as log:
        log.write(b'{"first":')
    journal.set_aside_torn()
    journal.append([note("after the first crash")])
    with journal.path.open("ab") as log:
        log.write(b"garbl")

    journal.set_aside_torn()

    assert journal.torn_path.read_bytes() == b'{"first":garbl'
    assert journal.verify().ok
    assert [event["seq"] for event in journal.events()] == [0, 1, 2]


def test_append_refuses_to_chain_onto_a_torn_tail(tmp_path):
    journal = make_log(tmp_path, events=2)
    with journal.path.open("ab") as log:
        log.write(b'{"v":1,')
    before = journal.path.read_bytes()

    with pytest.raises(JournalError, match="torn"):
        journal.append([note("x")])

    assert journal.path.read_bytes() == before


# --- locks and several processes --------------------------------------------------------------

HOLD_RUN_LOCK = """
import sys
from pathlib import Path
from crisisplay.journal import Journal
with Journal(Path(sys.argv[1])).run_lock():
    print("locked", flush=True)
    sys.stdin.read()
"""


def hold_run_lock(journal: Journal) -> subprocess.Popen:
    """Start a process that holds the run lock until its stdin closes."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_RUN_LOCK, str(journal.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    assert holder.wait(timeout=30) == 0


def test_run_lock_held_by_another_process_is_refused_with_its_holder_and_pid(tmp_path):
    import getpass

    journal = make_log(tmp_path, events=2)
    holder = hold_run_lock(journal)
    try:
        assert journal.is_running()
        who = re.escape(getpass.getuser())  # a run lock taken without a name is the login's
        busy = rf"incident {INCIDENT_ID} is being run by {who} in another terminal \(pid {holder.pid}\)"
        with pytest.raises(IncidentBusy, match=busy), journal.run_lock():
            pytest.fail("the run lock was taken twice")
        # A note from this second terminal still goes in while the run holds the incident.
        journal.append([note("from the second terminal")])
    finally:
        release(holder)

    assert not journal.is_running()
    with journal.run_lock():
        assert journal.is_running()
    assert journal.verify().ok and journal.verify().count == 3
    assert mode(journal.lock_path) == 0o600


def test_is_running_is_false_before_any_run(tmp_path):
    journal = make_log(tmp_path, events=1)

    assert not journal.is_running()
    assert not journal.lock_path.exists()


def test_run_lock_of_a_missing_incident_is_not_found_and_leaves_no_lock_file(tmp_path):
    journal = Journal(tmp_path / "20261125-225156-nothing-0000.jsonl")

    with pytest.raises(IncidentNotFound), journal.run_lock():
        pass
    assert not journal.lock_path.exists()


def test_run_lock_is_refused_to_a_second_taker_in_the_same_process(tmp_path):
    journal = make_log(tmp_path, events=1)

    with (
        journal.run_lock(),
        pytest.raises(IncidentBusy, match=rf"\(pid {os.getpid()}\)"),
        Journal(journal.path).run_lock(),
    ):
        pass


def append_decisions(path: str, worker: int, decisions: int, start) -> None:
    """Child process: log `decisions` two-event decisions as fast as possible."""
    start.wait()
    journal = Journal(Path(path))
    for number in range(decisions):
        tag = f"{worker}-{number}"
        journal.append([note(f"{tag} a", actor=f"w{worker}"), note(f"{tag} b", actor=f"w{worker}")])


def test_concurrent_appends_from_several_processes_keep_one_valid_chain(tmp_path):
    journal = make_log(tmp_path, events=1)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(4)
    workers = [
        context.Process(target=append_decisions, args=(str(journal.path), worker, 50, start)) for worker in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [process.exitcode for process in workers] == [0, 0, 0, 0]

    result = journal.verify()
    events = list(journal.events())
    texts = [event["data"]["text"] for event in events[1:]]

    assert result.ok and result.count == 1 + 4 * 50 * 2
    expected = [f"{w}-{n} {half}" for w in range(4) for n in range(50) for half in "ab"]
    assert sorted(texts) == sorted(expected)
    # Each decision's two events stayed together: one write per decision.
    for first, second in zip(texts[::2], texts[1::2], strict=False):
        assert first.endswith(" a") and second == first[:-1] + "b"
