"""Exports check what they export: a log `verify` would reject is refused, or with --force marked in
every format; `verify` checks the file name; `incidents` lists each incident once, by the id inside."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from incident_logs import FINISHING, log_path, start_two_questions

from crisisplay.errors import JournalError
from crisisplay.journal import Journal
from crisisplay.metrics import measure_log

FORMATS = ("md", "html", "json", "csv")


def started(run_cli, cli_cwd: Path, cli_home: Path) -> tuple[str, Path]:
    """A finished incident of the two-question playbook: its id and its log."""
    incident = start_two_questions(run_cli, cli_cwd, FINISHING, 0)
    return incident, log_path(cli_home, incident)


def edit_line(log: Path, number: int) -> None:
    """Change one letter of the actor on line `number`, hash untouched: what a careless hand edit does."""
    lines = log.read_bytes().splitlines(keepends=True)
    at = lines[number - 1].index(b'"actor":"') + len(b'"actor":"')
    line = bytearray(lines[number - 1])
    line[at] = ord("X") if line[at] != ord("X") else ord("Y")
    lines[number - 1] = bytes(line)
    log.write_bytes(b"".join(lines))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_of_an_edited_log_is_refused_with_exit_1_naming_the_line(fmt, run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    edit_line(log, 3)

    code, out, err = run_cli("export", incident, "--format", fmt, "-o", "report")

    assert code == 1, err
    assert f"{log}:3: edited" in err and "--force" in err and "Traceback" not in err
    assert out == "" and not (cli_cwd / "report").exists()


def test_forced_export_of_an_edited_log_is_marked_not_verified_in_every_format(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    edit_line(log, 3)
    outputs = {}
    for fmt in FORMATS:
        code, outputs[fmt], err = run_cli("export", incident, "--format", fmt, "--force")
        assert code == 0, err
        assert "warning:" in err and ":3: edited" in err

    assert "> **Log not verified: line 3: edited: its hash does not match its content" in outputs["md"]
    assert "| Verification | log not verified: line 3: edited" in outputs["md"]
    assert '<p class="banner unverified">Log not verified: line 3: edited' in outputs["html"]
    document = json.loads(outputs["json"])
    assert document["verification"]["verified"] is False
    assert document["verification"]["problem"] == {
        "line": 3,
        "kind": "edited",
        "reason": "edited: its hash does not match its content",
    }
    assert document["verification"]["events_verified"] == 2
    assert len(document["events"]) == len(log.read_bytes().splitlines())  # every event is there, marked
    rows = list(csv.DictReader(io.StringIO(outputs["csv"], newline="")))
    assert len(rows) == len(document["events"])  # still one row per event
    assert {row["verification"] for row in rows} == {
        "log not verified: line 3: edited: its hash does not match its content"
    }


def test_a_verified_export_shows_the_head_hash_and_chain_verified_in_every_format(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    head = json.loads(log.read_bytes().splitlines()[-1])["hash"]
    outputs = {fmt: run_cli("export", incident, "--format", fmt)[1] for fmt in FORMATS}

    assert f"| Head hash | {head} |" in outputs["md"] and "| Verification | chain verified |" in outputs["md"]
    assert '<dt>Verification</dt><dd dir="auto">chain verified</dd>' in outputs["html"] and head in outputs["html"]
    assert "not verified" not in outputs["md"] + outputs["html"]
    document = json.loads(outputs["json"])
    assert document["verification"] == {
        "verified": True,
        "summary": "chain verified",
        "events_verified": len(document["events"]),
        "last_verified_hash": head,
        "problem": None,
        "left_out": [],
    }
    rows = list(csv.DictReader(io.StringIO(outputs["csv"], newline="")))
    assert rows[-1]["hash"] == head and {row["verification"] for row in rows} == {"chain verified"}


def test_forced_export_leaves_out_a_line_that_is_no_event_and_says_which(run_cli, cli_cwd, cli_home):
    incident, log = started(run_cli, cli_cwd, cli_home)
    lines = log.read_bytes().splitlines(keepends=True)
    lines[2] = b"this is not json\n"
    log.write_bytes(b"".join(lines))

    assert run_cli("export", incident, "--format", "json")[0] == 1
    code, out, err = run_cli("export", incident, "--format", "json", "--force")

    assert code == 0, err
    document = json.loads(out)
    assert document["verification"]["left_out"] == [3]
    assert document["verification"]["summary"].endswith("left out of this export: line 3")
    assert len(document["events"]) == len(lines) - 1


def test_a_log_copied_over_another_incidents_file_fails_verify_and_export_on_line_1(run_cli, cli_cwd, cli_home):
    first, first_log = started(run_cli, cli_cwd, cli_home)
    second, second_log = started(run_cli, cli_cwd, cli_home)
    shutil.copyfile(first_log, second_log)  # the chain itself holds: only the name gives it away

    code, out, _ = run_cli("verify", second)
    assert code == 1
    assert f"{second_log}:1: the log holds incident '{first}' but its file is named '{second}.jsonl'" in out
    assert run_cli("verify", first)[0] == 0

    code, out, err = run_cli("export", second, "--format", "json")
    assert code == 1 and f"{second_log}:1:" in err and out == ""
    code, out, err = run_cli("export", second, "--format", "json", "--force")
    assert code == 0 and json.loads(out)["verification"]["problem"]["kind"] == "misnamed"


def test_incidents_lists_a_copied_log_once_by_the_id_inside_and_flags_the_file(run_cli, cli_cwd, cli_home):
    first, first_log = started(run_cli, cli_cwd, cli_home)
    second, second_log = started(run_cli, cli_cwd, cli_home)
    shutil.copyfile(first_log, second_log)

    code, out, err = run_cli("incidents", "--format", "json")

    assert code == 1 and "Traceback" not in err
    (row,) = json.loads(out)["incidents"]
    assert row["id"] == first and row["file"] == f"{first}.jsonl"
    (problem,) = row["problems"]
    assert f"{second}.jsonl" in problem and "file name" in problem and problem in err
    code, out, err = run_cli("incidents")
    assert code == 1 and out.count(first) == 1 and second not in out and "(see warning)" in out


def test_incidents_flags_a_renamed_log_under_the_id_inside(run_cli, cli_cwd, cli_home):
    first, first_log = started(run_cli, cli_cwd, cli_home)
    renamed = first_log.with_name(first[:-4] + "ffff.jsonl")
    first_log.rename(renamed)

    code, out, _err = run_cli("incidents", "--format", "json")

    assert code == 1
    (row,) = json.loads(out)["incidents"]
    assert row["id"] == first and row["file"] == renamed.name and renamed.name in row["problems"][0]


def test_a_log_changed_between_the_two_passes_of_a_data_export_is_refused(tmp_path, run_cli, cli_cwd, cli_home):
    from crisisplay.journal import ChainCheck

    _, log = started(run_cli, cli_cwd, cli_home)
    journal = Journal(log)
    check = ChainCheck(journal, fingerprint=True)
    measure_log(journal, check=check)
    assert check.result.ok
    edit_line(log, 2)  # same length, same count, same head: only the bytes of line 2 differ

    with pytest.raises(JournalError, match="changed while it was being exported"):
        list(check.lines_again())
