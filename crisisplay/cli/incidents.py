"""Commands about incidents once they exist: note, close, incidents, verify, export."""

from __future__ import annotations

import functools
import json
import sys
from typing import TYPE_CHECKING

import typer

from crisisplay import i18n
from crisisplay.cli.app import _command, _usage_error
from crisisplay.cli.common import (
    _DONE_FORMATS,
    ExportFormat,
    IncidentsFormat,
    TextOrJson,
    _config,
    _done,
    _home,
    _incident_argument,
    _print_table,
    _say,
    _store,
)
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
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
    # Two flags, not Click's `--drill/--real` pair, where the last one given silently wins.
    drill: bool = typer.Option(False, "--drill", help=N_("Only drills (not with --real).")),
    real: bool = typer.Option(False, "--real", help=N_("Only real incidents (not with --drill).")),
    format: IncidentsFormat = typer.Option(
        IncidentsFormat.table, "-f", "--format", metavar="FORMAT", help=N_("table or json.")
    ),
) -> None:
    from crisisplay.display import visible
    from crisisplay.incidents import CLOSED, UNREADABLE, listing
    from crisisplay.journal import require_posix

    if drill and real:
        _usage_error(_("give either {first} or {second}, not both").format(first="--drill", second="--real"))
    require_posix()
    kind = True if drill else False if real else None  # None: drills and real incidents alike
    found = listing(_home(), _store())
    # An unreadable log is always listed: its status and kind are unknown, and it must not hide.
    rows = [
        row
        for row in found
        if row["status"] == UNREADABLE
        or (not (open_only and row["status"] == CLOSED) and (kind is None or row["drill"] == kind))
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
    _remind_retention(found)
    if problems:
        raise typer.Exit(1)


def _remind_retention(rows: list[Row]) -> None:
    """With `retention` configured: how many closed incidents keep personal data past it."""
    config = _config()
    if config.retention_ms is None:
        return
    from crisisplay.run.purge import due
    from crisisplay.times import now

    count = len(due(rows, config.retention_ms, now()).ids)
    if count:
        _say(
            _("{count} closed incident(s) are past the retention period ({retention}): `{command}`").format(
                count=count, retention=config.retention, command='crisisplay purge --due --reason "retention period"'
            )
        )


# What `incidents` adds under a status for an incident's personal data (`privacy` in -f json).
PRIVACY_FLAGS = {
    "plain": N_("(no key: written before encryption, cannot be purged)"),
    "purged": N_("(purged)"),
    "key-missing": N_("(key missing, not purged)"),
    "key-wrong": N_("(wrong key)"),
    "key-refused": N_("(key refused)"),
}


def _incidents_table(rows: list[Row]) -> None:
    from crisisplay.cli.incidents_table import rich_table
    from crisisplay.display import visible, width
    from crisisplay.narrative import log_words  # a status in words (`-f json` keeps the log's words)

    headers = (_("id"), _("status"), _("severity"), _("took"), _("met"), _("by"))
    cells = []
    for row in rows:
        flag = PRIVACY_FLAGS.get(str(row.get("privacy")))  # an N_() text (a variable: old Babel took the key for one)
        status = (
            log_words(row["status"])
            + ("\n" + _("(drill)") if row["drill"] else "")
            + ("\n" + _("(see warning)") if row["problems"] else "")
            + ("\n" + _("(delivery outcome unknown)") if row.get("deliveries_unknown") else "")
            + ("\n" + _(flag) if flag is not None else "")
        )
        values = (
            row["id"],
            status,
            row.get("severity_label") or row["severity"] or "?",
            _duration(row),
            _milestones(row).split(" ")[0],
            ", ".join(row["responders"]),
        )
        cells.append(tuple(visible(value) for value in values))
    fixed = [
        max(width(line) for cell in column for line in cell.split("\n")) for column in zip(headers, *cells, strict=True)
    ]
    minimum = [fixed[0], 8, *fixed[2:5], 6]  # the id, the severity, how long and the targets never fold
    _print_table(headers, cells, functools.partial(rich_table, headers, cells), minimum)


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
    redact: bool = typer.Option(
        False,
        "--redact",
        help=N_(
            'Replace every personal value with a pseudonym ("Customer A", "Order 1"), also inside texts, '
            "to share the report beyond the crisis team."
        ),
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
        redact=redact,
    )
    if done.warning is not None:  # the key is missing or wrong: personal values were shown as [erased]
        _say(_("warning: {message}").format(message=done.warning))
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
