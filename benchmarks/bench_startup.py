"""Start-up: `crisisplay --version` and `show pricing-error --format json` against a one-command typer app.

The baseline prints "hello" from a one-command typer app: the floor of the framework we chose
(typer imports pydantic for every command). Goal: at most 1.3x that app.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import PYTHON, Result, command_time, crisisplay_argv

HELLO = '''
import typer

app = typer.Typer()


@app.command()
def main():
    print("hello")


app()
'''


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        env = {"CRISISPLAY_HOME": str(Path(tmp) / "home")}
        baseline = command_time([PYTHON, str(hello)])
        version = command_time(crisisplay_argv("--version"), env=env, cwd=Path(tmp))
        show = command_time(crisisplay_argv("show", "pricing-error", "--format", "json"), env=env, cwd=Path(tmp))
    name = "typer hello app"
    return [
        Result("startup: crisisplay --version", version, name, baseline, 1.3),
        Result("startup: show pricing-error --format json", show, name, baseline, 1.3),
    ]
