"""What a user or an attacker hands crisisplay is bounded before it is used: a playbook id must
fit the file names built from it, and files, pipes and standard input are read only up to a
documented size (devices are refused) — always one clear line and the contract's exit code."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_ANSWERS as ANSWERS
from conftest import cli_environment
from incident_logs import opened_events

from crisisplay.playbook.model import MAX_PLAYBOOK_ID
from crisisplay.reading import MAX_INPUT_BYTES, InputTooLarge, read_input


def with_id(minimal_playbook: str, playbook_id: str) -> str:
    assert "\nid: minimal\n" in minimal_playbook
    return minimal_playbook.replace("\nid: minimal\n", f"\nid: {playbook_id}\n", 1)


# ---------------------------------------------------------------- F1: ids that fit file names


def test_a_playbook_id_too_long_for_file_names_is_a_lint_error(run_cli, cli_cwd, minimal_playbook):
    too_long = "a" * (MAX_PLAYBOOK_ID + 1)
    (cli_cwd / "long.yaml").write_text(with_id(minimal_playbook, too_long), encoding="utf-8")
    code, out, err = run_cli("lint", "long.yaml")
    assert code == 1, err
    assert f"long.yaml:2:5: CP112 [error] the id is {MAX_PLAYBOOK_ID + 1} bytes long" in out
    assert "Traceback" not in err


def test_start_refuses_an_id_too_long_with_the_lint_error_and_writes_nothing(
    run_cli, cli_cwd, cli_home, minimal_playbook
):
    (cli_cwd / "long.yaml").write_text(with_id(minimal_playbook, "a" * 229), encoding="utf-8")
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    code, out, err = run_cli("start", "long.yaml", "--answers", "answers.yaml")
    assert code == 2, err
    assert "CP112" in err and "at most 214" in err
    assert "Traceback" not in err and "OSError" not in err
    assert out == ""
    assert not list((cli_home / "incidents").glob("*")) if (cli_home / "incidents").exists() else True


def test_the_longest_allowed_id_starts_pauses_and_resumes_with_a_torn_line_set_aside(
    run_cli, cli_cwd, cli_home, minimal_playbook
):
    # Every file named after the incident (the log, its temporary file, the run lock and the
    # torn-line file) must be creatable with the longest id lint accepts.
    longest = "a" * MAX_PLAYBOOK_ID
    (cli_cwd / f"{longest}.yaml").write_text(with_id(minimal_playbook, longest), encoding="utf-8")
    (cli_cwd / "none.yaml").write_text("inputs:\n  product: Blue Kettle\n", encoding="utf-8")
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    code, out, err = run_cli("lint", f"{longest}.yaml")
    assert code == 0, out + err

    code, out, err = run_cli("start", f"{longest}.yaml", "--answers", "none.yaml")
    assert code == 3, err
    incident_id = out.strip()
    log = cli_home / "incidents" / f"{incident_id}.jsonl"
    assert len(f".{log.name}.01234567.tmp") == 255 and log.is_file()

    with log.open("ab") as f:
        f.write(b'{"v":1,"seq":')  # a crash in the middle of a write
    code, out, err = run_cli("resume", incident_id, "--answers", "answers.yaml")
    assert code == 0, err
    assert (cli_home / "incidents" / f"{incident_id}.torn").is_file()
    assert (cli_home / "incidents" / f"{incident_id}.lock").exists()
    assert run_cli("verify", incident_id)[0] == 0


def test_a_playbook_path_too_long_for_the_file_system_is_one_clear_line(run_cli):
    name = "a" * 300 + ".yaml"
    for args in (("start", name, "--answers", "x.yaml"), ("show", name), ("lint", name)):
        code, _out, err = run_cli(*args)
        assert code == 2, (args, err)
        assert "Traceback" not in err and "name too long" in err.lower(), (args, err)
        assert len([line for line in err.splitlines() if line.startswith("crisisplay: error:")]) == 1, err


# ---------------------------------------------------------------- F4: inputs read up to a size


def _cli(args: list[str], cwd: Path, home: Path, stdin=None, shell: str | None = None, timeout: float = 60):
    """The real CLI with a chosen standard input (or a bash line, for `<(…)`)."""
    env = cli_environment(home)
    command = ["bash", "-c", shell] if shell else [sys.executable, "-m", "crisisplay", *args]
    env["CRISISPLAY"] = f"{sys.executable} -m crisisplay"
    done = subprocess.run(
        command,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    return done.returncode, done.stdout, done.stderr


def one_error(err: str) -> str:
    """The single `crisisplay: error:` line of a run, checking there is no traceback."""
    assert "Traceback" not in err and "MemoryError" not in err, err[-2000:]
    lines = [line for line in err.splitlines() if line.startswith("crisisplay: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_read_input_stops_one_byte_past_the_limit_and_reads_no_further():
    stream = io.BytesIO(b"x" * (10 * MAX_INPUT_BYTES))
    with pytest.raises(InputTooLarge):
        read_input(stream, "<test>")
    assert stream.tell() == MAX_INPUT_BYTES + 1
    assert read_input(io.BytesIO(b"y" * MAX_INPUT_BYTES), "<test>") == b"y" * MAX_INPUT_BYTES


def test_read_input_refuses_a_device_without_reading_it():
    with pytest.raises(OSError, match="a device, not a file"):
        read_input("/dev/zero")


def test_read_input_knows_a_large_regular_file_by_its_size(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(27 * 2**20)  # sparse: 27 MB that cost nothing to write, and must cost nothing to refuse
    with pytest.raises(InputTooLarge, match="larger than 1,048,576 bytes"):
        read_input(big)


def test_lint_of_a_device_is_a_path_that_cannot_be_read(tmp_path, cli_home):
    code, _out, err = _cli(["lint", "/dev/zero"], tmp_path, cli_home)
    assert code == 2
    assert one_error(err) == "crisisplay: error: /dev/zero: cannot read: a device, not a file"


def test_lint_of_a_27_mb_playbook_is_the_size_finding(tmp_path, cli_home):
    with (tmp_path / "big.yaml").open("wb") as f:
        f.truncate(27 * 2**20)
    code, out, err = _cli(["lint", "big.yaml"], tmp_path, cli_home)
    assert code == 1, err
    assert out.startswith("big.yaml:1:1: CP004 [error] the file is larger than 1,048,576 bytes"), out


def test_lint_of_endless_standard_input_stops_at_the_limit(tmp_path, cli_home):
    with open("/dev/zero", "rb") as zeros:
        code, out, err = _cli(["lint", "-"], tmp_path, cli_home, stdin=zeros)
    assert code == 1, err
    assert out.startswith("<stdin>:1:1: CP004 [error] the file is larger than"), out


def test_lint_reads_a_playbook_from_a_pipe(tmp_path, cli_home, minimal_playbook):
    (tmp_path / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    code, out, err = _cli([], tmp_path, cli_home, shell="$CRISISPLAY lint --format json <(cat minimal.yaml)")
    assert code == 0, err
    assert '"errors": 0' in out


def test_start_with_a_27_mb_playbook_prints_the_size_finding_and_exits_2(tmp_path, cli_home):
    with (tmp_path / "big.yaml").open("wb") as f:
        f.truncate(27 * 2**20)
    code, out, err = _cli(["start", "big.yaml", "--answers", "/dev/null"], tmp_path, cli_home)
    assert code == 2 and out == ""
    assert "big.yaml:1:1: CP004 [error] the file is larger than" in err
    assert one_error(err) == "crisisplay: error: big.yaml: the playbook has 1 error(s)"


@pytest.mark.parametrize("answers", ["/dev/zero", "endless pipe", "large file"])
def test_an_answers_file_that_is_a_device_or_too_large_is_refused_before_anything_is_written(
    tmp_path, cli_home, minimal_playbook, answers
):
    (tmp_path / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    if answers == "endless pipe":
        code, out, err = _cli([], tmp_path, cli_home, shell="$CRISISPLAY start minimal.yaml --answers <(yes)")
    else:
        if answers == "large file":
            (tmp_path / "big.yaml").write_text("steps:\n" + "# padding\n" * 200_000, encoding="utf-8")
            answers = "big.yaml"
        code, out, err = _cli(["start", "minimal.yaml", "--answers", answers], tmp_path, cli_home)
    assert code == 2 and out == ""
    line = one_error(err)
    assert (
        ("a device, not a file" in line) if answers == "/dev/zero" else ("the answers file is larger than" in line)
    ), line
    assert not (cli_home / "incidents").exists() or not list((cli_home / "incidents").iterdir())


def test_a_note_on_endless_standard_input_is_refused_and_nothing_is_logged(tmp_path, cli_home, minimal_playbook):
    (tmp_path / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    code, out, _ = _cli(["start", "minimal.yaml", "--answers", "/dev/null"], tmp_path, cli_home)
    assert code == 3
    incident_id = out.strip()
    log = cli_home / "incidents" / f"{incident_id}.jsonl"
    before = log.read_bytes()
    with open("/dev/zero", "rb") as zeros:
        code, _, err = _cli(["note", incident_id, "-"], tmp_path, cli_home, stdin=zeros)
    assert code == 2
    assert "the note on standard input is larger than 1,048,576 bytes" in one_error(err)
    assert log.read_bytes() == before
    code, _, err = _cli(
        [], tmp_path, cli_home, shell=f"printf 'Called the customer\\n' | $CRISISPLAY note {incident_id} -"
    )
    assert code == 0, err
    assert b"Called the customer" not in log.read_bytes()  # a note is sealed
    assert opened_events(log)[-1]["data"]["text"] == "Called the customer"


@pytest.mark.parametrize("problem", ["device", "too large"])
def test_a_config_file_that_is_a_device_or_too_large_is_a_configuration_error(tmp_path, cli_home, problem):
    config = cli_home / "config.toml"
    if problem == "device":
        config.symlink_to("/dev/zero")
    else:
        config.write_text('responder = "Ann"\n' + "# padding\n" * 200_000, encoding="utf-8")
    code, _, err = _cli(["list"], tmp_path, cli_home)
    assert code == 2
    line = one_error(err)
    assert str(config) in line
    assert ("a device, not a file" if problem == "device" else "larger than 1,048,576 bytes") in line


def test_the_null_device_reads_as_an_empty_file():
    assert read_input(os.devnull) == b""
