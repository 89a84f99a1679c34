"""`crisisplay purge`: an incident's personal data erased for good (its key deleted after
`incident.purged` is logged), the log still verifying, and every command that logs what people
type refusing the incident afterwards. Through the real CLI, with CRISISPLAY_HOME in tmp_path."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from incident_logs import read_events, rechain

from crisisplay.store.base import open_store
from crisisplay.times import format_ts, parse_ts

# A playbook whose personal inputs appear nowhere but in their own events (no message renders
# them), so a purge must leave them nowhere at all.
REFUND = """\
crisisplay: 1
id: refund
title: A customer wants a refund
inputs:
  customer:
    prompt: Customer's name?
    personal: customer
  order:
    prompt: Order number?
    personal: order
  product:
    prompt: Which product?
phases:
  - id: only
    title: Only
    steps:
      - id: refund
        type: confirm
        prompt: Refund issued?
      - id: done
        type: confirm
        prompt: Done?
"""

CUSTOMER = "Zebulon Quxley"
ORDER = "ORD-77Q9X1"
FINISHED = f"inputs:\n  customer: {CUSTOMER}\n  order: {ORDER}\n  product: Kettle\nsteps:\n  refund: yes\n  done: yes\n"
PAUSED = f"inputs:\n  customer: {CUSTOMER}\n  order: {ORDER}\n  product: Kettle\nsteps:\n  refund: yes\n"


def start(run_cli, cwd: Path, answers: str = FINISHED) -> str:
    (cwd / "refund.yaml").write_text(REFUND)
    (cwd / "answers.yaml").write_text(answers)
    code, out, err = run_cli("start", "refund.yaml", "--answers", "answers.yaml", "--responder", "Tess")
    assert code == (0 if answers == FINISHED else 3), err
    return out.strip()


def key_file(home: Path, incident: str) -> Path:
    return home / "keys" / f"{incident}.key"


def files_holding(home: Path, *texts: str) -> list[str]:
    """Every file under `home` whose bytes hold one of `texts` (UTF-8), by relative path."""
    found = []
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            if any(text.encode("utf-8") in data for text in texts):
                found.append(str(path.relative_to(home)))
    return found


def head_of(run_cli, incident: str) -> str:
    code, out, err = run_cli("verify", incident, "-f", "json")
    assert code == 0, err
    return json.loads(out)["head"]


def listed(run_cli) -> dict[str, dict]:
    code, out, err = run_cli("incidents", "-f", "json")
    assert code == 0, err
    return {row["id"]: row for row in json.loads(out)["incidents"]}


def opened_values(home: Path, incident: str) -> list:
    log = open_store(None, home).open(incident)
    return [e["data"]["value"] for e in log.events() if e["type"] == "input.set"]


def test_purge_leaves_personal_data_nowhere_and_the_log_still_verifies(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd)
    assert listed(run_cli)[incident]["privacy"] == "sealed"
    assert CUSTOMER in opened_values(cli_home, incident)
    before = head_of(run_cli, incident)
    log = cli_home / "incidents" / f"{incident}.jsonl"
    bytes_before = log.read_bytes()

    code, _out, err = run_cli("purge", incident, "--reason", "retention period", "--yes", "--responder", "Tess")

    assert code == 0, err
    assert f"{incident}: purged; its key is deleted" in err
    assert not key_file(cli_home, incident).exists()
    assert files_holding(cli_home, CUSTOMER, ORDER) == []
    assert log.read_bytes().startswith(bytes_before)  # the earlier bytes unchanged: only appended
    purged = [e for e in read_events(log) if e["type"] == "incident.purged"]
    assert [(e["actor"], e["data"]["reason"]) for e in purged] == [("Tess", "retention period")]
    assert run_cli("verify", incident)[0] == 0
    code, out, err = run_cli("verify", incident, "--head", before)
    assert code == 0, err + out
    row = listed(run_cli)[incident]
    assert (row["status"], row["privacy"]) == ("closed", "purged")
    assert opened_values(cli_home, incident)[:2] == [None, None]  # erased is None inside
    code, out, _err = run_cli("incidents")
    assert "(purged)" in out
    for kind in ("md", "json", "csv", "html"):
        code, out, err = run_cli("export", incident, "-f", kind)
        assert code == 0, err
        assert CUSTOMER not in out and ORDER not in out, kind
        assert kind == "json" or "erased" in out, kind  # json: null, as inside (docs/exports.md)


def test_purging_again_is_reported_and_skipped(run_cli, cli_cwd):
    incident = start(run_cli, cli_cwd)
    assert run_cli("purge", incident, "--reason", "request", "--yes")[0] == 0

    code, out, err = run_cli("purge", incident, "--reason", "request", "--yes", "-f", "json")

    assert code == 0, err
    assert f"{incident}: already purged" in err
    assert json.loads(out)["incidents"][0]["outcome"] == "already-purged"


def test_purge_asks_first_and_without_a_terminal_needs_yes(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd)

    code, _out, err = run_cli("purge", incident, "--reason", "request", input="yes\n")

    assert code == 2
    assert "--yes" in err and len(err.strip().splitlines()) == 1
    assert key_file(cli_home, incident).exists()
    assert "incident.purged" not in (cli_home / "incidents" / f"{incident}.jsonl").read_text()


def test_purge_needs_a_reason_and_one_way_of_choosing(run_cli, cli_cwd):
    incident = start(run_cli, cli_cwd)

    assert run_cli("purge", incident, "--yes")[0] == 2
    assert run_cli("purge", incident, "--reason", "  ", "--yes")[0] == 2
    code, _out, err = run_cli("purge", incident, "--due", "--reason", "r", "--yes")
    assert code == 2 and "one of" in err
    code, _out, err = run_cli("purge", "--due", "--reason", "r", "--yes")
    assert code == 2 and "retention" in err  # no `retention` configured
    code, _out, err = run_cli("purge", "--older-than", "soon", "--reason", "r", "--yes")
    assert code == 2 and "180d" in err


def test_purge_refuses_an_incident_a_run_holds(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd, PAUSED)
    log = open_store(None, cli_home).open(incident)

    with log.lease("Somebody else", 30):
        code, _out, err = run_cli("purge", incident, "--reason", "request", "--yes")

    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert key_file(cli_home, incident).exists()


def test_purge_refuses_a_log_written_before_encryption(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd)
    plain = make_plain(cli_home, incident)

    code, _out, err = run_cli("purge", plain, "--reason", "request", "--yes")

    assert code == 2
    assert "written before encryption" in err
    row = listed(run_cli)[plain]
    assert row["privacy"] == "plain"
    assert "cannot be purged" in run_cli("incidents")[1]


def make_plain(home: Path, incident: str) -> str:
    """A copy of `incident` as a log written before encryption: no fingerprint, plain values, no key."""
    events = read_events(home / "incidents" / f"{incident}.jsonl")
    plain_id = incident[:-4] + "0000"

    def unsealed(value):
        if isinstance(value, dict):
            if "$enc" in value:
                return "plain " + value["kind"]
            return {k: unsealed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unsealed(v) for v in value]
        return value

    out = []
    for event in events:
        data = unsealed(event["data"])
        if event["type"] == "incident.started":
            data.pop("key_fingerprint")
            data["incident_id"] = plain_id
        out.append({**event, "data": data})
    path = home / "incidents" / f"{plain_id}.jsonl"
    path.write_text(rechain(out))
    path.chmod(0o600)
    return plain_id


def shifted_back(home: Path, incident: str, days: int) -> None:
    """Move every time in the incident's log `days` into the past (re-chained: a forged but valid log)."""
    path = home / "incidents" / f"{incident}.jsonl"

    def back(text: str) -> str:
        return format_ts(parse_ts(text) - timedelta(days=days))

    out = []
    for event in read_events(path):
        data = dict(event["data"])
        if event["type"] == "incident.started":
            data["detected_at"] = back(data["detected_at"])
        out.append({**event, "ts": back(event["ts"]), "data": data})
    path.write_text(rechain(out))
    past = datetime.now(UTC).timestamp() - 10  # older than the listing cache's "settled" window
    os.utime(path, (past, past))


def test_scheduled_purge_counts_from_the_close_and_skips_open_incidents(run_cli, cli_home, cli_cwd):
    old = start(run_cli, cli_cwd)
    recent = start(run_cli, cli_cwd)
    still_open = start(run_cli, cli_cwd, PAUSED)
    shifted_back(cli_home, old, 200)
    shifted_back(cli_home, still_open, 200)
    (cli_home / "config.toml").write_text('retention = "180d"\n')

    code, _out, err = run_cli("incidents")
    assert code == 0
    assert (
        '1 closed incident(s) are past the retention period (180d): `crisisplay purge --due --reason "retention period"`'
        in err
    )

    code, out, err = run_cli("purge", "--due", "--reason", "retention period", "--yes", "-f", "json")

    assert code == 0, err
    assert [r["incident"] for r in json.loads(out)["incidents"]] == [old]
    rows = listed(run_cli)
    assert {i: rows[i]["privacy"] for i in (old, recent, still_open)} == {
        old: "purged",
        recent: "sealed",
        still_open: "sealed",
    }
    assert "past the retention period" not in run_cli("incidents")[2]
    code, _out, err = run_cli("purge", "--older-than", "180d", "--reason", "retention period", "--yes")
    assert code == 0 and "No incident to purge" in err
    code, out, err = run_cli("purge", "--older-than", "0s", "--reason", "retention period", "--yes", "-f", "json")
    assert [r["incident"] for r in json.loads(out)["incidents"]] == [recent]  # the open one is never due


def test_a_drill_is_due_from_when_it_was_closed_not_from_its_scenario_time(run_cli, cli_home, cli_cwd):
    """A drill's scenario clock runs ahead (pricing-error's example: ~26 minutes in seconds): its
    `closed`, which retention counts from, is the wall time its `incident.closed` was logged."""
    answers = Path(__file__).resolve().parents[1] / "examples" / "pricing-error.answers.yaml"
    code, out, err = run_cli("start", "pricing-error", "--drill", "--answers", str(answers), "--responder", "Ana")
    assert code == 0, err
    drill = out.splitlines()[0]
    closed = next(e for e in read_events(cli_home / "incidents" / f"{drill}.jsonl") if e["type"] == "incident.closed")
    assert closed["data"]["scenario_ms"] > 60_000  # the scenario clock is well ahead of the wall clock

    assert listed(run_cli)[drill]["closed"] == closed["ts"]
    code, out, err = run_cli("purge", "--older-than", "0s", "--reason", "retention period", "--yes", "-f", "json")
    assert code == 0, err
    assert [r["incident"] for r in json.loads(out)["incidents"]] == [drill]


def test_an_explicit_purge_of_a_paused_incident_leaves_it_unresumable(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd, PAUSED)

    assert run_cli("purge", incident, "--reason", "erasure request 4711", "--yes")[0] == 0

    (cli_cwd / "rest.yaml").write_text("steps:\n  done: yes\n")
    for args in (
        ("resume", incident, "--answers", "rest.yaml"),
        ("note", incident, "called back"),
        ("close", incident, "--reason", "false alarm"),
        ("severity", incident, "high", "--reason", "press"),
        ("assign", incident, "lead", "Ana Ruiz"),
    ):
        code, _out, err = run_cli(*args)
        assert code == 2, (args, err)
        assert "was purged" in err and len(err.strip().splitlines()) == 1, (args, err)
    assert files_holding(cli_home, CUSTOMER, ORDER, "called back", "Ana Ruiz", "press") == []


def interrupted_purge(home: Path, incident: str) -> None:
    """What a SIGKILL between a purge's append and its key's deletion leaves: the event, and the key."""
    from crisisplay.events import make_event

    log = open_store(None, home).open(incident)
    log.append([make_event("incident.purged", "Tess", None, {"reason": "request"}, datetime.now(UTC))])
    log.close()
    assert key_file(home, incident).exists()


@pytest.mark.parametrize(
    "command",
    [("incidents",), ("note", "{id}", "x"), ("resume", "{id}"), ("purge", "{id}", "--reason", "r", "--yes")],
)
def test_a_purge_killed_before_its_key_was_deleted_is_finished_by_the_next_command(run_cli, cli_home, cli_cwd, command):
    incident = start(run_cli, cli_cwd, PAUSED)
    interrupted_purge(cli_home, incident)

    run_cli(*(part.format(id=incident) for part in command))

    assert not key_file(cli_home, incident).exists()
    assert files_holding(cli_home, CUSTOMER, ORDER) == []
    assert listed(run_cli)[incident]["privacy"] == "purged"


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
@pytest.mark.parametrize("redact", [False, True])
def test_an_export_after_a_purge_killed_before_its_key_was_deleted_shows_nothing_personal(
    run_cli, cli_home, cli_cwd, fmt, redact
):
    incident = start(run_cli, cli_cwd, PAUSED)
    interrupted_purge(cli_home, incident)

    code, out, err = run_cli("export", incident, "--format", fmt, *(("--redact",) if redact else ()))

    assert code == 0, err
    assert "Traceback" not in err and err.strip() == ""  # purged: nothing to warn about
    assert CUSTOMER not in out and ORDER not in out
    assert ("$enc" in out) == (fmt == "json" and not redact)  # the json keeps its events as logged
    assert not key_file(cli_home, incident).exists()  # the export finished the purge
    assert files_holding(cli_home, CUSTOMER, ORDER) == []


def test_a_key_missing_without_a_purge_reads_as_missing_not_purged(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd, PAUSED)
    key_file(cli_home, incident).unlink()

    assert listed(run_cli)[incident]["privacy"] == "key-missing"
    assert "(key missing, not purged)" in run_cli("incidents")[1]
    code, _out, err = run_cli("note", incident, "called back")
    assert code == 2 and "missing, not purged" in err and len(err.strip().splitlines()) == 1
    code, _out, err = run_cli("resume", incident, "--answers", "answers.yaml")
    assert code == 2 and "missing, not purged" in err
    assert "called back" not in (cli_home / "incidents" / f"{incident}.jsonl").read_text()
    # Purging it records the erasure: it is purged from then on.
    assert run_cli("purge", incident, "--reason", "request", "--yes")[0] == 0
    assert listed(run_cli)[incident]["privacy"] == "purged"


@pytest.mark.parametrize(
    "command",
    [
        ("note", "{id}", "hello"),
        ("resume", "{id}"),
        ("close", "{id}", "--reason", "x"),
        ("severity", "{id}", "high", "--reason", "x"),
        ("keys", "export", "{id}"),
        ("export", "{id}"),
    ],
)
def test_a_key_file_others_can_read_is_refused_in_one_line(run_cli, cli_home, cli_cwd, command):
    incident = start(run_cli, cli_cwd, PAUSED)
    key = key_file(cli_home, incident)
    key.chmod(0o644)

    code, _out, err = run_cli(*(part.format(id=incident) for part in command))

    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "chmod 600" in err and str(key) in err
    assert stat.S_IMODE(key.stat().st_mode) == 0o644  # refused, not "fixed" behind the user's back


def test_a_key_file_that_is_a_symbolic_link_is_refused_saying_so(run_cli, cli_home, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    key = key_file(cli_home, incident)
    elsewhere = tmp_path / "elsewhere.key"
    key.rename(elsewhere)
    key.symlink_to(elsewhere)

    code, _out, err = run_cli("note", incident, "Customer called back")

    assert code == 2, err
    assert err.strip().splitlines() == [
        f"crisisplay: error: {key}: the incident's key is a symbolic link, not a regular file; refused"
    ]


def test_a_key_others_could_read_is_purged_all_the_same(run_cli, cli_home, cli_cwd):
    """A key that may have leaked is a reason to purge, not an obstacle: purge reads nothing sealed."""
    incident = start(run_cli, cli_cwd, PAUSED)
    key = key_file(cli_home, incident)
    key.chmod(0o644)
    code, _out, err = run_cli("purge", incident, "--reason", "key exposed", "--yes")
    assert code == 0, err
    assert not key.exists()
    assert listed(run_cli)[incident]["privacy"] == "purged"


def test_incidents_warns_about_a_key_file_others_can_read(run_cli, cli_home, cli_cwd):
    incident = start(run_cli, cli_cwd)
    key_file(cli_home, incident).chmod(0o644)

    code, out, err = run_cli("incidents", "-f", "json")

    assert code == 1
    assert re.search(r"warning: .*can be read by others", err)
    assert json.loads(out)["incidents"][0]["privacy"] == "key-refused"


def test_retention_must_be_a_duration_of_a_day_or_more(run_cli, cli_home):
    for bad in ('"soon"', '"2h"', "180"):
        (cli_home / "config.toml").write_text(f"retention = {bad}\n")
        code, _out, err = run_cli("incidents")
        assert code == 2 and "retention" in err and "config.toml:1" in err, bad
    (cli_home / "config.toml").write_text('retention = "730d"\n')
    assert run_cli("incidents")[0] == 0


@pytest.mark.parametrize(("answer", "purged"), [("yes", True), ("no", False)])
def test_purge_on_a_terminal_asks_for_yes_first(run_cli, cli_home, cli_cwd, answer, purged):
    import sys

    import pexpect
    from conftest import cli_environment

    incident = start(run_cli, cli_cwd)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "crisisplay", "purge", incident, "--reason", "request"],
        env=cli_environment(cli_home),
        cwd=str(cli_cwd),
        encoding="utf-8",
        timeout=30,
    )
    child.expect("will be erased for good")
    child.expect("Type yes to purge: ")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == (0 if purged else 2)
    assert key_file(cli_home, incident).exists() is not purged


def test_purge_on_the_postgresql_store_leaves_no_personal_row(run_cli, cli_cwd):
    import psycopg
    from pg_helpers import drop_schema, fresh_schema

    dsn, schema = fresh_schema()
    try:
        env = {"CRISISPLAY_STORE": dsn}
        (cli_cwd / "refund.yaml").write_text(REFUND)
        (cli_cwd / "answers.yaml").write_text(FINISHED)
        code, out, err = run_cli("start", "refund.yaml", "--answers", "answers.yaml", env=env)
        assert code == 0, err
        incident = out.strip()
        before = json.loads(run_cli("verify", incident, "-f", "json", env=env)[1])["head"]

        code, _out, err = run_cli("purge", incident, "--reason", "retention period", "--yes", env=env)

        assert code == 0, err
        with psycopg.connect(dsn) as conn:
            rows = [str(row) for row in conn.execute("SELECT * FROM events")]
            rows += [str(row) for row in conn.execute("SELECT * FROM incident_keys")]
        assert rows and not [row for row in rows if CUSTOMER in row or ORDER in row]
        assert run_cli("verify", incident, "--head", before, env=env)[0] == 0
        code, out, _err = run_cli("incidents", "-f", "json", env=env)
        assert json.loads(out)["incidents"][0]["privacy"] == "purged"
        assert run_cli("note", incident, "x", env=env)[0] == 2
    finally:
        drop_schema(schema)


def test_purging_several_goes_on_past_a_refusal_and_exits_with_it(run_cli, cli_home, cli_cwd):
    sealed = start(run_cli, cli_cwd)
    plain = make_plain(cli_home, sealed)
    other = start(run_cli, cli_cwd)

    code, out, err = run_cli("purge", plain, sealed, other, "--reason", "request", "--yes", "-f", "json")

    assert code == 2, err
    outcomes = {r["incident"]: r["outcome"] for r in json.loads(out)["incidents"]}
    assert outcomes == {plain: "refused", sealed: "purged", other: "purged"}
    assert f"{plain}: not purged: " in err


def test_store_copy_of_a_purged_incident_deletes_the_key_a_copy_before_the_purge_left(
    run_cli, cli_home, cli_cwd, tmp_path
):
    from crisisplay.store.copy import COPIED, DIFFERENT, SAME, copy_incidents
    from crisisplay.store.files import FileStore
    from crisisplay.store.keys import FileKeys

    incident = start(run_cli, cli_cwd)
    kept = FileKeys(tmp_path / "archive-keys")  # the archive's keys, which a copy fills
    archive = FileStore(tmp_path / "archive", kept)
    assert [r.outcome for r in copy_incidents(open_store(None, cli_home), archive)] == [COPIED]
    assert kept.get(incident) is not None
    code, _, err = run_cli("purge", incident, "--reason", "erasure request", "--yes")
    assert code == 0, err
    # The archive holds the log as it was before the purge: a different head, never overwritten;
    # but the key that opens its personal values goes.
    assert [r.outcome for r in copy_incidents(open_store(None, cli_home), archive)] == [DIFFERENT]
    assert kept.get(incident) is None
    assert [r.outcome for r in copy_incidents(open_store(None, cli_home), FileStore(tmp_path / "b", kept))] == [COPIED]

    kept.put(incident, key_of_copy := os.urandom(32))  # a key that is not this log's is left alone
    again = copy_incidents(open_store(None, cli_home), FileStore(tmp_path / "b", kept))
    assert [r.outcome for r in again] == [SAME] and kept.get(incident) == key_of_copy
