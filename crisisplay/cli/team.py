"""Commands for the team around an incident: assign, severity, approve, reject, watch."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from crisisplay import i18n
from crisisplay.cli.app import _command
from crisisplay.cli.common import _DONE_FORMATS, TextOrJson, _config, _done, _home, _incident_argument, _say
from crisisplay.i18n import N_, _


def _team_actor(given: str | None) -> str:
    """Who acts: the name given (`--as`, `--responder`) with its spaces tidied, else the configured one."""
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
    from crisisplay.playbook.roles import role_words
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
        line.format(
            person=shown, role=role_words(done.state.playbook, role_id), incident=log.incident_id, hash=done.head
        ),
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
        line.format(incident=log.incident_id, level=done.state.playbook.severity.label(after), hash=done.head),
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
    from crisisplay.playbook.roles import role_words
    from crisisplay.run.team import approve as give
    from crisisplay.run.team import read_edit

    log = resolve(incident, _home())
    person = _team_actor(as_)
    edited = read_edit(edit) if edit is not None else None
    done = give(log, step, person, person, edited)
    first = done.events[0]
    roles = i18n.joined([role_words(done.state.playbook, e["data"]["by"]) for e in done.events])
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
    warning = log.seal.warning()  # its key is missing or wrong: personal values show as [erased]
    if warning is not None:
        _say(_("warning: {message}").format(message=warning))
    try:
        if sys.stdout.isatty():
            from rich.console import Console

            watch_live(log, Console(highlight=False))
        else:
            watch_lines(log, sys.stdout)
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends: exit 0
