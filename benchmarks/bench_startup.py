"""Start-up: `crisisplay --version` and `show pricing-error --format json` against a one-command typer app.

The baseline prints "hello" from a one-command typer app: the floor of the framework we chose
(typer imports pydantic for every command). Goal: at most 1.3x that app.

The Spanish figures run the same commands with `--lang es` against `--lang en` in the same run:
loading the catalogue may cost at most 5 ms (issue 11), so their goal is that ratio.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, Result, command_time, crisisplay_argv

HELLO = """
import typer

app = typer.Typer()


@app.command()
def main():
    print("hello")


app()
"""


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        env = {"CRISISPLAY_HOME": str(Path(tmp) / "home")}
        baseline = command_time([PYTHON, str(hello)])
        version = command_time(crisisplay_argv("--version"), env=env, cwd=Path(tmp))
        show_argv = crisisplay_argv("show", "pricing-error", "--format", "json")
        show = command_time(show_argv, env=env, cwd=Path(tmp))
        cold = cold_time(show_argv, Path(tmp) / "home", Path(tmp))
        spanish = {}
        for what, args in (
            ("--version", ("--version",)),
            ("show error-precio", ("show", "error-precio", "-f", "json")),
        ):
            spanish[what] = interleaved(
                crisisplay_argv("--lang", "es", *args), crisisplay_argv("--lang", "en", *args), env, Path(tmp)
            )
    name = "typer hello app"
    languages = [
        Result(f"startup: {what} in Spanish (goal: +5 ms)", es, f"the same in English ({what})", en, plus(en, 0.005))
        for what, (es, en) in spanish.items()
    ]
    return [
        Result("startup: crisisplay --version", version, name, baseline, 1.3),
        Result("startup: show pricing-error --format json", show, name, baseline, 1.3),
        Result("startup: show … --format json, cold (no lint cache)", cold, name, baseline, 1.3),
        *languages,
    ]


def interleaved(one: list[str], other: list[str], env: dict, cwd: Path, repeat: int = 21) -> tuple[float, float]:
    """Median times of two commands run in turns, so a machine getting busier weighs on both alike."""
    import os

    full_env = {**os.environ, **env}
    times: tuple[list[float], list[float]] = ([], [])
    for turn in range(repeat + 1):
        for index in (0, 1) if turn % 2 else (1, 0):
            start = time.perf_counter()
            argv = (one, other)[index]
            subprocess.run(
                argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, cwd=cwd, check=True
            )
            if turn:  # the first turn warms the caches
                times[index].append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def plus(baseline: float, seconds: float) -> float:
    """The ratio that allows `seconds` more than `baseline`."""
    return round((baseline + seconds) / baseline, 3)


def cold_time(argv: list[str], home: Path, cwd: Path, repeat: int = 9) -> float:
    """Median time of a run that finds no lint cache (first use, or an edited playbook)."""
    import os

    env = {**os.environ, "CRISISPLAY_HOME": str(home)}
    times = []
    for _ in range(repeat):
        shutil.rmtree(home / "cache", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
