"""The `incidents` summary cache (`<home>/incidents/.cache/summaries.json`): used only while
each log still has the size, times and last line it was built from, rebuilt silently otherwise,
and never a second source of truth: every listing equals one built from the logs alone."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest
from incident_logs import FINISHING, PAUSING, log_path, start_two_questions

from crisisplay.incidents import listing
from crisisplay.journal import Journal

LONG_AGO = time.time() - 3600  # logs written a while ago: the cache skips logs changed in the last 2 s


def cache_file(home: Path) -> Path:
    return home / "incidents" / ".cache" / "summaries.json"


def settle(*paths: Path, when: float = LONG_AGO) -> None:
    """Date the logs back, as if written an hour ago; a pause first, so the change time moves on
    by more than the file system's timestamp tick."""
    time.sleep(0.05)
    for path in paths:
        os.utime(path, (when, when))


def from_logs_alone(home: Path) -> list[dict]:
    """The listing with no cache at all: the truth the cached one must equal."""
    shutil.rmtree(home / "incidents" / ".cache", ignore_errors=True)
    return listing(home)


def poison(home: Path, title: str = "FROM THE CACHE") -> None:
    """Change every cached row's title, keys kept: a listing that shows it used the cache."""
    cached = json.loads(cache_file(home).read_text())
    for entry in cached["incidents"].values():
        entry["row"]["title"] = title
    cache_file(home).write_text(json.dumps(cached))


@pytest.fixture
def two(run_cli, cli_home, cli_cwd) -> tuple[Path, Path]:
    """A closed incident and a paused one, their logs dated an hour back, listed once (cached)."""
    closed = log_path(cli_home, start_two_questions(run_cli, cli_cwd, FINISHING, 0))
    paused = log_path(cli_home, start_two_questions(run_cli, cli_cwd, PAUSING, 3))
    settle(closed, paused)
    listing(cli_home)
    return closed, paused


def test_the_cache_is_private_beside_the_logs_and_used_while_the_logs_are_unchanged(two, cli_home):
    truth = from_logs_alone(cli_home)
    assert sorted(row["status"] for row in truth) == ["closed", "paused"]
    assert stat.S_IMODE(cache_file(cli_home).stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_file(cli_home).parent.stat().st_mode) == 0o700
    assert listing(cli_home) == truth

    poison(cli_home)
    assert [row["title"] for row in listing(cli_home)] == ["FROM THE CACHE", "FROM THE CACHE"]


def test_an_appended_event_invalidates_the_row(two, cli_home, run_cli):
    closed, paused = two
    poison(cli_home)
    code, _out, err = run_cli("note", paused.stem, "checked the kettle")
    assert code == 0, err
    settle(paused)

    rows = {row["file"]: row for row in listing(cli_home)}
    assert rows[paused.name]["title"] == "Two questions"
    assert rows[closed.name]["title"] == "FROM THE CACHE"  # its log did not change
    assert rows[paused.name]["head"] == json.loads(paused.read_bytes().splitlines()[-1])["hash"]
    assert rows[paused.name] == next(row for row in from_logs_alone(cli_home) if row["file"] == paused.name)


def test_a_truncated_log_invalidates_the_row(two, cli_home):
    closed, _paused = two
    poison(cli_home)
    lines = closed.read_bytes().splitlines(keepends=True)
    closed.write_bytes(b"".join(lines[:-1]))  # incident.closed gone: it stopped mid-run
    settle(closed)

    row = next(row for row in listing(cli_home) if row["file"] == closed.name)
    assert row["title"] == "Two questions"
    assert row["status"] == "interrupted"
    assert row["head"] == json.loads(lines[-2])["hash"]


@pytest.mark.parametrize("where", ["middle", "last"])
def test_an_edited_line_of_the_same_size_invalidates_the_row_even_with_its_times_put_back(two, cli_home, where):
    closed, _paused = two
    poison(cli_home)
    lines = closed.read_bytes().splitlines(keepends=True)
    index = 1 if where == "middle" else len(lines) - 1
    before = lines[index]
    # The same number of bytes, the hash left as it was (a hand edit, not a re-chained log).
    at = before.index(b'"actor":"') + len(b'"actor":"')
    lines[index] = before[:at] + (b"Y" if before[at : at + 1] == b"Z" else b"Z") + before[at + 1 :]
    assert lines[index] != before and len(lines[index]) == len(before)
    original = closed.stat()
    time.sleep(0.05)  # the change time moves on past the one the cache was built under
    closed.write_bytes(b"".join(lines))
    os.utime(closed, ns=(original.st_atime_ns, original.st_mtime_ns))  # mtime put back as it was
    assert closed.stat().st_size == original.st_size and closed.stat().st_mtime_ns == original.st_mtime_ns

    row = next(row for row in listing(cli_home) if row["file"] == closed.name)
    assert row["title"] == "Two questions"
    assert row == next(row for row in from_logs_alone(cli_home) if row["file"] == closed.name)


def test_a_corrupt_or_foreign_cache_is_rebuilt_silently(two, cli_home, run_cli):
    truth = from_logs_alone(cli_home)
    for junk in (b"{not json", b"[]", b'{"code": "other", "incidents": {}}', b"\xff\xfe", b"[" * 100_000):
        cache_file(cli_home).write_bytes(junk)
        assert listing(cli_home) == truth
        assert json.loads(cache_file(cli_home).read_text())["incidents"]  # written afresh
    cache_file(cli_home).write_bytes(b"{not json")
    code, out, err = run_cli("incidents", "-f", "json")
    assert code == 0 and err == ""
    assert json.loads(out)["incidents"] == truth


def test_statuses_stay_right_from_the_cache(two, cli_home):
    closed, paused = two
    listing(cli_home)  # warm
    by_file = {row["file"]: row["status"] for row in listing(cli_home)}
    assert by_file == {closed.name: "closed", paused.name: "paused"}

    with Journal(paused).run_lock():  # a run holds it now: running, from the cached row too
        assert {row["file"]: row["status"] for row in listing(cli_home)}[paused.name] == "running"
        with Journal(closed).run_lock():  # a closed incident stays closed
            assert {row["file"]: row["status"] for row in listing(cli_home)}[closed.name] == "closed"
    assert {row["file"]: row["status"] for row in listing(cli_home)}[paused.name] == "paused"

    lines = paused.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[-1])["type"] == "incident.paused"
    paused.write_bytes(b"".join(lines[:-1]))
    settle(paused)
    assert {row["file"]: row["status"] for row in listing(cli_home)}[paused.name] == "interrupted"


def test_incidents_json_is_byte_identical_with_and_without_the_cache(two, cli_home, run_cli):
    shutil.rmtree(cli_home / "incidents" / ".cache")
    outputs = []
    for _ in range(3):  # no cache (it is written), then cached twice
        code, out, err = run_cli("incidents", "-f", "json")
        assert code == 0, err
        outputs.append(out)
        assert cache_file(cli_home).exists()
    assert outputs[0] == outputs[1] == outputs[2]
    code, table_cached, _err = run_cli("incidents")
    shutil.rmtree(cli_home / "incidents" / ".cache")
    code, table_fresh, _err = run_cli("incidents")
    assert table_cached == table_fresh


def test_a_fresh_log_is_not_cached_and_a_gone_one_is_forgotten(run_cli, cli_home, cli_cwd):
    fresh = log_path(cli_home, start_two_questions(run_cli, cli_cwd, FINISHING, 0))
    assert len(listing(cli_home)) == 1
    assert not cache_file(cli_home).exists() or not json.loads(cache_file(cli_home).read_text())["incidents"]
    settle(fresh)
    listing(cli_home)
    assert list(json.loads(cache_file(cli_home).read_text())["incidents"]) == [fresh.stem]
    fresh.unlink()
    assert listing(cli_home) == []
    assert json.loads(cache_file(cli_home).read_text())["incidents"] == {}
