"""`crisisplay keys export/import`: an incident's key moved to another machine (or a backup) and
back, and every key that must not be imported refused. Through the real CLI."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from conftest import cli_environment
from test_purge import CUSTOMER, PAUSED, key_file, listed, opened_values, start

from crisisplay.store.sealing import key_text, new_key


def run_in(home: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    """The CLI against another home (a colleague's machine)."""
    done = subprocess.run(
        [sys.executable, "-m", "crisisplay", *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_environment(home),
        cwd=home,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def copy_log(source: Path, target: Path, incident: str) -> None:
    (target / "incidents").mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy2(source / "incidents" / f"{incident}.jsonl", target / "incidents" / f"{incident}.jsonl")


def test_a_key_exported_and_imported_into_a_second_home_opens_the_copied_log(run_cli, cli_home, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    exported = tmp_path / "incident.key"

    code, _out, err = run_cli("keys", "export", incident, "-o", exported)

    assert code == 0, err
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert exported.read_text() == key_file(cli_home, incident).read_text()
    assert run_cli("keys", "export", incident)[1] == exported.read_text()  # standard output without -o

    colleague = tmp_path / "colleague"
    colleague.mkdir()
    copy_log(cli_home, colleague, incident)
    assert listed_in(colleague)[incident]["privacy"] == "key-missing"
    assert opened_values(colleague, incident)[:2] == [None, None]

    code, _out, err = run_in(colleague, "keys", "import", incident, str(exported))

    assert code == 0, err
    assert stat.S_IMODE(key_file(colleague, incident).stat().st_mode) == 0o600
    assert CUSTOMER in opened_values(colleague, incident)
    assert listed_in(colleague)[incident]["privacy"] == "sealed"
    assert run_in(colleague, "note", incident, "called back")[0] == 0  # writable again

    # The same key again: nothing to do. From standard input too.
    code, _out, err = run_in(colleague, "keys", "import", incident, "-", input=exported.read_text())
    assert code == 0 and "nothing changed" in err


def listed_in(home: Path) -> dict[str, dict]:
    import json

    code, out, err = run_in(home, "incidents", "-f", "json")
    assert code == 0, err
    return {row["id"]: row for row in json.loads(out)["incidents"]}


def test_import_refuses_another_incidents_key(run_cli, cli_cwd, tmp_path):
    first = start(run_cli, cli_cwd, PAUSED)
    second = start(run_cli, cli_cwd, PAUSED)
    run_cli("keys", "export", first, "-o", tmp_path / "first.key")

    code, _out, err = run_cli("keys", "import", second, tmp_path / "first.key")

    assert code == 2
    assert f"the key of incident {first}, not of {second}" in err


def test_a_key_that_does_not_match_the_log_is_never_imported(run_cli, cli_home, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    key_file(cli_home, incident).unlink()
    forged = tmp_path / "forged.key"
    forged.write_text(key_text(incident, new_key()))

    for extra in ((), ("--replace",)):
        code, _out, err = run_cli("keys", "import", incident, forged, *extra)
        assert code == 2
        assert "never imported" in err
    assert not key_file(cli_home, incident).exists()


def test_a_different_key_kept_is_replaced_only_with_replace(run_cli, cli_home, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    backup = tmp_path / "backup.key"
    run_cli("keys", "export", incident, "-o", backup)
    kept = key_file(cli_home, incident)
    kept.write_text("garbage\n")  # a corrupt key: the incident reads as erased, with a warning
    assert listed(run_cli)[incident]["privacy"] == "key-wrong"

    code, _out, err = run_cli("keys", "import", incident, backup)
    assert code == 2 and "--replace" in err
    assert kept.read_text() == "garbage\n"

    code, _out, err = run_cli("keys", "import", incident, backup, "--replace")
    assert code == 0, err
    assert kept.read_text() == backup.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert listed(run_cli)[incident]["privacy"] == "sealed"


def test_keys_export_never_writes_over_a_file(run_cli, cli_home, cli_cwd, tmp_path):
    first, second = start(run_cli, cli_cwd, PAUSED), start(run_cli, cli_cwd, PAUSED)
    backup = tmp_path / "incident.key"
    assert run_cli("keys", "export", first, "-o", backup)[0] == 0
    kept = backup.read_text()

    code, _out, err = run_cli("keys", "export", second, "-o", backup)  # another incident's key is there

    assert code == 2 and "exists already" in err and "Traceback" not in err
    assert backup.read_text() == kept  # the first backup is untouched
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    # The same key exported again to the same file changes nothing and succeeds.
    assert run_cli("keys", "export", first, "-o", backup)[0] == 0
    assert backup.read_text() == kept == key_file(cli_home, first).read_text()


def test_a_purged_incidents_key_is_never_exported_nor_put_back(run_cli, cli_home, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    backup = tmp_path / "backup.key"
    run_cli("keys", "export", incident, "-o", backup)
    assert run_cli("purge", incident, "--reason", "request", "--yes")[0] == 0

    code, out, err = run_cli("keys", "export", incident)
    assert code == 2 and out == "" and "purged" in err
    code, _out, err = run_cli("keys", "import", incident, backup)
    assert code == 2 and "purged" in err
    assert not key_file(cli_home, incident).exists()


def test_keys_refuses_what_is_not_a_key_and_unknown_words(run_cli, cli_cwd, tmp_path):
    incident = start(run_cli, cli_cwd, PAUSED)
    (tmp_path / "nonsense").write_bytes(b"\xff\x00 not a key")

    for args in (
        ("keys", "import", incident, tmp_path / "nonsense"),
        ("keys", "import", incident, tmp_path / "absent.key"),
        ("keys", "rotate", incident),
        ("keys", "export", incident, "extra"),
    ):
        code, _out, err = run_cli(*args)
        assert code == 2, args
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (args, err)


def test_keys_export_of_a_log_written_before_encryption_says_why(run_cli, cli_home, cli_cwd):
    from test_purge import make_plain

    incident = start(run_cli, cli_cwd)
    plain = make_plain(cli_home, incident)

    code, _out, err = run_cli("keys", "export", plain)

    assert code == 2 and "written before encryption" in err
    assert not os.path.exists(key_file(cli_home, plain))


def test_a_key_is_exported_where_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    """A USB stick's FAT refuses link(2) (EPERM): the key is written in place, new-file-only all the same."""
    import errno

    import pytest

    from crisisplay.cli import privacy
    from crisisplay.errors import UsageError

    def no_links(source, target):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(privacy.os, "link", no_links)
    stick = tmp_path / "stick"
    stick.mkdir()
    text = key_text("20261130-080000-x-0000", new_key())
    privacy._write_private(stick / "incident.key", text)
    assert (stick / "incident.key").read_text() == text
    assert stat.S_IMODE((stick / "incident.key").stat().st_mode) == 0o600
    assert [p.name for p in stick.iterdir()] == ["incident.key"]  # no temporary file left
    privacy._write_private(stick / "incident.key", text)  # the same key again: nothing to do
    with pytest.raises(UsageError, match="exists already"):
        privacy._write_private(stick / "incident.key", key_text("20261130-080000-y-0000", new_key()))
    assert (stick / "incident.key").read_text() == text
