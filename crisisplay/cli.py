"""The `crisisplay` commands: parse, call one function, print, map errors to exit codes.

Heavy modules (jinja2, rich tables, questionary, exporters) are imported inside the command
that needs them: start-up time is a feature for someone in a crisis.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from crisisplay import __version__
from crisisplay.errors import AnswerError, CrisisplayError, PlaybookError, UsageError

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
    from crisisplay.display import visible

    for finding in findings:
        print(visible(finding), file=sys.stderr)


def _load(ref: str):
    """Find and lint a playbook for use; PlaybookError (exit 2, findings printed) when it has errors.

    Warnings stay in the returned `findings` for the command to print; the config's `[lint]`
    options and the file's noqa comments apply, as they do for `crisisplay lint`. Results are
    cached by content in `<home>/cache/lint`, so an unchanged playbook opens fast.
    """
    from crisisplay.home import find_playbook
    from crisisplay.lint.cache import usable
    from crisisplay.lint.policy import policy_for

    config = _config()
    entry = find_playbook(ref, _home())
    policy = policy_for(config)
    try:
        loaded = usable(entry.path, policy, _home() / "cache" / "lint")
    except OSError as err:
        raise PlaybookError(f"{entry.path}: cannot read: {err.strerror}") from None
    if loaded.normalised is None or loaded.errors:
        raise PlaybookError(f"{entry.path}: the playbook has {len(loaded.errors)} error(s)", loaded.findings)
    return loaded


@app.command("list")
def list_playbooks(
    format: ListFormat = typer.Option(ListFormat.table, "--format", help="table or json."),
) -> None:
    """List the playbooks you can start: local, in <home>, and bundled; and what shadows what."""
    from crisisplay.home import catalogue
    from crisisplay.lint.cache import usable
    from crisisplay.lint.policy import policy_for

    policy, cache = policy_for(_config()), _home() / "cache" / "lint"
    rows = []
    for entry in catalogue(_home()):
        try:
            # The same lint `start` runs (and its cache): an error here is one `start` would refuse.
            loaded = usable(entry.path, policy, cache)
        except OSError as err:
            rows.append({"id": entry.id, "title": None, "source": entry.origin, "path": str(entry.path),
                         "steps": None, "shadows": [], "errors": 1, "problem": err.strerror})
            continue
        book = loaded.normalised or {}
        rows.append({
            "id": entry.id,
            "title": book.get("title"),
            "source": entry.origin,
            "path": str(entry.path),
            "steps": sum(len(phase["steps"]) for phase in book["phases"]) if book else None,
            "shadows": [{"source": o, "path": str(p)} for o, p in entry.shadows],
            "errors": len(loaded.errors),
        })
    if format is ListFormat.json:
        print(json.dumps({"playbooks": rows}, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

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
        table.add_row(*(Text(visible(cell)) for cell in (row["id"], row["title"] or "?", source,
                                                          str(row["steps"] or "?"), "; ".join(notes))))
    Console().print(table)


@app.command()
def show(
    playbook: str = typer.Argument(..., metavar="PLAYBOOK", help="A playbook id or a path to a .yaml file."),
    format: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text, mermaid or json."),
) -> None:
    """Show a playbook: a tree of its phases and steps, a Mermaid flowchart, or its normalised JSON."""
    from crisisplay.display import visible

    loaded = _load(playbook)
    _print_findings([f for f in loaded.findings if f.level != "error"])
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(loaded.normalised, indent=2, ensure_ascii=False) + "\n")
    elif format is ShowFormat.mermaid:
        from crisisplay.playbook.render import as_mermaid

        sys.stdout.write(visible(as_mermaid(loaded.playbook)))
    else:
        from crisisplay.playbook.render import as_text

        sys.stdout.write(visible(as_text(loaded.playbook)))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the playbook format (for editors: yaml-language-server)."""
    from crisisplay.playbook.schema import schema_text

    sys.stdout.write(schema_text())


@functools.lru_cache(maxsize=1)
def _config():
    from crisisplay.config import load_config

    return load_config(_home())


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _report(outcome, console=None) -> None:
    """How a run ended, on standard error (or the terminal); exit 3 when it paused."""
    if console is not None and outcome.finished:
        from crisisplay.run.header import run_summary
        from crisisplay.times import now

        console.print()
        console.print(run_summary(outcome.state, outcome.events(), now()))
    if outcome.finished:
        _say(f"Incident {outcome.incident_id} closed: {outcome.reason}.")
        _say(f"Head hash: {outcome.head}")
        _say(f"Post-mortem: crisisplay export {outcome.incident_id} --format md")
        return
    _say(f"Incident {outcome.incident_id} paused ({outcome.reason}). Everything answered so far is saved.")
    _say(f"Head hash: {outcome.head}")
    _say(f"Resume with: crisisplay resume {outcome.incident_id}")
    raise typer.Exit(3)


def _scripted_frontend(answers_path: Path, playbook):
    from crisisplay.run.answers import read_answers
    from crisisplay.run.scripted import ScriptedFrontend

    answers = read_answers(answers_path, playbook)
    return lambda overrides: ScriptedFrontend(answers, overrides)


def _terminal_frontend(config):
    """The interactive front end; exit 2 with one clear line when there is no terminal."""
    from crisisplay.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("no terminal to ask questions on: run unattended with --answers FILE")
    from rich.console import Console

    from crisisplay.run.terminal import TerminalFrontend

    console = Console(highlight=False)
    return console, lambda overrides: TerminalFrontend(console, contacts=config.contacts, overrides=overrides)


def _ask_responder() -> str:
    """Who is responding, asked once: messages sign with it, so never guess from the login name."""
    from crisisplay.run.lifecycle import responder_name
    from crisisplay.run.terminal import Prompter

    try:
        name = Prompter().text("Your name, as colleagues and customers should see it:",
                               default=responder_name(None, _config()),
                               instruction="(set `responder` in config.toml to skip this)",
                               validate=lambda t: bool(t.strip()) or "Please give a name")
    except (KeyboardInterrupt, EOFError):
        raise _interrupted(None) from None
    return name.strip()


def _head_of(incident_id: str) -> str:
    """The head hash of an incident's log as it stands, for the pause message."""
    from crisisplay.incidents import resolve

    try:
        head = resolve(incident_id, _home()).head()
    except CrisisplayError:
        return "(unreadable)"
    return head["hash"] if head else "(none)"


def _interrupted(incident_id: str | None):
    from crisisplay.errors import Interrupted

    if incident_id is None:
        return Interrupted("interrupted before the incident was created; nothing was saved")
    _say(f"Incident {incident_id} paused (interrupted). Everything answered so far is saved.")
    _say(f"Head hash: {_head_of(incident_id)}")
    return Interrupted(f"interrupted. Resume with: crisisplay resume {incident_id}")


def _paused_by_error(incident_id: str | None, reason: str) -> None:
    """An answer or a template failed mid-run: the incident is paused; say so, with its head hash."""
    if not incident_id:
        return
    _say(f"Incident {incident_id} paused ({reason}). Everything answered before it is saved.")
    _say(f"Head hash: {_head_of(incident_id)}")
    if reason == "playbook-error":
        _say(f"Nothing was sent. The log keeps the playbook as it was; end it with: "
             f"crisisplay close {incident_id} --reason \"playbook error\"")
    else:
        _say(f"Resume with: crisisplay resume {incident_id} (with an answer that fits)")


@app.command()
def start(
    playbook: str = typer.Argument(..., metavar="PLAYBOOK", help="A playbook id or a path to a .yaml file."),
    answers: Optional[Path] = typer.Option(None, "--answers", metavar="FILE", help="Answer from this file instead of the terminal."),
    drill: bool = typer.Option(False, "--drill", help="A rehearsal: marked DRILL everywhere."),
    responder: Optional[str] = typer.Option(None, "--responder", metavar="NAME", help="Who is responding (default: config, then login name)."),
    var: list[str] = typer.Option([], "--var", metavar="KEY=VALUE", help="Set an input (overrides the answers file)."),
    detected_at: Optional[str] = typer.Option(None, "--detected-at", metavar="TIME", help="When the crisis was detected: ISO time or -45m."),
) -> None:
    """Start an incident from a playbook; prints its id on standard output."""
    from crisisplay.run.lifecycle import StartRequest, start_incident

    loaded = _load(playbook)
    config = _config()
    pb = loaded.playbook
    _print_findings([f for f in loaded.findings if f.level != "error"])
    console = None
    if answers is None:
        console, make_frontend = _terminal_frontend(config)
        if not responder and not config.responder:
            responder = _ask_responder()
    else:
        make_frontend = _scripted_frontend(answers, pb)
    request = StartRequest(pb, loaded.path, drill, responder, tuple(var), detected_at)
    started: list[str] = []

    def announce(incident_id: str) -> None:
        started.append(incident_id)
        print(incident_id, flush=True)

    try:
        outcome = start_incident(request, config, _home(), make_frontend, announce)
    except KeyboardInterrupt:
        raise _interrupted(started[0] if started else None) from None
    except PlaybookError:
        _paused_by_error(started[0] if started else None, "playbook-error")
        raise
    except AnswerError:
        _paused_by_error(started[0] if started else None, "answer-error")
        raise
    _report(outcome, console)


@app.command()
def resume(
    incident: str = typer.Argument(..., metavar="INCIDENT", help="Incident id, a unique prefix of one, or `last`."),
    answers: Optional[Path] = typer.Option(None, "--answers", metavar="FILE", help="Answer from this file instead of the terminal."),
    responder: Optional[str] = typer.Option(None, "--responder", metavar="NAME", help="Who takes over (recorded as a handover)."),
) -> None:
    """Continue a paused or interrupted incident at the step where it stopped."""
    from crisisplay.incidents import load_state, resolve
    from crisisplay.run.lifecycle import resume_incident

    from crisisplay.errors import IncidentClosed

    config = _config()
    journal = resolve(incident, _home())
    state = load_state(journal)
    if state.closed:
        raise IncidentClosed(f"incident {state.incident_id} is closed ({state.close_reason or state.outcome}); "
                             f"there is nothing to resume")
    console = None
    if answers is None:
        console, make_frontend = _terminal_frontend(config)
        frontend = make_frontend({})
    else:
        frontend = _scripted_frontend(answers, state.playbook)({})
    try:
        outcome = resume_incident(journal, config, responder, frontend, warn=lambda m: _say(f"warning: {m}"))
    except KeyboardInterrupt:
        raise _interrupted(journal.incident_id) from None
    except PlaybookError:
        _paused_by_error(journal.incident_id, "playbook-error")
        raise
    except AnswerError:
        _paused_by_error(journal.incident_id, "answer-error")
        raise
    _report(outcome, console)


@app.command()
def note(
    incident: str = typer.Argument(..., metavar="INCIDENT", help="Incident id, a unique prefix of one, or `last`."),
    text: str = typer.Argument(..., metavar="TEXT|-", help="The note, or - to read it from standard input."),
    responder: Optional[str] = typer.Option(None, "--responder", metavar="NAME", help="Who writes the note."),
) -> None:
    """Add a note to an incident (running, paused or closed; a note never reopens it)."""
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import add_note, responder_name

    journal = resolve(incident, _home())
    body = sys.stdin.read() if text == "-" else text
    head = add_note(journal, body, responder_name(responder, _config()))
    _say(f"Note added to {journal.incident_id}. Head hash: {head}")


@app.command()
def close(
    incident: str = typer.Argument(..., metavar="INCIDENT", help="Incident id, a unique prefix of one, or `last`."),
    reason: str = typer.Option(..., "--reason", help="Why it ends here (false alarm, duplicate, ...)."),
) -> None:
    """Close an incident that will not be run to the end, with a reason."""
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import close_incident, responder_name

    journal = resolve(incident, _home())
    head = close_incident(journal, reason, responder_name(None, _config()))
    _say(f"Incident {journal.incident_id} closed. Head hash: {head}")


class IncidentsFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
def incidents(
    open_only: bool = typer.Option(False, "--open", help="Only incidents that are not closed."),
    drill: Optional[bool] = typer.Option(None, "--drill/--real", help="Only drills, or only real incidents.", show_default=False),
    format: IncidentsFormat = typer.Option(IncidentsFormat.table, "--format", help="table or json."),
) -> None:
    """List incidents with their status: running, paused, interrupted or closed."""
    from crisisplay.errors import CrisisplayError
    from crisisplay.incidents import CLOSED, all_logs, summary
    from crisisplay.journal import Journal

    rows, problems = [], []
    for path in all_logs(_home()):
        try:
            row = summary(Journal(path))
        except CrisisplayError as err:
            problems.append(str(err))
            continue
        if open_only and row["status"] == CLOSED:
            continue
        if drill is not None and row["drill"] != drill:
            continue
        rows.append(row)
    for problem in problems:
        _say(f"warning: {problem}")
    if format is IncidentsFormat.json:
        print(json.dumps({"incidents": rows}, indent=2, ensure_ascii=False))
        return
    if not rows:
        _say("No incidents.")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

    # Fits 80 columns: the id already says when it started (UTC); drills are marked on a
    # second line of the status and long names fold, so nothing is cut off.
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True)
    table.add_column("status", overflow="fold")
    for column in ("severity", "took", "met"):
        table.add_column(column, no_wrap=True)
    table.add_column("by", overflow="fold", min_width=6)
    for row in rows:
        status = row["status"] + ("\n(drill)" if row["drill"] else "")
        cells = (row["id"], status, row["severity"], _duration(row), _milestones(row).split(" ")[0],
                 ", ".join(row["responders"]))
        table.add_row(*(Text(visible(cell)) for cell in cells))
    Console().print(table)


def _duration(row: dict) -> str:
    """An incident's duration from detection; `so far` while it is not closed."""
    from crisisplay.playbook.model import format_duration

    words = format_duration(row["duration_ms"])
    return words if row["status"] == "closed" else f"{words} so far"


def _milestones(row: dict) -> str:
    """How many targets were met, like `2/3 met`, and how many missed."""
    figures = row["milestones"]
    if not figures["targets"]:
        return "—"
    missed = f", {figures['missed']} missed" if figures["missed"] else ""
    return f"{figures['met']}/{figures['targets']} met{missed}"


@app.command()
def verify(
    incident: str = typer.Argument(..., metavar="INCIDENT", help="Incident id, a unique prefix of one, or `last`."),
    head: Optional[str] = typer.Option(None, "--head", metavar="HASH", help="Also check that the log still holds this event."),
) -> None:
    """Check an incident log's hash chain: exit 0 when it holds, 1 naming the first bad line."""
    from crisisplay.incidents import resolve

    journal = resolve(incident, _home())
    result = journal.verify(head=head)
    if result.ok:
        print(f"ok: {result.count} events, chain intact. Head hash: {result.head}")
        return
    print(f"broken: {result.message}")
    if result.head:
        print(f"Last good hash: {result.head} ({result.count} events verified)")
    raise typer.Exit(1)


class ExportFormat(str, Enum):
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"


@app.command()
def export(
    incident: str = typer.Argument(..., metavar="INCIDENT", help="Incident id, a unique prefix of one, or `last`."),
    format: ExportFormat = typer.Option(ExportFormat.md, "--format", help="md or html (the post-mortem report), json or csv (the data)."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="PATH", help="Write to this file (atomically, owner-only) instead of standard output."),
) -> None:
    """Export an incident from its log alone: the post-mortem report (md, html) or its events (json, csv)."""
    from crisisplay.export import export_incident
    from crisisplay.incidents import resolve

    journal = resolve(incident, _home())
    to_file = output is not None and str(output) != "-"
    sys.stdout.flush()
    done = export_incident(journal, format.value, output if to_file else None, sys.stdout.buffer)
    if done.torn:
        _say(f"warning: {done.torn}")
    if to_file:
        _say(f"Exported {journal.incident_id} ({done.count} events) to {output}. Head hash: {done.head}")


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@app.command()
def lint(
    paths: Optional[list[str]] = typer.Argument(None, metavar="PATH|-", show_default=False,
                                                help="Files and folders (recursive *.yaml, *.yml); - reads standard input. Default: ./playbooks."),
    format: Optional[LintFormat] = typer.Option(None, "--format", show_default=False,
                                                help="text, json, github or sarif (default: text; github when GITHUB_ACTIONS=true)."),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the run too (exit 1)."),
    statistics: bool = typer.Option(False, "--statistics", help="Also count the findings per rule."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="FILE", help="Write the report to FILE."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List every rule (code, name, level) and exit."),
) -> None:
    """Check playbooks: every problem at its line and column, with a rule code (docs/lint-rules.md)."""
    from crisisplay.lint import command

    chosen = format.value if format else None
    if list_rules:
        sys.stdout.write(command.list_rules(chosen))
        return
    code = command.run(paths or [], chosen, strict, statistics, output, _config())
    if code:
        raise typer.Exit(code)


@app.command()
def new(
    playbook_id: str = typer.Argument(..., metavar="ID", help="The new playbook's id, like data-leak."),
    source: Optional[str] = typer.Option(None, "--from", metavar="PLAYBOOK", help="Copy this playbook (an id or a path) instead of the skeleton."),
    folder: Path = typer.Option(Path("playbooks"), "-o", "--output", metavar="DIR", help="Folder to write <ID>.yaml in (default: ./playbooks)."),
) -> None:
    """Create a playbook that lints clean: a commented skeleton, or a copy of another under a new id."""
    from crisisplay.lint.scaffold import new_playbook

    created = new_playbook(playbook_id, folder, source, _home())
    print(created.path)
    _say(f"Created {created.path}. Edit it, then check it: crisisplay lint {created.path}")
    if created.schema is not None:
        _say(f"Wrote {created.schema}, the JSON Schema its first line points editors at; commit it with your playbooks")


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
        elif arg in GLOBAL_OPTIONS or arg.startswith("--home="):
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            i += 0 if "=" in arg else 1
            if not value.strip():
                raise UsageError("--home needs a folder: --home DIR")
            os.environ["CRISISPLAY_HOME"] = value
        else:
            out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `crisisplay` script and `python -m crisisplay`."""
    if hasattr(signal, "SIGPIPE"):
        # `crisisplay export … | head`: when the reader leaves, stop quietly, as Unix tools do,
        # instead of exit 1 (which means "problems found") or a traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        args = _hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        app(args=args, prog_name="crisisplay")
        sys.stdout.flush()
    except PlaybookError as err:
        from crisisplay.display import visible

        _print_findings(err.findings)
        print(f"crisisplay: error: {visible(err)}", file=sys.stderr)
        sys.exit(err.exit_code)
    except CrisisplayError as err:
        from crisisplay.display import visible

        kind = "" if err.exit_code in (3, 130) else "error: "
        print(f"crisisplay: {kind}{visible(err)}", file=sys.stderr)
        sys.exit(err.exit_code)
    except BrokenPipeError:
        # `crisisplay show x | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
