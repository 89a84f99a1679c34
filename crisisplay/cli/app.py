"""The typer application: crisisplay's help, global options, and `main`, which turns errors into exit codes."""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import typer
from typer.core import TyperCommand, TyperGroup

from crisisplay import __version__, i18n
from crisisplay.cli.common import (
    ExportFormat,
    IncidentsFormat,
    LintFormat,
    ListFormat,
    ShowFormat,
    TextOrJson,
    _home,
    _print_findings,
)
from crisisplay.errors import CrisisplayError, PlaybookError, UsageError
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from typer._click import ClickException, Context, Parameter  # typer keeps its own Click since 0.26
    from typer._click.exceptions import UsageError as ClickUsageError
    from typer._click.formatting import HelpFormatter


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
    "drill": [
        "crisisplay drill pricing-error-viral-weekend --speed 10",
        "id=$(crisisplay drill ./drills/weekend.yaml --answers weekend.answers.yaml)",
    ],
    "inject": [
        "crisisplay inject last 'A journalist from a national paper asks for comment.'",
        "crisisplay inject last - < next-inject.txt",
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
    "drills": ["crisisplay drills", "crisisplay drills -f json"],
    "purge": [
        "crisisplay purge 20261125-2140 --reason 'erasure request, ticket 4711'",
        "crisisplay purge --due --reason 'retention period' --yes",
    ],
    "keys": [
        "crisisplay keys export last -o incident.key",
        "crisisplay keys import 20261125-2140 incident.key",
    ],
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


# The placeholders --help shows for what to give (`--answers FILE`). Command words (`init|copy`)
# and names that read the same in every language (PLAYBOOK, ID, HASH, N) are not here.
METAVARS = {
    "DIR": N_("DIR"),
    "DURATION": N_("DURATION"),
    "FILE": N_("FILE"),
    "FILE|-": N_("FILE|-"),
    "FORMAT": N_("FORMAT"),
    "INCIDENT": N_("INCIDENT"),
    "KEY=VALUE": N_("KEY=VALUE"),
    "LANG": N_("LANG"),
    "LEVEL": N_("LEVEL"),
    "NAME": N_("NAME"),
    "PATH": N_("PATH"),
    "PATH|-": N_("PATH|-"),
    "PERSON": N_("PERSON"),
    "ROLE": N_("ROLE"),
    "SCENARIO": N_("SCENARIO"),
    "STEP": N_("STEP"),
    "TARGET": N_("TARGET"),
    "TEXT": N_("TEXT"),
    "TEXT|-": N_("TEXT|-"),
    "TIME": N_("TIME"),
}


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
            if param.metavar in METAVARS:
                param.metavar = _(METAVARS[param.metavar])


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


# The modules that register commands, in the order `--help` lists the commands, with the
# commands each one registers: a run imports only the module of the command it names.
COMMAND_MODULES = {
    "playbooks": ("list", "show", "schema", "lint", "new"),
    "runs": ("start", "resume"),
    "drill": ("drill", "inject"),
    "incidents": ("note", "close", "incidents", "verify", "export"),
    "team": ("assign", "severity", "approve", "reject", "watch"),
    "contacts": ("contacts",),
    "privacy": ("purge", "keys"),
    "stores": ("store",),
    "drills": ("drills",),
}
_MODULE_OF = {command: module for module, commands in COMMAND_MODULES.items() for command in commands}
_ORDER = {command: i for i, command in enumerate(_MODULE_OF)}


def register_commands(command: str | None = None) -> None:
    """Register `command` (by importing its module), or every command when it names none.

    Modules may be imported in any order (one command per run, then all for `--help` in a
    test's process): the registered commands are kept in `--help`'s order whatever it was."""
    modules = [_MODULE_OF[command]] if command in _MODULE_OF else list(COMMAND_MODULES)
    for module in modules:
        importlib.import_module(f"crisisplay.cli.{module}")
    app.registered_commands.sort(key=lambda info: _ORDER.get(info.name or "", len(_ORDER)))


GLOBAL_FLAGS = ("--no-color",)


# Options taken before or after the command: each is moved into the environment variable
# that stands for it, with what its value names (for the error when it has none).
GLOBAL_OPTIONS = {
    "--home": ("CRISISPLAY_HOME", N_("a folder: --home DIR")),
    "--lang": ("CRISISPLAY_LANG", N_("a language: --lang es")),
}


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
    "drills": IncidentsFormat,
    "export": ExportFormat,
    "lint": LintFormat,
    "verify": TextOrJson,
    "note": TextOrJson,
    "inject": TextOrJson,
    "close": TextOrJson,
    "assign": TextOrJson,
    "severity": TextOrJson,
    "approve": TextOrJson,
    "reject": TextOrJson,
    "purge": TextOrJson,
}


def _click_errors() -> tuple[type[ClickException], type[ClickUsageError]]:
    """Click's ClickException and UsageError, wherever this typer keeps Click (its own copy since 0.26)."""
    classes = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
    # Found by name in BadParameter's ancestry, so the checker cannot know these are the two classes.
    return cast("type[ClickException]", classes["ClickException"]), cast("type[ClickUsageError]", classes["UsageError"])


def _usage_error(message: str) -> NoReturn:
    """A usage error a command finds itself (options that go against each other), printed as
    Click's own are: the message, then `Try 'crisisplay <command> --help' for help.`, exit 2."""
    _, usage_error = _click_errors()
    raise usage_error(message)  # Click fills in the command's context on the way out


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
    i18n.configure(explicit, config_language=_configured_language)


def _configured_language() -> str | None:
    from crisisplay.config import configured_language

    return configured_language(_home())


def _group_for(args: list[str]) -> Any:  # click.Command: typer keeps its own Click
    """The click group to run `args` with: only the command named first when there is one.

    typer builds every command's click object (and inspects every function's signature) for
    `get_command`: 15-30 ms for crisisplay's twenty commands, where a run needs one. A
    command's own --help, its parsing and its errors never look at its siblings; the overview
    (`crisisplay --help`), an unknown command's suggestions and shell completion (no
    arguments) get the whole group."""
    register_commands(args[0] if args else None)  # every command when args[0] names none
    full = app.registered_commands
    chosen = [info for info in full if args and info.name == args[0]]
    if not chosen:
        return typer.main.get_command(app)
    app.registered_commands = chosen
    try:
        return typer.main.get_command(app)
    finally:
        app.registered_commands = full


def _asks_for_help(args: list[str]) -> bool:
    """Whether this run shows --help (the only output that needs the help texts translated)."""
    return not args or any(arg in ("-h", "--help") for arg in args[: args.index("--") if "--" in args else None])


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `crisisplay` script and `python -m crisisplay`."""
    if hasattr(signal, "pthread_sigmask"):
        # A parent may hand us a blocked SIGINT (signal masks survive fork and exec): Ctrl-C must
        # still reach the main thread, to pause a run or end a watch.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # A shell starts background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN:
    # take Ctrl-C back, as KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if hasattr(signal, "SIGPIPE"):
        # `crisisplay export … | head`: when the reader leaves, stop quietly, as Unix tools do,
        # instead of exit 1 (which means "problems found") or a traceback.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    click_error, usage_error = _click_errors()
    try:
        args = _hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        _choose_language()
        group = _group_for(args)
        assert isinstance(group, TyperGroup)  # an app with commands is built as a group (cls=_Group)
        if _asks_for_help(args) and i18n.language() != i18n.ENGLISH:
            _translate_help(group)
        if not args:
            args = ["--help"]  # `crisisplay` alone: the overview, like `crisisplay --help`
        elif not args[0].startswith("-") and args[0] not in group.commands:
            _unknown_command(args[0], list(group.commands))
        # standalone_mode=False: Click's own errors come back here, to be printed like ours.
        code = group.main(args=args, prog_name=PROG, standalone_mode=False)
        if code == 130:
            # A Ctrl-C no command caught (while one imports what it needs, say): typer ≥ 0.26 ends
            # the run with 130 and says nothing, older ones raise Abort (below). No command of
            # ours returns 130 (an interrupted run raises Interrupted, with its own message).
            raise KeyboardInterrupt
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
    except (typer.Abort, KeyboardInterrupt):
        # Ctrl-C where no command catches it (start-up, a long export or verify): nothing the user
        # answered is lost (every answer is logged before the next question), so a plain line.
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
