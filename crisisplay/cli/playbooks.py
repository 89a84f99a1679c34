"""Commands about playbooks: list, show, schema, lint, new."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import (
    LintFormat,
    ListFormat,
    ShowFormat,
    _config,
    _home,
    _load,
    _playbook,
    _playbook_argument,
    _print_findings,
    _print_table,
    _say,
    _shown,
)
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from rich.table import Table


@_command("list", help=N_("List the playbooks you can start: local, in <home>, and bundled; and what shadows what."))
def list_playbooks(
    format: ListFormat = typer.Option(ListFormat.table, "-f", "--format", metavar="FORMAT", help=N_("table or json.")),
) -> None:
    from crisisplay.home import catalogue
    from crisisplay.lint.cache import outline
    from crisisplay.lint.policy import policy_for

    policy, cache = policy_for(_config()), _home() / "cache" / "lint"
    rows: list[dict[str, Any]] = []  # the JSON objects of `list -f json`
    groups: list[str | None] = []  # each row's first tag: the table groups by it (json keeps its shape)
    for entry in catalogue(_home()):
        try:
            # The same lint `start` runs (and its cache): an error here is one `start` would refuse.
            shown = outline(entry.path, policy, cache)
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
            groups.append(None)
            continue
        rows.append(
            {
                "id": entry.id,
                "title": shown["title"],
                "source": entry.origin,
                "path": str(entry.path),
                "steps": shown["steps"],
                "shadows": [{"source": o, "path": str(p)} for o, p in entry.shadows],
                "errors": shown["errors"],
            }
        )
        groups.append(shown["tag"])
    if format is ListFormat.json:
        print(json.dumps({"playbooks": rows}, indent=2, ensure_ascii=False))
        return
    headers = tuple(
        _(column) for column in (N_("group"), N_("id"), N_("title"), N_("source"), N_("steps"), N_("notes"))
    )
    lines: list[tuple[str, ...]] = []  # the table's rows; a row of empty cells is the blank line between groups
    previous: object = ()
    for group, row in grouped(groups, rows):
        if group != previous and previous != ():
            lines.append(("",) * 6)
        heading = "" if group == previous else (group if group is not None else _("(untagged)"))
        previous = group
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
        lines.append((heading, row["id"], row["title"] or "?", source, str(row["steps"] or "?"), "; ".join(notes)))
    from crisisplay.display import width

    ids = max(width(line[1]) for line in lines)
    _print_table(headers, lines, functools.partial(_playbooks_table, headers, lines, ids), [6, ids, 10, 6, 5, 6], key=1)


def _playbooks_table(headers: tuple[str, ...], lines: list[tuple[str, ...]], ids: int) -> Table:
    """`list` as rich draws it in a terminal: long titles and notes fold, an id never does."""
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

    table = Table(box=None, pad_edge=False)
    for index, header in enumerate(headers):
        table.add_column(header, no_wrap=True, min_width=ids) if index == 1 else table.add_column(
            header, overflow="fold"
        )
    for heading, *cells in lines:
        table.add_row(Text(visible(heading), style="bold"), *(Text(visible(cell)) for cell in cells))
    return table


def grouped(groups: list[str | None], rows: list[dict[str, Any]]) -> list[tuple[str | None, dict[str, Any]]]:
    """The rows by their first tag, groups in the order first met, untagged ones last; each group keeps
    the catalogue's order."""
    order = list(dict.fromkeys(g for g in groups if g is not None))
    rank = {group: i for i, group in enumerate(order)}
    paired = list(zip(groups, rows, strict=True))
    return sorted(paired, key=lambda pair: rank.get(pair[0], len(order)) if pair[0] is not None else len(order))


# Where a playbook comes from, as the `list` table shows it (`-f json` keeps these words).
SOURCE_WORDS = {"local": N_("local"), "home": N_("home"), "bundled": N_("bundled"), "path": N_("path")}


@_command(
    help=N_(
        "Show a playbook: a tree of its phases and steps, a Mermaid flowchart, or its normalised JSON. "
        "Given a drill scenario (a path, or an id no playbook has), show its injects."
    )
)
def show(
    playbook: str = _playbook_argument(),
    format: ShowFormat = typer.Option(
        ShowFormat.text, "-f", "--format", metavar="FORMAT", help=N_("text, mermaid or json.")
    ),
) -> None:
    from crisisplay.display import visible

    scenario = _scenario_to_show(playbook)
    if scenario is not None:
        show_scenario(scenario, format)
        return
    loaded = _load(playbook, its_language=True)
    _print_findings([f for f in loaded.findings if f.level != "error"])
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(loaded.normalised, indent=2, ensure_ascii=False) + "\n")
    elif format is ShowFormat.mermaid:
        from crisisplay.playbook.render import as_mermaid

        sys.stdout.write(visible(as_mermaid(_playbook(loaded))))
    else:
        from crisisplay.playbook.render import as_text, clocks_text

        # From the normalised form (the cache entry): a warm `show` builds no model.
        book = loaded.normalised
        assert book is not None  # `_load` refuses a playbook without one
        names = {role: contact.name for role, contact in _config().contacts.items() if contact.name}
        sys.stdout.write(visible(as_text(book, names) + clocks_text(book)))


def _scenario_to_show(ref: str) -> Any:
    """The checked drill scenario `show` was given, or None for a playbook.

    A path is a scenario when its YAML has the `crisisplay-drill` key; an id is a playbook's
    first, and a scenario's only when no playbook has it."""
    from crisisplay.errors import PlaybookNotFound
    from crisisplay.home import find_playbook, looks_like_path

    try:
        path = find_playbook(ref, _home()).path
    except PlaybookNotFound:
        if looks_like_path(ref):
            raise
        from crisisplay.scenario.loader import find_scenario

        try:
            path = find_scenario(ref, _home()).path
        except PlaybookNotFound:
            from crisisplay.findings import did_you_mean
            from crisisplay.home import catalogue
            from crisisplay.scenario.loader import scenario_catalogue

            known = [e.id for e in catalogue(_home())] + [e.id for e in scenario_catalogue(_home())]
            raise PlaybookNotFound(
                _(
                    "no playbook or drill scenario '{ref}'{suggestion} (`crisisplay list` shows the playbooks; "
                    "scenarios are looked up in ./drills, <home>/drills and the bundled ones)"
                ).format(ref=ref, suggestion=did_you_mean(ref, known))
            ) from None
    else:
        try:
            with open(path, "rb") as handle:
                head = handle.read(1 << 20)
        except OSError:
            return None  # the playbook path reports it
        if b"crisisplay-drill" not in head:
            return None  # a playbook: the scenario format's models are never built for it
    from crisisplay.scenario.loader import check_scenario_file, is_scenario

    try:
        checked = check_scenario_file(path, _home())
    except OSError as err:
        from crisisplay.errors import PlaybookError

        raise PlaybookError(_("{path}: cannot read: {reason}").format(path=path, reason=err.strerror)) from None
    return checked if is_scenario(checked.doc.data) else None


def show_scenario(checked: Any, format: ShowFormat) -> None:
    """`show SCENARIO`: its findings (exit 2 on an error), then the scenario as text or JSON."""
    from crisisplay import i18n
    from crisisplay.display import visible
    from crisisplay.errors import PlaybookError, UsageError
    from crisisplay.scenario.render import as_text

    scenario = checked.scenario
    locale = scenario.locale if scenario is not None else None
    if locale is None and checked.playbook is not None:
        locale = checked.playbook.locale
    i18n.use_playbook_locale(locale)
    if scenario is None or checked.errors:
        message = _("{path}: the scenario has {count} error(s)").format(
            path=checked.doc.path, count=len(checked.errors)
        )
        raise PlaybookError(message, checked.findings)
    _print_findings(checked.findings)  # warnings only, by now
    if format is ShowFormat.mermaid:
        raise UsageError(
            _("{path}: a drill scenario has no flowchart; use --format text or json").format(path=checked.doc.path)
        )
    if format is ShowFormat.json:
        sys.stdout.write(json.dumps(scenario.normalised(), indent=2, ensure_ascii=False) + "\n")
        return
    sys.stdout.write(visible(as_text(scenario, checked.playbook)))


@_command(help=N_("Print the JSON Schema of the playbook format (for editors: yaml-language-server)."))
def schema(
    drill: bool = typer.Option(False, "--drill", help=N_("The drill scenario format's schema instead.")),
) -> None:
    if drill:
        from crisisplay.scenario.schema import schema_text as drill_schema_text

        sys.stdout.write(drill_schema_text())
        return
    from crisisplay.playbook.schema import schema_text

    sys.stdout.write(schema_text())


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


@_command(
    help=N_(
        "Create a playbook that lints clean: a commented skeleton, or a copy of another under a new id. "
        "With --drill, a drill scenario's skeleton for a playbook."
    )
)
def new(
    playbook_id: str = typer.Argument(
        ..., metavar="ID", help=N_("The new playbook's id, like data-leak (a scenario's: pricing-error-weekend).")
    ),
    source: str | None = typer.Option(
        None,
        "--from",
        metavar="PLAYBOOK",
        help=N_(
            "Copy this playbook (an id or a path) instead of the skeleton; with --drill, the playbook the "
            "scenario rehearses (default: the playbook whose id starts ID)."
        ),
    ),
    drill: bool = typer.Option(False, "--drill", help=N_("Create a drill scenario (in ./drills) instead.")),
    folder: Path | None = typer.Option(
        None,
        "-o",
        "--output",
        metavar="DIR",
        show_default=False,
        help=N_("Folder to write <ID>.yaml in (default: ./playbooks; ./drills with --drill)."),
    ),
) -> None:
    from crisisplay.lint.scaffold import new_playbook, new_scenario

    if drill:
        created = new_scenario(playbook_id, folder or Path("drills"), source, _home())
    else:
        created = new_playbook(playbook_id, folder or Path("playbooks"), source, _home())
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
