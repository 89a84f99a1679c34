"""Start-up: `--version`, `show pricing-error --format json` (warm and cold), `list` and `show`
as text, each paired with a one-command typer app.

The baseline prints "hello" from a one-command typer app: the floor of the framework we chose
(typer imports pydantic for every command). Goals (issue 16): warm `show` / `list` at most
1.1x that app, a cold `show` (no lint cache: first use, or an edited playbook) at most 1.3x.

The Spanish figures run the same commands with `--lang es` against `--lang en`, paired:
loading the catalogue may cost at most 5 ms (issue 11), so their goal is that ratio.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common import PYTHON, Result, compile_package, crisisplay_argv, paired_commands

HELLO = """
import typer

app = typer.Typer()


@app.command()
def main():
    print("hello")


app()
"""


def run() -> list[Result]:
    compile_package()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        hello = root / "hello.py"
        hello.write_text(HELLO)
        home = root / "home"
        env = {"CRISISPLAY_HOME": str(home)}
        base = [PYTHON, str(hello)]
        name = "typer hello app"

        def figure(label: str, argv: list[str], goal: float, cold: bool = False) -> None:
            before = (lambda: shutil.rmtree(home / "cache", ignore_errors=True)) if cold else None
            pairs = paired_commands(argv, base, env, root, before_ours=before)
            results.append(pairs.result(f"startup: {label}", name, goal))

        figure("crisisplay --version", crisisplay_argv("--version"), 1.1)
        show_json = crisisplay_argv("show", "pricing-error", "--format", "json")
        figure("show pricing-error -f json (warm)", show_json, 1.1)
        figure("show pricing-error (text, warm)", crisisplay_argv("show", "pricing-error"), 1.1)
        figure("list (warm)", crisisplay_argv("list"), 1.1)
        figure("list -f json (warm)", crisisplay_argv("list", "-f", "json"), 1.1)
        figure("show pricing-error -f json, cold (no lint cache)", show_json, 1.3, cold=True)
        for what, args in (
            ("--version", ("--version",)),
            ("show error-precio", ("show", "error-precio", "-f", "json")),
        ):
            en = crisisplay_argv("--lang", "en", *args)
            pairs = paired_commands(crisisplay_argv("--lang", "es", *args), en, env, root)
            results.append(
                pairs.result(
                    f"startup: {what} in Spanish (goal: +5 ms)",
                    f"the same in English ({what})",
                    plus(pairs.baseline, 0.005),
                )
            )
    return results


def plus(baseline: float, seconds: float) -> float:
    """The ratio that allows `seconds` more than `baseline`."""
    return round((baseline + seconds) / baseline, 3)


if __name__ == "__main__":
    from common import print_results

    print_results(run())
