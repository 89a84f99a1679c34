"""Where `export -o` writes, and what a CSV may hold: special files are written as streams and never
replaced, a path that names a missing folder is refused, and no control character reaches a CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from incident_logs import FINISHING, cli_env, log_path, opened, start_two_questions

# C0 and C1 controls but tab and newline (and the CRLF that ends each CSV row).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def started(run_cli, cli_cwd: Path) -> str:
    return start_two_questions(run_cli, cli_cwd, FINISHING, 0)


def a_null_device(tmp_path: Path) -> Path:
    """A character device like /dev/null: our own node where we may make one, so a regression
    cannot replace the machine's /dev/null; /dev/null itself otherwise (then nobody can replace it)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        return Path("/dev/null")
    return node


def test_export_to_a_character_device_writes_through_it_and_never_replaces_it(run_cli, cli_cwd, tmp_path):
    incident = started(run_cli, cli_cwd)
    device = a_null_device(tmp_path)

    code, _out, err = run_cli("export", incident, "-o", device)

    assert code == 0, err
    assert stat.S_ISCHR(device.stat().st_mode) and device.stat().st_rdev == os.makedev(1, 3)
    assert [p.name for p in device.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_export_to_a_fifo_streams_into_it_and_leaves_the_fifo(run_cli, cli_cwd, tmp_path):
    incident = started(run_cli, cli_cwd)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()

    code, _, err = run_cli("export", incident, "--format", "json", "-o", fifo)
    reader.join(timeout=30)

    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and json.loads(received[0])["incident"]["id"] == incident


def test_export_to_a_link_to_standard_output_writes_to_standard_output(run_cli, cli_cwd, tmp_path):
    incident = started(run_cli, cli_cwd)
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")  # what /dev/stdout is; a link of our own, so nothing shared is at risk

    code, out, err = run_cli("export", incident, "--format", "json", "-o", stdout)

    assert code == 0, err
    assert json.loads(out)["incident"]["id"] == incident
    assert stdout.is_symlink() and os.readlink(stdout) == "/proc/self/fd/1"


def test_export_to_standard_output_redirected_to_a_file_appends_as_the_shell_asked(
    run_cli, cli_cwd, cli_home, tmp_path
):
    incident = started(run_cli, cli_cwd)
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")
    captured = tmp_path / "captured.txt"
    captured.write_text("kept\n")

    with open(captured, "ab") as redirect:  # `crisisplay export … -o /dev/stdout >> captured.txt`
        done = subprocess.run(
            [sys.executable, "-m", "crisisplay", "export", incident, "-o", str(stdout)],
            stdout=redirect,
            stderr=subprocess.PIPE,
            env=cli_env(cli_home),
            cwd=cli_cwd,
            timeout=60,
        )

    assert done.returncode == 0, done.stderr
    text = captured.read_text(encoding="utf-8")
    assert text.startswith("kept\n# Post-mortem: Two questions")


def test_export_through_a_symlink_replaces_the_file_it_points_to_and_keeps_the_link(run_cli, cli_cwd, tmp_path):
    incident = started(run_cli, cli_cwd)
    target = tmp_path / "reports" / "2026.md"
    target.parent.mkdir()
    target.write_text("last year's report")
    os.chmod(target, 0o644)
    link = cli_cwd / "current.md"
    link.symlink_to(target)

    code, _, err = run_cli("export", incident, "-o", "current.md")

    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8").startswith("# Post-mortem")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["2026.md"]


@pytest.mark.parametrize("given", ["out/missing/", "out/missing/report.md", "nowhere/report.md"])
def test_an_output_path_in_a_missing_folder_is_refused_and_nothing_is_created(given, run_cli, cli_cwd):
    incident = started(run_cli, cli_cwd)
    (cli_cwd / "out").mkdir()

    code, _out, err = run_cli("export", incident, "-o", given)

    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    assert given in err and "folder" in err
    assert list((cli_cwd / "out").iterdir()) == [] and not (cli_cwd / "nowhere").exists()


def test_a_csv_never_holds_a_control_character_but_tab_and_newline(run_cli, cli_cwd, cli_home, tmp_path):
    incident = started(run_cli, cli_cwd)
    hostile = "clear\x1b[2J bell\x07 back\x08 csi\x9b31m del\x7f cr\rline\r\nend\ttab"
    assert run_cli("note", incident, hostile, "--responder", "Mal\x1b]0;owned\x07lory")[0] == 0

    for destination in ("-", "out.csv"):
        code, out, err = run_cli("export", incident, "--format", "csv", "-o", destination)
        assert code == 0, err
        text = out if destination == "-" else (cli_cwd / "out.csv").read_text(encoding="utf-8")
        assert not CONTROLS.findall(text.replace("\r\n", "\n")), destination
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        note = rows[-1]
        assert note["type"] == "note.added" and "clear\u241b[2J bell\u2407" in note["summary"]
        assert "cr\nline\nend\ttab" in note["summary"] and note["actor"] == "Mal\u241b]0;owned\u2407lory"
        # The data column is JSON with every control escaped: it still reads back to what was logged.
        path = log_path(cli_home, incident)
        logged = opened(path, [json.loads(line) for line in path.read_bytes().splitlines()])[-1]
        assert json.loads(note["data"]) == logged["data"]  # the note's text opened, as a csv shows it
