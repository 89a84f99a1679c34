"""What several commands share: the home, the configuration, the store, loading a playbook, the lines they print."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crisisplay import i18n
from crisisplay.errors import CrisisplayError, PlaybookError, UsageError
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from rich.table import Table

    from crisisplay.config import Config
    from crisisplay.findings import Finding
    from crisisplay.home import PlaybookFile
    from crisisplay.lint.cache import Usable
    from crisisplay.playbook.model import Playbook
    from crisisplay.store.base import Store


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


def _find_playbook_not_scenario(ref: str) -> PlaybookFile:
    """The playbook `ref` names; a drill scenario's id given instead is pointed at `crisisplay drill`."""
    from crisisplay.errors import PlaybookNotFound
    from crisisplay.home import find_playbook

    try:
        return find_playbook(ref, _home())
    except PlaybookNotFound:
        from crisisplay.scenario.loader import scenario_catalogue

        if any(entry.id == ref for entry in scenario_catalogue(_home())):
            raise PlaybookNotFound(
                _("'{ref}' is a drill scenario, not a playbook: run it with `{command}`").format(
                    ref=ref, command=f"crisisplay drill {ref}"
                )
            ) from None
        raise


def _load(ref: str, its_language: bool = False) -> Usable:
    """Find and lint a playbook for use; PlaybookError (exit 2, findings printed) when it has errors.

    Warnings stay in the returned `findings` for the command to print; the config's `[lint]`
    options and the file's noqa comments apply, as they do for `crisisplay lint`. Results are
    cached by content in `<home>/cache/lint`, so an unchanged playbook opens fast. With
    `its_language`, the playbook's `locale` takes part in choosing the language, and its
    findings are worded in the language chosen (linted again when its locale changed it).
    """
    from crisisplay.lint.cache import usable
    from crisisplay.lint.policy import policy_for

    config = _config()
    entry = _find_playbook_not_scenario(ref)
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


def _shown(words: dict[str, str], value: str) -> str:
    """A word of the data (a status, a source) as a table shows it: translated when it is one of `words`."""
    return _(words[value]) if value in words else value


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


def _action(word: str, actions: tuple[str, ...], usage: str) -> None:
    """A command's first word (`store init`, `keys export`): one of `actions`, else a usage error
    with "did you mean"."""
    if word in actions:
        return
    from crisisplay.findings import did_you_mean

    raise UsageError(
        _("unknown word '{word}'{suggestion}; expected {usage}").format(
            word=word, suggestion=did_you_mean(word, actions), usage=usage
        )
    )


def _terminal_output() -> bool:
    """Whether standard output is drawn as for a terminal: it is one, or colour is forced
    (FORCE_COLOR, which rich honours in a pipe too)."""
    return sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))


def _print_table(
    headers: tuple[str, ...], rows: list[tuple[str, ...]], table: Callable[[], Table], minimum: list[int], key: int = 0
) -> None:
    """Rows on standard output, never with an id cut or split. In a pipe or a file: one aligned line
    per row (grep and awk see whole rows). In a terminal: rich's `table()` when its columns fit at
    their `minimum` widths, else each row's `key` cell (its id) on a line of its own and the other
    cells, named, on the line under it. A row of empty cells is a blank line; a line break inside a
    cell is a space outside rich's table."""
    from crisisplay.display import aligned, one_line

    flat = [tuple(one_line(cell.replace("\n", " ")) for cell in row) for row in rows]
    if not _terminal_output():
        print("\n".join(aligned([headers, *flat])))
        return
    from rich.console import Console

    console = Console()
    if sum(minimum) + 2 * (len(minimum) - 1) <= console.width:
        console.print(table())
        return
    for row in flat:
        rest = [
            f"{header}: {cell}"
            for index, (header, cell) in enumerate(zip(headers, row, strict=True))
            if cell and index != key
        ]
        print(row[key] + ("\n  " + " · ".join(rest) if rest else "") if any(row) else "")


def _again(words: str) -> str:
    """A crisisplay command line to give the responder: with `--home DIR` when the home is not the
    default one (`--home` or CRISISPLAY_HOME), so the command finds the same incident."""
    import shlex

    given = os.environ.get("CRISISPLAY_HOME")
    return f"crisisplay {words}" + (f" --home {shlex.quote(given)}" if given else "")


def _say(text: str) -> None:
    from crisisplay.display import visible

    print(visible(text), file=sys.stderr)


def _head_of(incident_id: str) -> str:
    """The head hash of an incident's log as it stands, for the pause message."""
    from crisisplay.incidents import resolve

    try:
        head = resolve(incident_id, _home(), _store()).head()
    except CrisisplayError:
        return _("(unreadable)")
    return head["hash"] if head else _("(none)")


_DONE_FORMATS = N_("text (one line on standard error) or json (an object on standard output).")


def _done(format: TextOrJson, line: str, data: dict[str, Any]) -> None:
    """What a command that appends to a log did: one line for a person, or JSON for a script."""
    if format is TextOrJson.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _say(line)


class IncidentsFormat(str, Enum):
    table = "table"
    json = "json"


class ExportFormat(str, Enum):
    md = "md"
    json = "json"
    csv = "csv"
    html = "html"


class LintFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
