"""Commands about incidents once they exist: note, close, incidents, verify, export."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import typer

from crisisplay import i18n
from crisisplay.cli.app import _command
from crisisplay.cli.common import (
    _DONE_FORMATS,
    ExportFormat,
    IncidentsFormat,
    TextOrJson,
    _config,
    _done,
    _home,
    _incident_argument,
    _say,
    _store,
)
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from crisisplay.incidents import Row


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

    from crisisplay.display import visible
    from crisisplay.narrative import log_words  # a status in words (`-f json` keeps the log's words)

    headers = (_("id"), _("status"), _("severity"), _("took"), _("met"), _("by"))
    cells = []
    for row in rows:
        status = (
            log_words(row["status"])
            + ("\n" + _("(drill)") if row["drill"] else "")
            + ("\n" + _("(see warning)") if row["problems"] else "")
            + ("\n" + _("(delivery outcome unknown)") if row.get("deliveries_unknown") else "")
        )
        values = (
            row["id"],
            status,
            row["severity"] or "?",
            _duration(row),
            _milestones(row).split(" ")[0],
            ", ".join(row["responders"]),
        )
        cells.append(tuple(visible(value) for value in values))
    console = Console()
    lines = _plain_table(console, headers, cells)
    if lines is None:
        console.print(_rich_table(headers, cells))
    else:
        console.file.write(lines)
        console.file.flush()


def _rich_table(headers: tuple[str, ...], cells: Iterable[tuple[str, ...]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    # Fits 80 columns: the id already says when it started (UTC); drills are marked on a
    # second line of the status and long names fold, so nothing is cut off.
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column(headers[0], no_wrap=True)
    table.add_column(headers[1], overflow="fold")
    for header in headers[2:5]:
        table.add_column(header, no_wrap=True)
    table.add_column(headers[5], overflow="fold", min_width=6)
    for values in cells:
        table.add_row(*(Text(value) for value in values))
    return table


# The columns `_rich_table` folds (the others never wrap), and the characters one cell wide at
# every version of rich the project supports: printable ASCII, Latin-1's letters and signs (not
# its no-break or soft hyphen), and the dashes and ellipsis the words use.
_FOLDED = (False, True, False, False, False, True)
_NARROW = re.compile("[\x20-\x7e\n\u00a1-\u00ac\u00ae-\u00ff\u2013\u2014\u2026]*")
_WORD = re.compile(r"\s*\S+\s*")  # rich's words, as it wraps them


def _plain_table(console: Console, headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> str | None:
    """The text `console.print(_rich_table(...))` writes, made without drawing each cell through rich;
    None unless it is sure to be the same (then rich draws it).

    Drawing a thousand rows took rich 0.25 s. Here rich still chooses the column widths, from a
    table of one cell per distinct measure in each column (its width depends on those alone); the cells
    are then laid out as rich lays out plain text in them. Only for what every supported rich
    version writes alike: no colour or style (not a terminal), one-cell-wide characters, cells
    that fit their column, or fold only where the versions agree (a word too long for its column
    as the first word of its line).
    """
    from itertools import zip_longest

    if console.color_system is not None or console.legacy_windows or console.is_terminal:
        return None
    if any("[" in header or ":" in header for header in headers):  # rich reads markup and emoji codes in them
        return None
    every = (headers, *cells)
    for values in every:
        for value in values:
            if not _NARROW.fullmatch(value) or value.endswith("\n"):
                return None
    # One cell per column for each (longest line, longest word): what rich measures a plain cell by.
    distinct = [list({_span(value): value for value in column}.values()) for column in zip(*cells, strict=True)]
    measure = _rich_table(headers, zip_longest(*distinct, fillvalue=""))
    try:
        widths = measure._calculate_column_widths(console, console.options.update_width(console.width))
    except (AttributeError, TypeError):  # a rich without this method: let it draw the table itself
        return None
    if sum(widths) > console.width or min(widths) < 2:  # squeezed past what the rows need: rich's call
        return None
    last = len(widths) - 1
    spaces = [width - (index < last) for index, width in enumerate(widths)]  # each column's text, then its padding
    out = []
    for values in every:
        laid = []
        for index, value in enumerate(values):
            lines = _fold(value, spaces[index]) if _FOLDED[index] else value.split("\n")
            if lines is None or any(len(line) > spaces[index] for line in lines):
                return None
            laid.append(lines)
        height = max(len(lines) for lines in laid)
        if values is headers and height > 1:  # rich versions differ on where shorter headers sit
            return None
        for number in range(height):
            out.append(
                "".join(
                    (lines[number] if number < len(lines) else "").ljust(spaces[index]) + " " * (index < last)
                    for index, lines in enumerate(laid)
                )
            )
    return "\n".join(out) + "\n"


def _span(value: str) -> tuple[int, int]:
    """What a cell of one-cell-wide characters needs: its longest line, and its longest word."""
    return max(map(len, value.split("\n"))), max(map(len, value.split()), default=0)


def _fold(value: str, width: int) -> list[str] | None:
    """`value`'s lines wrapped to `width` as rich wraps a folding column; None where versions differ."""
    out = []
    for line in value.split("\n"):
        start_of_line, used = 0, 0
        for match in _WORD.finditer(line):
            start, word = match.start(), match.group()
            length = len(word.rstrip())
            if used + length <= width:
                used += len(word)
                continue
            if length > width:
                if start:  # older rich folds it from where the line is, newer from a new line
                    return None
                while len(word) > width:  # the first word, folded: pieces of `width`
                    out.append(line[start_of_line : start_of_line + width])
                    start_of_line += width
                    word = word[width:]
                used = len(word)
            elif used and start:
                out.append(line[start_of_line:start])
                start_of_line, used = start, len(word)
        out.append(line[start_of_line:])
    # A line's spaces past the width are dropped (rich strips them, then pads to the width).
    return [line if len(line) <= width else line[:width] if not line[width:].strip() else line for line in out]


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

    store = _store()
    journal = resolve(incident, _home(), store)
    i18n.use_playbook_locale(playbook_locale(journal))
    to_file = output is not None and output != "-"
    sys.stdout.flush()
    done = export_incident(
        journal,
        format.value,
        output if to_file else None,
        sys.stdout.buffer,
        force=force,
        weights=_config().drill_weights,  # a drill's scorecard (docs/drills.md)
        history=(_home(), store),
    )
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
