"""Ctrl-C at any moment is an interruption (one line, exit 130), never a traceback: also while
Python is still importing the command line, and while a command imports what it needs (where
typer ≥ 0.26 would otherwise end the run with 130 and say nothing).

A real Ctrl-C cannot be timed to land inside an import, so these runs raise KeyboardInterrupt
exactly where SIGINT's handler would: from an import of the module named (a finder put first
on `sys.meta_path`). Ctrl-C at a prompt is covered by the terminal tests (test_interactive_e2e)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_environment

# The `crisisplay` script's own code (`crisisplay.entry:main`, as pyproject.toml names it), run
# with a finder that raises KeyboardInterrupt when the module named by argv[1] is imported.
RUNNER = """
import sys

class Interrupting:
    def __init__(self, name):
        self.name = name

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.name:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, Interrupting(sys.argv[1]))
sys.argv = ["crisisplay", *sys.argv[2:]]
from crisisplay.entry import main

main()
"""


def _interrupted_at(module: str, *args: str, home: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, module, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**cli_environment(home), **(env or {})},
        timeout=60,
    )


def test_the_script_is_the_entry_that_catches_an_interrupted_start_up() -> None:
    """pyproject.toml's script is the one tested here (a change there would bypass the catch)."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["crisisplay"] == "crisisplay.entry:main"
    main_module = (Path(__file__).resolve().parents[1] / "crisisplay" / "__main__.py").read_text(encoding="utf-8")
    assert "from crisisplay.entry import main" in main_module


@pytest.mark.parametrize("module", ["typer", "crisisplay.cli.app", "rich"])
def test_ctrl_c_while_the_command_line_is_imported_is_one_line_and_exit_130(tmp_path: Path, module: str) -> None:
    # Colour forced: `list` draws its table with rich even into a pipe (it imports rich then).
    done = _interrupted_at(module, "list", home=tmp_path, env={"FORCE_COLOR": "1"})
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "crisisplay: interrupted"


@pytest.mark.parametrize(
    ("module", "args"),
    [
        ("crisisplay.playbook.render", ["show", "pricing-error"]),
        ("crisisplay.lint.runner", ["lint", "pricing-error"]),
        ("crisisplay.run.lifecycle", ["start", "pricing-error", "--answers", "none.yaml", "--responder", "Ana"]),
    ],
)
def test_ctrl_c_while_a_command_imports_what_it_needs_says_so(tmp_path: Path, module: str, args: list[str]) -> None:
    (tmp_path / "none.yaml").write_text("steps: {}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, module, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=cli_environment(tmp_path / "home"),
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("crisisplay: interrupted"), done.stderr
    assert not list((tmp_path / "home").glob("incidents/*.jsonl"))  # nothing was started
