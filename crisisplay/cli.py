"""The `crisisplay` commands: parse, call one function, print, map errors to exit codes.

Heavy modules (jinja2, rich tables, questionary, exporters) are imported inside the command
that needs them: start-up time is a feature for someone in a crisis.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from crisisplay import __version__
from crisisplay.errors import CrisisplayError, PlaybookError

app = typer.Typer(
    name="crisisplay",
    help="Walk a responder through a social-media crisis, step by step, with a tamper-evident log.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

GLOBAL_FLAGS = ("--no-color",)
GLOBAL_OPTIONS = ("--home",)


class ListFormat(str, Enum):
    table = "table"
    json = "json"


class ShowFormat(str, Enum):
    text = "text"
    mermaid = "mermaid"
    json = "json"


def _version(value: bool) -> None:
    if value:
        print(f"crisisplay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    home: Optional[str] = typer.Option(None, "--home", metavar="DIR", help="Data folder (also CRISISPLAY_HOME); accepted before or after the command."),
    no_color: bool = typer.Option(False, "--no-color", help="No colours (also NO_COLOR); accepted before or after the command."),
) -> None:
    """Walk a responder through a social-media crisis, step by step, with a tamper-evident log."""


def _home() -> Path:
    from crisisplay.home import home_dir

    return home_dir()


def _print_findings(findings) -> None:
    for finding in findings:
        print(finding, file=sys.stderr)


def _load(ref: str):
    """Find and check a playbook; PlaybookError (exit 2, findings printed) when it cannot be used."""
    from crisisplay.home import find_playbook
    from crisisplay.playbook.loader import load_playbook

    entry = find_playbook(ref, _home())
    try:
        data = entry.path.read_bytes()
    except OSError as err:
        raise PlaybookError(f"{entry.path}: cannot read: {err.strerror}") from None
    del data
    return load_playbook(entry.path)


@app.command("list")
def list_playbooks(
    format: ListFormat = typer.Option(ListFormat.table, "--format", help="table or json."),
) -> None:
    """List the playbooks you can start: local, in <home>, and bundled; and what shadows what."""
    from crisisplay.home import catalogue
    from crisisplay.playbook.loader import check_file

    rows = []
    for entry in catalogue(_home()):
        try:
            checked = check_file(entry.path)
        except OSError as err:
            rows.append({"id": entry.id, "title": None, "source": entry.origin, "path": str(entry.path),
                         "steps": None, "shadows": [], "errors": 1, "problem": err.strerror})
            continue
        pb = checked.playbook
        rows.append({
            "id": entry.id,
            "title": pb.title if pb else None,
            "source": entry.origin,
            "path": str(entry.path),
            "steps": len(pb.steps) if pb else None,
            "shadows": [{"source": o, "path": str(p)} for o, p in entry.shadows],
            "errors": len(checked.errors),
        })
    if format is ListFormat.json:
        print(json.dumps({"playbooks": rows}, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("id", "title", "source", "steps", "notes"):
        table.add_column(column, overflow="fold")
    for row in rows:
        notes = []
        if row["shadows"]:
            notes.append("shadows " + ", ".join(f"{s['source']} {s['path']}" for s in row["shadows"]))
        if row["errors"]:
            notes.append(f"{row['errors']} error(s): crisisplay lint {row['path']}")
        source = row["source"] if row["source"] == "bundled" else f"{row['source']} {row['path']}"
        table.add_row(row["id"], row["title"] or "?", source, str(row["steps"] or "?"), "; ".join(notes))
    Console().print(table)


@app.command()
def show(
    playbook: str = typer.Argument(..., help="A playbook id or a path to a .yaml file."),
    format: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text, mermaid or json."),
) -> None:
    """Show a playbook: a tree of its phases and steps, a Mermaid flowchart, or its normalised JSON."""
    pb, checked = _load(playbook)
    _print_findings([f for f in checked.findings if f.level != "error"])
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(pb.normalised(), indent=2, ensure_ascii=False) + "\n")
    elif format is ShowFormat.mermaid:
        from crisisplay.playbook.render import as_mermaid

        sys.stdout.write(as_mermaid(pb))
    else:
        from crisisplay.playbook.render import as_text

        sys.stdout.write(as_text(pb))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the playbook format (for editors: yaml-language-server)."""
    from crisisplay.playbook.schema import schema_text

    sys.stdout.write(schema_text())


def _hoist_global_options(argv: list[str]) -> list[str]:
    """Accept --home and --no-color anywhere before `--`, by moving them into the environment."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg in GLOBAL_FLAGS:
            os.environ["NO_COLOR"] = "1"
        elif arg in GLOBAL_OPTIONS:
            if i + 1 >= len(argv):
                out.append(arg)  # let typer report the missing value
            else:
                os.environ["CRISISPLAY_HOME"] = argv[i + 1]
                i += 1
        elif arg.startswith("--home="):
            os.environ["CRISISPLAY_HOME"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `crisisplay` script and `python -m crisisplay`."""
    args = _hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        app(args=args, prog_name="crisisplay")
    except PlaybookError as err:
        _print_findings(err.findings)
        print(f"crisisplay: error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except CrisisplayError as err:
        print(f"crisisplay: error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except BrokenPipeError:
        # `crisisplay show x | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
