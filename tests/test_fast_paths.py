"""The start-up and per-decision fast paths (issue 16) give exactly what the slow paths give.

- `show -f json`, `show` and `list` answer from the lint cache when it is warm: byte for byte
  what they print when it is cold.
- `main` builds only the command it runs: a command's --help and errors are the same as with
  every command built.
- `Journal.head()` answers from the last append when the file is as that append left it, and
  reads the file whenever anything else may have changed it.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from pathlib import Path

import pytest

from crisisplay.journal import Journal
from tests.conftest import cli_environment
from tests.test_journal import INCIDENT_ID, TickingClock, note, started_event


@pytest.mark.parametrize(
    "args",
    [
        ("show", "pricing-error", "--format", "json"),
        ("show", "pricing-error"),
        ("show", "error-precio", "-f", "json"),
        ("list", "-f", "json"),
        ("list",),
    ],
)
def test_warm_cache_output_is_byte_identical_to_cold(run_cli, cli_home, args):
    cold = run_cli(*args)
    assert cold[0] == 0, cold
    assert any((cli_home / "cache" / "lint").glob("*.json"))
    warm = run_cli(*args)
    shutil.rmtree(cli_home / "cache")
    cold_again = run_cli(*args)
    assert cold == warm == cold_again


def _full_group_output(args: list[str]) -> tuple[int, str]:
    """What `args` print through the group with every command built (the slow path)."""
    import typer

    from crisisplay.cli import app

    group = typer.main.get_command(app)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        group.main(args=args, prog_name="crisisplay", standalone_mode=False)
    return 0, out.getvalue()


@pytest.mark.parametrize("command", ["show", "list", "start", "export", "lint", "incidents", "verify"])
def test_a_command_built_alone_has_the_same_help_as_in_the_full_group(command, monkeypatch):
    from crisisplay.cli import main

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert out.getvalue() == _full_group_output([command, "--help"])[1]
    assert f"Usage: crisisplay {command}" in out.getvalue()


def test_unknown_commands_and_options_still_get_their_suggestions(run_cli):
    code, _out, err = run_cli("shwo", "pricing-error")
    assert code == 2 and "did you mean 'show'" in err
    code, _out, err = run_cli("show", "pricing-error", "--json")
    assert code == 2 and "`-f json` (--format json)" in err


def _fresh_head(path: Path) -> dict | None:
    """The head read from the file by a journal that never appended (the slow path)."""
    return Journal(path).head()


def test_every_command_is_listed_with_the_module_that_registers_it():
    from crisisplay.cli import app
    from crisisplay.cli.app import COMMAND_MODULES

    registered = [(info.name, info.callback.__module__) for info in app.registered_commands]
    listed = [(name, f"crisisplay.cli.{module}") for module, names in COMMAND_MODULES.items() for name in names]
    assert registered == listed


def test_a_run_imports_only_the_module_of_its_command(cli_home, tmp_path):
    import subprocess
    import sys

    script = (
        "import contextlib, sys\n"
        "from crisisplay.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        "    main(['show', 'pricing-error', '-f', 'json'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('crisisplay.cli.')), file=sys.stderr)\n"
    )
    env = cli_environment(cli_home)
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "['crisisplay.cli.app', 'crisisplay.cli.common', 'crisisplay.cli.playbooks']"
    assert '"id": "pricing-error"' in done.stdout


def test_commands_registered_in_any_order_are_kept_in_the_order_of_help(monkeypatch):
    from crisisplay.cli import app  # every command registered
    from crisisplay.cli.app import COMMAND_MODULES, register_commands

    monkeypatch.setattr(app, "registered_commands", list(reversed(app.registered_commands)))
    register_commands("show")
    assert [info.name for info in app.registered_commands] == [n for names in COMMAND_MODULES.values() for n in names]


def test_head_after_our_append_is_the_head_in_the_file(tmp_path):
    path = tmp_path / f"{INCIDENT_ID}.jsonl"
    journal = Journal.create(path, started_event(), clock=TickingClock())
    logged = journal.append([note("one"), note("two")])
    assert journal.head() == logged[-1] == _fresh_head(path)


def test_head_sees_what_another_writer_appended(tmp_path):
    path = tmp_path / f"{INCIDENT_ID}.jsonl"
    ours = Journal.create(path, started_event(), clock=TickingClock())
    ours.append([note("ours")])
    theirs = Journal(path, clock=TickingClock())
    newer = theirs.append([note("theirs")])
    assert ours.head() == newer[-1] == _fresh_head(path)


def test_head_reads_a_log_replaced_or_edited_behind_our_back(tmp_path):
    path = tmp_path / f"{INCIDENT_ID}.jsonl"
    journal = Journal.create(path, started_event(), clock=TickingClock())
    journal.append([note("aaaa")])
    # The same size, another file at the path: the file is read, not our memory of it.
    edited = path.read_bytes().replace(b'"aaaa"', b'"bbbb"')
    replacement = tmp_path / "replacement"
    replacement.write_bytes(edited)
    os.replace(replacement, path)
    head = journal.head()
    assert head is not None and head["data"]["text"] == "bbbb"
    assert head == _fresh_head(path)
