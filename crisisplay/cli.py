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
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import typer
from typer.core import TyperCommand, TyperGroup

from crisisplay import __version__, i18n
from crisisplay.errors import AnswerError, CrisisplayError, PlaybookError, UsageError
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from rich.console import Console
    from typer._click import ClickException, Context, Parameter  # typer keeps its own Click since 0.26
    from typer._click.exceptions import UsageError as ClickUsageError
    from typer._click.formatting import HelpFormatter

    from crisisplay.config import Config
    from crisisplay.errors import Interrupted
    from crisisplay.findings import Finding
    from crisisplay.incidents import Row
    from crisisplay.lint.cache import Usable
    from crisisplay.playbook.model import Playbook
    from crisisplay.run.lifecycle import Responder
    from crisisplay.run.session import Frontend, Outcome
    from crisisplay.store.base import Store

    MakeFrontend = Callable[[dict[str, Any]], Frontend]

_F = TypeVar("_F", bound=Callable[..., Any])

PROG = "crisisplay"

# One or two examples per command, shown at the end of its --help. Each example is a paragraph
# of its own: click rewraps the lines of a paragraph into one, with rich markup on or off.
EXAMPLES = {
    "": ["crisisplay start pricing-error --drill", "crisisplay incidents --open"],
    "list": ["crisisplay list", "crisisplay list -f json"],
    "show": ["crisisplay show pricing-error", "crisisplay show ./playbooks/data-leak.yaml -f mermaid"],
    "schema": ["crisisplay schema > playbook-v1.json"],
    "start": ["crisisplay start pricing-error --drill", "id=$(crisisplay start pricing-error --answers answers.yaml)"],
    "resume": [
        "crisisplay resume last",
        "crisisplay resume 20261125-2140 --responder 'Ana Ruiz'",
        "crisisplay resume last --take-over --reason 'laptop died' --responder 'Leo Kim'",
    ],
    "note": ["crisisplay note last 'Customer called back; calm now.'", "crisisplay note last - < call-notes.txt"],
    "close": ["crisisplay close last --reason 'false alarm'", "crisisplay close last --reason duplicate -f json"],
    "incidents": ["crisisplay incidents --open", "crisisplay incidents --drill -f json"],
    "verify": ["crisisplay verify last", "crisisplay verify last --head HASH -f json"],
    "export": ["crisisplay export last -o post-mortem.md", "crisisplay export last -f html -o post-mortem.html"],
    "lint": ["crisisplay lint playbooks/", "crisisplay lint data-leak.yaml -f github --strict"],
    "new": ["crisisplay new data-leak", "crisisplay new data-leak --from pricing-error"],
    "contacts": ["crisisplay contacts", "crisisplay contacts test manager -f json"],
    "assign": ["crisisplay assign last manager 'Marta Gil'", "crisisplay assign last comms 'Leo Kim'"],
    "severity": ["crisisplay severity last high --reason 'a journalist is asking'"],
    "approve": ["crisisplay approve last --as 'Marta Gil'", "crisisplay approve last apology --edit apology.txt"],
    "reject": ["crisisplay reject last --reason 'no promise of a refund yet' --as 'Marta Gil'"],
    "watch": ["crisisplay watch last"],
    "store": [
        "CRISISPLAY_STORE=postgresql://crisis@db.example.org/crisisplay crisisplay store init",
        "crisisplay store copy --to postgresql://crisis@db.example.org/crisisplay",
    ],
}


EXAMPLES_HEADING = N_("Examples:")


def _examples(command: str, translate: Callable[[str], str] = N_) -> str:
    """The epilog of a command's --help; typer reads it at import, so `_translate_help` builds it again."""
    return "\n\n".join([translate(EXAMPLES_HEADING), *(f"  {line}" for line in EXAMPLES[command])])


def _plain_labels(params: list[Parameter]) -> list[Parameter]:
    """Parameters without the Python type labels recent typer prints in --help (`<bool>`, `<str>`,
    `<list[str]>`, and `{PLAYBOOK}` for a required argument): flags need no label, every other
    parameter has a metavar that says what to give (FILE, KEY=VALUE, FORMAT)."""
    for param in params:
        if _help_translated and param.name == "help":  # Click makes the help option per command, here
            # Looked up first: Babel 2.12's extractor would take the key inside `_(…["help"])` for a message.
            text = TYPER_TEXTS["help"]
            param.help = _(text)  # type: ignore[attr-defined]  # an option carries help
        flag = getattr(param, "is_flag", False)
        if flag or param.param_type_name == "argument":
            # Both are methods of typer's own parameter classes, which click's base does not declare.
            param.display_type_rich = lambda ctx: None  # type: ignore[attr-defined]
        if param.param_type_name == "argument" and param.metavar:
            param._usage_display_name = functools.partial(_usage_name, param, param.metavar)  # type: ignore[attr-defined]
    return params


def _usage_name(param: Parameter, metavar: str) -> str:
    """An argument in the usage line as Unix manuals write it: `PLAYBOOK`, `[PATH|-]...`."""
    name = metavar if param.required else f"[{metavar}]"
    return name + ("..." if param.nargs != 1 else "")


# Texts that typer and Click write into --help, marked here so the catalogue has them.
TYPER_TEXTS = {
    "help": N_("Show this message and exit."),
    "install": N_("Install completion for the current shell."),
    "show": N_("Show completion for the current shell, to copy it or customize the installation."),
}
PANEL_TITLES = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
}
USAGE_PREFIX = N_("Usage: ")  # the first line of --help; Click's formatter takes it as an argument
# What the usage line shows for a command's options and a group's commands (Click's defaults).
USAGE_METAVARS = {"options_metavar": N_("[OPTIONS]"), "subcommand_metavar": N_("COMMAND [ARGS]...")}
_help_translated = False  # set by `_translate_help`: the help option (made per call) is translated too


def _translate_help(group: TyperGroup) -> None:
    """--help in the chosen language.

    typer reads the help texts at import, before the language is chosen, so they are English
    texts marked with N_(); here every one of them (the group, each command, each parameter,
    the examples) is replaced by its translation, and typer's panel titles with it."""
    global _help_translated
    from typer import rich_utils

    _help_translated = True
    for constant, text in PANEL_TITLES.items():
        if hasattr(rich_utils, constant):  # "where typer allows": these are its module constants
            setattr(rich_utils, constant, _(text))
    for key, command in [("", group), *group.commands.items()]:
        for attribute, text in USAGE_METAVARS.items():
            if getattr(command, attribute, None) == text:  # Click's default, not one a command chose
                setattr(command, attribute, _(text))
        command.help = _(command.help) if command.help else command.help
        command.short_help = _(command.short_help) if command.short_help else command.short_help
        command.epilog = _examples(key, _) if key in EXAMPLES else command.epilog
        for param in command.params:
            if getattr(param, "help", None):
                param.help = _(param.help)  # type: ignore[attr-defined]  # options and arguments carry help


def _write_usage(command: TyperCommand | TyperGroup, ctx: Context, formatter: HelpFormatter) -> None:
    """The usage line, as Click writes it, with its `Usage: ` in the chosen language."""
    prefix = _(USAGE_PREFIX) if _help_translated else None  # None: Click's own, as it always was
    formatter.write_usage(ctx.command_path, " ".join(command.collect_usage_pieces(ctx)), prefix=prefix)


class _Command(TyperCommand):
    def get_params(self, ctx: Context) -> list[Parameter]:
        return _plain_labels(super().get_params(ctx))

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_usage(self, ctx, formatter)


class _Group(TyperGroup):
    def get_params(self, ctx: Context) -> list[Parameter]:
        return _plain_labels(super().get_params(ctx))

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_usage(self, ctx, formatter)


app = typer.Typer(
    name=PROG,
    cls=_Group,
    help=N_("Walk a responder through a social-media crisis, step by step, with a tamper-evident log."),
    epilog=_examples(""),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(name: str | None = None, *, help: str) -> Callable[[_F], _F]:
    """`@app.command` with crisisplay's help: examples at the end, no type labels.

    `help` is the command's --help text, marked with N_() (a docstring would not reach the catalogue)."""

    def register(function: _F) -> _F:
        key = name or function.__name__
        return app.command(key, cls=_Command, help=help, epilog=_examples(key))(function)

    return register


GLOBAL_FLAGS = ("--no-color",)
# Options taken before or after the command: each is moved into the environment variable
# that stands for it, with what its value names (for the error when it has none).
GLOBAL_OPTIONS = {
    "--home": ("CRISISPLAY_HOME", N_("a folder: --home DIR")),
    "--lang": ("CRISISPLAY_LANG", N_("a language: --lang es")),
}


class ListFormat(str, Enum):
    table = "table"
    json = "json"


class ShowFormat(str, Enum):
    text = "text"
    mermaid = "mermaid"
    json = "json"


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def _complete_playbook(incomplete: str) -> list[str]:
    """Shell completion of PLAYBOOK: the ids `list` shows."""
    from crisisplay.home import catalogue

    try:
        return [entry.id for entry in catalogue(_home()) if entry.id.startswith(incomplete)]
    except Exception:  # completing runs inside the shell's prompt: never a traceback there
        return []


def _complete_incident(incomplete: str) -> list[str]:
    """Shell completion of INCIDENT: `last`, then the incidents, newest first."""
    try:
        ids = ["last", *sorted(_store().ids(), reverse=True)]
    except Exception:  # completing runs inside the shell's prompt: never a traceback there
        return []
    return [i for i in ids if i.startswith(incomplete)]


def _playbook_argument() -> Any:  # typer's parameter declarations are typed Any
    return typer.Argument(
        ..., metavar="PLAYBOOK", help=N_("A playbook id or a path to a .yaml file."), autocompletion=_complete_playbook
    )


def _incident_argument() -> Any:
    return typer.Argument(
        ...,
        metavar="INCIDENT",
        help=N_("Incident id, a unique prefix of one, or `last`."),
        autocompletion=_complete_incident,
    )


def _version(value: bool) -> None:
    if value:
        print(f"crisisplay {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "-V", "--version", callback=_version, is_eager=True, help=N_("Print the version and exit.")
    ),
    home: str | None = typer.Option(
        None,
        "--home",
        metavar="DIR",
        help=N_("Data folder (also CRISISPLAY_HOME); accepted before or after the command."),
    ),
    no_color: bool = typer.Option(
        False, "--no-color", help=N_("No colours (also NO_COLOR); accepted before or after the command.")
    ),
    lang: str | None = typer.Option(
        None,
        "--lang",
        metavar="LANG",
        help=N_("Language of what is shown: en or es (also CRISISPLAY_LANG); accepted before or after the command."),
    ),
) -> None:
    """Walk a responder through a social-media crisis, step by step, with a tamper-evident log."""


def _home() -> Path:
    from crisisplay.home import home_dir

    return home_dir()


def _print_findings(findings: Iterable[Finding]) -> None:
    from crisisplay.display import visible

    for finding in findings:
        print(visible(finding), file=sys.stderr)


def _playbook(loaded: Usable) -> Playbook:
    """The model of a playbook `_load` accepted (it refuses one that could not be built)."""
    model = loaded.playbook
    if model is None:
        raise PlaybookError(_("{path}: the playbook could not be built").format(path=loaded.path), loaded.findings)
    return model


def _load(ref: str, its_language: bool = False) -> Usable:
    """Find and lint a playbook for use; PlaybookError (exit 2, findings printed) when it has errors.

    Warnings stay in the returned `findings` for the command to print; the config's `[lint]`
    options and the file's noqa comments apply, as they do for `crisisplay lint`. Results are
    cached by content in `<home>/cache/lint`, so an unchanged playbook opens fast. With
    `its_language`, the playbook's `locale` takes part in choosing the language, and its
    findings are worded in the language chosen (linted again when its locale changed it).
    """
    from crisisplay.home import find_playbook
    from crisisplay.lint.cache import usable
    from crisisplay.lint.policy import policy_for

    config = _config()
    entry = find_playbook(ref, _home())
    policy = policy_for(config)
    try:
        loaded = usable(entry.path, policy, _home() / "cache" / "lint")
        if its_language:
            before = i18n.language()
            _use_locale_of(loaded)
            if i18n.language() != before:
                loaded = usable(entry.path, policy, _home() / "cache" / "lint")
    except OSError as err:
        raise PlaybookError(_("{path}: cannot read: {reason}").format(path=entry.path, reason=err.strerror)) from None
    if loaded.normalised is None or loaded.errors:
        # "error(s)", as the contract's examples write it, rather than a plural form per count.
        message = _("{path}: the playbook has {count} error(s)").format(path=entry.path, count=len(loaded.errors))
        raise PlaybookError(message, loaded.findings)
    return loaded


@_command("list", help=N_("List the playbooks you can start: local, in <home>, and bundled; and what shadows what."))
def list_playbooks(
    format: ListFormat = typer.Option(ListFormat.table, "-f", "--format", metavar="FORMAT", help=N_("table or json.")),
) -> None:
    from crisisplay.home import catalogue
    from crisisplay.lint.cache import usable
    from crisisplay.lint.policy import policy_for

    policy, cache = policy_for(_config()), _home() / "cache" / "lint"
    rows: list[dict[str, Any]] = []  # the JSON objects of `list -f json`
    for entry in catalogue(_home()):
        try:
            # The same lint `start` runs (and its cache): an error here is one `start` would refuse.
            loaded = usable(entry.path, policy, cache)
        except OSError as err:
            rows.append(
                {
                    "id": entry.id,
                    "title": None,
                    "source": entry.origin,
                    "path": str(entry.path),
                    "steps": None,
                    "shadows": [],
                    "errors": 1,
                    "problem": err.strerror,
                }
            )
            continue
        book = loaded.normalised or {}
        rows.append(
            {
                "id": entry.id,
                "title": book.get("title"),
                "source": entry.origin,
                "path": str(entry.path),
                "steps": sum(len(phase["steps"]) for phase in book["phases"]) if book else None,
                "shadows": [{"source": o, "path": str(p)} for o, p in entry.shadows],
                "errors": len(loaded.errors),
            }
        )
    if format is ListFormat.json:
        print(json.dumps({"playbooks": rows}, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

    table = Table(box=None, pad_edge=False)
    for column in (N_("id"), N_("title"), N_("source"), N_("steps"), N_("notes")):
        table.add_column(_(column), overflow="fold")
    for row in rows:
        notes = []
        if row["shadows"]:
            shadowed = ", ".join(f"{_shown(SOURCE_WORDS, s['source'])} {s['path']}" for s in row["shadows"])
            notes.append(_("shadows {playbooks}").format(playbooks=shadowed))
        if row["errors"]:
            note = _("{count} error(s): {command}").format(
                count=row["errors"], command=f"crisisplay lint {row['path']}"
            )
            notes.append(note)
        source = (
            _shown(SOURCE_WORDS, row["source"])
            if row["source"] == "bundled"
            else f"{_shown(SOURCE_WORDS, row['source'])} {row['path']}"
        )
        table.add_row(
            *(
                Text(visible(cell))
                for cell in (row["id"], row["title"] or "?", source, str(row["steps"] or "?"), "; ".join(notes))
            )
        )
    Console().print(table)


# Where a playbook comes from, as the `list` table shows it (`-f json` keeps these words).
SOURCE_WORDS = {"local": N_("local"), "home": N_("home"), "bundled": N_("bundled"), "path": N_("path")}


def _shown(words: dict[str, str], value: str) -> str:
    """A word of the data (a status, a source) as a table shows it: translated when it is one of `words`."""
    return _(words[value]) if value in words else value


@_command(help=N_("Show a playbook: a tree of its phases and steps, a Mermaid flowchart, or its normalised JSON."))
def show(
    playbook: str = _playbook_argument(),
    format: ShowFormat = typer.Option(
        ShowFormat.text, "-f", "--format", metavar="FORMAT", help=N_("text, mermaid or json.")
    ),
) -> None:
    from crisisplay.display import visible

    loaded = _load(playbook, its_language=True)
    _print_findings([f for f in loaded.findings if f.level != "error"])
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(loaded.normalised, indent=2, ensure_ascii=False) + "\n")
    elif format is ShowFormat.mermaid:
        from crisisplay.playbook.render import as_mermaid

        sys.stdout.write(visible(as_mermaid(_playbook(loaded))))
    else:
        from crisisplay.playbook.render import as_text

        names = {role: contact.name for role, contact in _config().contacts.items() if contact.name}
        sys.stdout.write(visible(as_text(_playbook(loaded), names)))


@_command(help=N_("Print the JSON Schema of the playbook format (for editors: yaml-language-server)."))
def schema() -> None:
    from crisisplay.playbook.schema import schema_text

    sys.stdout.write(schema_text())


def _use_locale_of(loaded: Usable) -> None:
    """The playbook's `locale` takes part in choosing the language.

    Read from the normalised form, not the model: `show -f json` never builds the model, and
    building it only for this doubled that command's start-up."""
    locale = (loaded.normalised or {}).get("locale")
    i18n.use_playbook_locale(locale if isinstance(locale, str) else None)


@functools.lru_cache(maxsize=1)
def _store() -> Store:
    """Where incidents live: CRISISPLAY_STORE, else `store` in the configuration, else <home>/incidents."""
    from crisisplay.store.base import open_store

    return open_store(_config(), _home())


def _store_ready() -> None:
    """Connect to a PostgreSQL store now (a folder needs nothing): a bad address, refused
    connection or missing schema is then the command's one line, before anything else."""
    from crisisplay.store.files import FileStore

    store = _store()
    if not isinstance(store, FileStore):
        store.ids()


@functools.lru_cache(maxsize=1)
def _config() -> Config:
    from crisisplay.config import load_config

    return load_config(_home())


def _say(text: str) -> None:
    from crisisplay.display import visible

    print(visible(text), file=sys.stderr)


def _report(outcome: Outcome, console: Console | None = None) -> None:
    """How a run ended, on standard error (or the terminal); exit 3 when it paused."""
    if console is not None and outcome.finished:
        from crisisplay.run.header import run_summary
        from crisisplay.times import now

        console.print()
        console.print(run_summary(outcome.state, outcome.events(), now()))
    from crisisplay.narrative import log_words  # the log's outcome and pause reasons, in words

    if outcome.finished:
        _say(
            _("Incident {incident} closed: {reason}.").format(
                incident=outcome.incident_id, reason=log_words(outcome.reason)
            )
        )
        _say(_("Head hash: {hash}").format(hash=outcome.head))
        _say(_("Post-mortem: {command}").format(command=f"crisisplay export {outcome.incident_id} --format md"))
        return
    _say(
        _("Incident {incident} paused ({reason}). Everything answered so far is saved.").format(
            incident=outcome.incident_id, reason=log_words(outcome.reason)
        )
    )
    _say(_("Head hash: {hash}").format(hash=outcome.head))
    _say(_("Resume with: {command}").format(command=f"crisisplay resume {outcome.incident_id}"))
    raise typer.Exit(3)


def _scripted_frontend(answers_path: Path, playbook: Playbook, delivering: bool = False) -> MakeFrontend:
    from crisisplay.run.answers import read_answers
    from crisisplay.run.scripted import ScriptedFrontend

    answers = read_answers(answers_path, playbook, delivering)
    return lambda overrides: ScriptedFrontend(answers, overrides)


def _terminal_frontend(config: Config) -> tuple[Console, MakeFrontend]:
    """The interactive front end; exit 2 with one clear line when there is no terminal."""
    from crisisplay.errors import UsageError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(_("no terminal to ask questions on: run unattended with --answers FILE"))
    from rich.console import Console

    from crisisplay.run.terminal import TerminalFrontend

    console = Console(highlight=False)
    return console, lambda overrides: TerminalFrontend(console, contacts=config.contacts, overrides=overrides)


def _ask_responder(suggested: str) -> str:
    """Who is responding, asked once: messages sign with it, so never guess from the login name.

    The account's name is offered greyed in the empty box: Enter takes it, typing replaces it."""
    from crisisplay.run.terminal import Prompter

    try:
        name = Prompter().text(
            _("Your name, as colleagues and customers should see it:"),
            suggested=suggested,
            instruction=_("(set `responder` in config.toml to skip this)"),
            validate=lambda t: bool(t.strip()) or _("Please give a name"),
        )
    except (KeyboardInterrupt, EOFError):
        raise _interrupted(None) from None
    return name.strip()


def _recorded_as(who: Responder) -> None:
    """Say first, on standard error, whom a scripted run records its decisions as, and why."""
    from crisisplay.display import visible

    why = {
        "option": "--responder",
        "config": N_("`responder` in the configuration"),
        "account": N_("your account's full name"),
        "login": N_("your login name"),
        "incident": N_("the incident's responder"),
    }[who.source]
    _say(_("Decisions are recorded as {name} ({why}).").format(name=visible(who.name), why=_(why)))
    if who.source == "login":
        _say(
            _('hint: set responder = "Your Name" in {path}, or pass --responder NAME').format(
                path=_home() / "config.toml"
            )
        )


def _head_of(incident_id: str) -> str:
    """The head hash of an incident's log as it stands, for the pause message."""
    from crisisplay.incidents import resolve

    try:
        head = resolve(incident_id, _home(), _store()).head()
    except CrisisplayError:
        return _("(unreadable)")
    return head["hash"] if head else _("(none)")


def _interrupted(incident_id: str | None) -> Interrupted:
    from crisisplay.errors import Interrupted

    if incident_id is None:
        return Interrupted(_("interrupted before the incident was created; nothing was saved"))
    _say(
        _("Incident {incident} paused ({reason}). Everything answered so far is saved.").format(
            incident=incident_id, reason=_("interrupted")
        )
    )
    _say(_("Head hash: {hash}").format(hash=_head_of(incident_id)))
    return Interrupted(_("interrupted. Resume with: {command}").format(command=f"crisisplay resume {incident_id}"))


def _paused_by_error(incident_id: str | None, reason: str) -> None:
    """An answer or a template failed mid-run: the incident is paused; say so, with its head hash."""
    from crisisplay.narrative import log_words

    if not incident_id:
        return
    _say(
        _("Incident {incident} paused ({reason}). Everything answered before it is saved.").format(
            incident=incident_id, reason=log_words(reason)
        )
    )
    _say(_("Head hash: {hash}").format(hash=_head_of(incident_id)))
    if reason == "playbook-error":
        _say(
            _("Nothing was sent. The log keeps the playbook as it was; end it with: {command}").format(
                command=f'crisisplay close {incident_id} --reason "playbook error"'
            )
        )
    else:
        _say(_("Resume with: {command} (with an answer that fits)").format(command=f"crisisplay resume {incident_id}"))


@_command(help=N_("Start an incident from a playbook; prints its id on standard output."))
def start(
    playbook: str = _playbook_argument(),
    answers: Path | None = typer.Option(
        None, "--answers", metavar="FILE", help=N_("Answer from this file instead of the terminal.")
    ),
    drill: bool = typer.Option(False, "--drill", help=N_("A rehearsal: marked DRILL everywhere.")),
    responder: str | None = typer.Option(
        None,
        "--responder",
        metavar="NAME",
        help=N_(
            "Who is responding (default: `responder` in the configuration, then your account's full name, then your login name)."
        ),
    ),
    var: list[str] = typer.Option(
        [], "--var", metavar="KEY=VALUE", help=N_("Set an input (overrides the answers file).")
    ),
    detected_at: str | None = typer.Option(
        None, "--detected-at", metavar="TIME", help=N_("When the crisis was detected: ISO time or -45m.")
    ),
    notify: bool = typer.Option(
        False,
        "--notify",
        help=N_("Deliver for real in a drill (only to the drill targets in config.toml) or from an answers file."),
    ),
) -> None:
    from crisisplay.journal import require_posix
    from crisisplay.run.delivery import reach_for_run
    from crisisplay.run.lifecycle import StartRequest, find_responder, start_incident

    require_posix()
    loaded = _load(playbook, its_language=True)
    config = _config()
    pb = _playbook(loaded)
    who = find_responder(responder, config)
    _store_ready()  # a store that cannot be used says so first, in one line
    if answers is not None:
        _recorded_as(who)  # before anything else on standard error
    _print_findings([f for f in loaded.findings if f.level != "error"])
    console = None
    name = who.name
    if answers is None:
        console, make_frontend = _terminal_frontend(config)
        if who.source in ("account", "login"):  # nobody said who: ask, offering the account's name
            name = _ask_responder(who.name)
    else:
        make_frontend = _scripted_frontend(answers, pb, delivering=notify)
    reach = reach_for_run(config, drill=drill, scripted=answers is not None, notify=notify)
    request = StartRequest(pb, loaded.path, drill, name, tuple(var), detected_at, reach)
    started: list[str] = []

    def announce(incident_id: str) -> None:
        started.append(incident_id)
        print(incident_id, flush=True)

    try:
        outcome = start_incident(request, config, _home(), make_frontend, announce, store=_store())
    except KeyboardInterrupt:
        raise _interrupted(started[0] if started else None) from None
    except PlaybookError:
        _paused_by_error(started[0] if started else None, "playbook-error")
        raise
    except AnswerError:
        _paused_by_error(started[0] if started else None, "answer-error")
        raise
    _report(outcome, console)


@_command(help=N_("Continue a paused or interrupted incident at the step where it stopped."))
def resume(
    incident: str = _incident_argument(),
    answers: Path | None = typer.Option(
        None, "--answers", metavar="FILE", help=N_("Answer from this file instead of the terminal.")
    ),
    responder: str | None = typer.Option(
        None, "--responder", metavar="NAME", help=N_("Who takes over (recorded as a handover).")
    ),
    notify: bool = typer.Option(
        False,
        "--notify",
        help=N_("Deliver for real in a drill (only to the drill targets in config.toml) or from an answers file."),
    ),
    take_over: bool = typer.Option(
        False,
        "--take-over",
        help=N_("Take the incident over from a run whose lease expired or was abandoned (logged as a handover)."),
    ),
    reason: str | None = typer.Option(
        None, "--reason", metavar="TEXT", help=N_("With --take-over: why you take it over.")
    ),
) -> None:
    from crisisplay.errors import IncidentClosed
    from crisisplay.incidents import load_state, resolve
    from crisisplay.narrative import log_words
    from crisisplay.run.delivery import reach_for_run
    from crisisplay.run.lifecycle import resume_incident

    config = _config()
    journal = resolve(incident, _home(), _store())
    state = load_state(journal)
    i18n.use_playbook_locale(state.playbook.locale)
    if state.closed:
        raise IncidentClosed(
            _("incident {incident} is closed ({reason}); there is nothing to resume").format(
                incident=state.incident_id, reason=log_words(state.close_reason or state.outcome)
            )
        )
    console = None
    if answers is None:
        console, make_frontend = _terminal_frontend(config)
        frontend = make_frontend({})
    else:
        from crisisplay.run.lifecycle import resuming_responder

        _recorded_as(resuming_responder(responder, config, state.responder))
        frontend = _scripted_frontend(answers, state.playbook, delivering=notify)({})
    reach = reach_for_run(config, drill=state.drill, scripted=answers is not None, notify=notify)
    try:
        outcome = resume_incident(
            journal,
            config,
            responder,
            frontend,
            warn=lambda m: _say(_("warning: {message}").format(message=m)),
            reach=reach,
            take_over=take_over,
            reason=reason,
        )
    except KeyboardInterrupt:
        raise _interrupted(journal.incident_id) from None
    except PlaybookError:
        _paused_by_error(journal.incident_id, "playbook-error")
        raise
    except AnswerError:
        _paused_by_error(journal.incident_id, "answer-error")
        raise
    _report(outcome, console)


_DONE_FORMATS = N_("text (one line on standard error) or json (an object on standard output).")


def _done(format: TextOrJson, line: str, data: dict[str, Any]) -> None:
    """What a command that appends to a log did: one line for a person, or JSON for a script."""
    if format is TextOrJson.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _say(line)


@_command(help=N_("Add a note to an incident (running, paused or closed; a note never reopens it)."))
def note(
    incident: str = _incident_argument(),
    text: str = typer.Argument(..., metavar="TEXT|-", help=N_("The note, or - to read it from standard input.")),
    responder: str | None = typer.Option(None, "--responder", metavar="NAME", help=N_("Who writes the note.")),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import add_note, read_note, responder_name

    journal = resolve(incident, _home(), _store())
    body = read_note(sys.stdin.buffer) if text == "-" else text
    actor = responder_name(responder, _config())
    head = add_note(journal, body, actor)
    _done(
        format,
        _("Note added to {incident}. Head hash: {hash}").format(incident=journal.incident_id, hash=head),
        {"incident": journal.incident_id, "event": "note.added", "actor": actor, "head": head},
    )


def _team_actor(given: str | None) -> str:
    from crisisplay.run.lifecycle import responder_name

    return responder_name(given, _config())


@_command(
    help=N_(
        "Give an incident role to a person: lead, comms, scribe or a role the playbook declares "
        "(whoever starts an incident is its lead)."
    )
)
def assign(
    incident: str = _incident_argument(),
    role: str = typer.Argument(..., metavar="ROLE", help=N_("lead, comms, scribe, or a role of the playbook.")),
    person: str = typer.Argument(..., metavar="PERSON", help=N_("Who holds the role, by name.")),
    responder: str | None = typer.Option(None, "--responder", metavar="NAME", help=N_("Who assigns it.")),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.team import assign_role

    log = resolve(incident, _home())
    actor = _team_actor(responder)
    done = assign_role(log, role, person, actor)
    shown = " ".join(person.split())
    line = (
        _("{person} is {role} of {incident}. Head hash: {hash}")
        if done.events
        else _("{person} already is {role} of {incident}. Head hash: {hash}")
    )
    role_id = done.events[0]["data"]["role"] if done.events else role.strip()
    _done(
        format,
        line.format(person=shown, role=role_id, incident=log.incident_id, hash=done.head),
        {
            "incident": log.incident_id,
            "event": "role.assigned" if done.events else None,
            "actor": actor,
            "role": role_id,
            "person": shown,
            "head": done.head,
        },
    )


@_command(help=N_("Change an incident's severity from any terminal, with a reason (any incident not closed)."))
def severity(
    incident: str = _incident_argument(),
    level: str = typer.Argument(..., metavar="LEVEL", help=N_("A severity level of the incident's playbook.")),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help=N_("Why the severity changes.")),
    responder: str | None = typer.Option(None, "--responder", metavar="NAME", help=N_("Who changes it.")),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.team import change_severity

    log = resolve(incident, _home())
    actor = _team_actor(responder)
    done = change_severity(log, level, reason, actor)
    after = done.events[0]["data"]["to"] if done.events else done.state.severity
    line = (
        _("Severity of {incident} is now {level}. Head hash: {hash}")
        if done.events
        else _("Severity of {incident} already is {level}. Head hash: {hash}")
    )
    _done(
        format,
        line.format(incident=log.incident_id, level=after, hash=done.head),
        {
            "incident": log.incident_id,
            "event": "severity.changed" if done.events else None,
            "actor": actor,
            "from": done.state.severity,
            "to": after,
            "reason": reason.strip(),
            "head": done.head,
        },
    )


def _as_option() -> Any:
    return typer.Option(
        None,
        "--as",
        metavar="NAME",
        help=N_(
            "Who approves: a person who holds a role the approval needs (default: `responder` in the configuration)."
        ),
    )


def _step_argument() -> Any:
    return typer.Argument(
        None, metavar="STEP", show_default=False, help=N_("The step waiting for approval (needed when several wait).")
    )


@_command(
    help=N_(
        "Approve a message waiting for approval, as a person who holds one of the roles it needs "
        "(given with `assign`); --edit approves your own wording instead."
    )
)
def approve(
    incident: str = _incident_argument(),
    step: str | None = _step_argument(),
    edit: Path | None = typer.Option(
        None, "--edit", metavar="FILE", help=N_("Approve the text in FILE (- for standard input) instead.")
    ),
    as_: str | None = _as_option(),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.team import approve as give
    from crisisplay.run.team import read_edit

    log = resolve(incident, _home())
    person = _team_actor(as_)
    edited = read_edit(edit) if edit is not None else None
    done = give(log, step, person, person, edited)
    first = done.events[0]
    roles = ", ".join(e["data"]["by"] for e in done.events)
    _done(
        format,
        _("{person} approved {step} of {incident} as {roles}. Head hash: {hash}").format(
            person=person, step=first["step"], incident=log.incident_id, roles=roles, hash=done.head
        ),
        {
            "incident": log.incident_id,
            "event": "approval.given",
            "actor": person,
            "step": first["step"],
            "roles": [e["data"]["by"] for e in done.events],
            "message_hash": first["data"]["message_hash"],
            "edited": "edited" in first["data"],
            "head": done.head,
        },
    )


@_command(help=N_("Reject a message waiting for approval, with a reason: it goes back to the driver to edit."))
def reject(
    incident: str = _incident_argument(),
    step: str | None = _step_argument(),
    reason: str = typer.Option(..., "--reason", metavar="TEXT", help=N_("What to change.")),
    as_: str | None = _as_option(),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.team import reject as refuse

    log = resolve(incident, _home())
    person = _team_actor(as_)
    done = refuse(log, step, person, reason, person)
    event = done.events[0]
    _done(
        format,
        _("{person} rejected {step} of {incident}. Head hash: {hash}").format(
            person=person, step=event["step"], incident=log.incident_id, hash=done.head
        ),
        {
            "incident": log.incident_id,
            "event": "approval.rejected",
            "actor": person,
            "step": event["step"],
            "role": event["data"]["by"],
            "reason": event["data"]["reason"],
            "head": done.head,
        },
    )


@_command(
    help=N_(
        "Follow an incident live from a second terminal: the header with its timers, the current step, the last "
        "decisions, approvals waited for and roles, redrawn as events arrive, until Ctrl-C. "
        "Without a terminal, prints each new event as a line."
    )
)
def watch(incident: str = _incident_argument()) -> None:
    from crisisplay.incidents import playbook_locale, resolve
    from crisisplay.run.watch import watch_lines, watch_live

    log = resolve(incident, _home())
    i18n.use_playbook_locale(playbook_locale(log))
    try:
        if sys.stdout.isatty():
            from rich.console import Console

            watch_live(log, Console(highlight=False))
        else:
            watch_lines(log, sys.stdout)
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends: exit 0


@_command(help=N_("Close an incident that will not be run to the end, with a reason."))
def close(
    incident: str = _incident_argument(),
    reason: str = typer.Option(
        ..., "--reason", metavar="TEXT", help=N_("Why it ends here (false alarm, duplicate, ...).")
    ),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import close_incident, responder_name

    journal = resolve(incident, _home(), _store())
    actor = responder_name(None, _config())
    head = close_incident(journal, reason, actor)
    _done(
        format,
        _("Incident {incident} closed. Head hash: {hash}").format(incident=journal.incident_id, hash=head),
        {
            "incident": journal.incident_id,
            "event": "incident.closed",
            "actor": actor,
            "reason": reason.strip(),
            "head": head,
        },
    )


class IncidentsFormat(str, Enum):
    table = "table"
    json = "json"


@_command(
    help=N_(
        "List incidents with their status: running, paused, interrupted or closed; exit 1 if a log is unreadable or misnamed."
    )
)
def incidents(
    open_only: bool = typer.Option(False, "--open", help=N_("Only incidents that are not closed.")),
    drill: bool | None = typer.Option(
        None, "--drill/--real", help=N_("Only drills, or only real incidents."), show_default=False
    ),
    format: IncidentsFormat = typer.Option(
        IncidentsFormat.table, "-f", "--format", metavar="FORMAT", help=N_("table or json.")
    ),
) -> None:
    from crisisplay.display import visible
    from crisisplay.incidents import CLOSED, UNREADABLE, listing
    from crisisplay.journal import require_posix

    require_posix()
    found = listing(_home(), _store())
    # An unreadable log is always listed: its status and kind are unknown, and it must not hide.
    rows = [
        row
        for row in found
        if row["status"] == UNREADABLE
        or (not (open_only and row["status"] == CLOSED) and (drill is None or row["drill"] == drill))
    ]
    problems = [problem for row in found for problem in row["problems"]]
    for problem in problems:
        _say(_("warning: {message}").format(message=visible(problem)))
    if format is IncidentsFormat.json:
        print(json.dumps({"incidents": rows}, indent=2, ensure_ascii=False))
    elif not rows:
        _say(_("No incidents."))
    else:
        _incidents_table(rows)
    if problems:
        raise typer.Exit(1)


def _incidents_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible
    from crisisplay.narrative import log_words  # a status in words (`-f json` keeps the log's words)

    # Fits 80 columns: the id already says when it started (UTC); drills are marked on a
    # second line of the status and long names fold, so nothing is cut off.
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column(_("id"), no_wrap=True)
    table.add_column(_("status"), overflow="fold")
    for column in (N_("severity"), N_("took"), N_("met")):
        table.add_column(_(column), no_wrap=True)
    table.add_column(_("by"), overflow="fold", min_width=6)
    for row in rows:
        status = (
            log_words(row["status"])
            + ("\n" + _("(drill)") if row["drill"] else "")
            + ("\n" + _("(see warning)") if row["problems"] else "")
            + ("\n" + _("(delivery outcome unknown)") if row.get("deliveries_unknown") else "")
        )
        cells = (
            row["id"],
            status,
            row["severity"] or "?",
            _duration(row),
            _milestones(row).split(" ")[0],
            ", ".join(row["responders"]),
        )
        table.add_row(*(Text(visible(cell)) for cell in cells))
    Console().print(table)


def _duration(row: Row) -> str:
    """An incident's duration from detection; `so far` while it is not closed."""
    from crisisplay.playbook.model import format_duration

    if row["duration_ms"] is None:
        return "?"
    words = format_duration(row["duration_ms"])
    return words if row["status"] == "closed" else _("{duration} so far").format(duration=words)


def _milestones(row: Row) -> str:
    """How many targets were met, like `2/3 met`, and how many missed."""
    figures = row["milestones"]
    if figures is None:
        return "?"
    if not figures["targets"]:
        return "—"
    missed = _(", {count} missed").format(count=figures["missed"]) if figures["missed"] else ""
    return _("{met}/{targets} met{missed}").format(met=figures["met"], targets=figures["targets"], missed=missed)


@_command(help=N_("Check an incident log's hash chain and name: exit 0 when it holds, 1 naming the first bad line."))
def verify(
    incident: str = _incident_argument(),
    head: str | None = typer.Option(
        None, "--head", metavar="HASH", help=N_("Also check that the log still holds this event.")
    ),
    format: TextOrJson = typer.Option(
        TextOrJson.text,
        "-f",
        "--format",
        metavar="FORMAT",
        help=N_("text or json (an object on standard output; the exit code is the same)."),
    ),
) -> None:
    from crisisplay.display import visible
    from crisisplay.incidents import playbook_locale, resolve

    journal = resolve(incident, _home(), _store())
    i18n.use_playbook_locale(playbook_locale(journal))
    result = journal.verify(head=head)
    if format is TextOrJson.json:
        print(
            json.dumps(
                {
                    "incident": journal.incident_id,
                    "ok": result.ok,
                    "events": result.count,
                    "head": result.head,
                    "line": result.line,
                    "problem": result.kind,
                    "message": result.message or None,  # English in every language: data, like the log
                },
                indent=2,
            )
        )
        if not result.ok:
            raise typer.Exit(1)
        return
    if result.ok:
        print(_("ok: {count} events, chain intact. Head hash: {hash}").format(count=result.count, hash=result.head))
        return
    print(_("broken: {problem}").format(problem=visible(result.shown_message)))
    if result.head:
        print(_("Last good hash: {hash} ({count} events verified)").format(hash=result.head, count=result.count))
    raise typer.Exit(1)


class ExportFormat(str, Enum):
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"


@_command(
    help=N_(
        "Export an incident from its log alone, verified as it is read: the post-mortem report (md, html) or its events (json, csv)."
    )
)
def export(
    incident: str = _incident_argument(),
    format: ExportFormat = typer.Option(
        ExportFormat.md,
        "-f",
        "--format",
        metavar="FORMAT",
        help=N_("md or html (the post-mortem report), json or csv (the data)."),
    ),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        metavar="PATH",
        help=N_(
            "Write to this file (atomically, owner-only) instead of standard output; a FIFO or device is written as a stream."
        ),
    ),
    force: bool = typer.Option(
        False, "--force", help=N_('Export a log that does not verify, marked "log not verified" (exit 0).')
    ),
) -> None:
    from crisisplay.display import visible
    from crisisplay.export import export_incident
    from crisisplay.incidents import playbook_locale, resolve

    journal = resolve(incident, _home(), _store())
    i18n.use_playbook_locale(playbook_locale(journal))
    to_file = output is not None and output != "-"
    sys.stdout.flush()
    done = export_incident(journal, format.value, output if to_file else None, sys.stdout.buffer, force=force)
    if not done.verification.ok:
        _say(
            _('warning: {problem}; exported anyway (--force), marked "log not verified"').format(
                problem=visible(done.verification.shown_message)
            )
        )
    if to_file:
        _say(
            _("Exported {incident} ({count} events) to {path}. Head hash: {hash}").format(
                incident=journal.incident_id, count=done.count, path=visible(output), hash=done.head
            )
        )


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


@_command(help=N_("Check playbooks: every problem at its line and column, with a rule code (docs/lint-rules.md)."))
def lint(
    paths: list[str] | None = typer.Argument(
        None,
        metavar="PATH|-",
        show_default=False,
        help=N_("Files and folders (recursive *.yaml, *.yml); - reads standard input. Default: ./playbooks."),
    ),
    format: LintFormat | None = typer.Option(
        None,
        "-f",
        "--format",
        metavar="FORMAT",
        show_default=False,
        help=N_("text, json, github or sarif (default: text; github when GITHUB_ACTIONS=true)."),
    ),
    strict: bool = typer.Option(False, "--strict", help=N_("Warnings fail the run too (exit 1).")),
    statistics: bool = typer.Option(False, "--statistics", help=N_("Also count the findings per rule.")),
    output: Path | None = typer.Option(None, "-o", "--output", metavar="FILE", help=N_("Write the report to FILE.")),
    list_rules: bool = typer.Option(False, "--list-rules", help=N_("List every rule (code, name, level) and exit.")),
) -> None:
    from crisisplay.lint import command

    chosen = format.value if format else None
    if list_rules:
        sys.stdout.write(command.list_rules(chosen))
        return
    code = command.run(paths or [], chosen, strict, statistics, output, _config())
    if code:
        raise typer.Exit(code)


@_command(help=N_("Create a playbook that lints clean: a commented skeleton, or a copy of another under a new id."))
def new(
    playbook_id: str = typer.Argument(..., metavar="ID", help=N_("The new playbook's id, like data-leak.")),
    source: str | None = typer.Option(
        None, "--from", metavar="PLAYBOOK", help=N_("Copy this playbook (an id or a path) instead of the skeleton.")
    ),
    folder: Path = typer.Option(
        Path("playbooks"),
        "-o",
        "--output",
        metavar="DIR",
        help=N_("Folder to write <ID>.yaml in (default: ./playbooks)."),
    ),
) -> None:
    from crisisplay.lint.scaffold import new_playbook

    created = new_playbook(playbook_id, folder, source, _home())
    print(created.path)
    _say(
        _("Created {path}. Edit it, then check it: {command}").format(
            path=created.path, command=f"crisisplay lint {created.path}"
        )
    )
    if created.schema is not None:
        _say(
            _("Wrote {path}, the JSON Schema its first line points editors at; commit it with your playbooks").format(
                path=created.schema
            )
        )


@_command(
    help=N_(
        "List the contacts by role: person, notification targets (secrets masked), backup. "
        "`contacts test [ROLE]...` sends a test notice to every target: exit 0 when all were delivered, 1 when one failed."
    )
)
def contacts(
    words: list[str] | None = typer.Argument(
        None, metavar="test [ROLE]", help=N_("`test`, then the roles to test (all roles when none is named).")
    ),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=N_("text or json.")),
) -> None:
    from crisisplay.notify.contacts import chosen_roles, contact_rows

    words = list(words or [])
    config = _config()
    if not words:
        rows = contact_rows(config)
        if format is TextOrJson.json:
            print(json.dumps({"contacts": rows}, indent=2, ensure_ascii=False))
        else:
            _contacts_table(rows)
        return
    if words[0] != "test":
        from crisisplay.findings import did_you_mean

        raise UsageError(
            _("unknown word '{word}'{suggestion}; expected {usage}").format(
                word=words[0],
                suggestion=did_you_mean(words[0], ["test"]),
                usage=_("`contacts` or `contacts test [ROLE]...`"),
            )
        )
    from crisisplay.notify.check import check_targets
    from crisisplay.notify.contacts import send_test_notices

    roles = chosen_roles(config, words[1:])
    check_targets(config)
    from crisisplay.notify.courier import attempt_timeout

    results = send_test_notices(config, roles, timeout=attempt_timeout())
    failed = sum(1 for r in results if r["delivered"] is False)
    if format is TextOrJson.json:
        delivered = sum(1 for r in results if r["delivered"])
        print(json.dumps({"results": results, "delivered": delivered, "failed": failed}, indent=2, ensure_ascii=False))
    else:
        from crisisplay.display import visible

        for result in results:
            who = result["role"] + (f" ({result['name']})" if result["name"] else "")
            if result["target"] is None:
                line = _("{who}: no targets").format(who=who)
            elif result["delivered"]:
                line = _("{who} via {target}: delivered").format(who=who, target=result["target"])
            else:
                line = _("{who} via {target}: failed: {reason}").format(
                    who=who, target=result["target"], reason=result["error"]
                )
            print(visible(line))
    if failed:
        raise typer.Exit(1)


STORE_ACTIONS = ("init", "copy")


@_command(
    help=N_(
        "The store incidents live in (a folder, or PostgreSQL: `store` in config.toml or CRISISPLAY_STORE). "
        "`store init` creates its schema; `store copy --to TARGET` copies every incident into another store."
    )
)
def store(
    action: str = typer.Argument(..., metavar="init|copy", help=N_("`init`, or `copy` with --to.")),
    to: str | None = typer.Option(
        None, "--to", metavar="TARGET", help=N_("copy: the store to copy into, a postgresql://… address or a folder.")
    ),
) -> None:
    from crisisplay.display import visible

    if action not in STORE_ACTIONS:
        from crisisplay.findings import did_you_mean

        raise UsageError(
            _("unknown word '{word}'{suggestion}; expected {usage}").format(
                word=action,
                suggestion=did_you_mean(action, STORE_ACTIONS),
                usage="`store init` or `store copy --to TARGET`",
            )
        )
    source = _store()
    if action == "init":
        from crisisplay.store.files import FileStore

        if isinstance(source, FileStore):
            from crisisplay.home import private_dir

            private_dir(source.folder)
            _say(_("The store is the folder {folder}; it needs no schema.").format(folder=source.folder))
            return
        from crisisplay.store.postgres import PostgresStore

        assert isinstance(source, PostgresStore)
        _say(source.init())
        return
    if not to or not to.strip():
        raise UsageError(_("store copy needs --to TARGET: a postgresql://… address or a folder"))
    from crisisplay.store.base import open_location
    from crisisplay.store.copy import COPIED, DIFFERENT, SAME, copy_incidents

    target = open_location(to.strip(), _home())
    if target.describe() == source.describe():
        raise UsageError(_("store copy: {store} is the store being copied from").format(store=source.describe()))
    results = copy_incidents(source, target)
    for result in results:
        if result.outcome == COPIED:
            line = _("{incident}: copied ({count} events, head {hash})").format(
                incident=result.incident_id, count=result.events, hash=result.head
            )
        elif result.outcome == SAME:
            line = _("{incident}: already there, same head").format(incident=result.incident_id)
        elif result.outcome == DIFFERENT:
            line = _("{incident}: already there with another head ({there}, here {here}); not overwritten").format(
                incident=result.incident_id, there=result.other_head, here=result.head
            )
        else:
            line = _("{incident}: does not verify, not copied: {problem}").format(
                incident=result.incident_id, problem=result.problem
            )
        _say(visible(line))
    copied = sum(1 for r in results if r.outcome == COPIED)
    _say(
        _("{copied} incident(s) copied to {target}, {same} already there, {left} not copied.").format(
            copied=copied,
            target=target.describe(),
            same=sum(1 for r in results if r.outcome == SAME),
            left=sum(1 for r in results if not r.ok),
        )
    )
    if any(not r.ok for r in results):
        raise typer.Exit(1)


def _contacts_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

    if not rows:
        _say(_("No contacts configured: add [contacts.<role>] tables to {path}").format(path=_home() / "config.toml"))
        return
    table = Table(box=None, pad_edge=False)
    for column in (N_("role"), N_("name"), N_("notify"), N_("backup")):
        table.add_column(_(column), overflow="fold")
    for row in rows:
        targets = "\n".join(target["target"] for target in row["targets"]) or _("no targets")
        cells = (row["role"], row["name"] or "", targets, row["backup"] or "")
        table.add_row(*(Text(visible(cell)) for cell in cells))
    Console().print(table)


_from_options: set[str] = set()  # the variables set by a global option on this command line


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
        elif arg.split("=", 1)[0] in GLOBAL_OPTIONS:
            name = arg.split("=", 1)[0]
            value = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            i += 0 if "=" in arg else 1
            variable, needs = GLOBAL_OPTIONS[name]
            if not value.strip():
                raise UsageError(_("{option} needs {value}").format(option=name, value=_(needs)))
            os.environ[variable] = value
            _from_options.add(variable)
        else:
            out.append(arg)
        i += 1
    return out


# Common first guesses, answered with what exists (click suggests only near spellings).
COMMAND_MISTAKES = {
    "version": "crisisplay --version",
    "help": "crisisplay --help",
    "ls": "crisisplay list",
    "run": "crisisplay start",
    "status": "crisisplay incidents",
    "check": "crisisplay lint",
    "validate": "crisisplay lint",
    "report": "crisisplay export",
}
OPTION_MISTAKES = {"--version": "crisisplay --version", "-v": "crisisplay -V"}
FORMATS = {
    "list": ListFormat,
    "show": ShowFormat,
    "incidents": IncidentsFormat,
    "export": ExportFormat,
    "lint": LintFormat,
    "verify": TextOrJson,
    "note": TextOrJson,
    "close": TextOrJson,
    "assign": TextOrJson,
    "severity": TextOrJson,
    "approve": TextOrJson,
    "reject": TextOrJson,
}


def _click_errors() -> tuple[type[ClickException], type[ClickUsageError]]:
    """Click's ClickException and UsageError, wherever this typer keeps Click (its own copy since 0.26)."""
    classes = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
    # Found by name in BadParameter's ancestry, so the checker cannot know these are the two classes.
    return cast("type[ClickException]", classes["ClickException"]), cast("type[ClickUsageError]", classes["UsageError"])


def _fail(message: str, hint: str | None = None, code: int = 2) -> NoReturn:
    """The one way an error is printed: `crisisplay: error: …`, and maybe a hint line; then exit.

    A pause (3) or an interruption (130) is news, not an error: `crisisplay: interrupted. …`."""
    from crisisplay.display import visible
    from crisisplay.findings import plain_message

    kind = "" if code in (3, 130) else "error: "
    print(f"{PROG}: {kind}{visible(plain_message(message))}", file=sys.stderr)
    if hint:
        print(visible(hint), file=sys.stderr)
    sys.exit(code)


def _usage_failure(err: ClickUsageError) -> NoReturn:
    """A usage error from Click (unknown option, missing argument, bad choice) in crisisplay's style."""
    ctx = getattr(err, "ctx", None)
    path = ctx.command_path if ctx is not None else PROG
    option = getattr(err, "option_name", None)  # set on an unknown option
    message = err.format_message().strip()
    if i18n.language() != i18n.ENGLISH:
        from crisisplay.click_words import click_message  # Click writes English only

        message = click_message(message)
    # Click writes sentences ("No such option: --x. Did you mean --y?"); crisisplay's errors are clauses.
    message = message.replace(". Did you mean", "; did you mean").rstrip(".")
    if message[1:2].islower():
        message = message[0].lower() + message[1:]
    if option:
        command = ctx.command.name if ctx is not None else None
        word = option.lstrip("-")
        if command in FORMATS and word in FORMATS[command].__members__:
            message = _("no such option: {option}; did you mean {suggestion}?").format(
                option=option, suggestion=f"`-f {word}` (--format {word})"
            )
        elif option in OPTION_MISTAKES:
            message = _("no such option: {option}; did you mean {suggestion}?").format(
                option=option, suggestion=f"`{OPTION_MISTAKES[option]}`"
            )
    _fail(message, _("Try '{command}' for help.").format(command=f"{path} --help"), err.exit_code)


def _unknown_command(name: str, commands: list[str]) -> NoReturn:
    """`crisisplay lsit` or `crisisplay version`: say what exists (Click 8.1 suggests nothing)."""
    from crisisplay.findings import did_you_mean

    if name in COMMAND_MISTAKES:
        _fail(
            _("no such command '{name}'; did you mean `{command}`?").format(name=name, command=COMMAND_MISTAKES[name])
        )
    _fail(
        _("no such command '{name}'").format(name=name) + did_you_mean(name, commands),
        _("Try '{command}' for help.").format(command=f"{PROG} --help"),
    )


def _choose_language() -> None:
    """Where the interface's language comes from: --lang / CRISISPLAY_LANG, checked now; the config's `language` when needed."""

    explicit = os.environ.get("CRISISPLAY_LANG", "").strip() or None
    if explicit is not None:
        try:
            explicit = i18n.checked(explicit, "--lang" if "CRISISPLAY_LANG" in _from_options else "CRISISPLAY_LANG")
        except i18n.UnknownLanguage as err:
            raise UsageError(str(err)) from None
    i18n.configure(explicit, config_language=lambda: _config().language)


def _asks_for_help(args: list[str]) -> bool:
    """Whether this run shows --help (the only output that needs the help texts translated)."""
    return not args or any(arg in ("-h", "--help") for arg in args[: args.index("--") if "--" in args else None])


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `crisisplay` script and `python -m crisisplay`."""
    if hasattr(signal, "SIGPIPE"):
        # `crisisplay export … | head`: when the reader leaves, stop quietly, as Unix tools do,
        # instead of exit 1 (which means "problems found") or a traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    click_error, usage_error = _click_errors()
    try:
        args = _hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        _choose_language()
        group = typer.main.get_command(app)
        assert isinstance(group, TyperGroup)  # an app with commands is built as a group (cls=_Group)
        if _asks_for_help(args) and i18n.language() != i18n.ENGLISH:
            _translate_help(group)
        if not args:
            args = ["--help"]  # `crisisplay` alone: the overview, like `crisisplay --help`
        elif not args[0].startswith("-") and args[0] not in group.commands:
            _unknown_command(args[0], list(group.commands))
        # standalone_mode=False: Click's own errors come back here, to be printed like ours.
        code = group.main(args=args, prog_name=PROG, standalone_mode=False)
        sys.stdout.flush()
    except PlaybookError as err:
        _print_findings(err.findings)
        _fail(str(err), code=err.exit_code)
    except CrisisplayError as err:
        _fail(str(err), code=err.exit_code)
    except usage_error as err:
        _usage_failure(err)
    except click_error as err:
        message = err.format_message()
        if i18n.language() != i18n.ENGLISH:
            from crisisplay.click_words import click_message

            message = click_message(message)
        _fail(message, code=err.exit_code)
    except typer.Abort:
        _fail(_("interrupted"), code=130)
    except BrokenPipeError:
        # `crisisplay show x | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as err:
        # A path the system refuses that no command turned into its own message (a name too
        # long for the file system, say): one line and exit 2, never a traceback.
        _fail(f"{err.filename}: {err.strerror or err}" if err.filename else str(err.strerror or err))
    sys.exit(code if isinstance(code, int) else 0)
