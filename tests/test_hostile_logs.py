"""Hostile or unlucky files in the home: logs nested too deep, FIFOs, planted lock files, and a
platform without POSIX locks. Each ends in one clear line and the documented exit code, never a
traceback or a hang, and one bad log never hides the others."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from incident_logs import PAUSING, log_path, start_two_questions

from crisisplay.journal import MAX_DEPTH


def started(run_cli, cli_cwd: Path, cli_home: Path) -> tuple[str, Path]:
    """A paused incident of the two-question playbook: its id and its log."""
    incident = start_two_questions(run_cli, cli_cwd, PAUSING, 3)
    return incident, log_path(cli_home, incident)


def append_nested_note(log: Path, depth: int) -> int:
    """Chain a note whose data nests `depth` arrays deep onto the log, hash and all; its line number.

    Built as text: the json module itself cannot write (or read) a value nested thousands deep.
    """
    lines = log.read_bytes().splitlines()
    last = json.loads(lines[-1])
    event = {
        "v": 1,
        "seq": last["seq"] + 1,
        "ts": last["ts"],
        "type": "note.added",
        "actor": "Mallory",
        "step": None,
        "data": {"text": "X"},
        "prev": last["hash"],
    }
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    canonical = canonical.replace('"X"', "[" * depth + "]" * depth)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    with open(log, "ab") as handle:
        handle.write(f'{canonical[:-1]},"hash":"{digest}"}}\n'.encode())
    return len(lines) + 1


def test_a_line_nested_thousands_deep_is_a_corrupt_line_for_every_command(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    line = append_nested_note(log, 5000)
    (cli_cwd / "b.yaml").write_text("steps:\n  second: yes\n")

    for command, expected in (
        (("verify", incident), 1),
        (("export", incident), 1),
        (("incidents",), 1),
        (("resume", incident, "--answers", "b.yaml"), 2),
        (("note", incident, "hi"), 2),
        (("export", incident, "--force"), 0),
    ):
        code, out, err = run_cli(*command)
        assert "Traceback" not in err and "RecursionError" not in err, command
        assert code == expected, (command, code, err)
        if command[0] != "note":  # note reads only the last line: "not an event to chain onto"
            assert f"{log}:{line}: not a valid event: nested more than {MAX_DEPTH} levels deep" in out + err, command


def test_the_depth_limit_is_the_documented_one_not_the_interpreters(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    append_nested_note(log, MAX_DEPTH - 2)  # inside the event (1) and its data (2): exactly the limit
    assert run_cli("verify", incident)[0] == 0
    line = append_nested_note(log, MAX_DEPTH - 1)  # one more: the interpreter would read it, we do not

    code, out, _ = run_cli("verify", incident)

    assert code == 1 and f":{line}: not a valid event: nested more than {MAX_DEPTH} levels deep" in out
    documented = " ".join((Path(__file__).parents[1] / "docs" / "incident-log.md").read_text().split())
    assert f"nested more than {MAX_DEPTH} levels deep" in documented


def test_one_unreadable_log_never_hides_the_others_in_incidents(run_cli, cli_cwd, cli_home):
    good, _ = started(run_cli, cli_cwd, cli_home)
    bad, bad_log = started(run_cli, cli_cwd, cli_home)
    append_nested_note(bad_log, 5000)

    code, out, err = run_cli("incidents", "--format", "json")

    assert code == 1 and "Traceback" not in err
    rows = {row["id"]: row for row in json.loads(out)["incidents"]}
    assert rows[good]["status"] == "paused" and rows[good]["problems"] == []
    assert rows[bad]["status"] == "unreadable" and "nested more than" in rows[bad]["problems"][0]
    code, out, err = run_cli("incidents", "--real")  # filters never hide an unreadable log
    assert code == 1 and good in out and bad in out and "unreadable" in out


def test_a_fifo_in_place_of_a_log_or_a_lock_does_not_hang_incidents(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    os.mkfifo(log.with_name("20260101-000000-mini-0000.jsonl"))
    lock = log.with_name(f"{incident}.lock")
    lock.unlink()
    os.mkfifo(lock)

    code, out, err = run_cli("incidents", "--format", "json", timeout=30)

    assert code == 1 and "Traceback" not in err
    statuses = sorted(row["status"] for row in json.loads(out)["incidents"])
    assert statuses == ["unreadable", "unreadable"] and "not a regular file" in err


@pytest.mark.parametrize("stand_in", ["fifo", "device", "folder"])
@pytest.mark.parametrize(
    "command",
    [
        ["note", "{id}", "a note"],
        ["keys", "export", "{id}"],
        ["resume", "{id}"],
        ["close", "{id}", "--reason", "done"],
        ["purge", "{id}", "--reason", "retention period", "--yes"],
        ["verify", "{id}"],
        ["export", "{id}", "--format", "json"],
        ["severity", "{id}", "high", "--reason", "spreading"],
    ],
)
def test_a_fifo_a_device_or_a_folder_in_place_of_a_log_is_refused_at_once_by_every_command(
    run_cli, cli_home, command, stand_in
):
    """Not a hang (a FIFO blocks a plain open until a writer comes; /dev/zero never ends)."""
    incident = "20260101-000000-mini-0000"
    folder = cli_home / "incidents"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    log = folder / f"{incident}.jsonl"
    if stand_in == "fifo":
        os.mkfifo(log)
    elif stand_in == "device":
        log.symlink_to("/dev/zero")
    else:
        log.mkdir()

    code, _out, err = run_cli(*[part.format(id=incident) for part in command], timeout=30)

    assert code == 2 and "Traceback" not in err
    assert "not a regular file" in err, err


@pytest.mark.parametrize("damage", ["not json", "nested", "not an object"])
def test_note_refuses_a_log_with_a_corrupt_line_in_the_middle_and_leaves_it_as_it_was(
    run_cli, cli_cwd, cli_home, damage
):
    incident, log = started(run_cli, cli_cwd, cli_home)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = {
        "not json": b'{"this is": not json\n',
        "nested": b"[" * 150 + b"]" * 150 + b"\n",
        "not an object": b'"just a string"\n',
    }[damage]
    log.write_bytes(b"".join(lines))
    before = log.read_bytes()

    code, _out, err = run_cli("note", incident, "chained onto a damaged log?")

    assert code == 2 and "Traceback" not in err
    assert f"{log}:2:" in err, err
    assert log.read_bytes() == before
    assert run_cli("resume", incident)[0] == 2  # the same refusal as resume's


def test_resume_refuses_a_symlinked_lock_and_leaves_its_target_whole(run_cli, cli_cwd, cli_home, tmp_path):
    incident, log = started(run_cli, cli_cwd, cli_home)
    precious = tmp_path / "precious.txt"
    precious.write_text("someone else's file\n")
    lock = log.with_name(f"{incident}.lock")
    lock.unlink()
    lock.symlink_to(precious)
    (cli_cwd / "b.yaml").write_text("steps:\n  second: yes\n")
    before = log.read_bytes()

    code, _, err = run_cli("resume", incident, "--answers", "b.yaml")

    assert code == 2 and "Traceback" not in err
    assert f"{lock}: the run lock is a symbolic link" in err
    assert precious.read_text() == "someone else's file\n" and log.read_bytes() == before
    assert run_cli("close", incident, "--reason", "x")[0] == 2
    assert precious.read_text() == "someone else's file\n"


def test_a_run_lock_is_overwritten_in_place_never_truncated(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    lock = log.with_name(f"{incident}.lock")
    other = cli_home / "other.txt"
    other.write_text("x" * 100)
    lock.unlink()
    os.link(other, lock)  # a lock that is another file's second name

    code, _, err = run_cli("close", incident, "--reason", "duplicate")

    assert code == 2 and "hard links" in err and other.read_text() == "x" * 100
    lock.unlink()
    assert run_cli("close", incident, "--reason", "duplicate")[0] == 0
    assert lock.read_bytes().strip() == b"" and len(lock.read_bytes()) == 24  # the pid record, blanked


SITECUSTOMIZE = "import sys\nsys.modules['fcntl'] = None  # as on a platform without POSIX locks\n"


def test_without_posix_locks_the_commands_that_need_them_refuse_in_one_line(run_cli, cli_cwd, cli_home, tmp_path):
    incident, _ = started(run_cli, cli_cwd, cli_home)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}

    for command in (
        ("start", "mini.yaml", "--answers", "a.yaml"),
        ("resume", incident),
        ("verify", incident),
        ("export", incident),
        ("note", incident, "hi"),
        ("close", incident, "--reason", "x"),
        ("incidents",),
    ):
        code, _out, err = run_cli(*command, env=env)
        assert code == 2 and "Traceback" not in err, (command, err)
        assert err.count("\n") == 1 and "POSIX file locks (fcntl)" in err, (command, err)
    code, _out, err = run_cli("lint", "mini.yaml", env=env)  # what needs no lock still works
    assert code == 0, err


def test_a_forced_export_leaves_out_a_later_line_holding_a_lone_surrogate_never_a_traceback(run_cli, cli_cwd, cli_home):
    """Review of issue 16: after the first problem a forced export reads on unchecked; a line whose
    text is not valid Unicode (`\\ud800` escaped) cannot be written by any report, so it is left
    out, like a line that is not an event (before: a UnicodeEncodeError traceback in every format)."""
    incident, log = started(run_cli, cli_cwd, cli_home)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"seq":1', b'"seq":1,"x":1', 1)  # line 2 no longer matches its hash
    last = json.loads(lines[-1])
    note = {
        "v": 1,
        "seq": last["seq"] + 1,
        "ts": last["ts"],
        "type": "note.added",
        "actor": "Mallory",
        "step": None,
        "data": {"text": "@@"},
        "prev": last["hash"],
        "hash": "0" * 64,
    }
    line = json.dumps(note, sort_keys=True, separators=(",", ":")).replace("@@", "\\ud800 hi")
    log.write_bytes(b"".join(lines) + line.encode() + b"\n")
    surrogate_line = len(lines) + 1

    for fmt in ("md", "json", "csv", "html"):
        code, out, err = run_cli("export", incident, "--force", "--format", fmt)
        assert "Traceback" not in err and code == 0, (fmt, err)
        assert f"left out of this export: line {surrogate_line}" in out, fmt


def test_a_time_no_local_calendar_can_show_is_a_one_line_error_for_the_reports(run_cli, cli_cwd, cli_home, tmp_path):
    """Review of issue 16: a log rewritten (and re-chained) with the time 9999-12-31T23:59:59.999Z
    verifies, but east of UTC its local time is in year 10000: md and html said so with an
    OverflowError traceback. Now one line naming the log, exit 2, and no report file; the data
    formats, in UTC, still export it."""
    incident, log = started(run_cli, cli_cwd, cli_home)
    prev, lines = "0" * 64, []
    for number, raw in enumerate(log.read_bytes().splitlines()):
        event = json.loads(raw)
        del event["hash"]
        if number >= 2:
            event["ts"] = "9999-12-31T23:59:59.999Z"
        event["prev"] = prev
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256(canonical.encode()).hexdigest()
        lines.append(f'{canonical[:-1]},"hash":"{prev}"}}\n'.encode())
    log.write_bytes(b"".join(lines))
    assert run_cli("verify", incident)[0] == 0

    for fmt in ("md", "html"):
        target = tmp_path / f"report.{fmt}"
        code, _out, err = run_cli("export", incident, "--format", fmt, "-o", target, env={"TZ": "Europe/Madrid"})
        assert code == 2 and "Traceback" not in err, (fmt, err)
        assert "not a crisisplay incident log" in err and len(err.strip().splitlines()) == 1, err
        assert not target.exists()
    for fmt in ("json", "csv"):
        code, _out, err = run_cli("export", incident, "--format", fmt, env={"TZ": "Europe/Madrid"})
        assert code == 0, (fmt, err)
