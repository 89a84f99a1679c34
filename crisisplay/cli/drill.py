"""Commands that run a drill: `drill` (a scenario's playbook as a rehearsal, its injects on a
scenario clock) and `inject` (a facilitator's inject from another terminal)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import (
    _DONE_FORMATS,
    TextOrJson,
    _config,
    _done,
    _home,
    _incident_argument,
    _load,
    _store,
)
from crisisplay.cli.runs import (
    _detected_at_option,
    _notify_option,
    _responder_option,
    _start_run,
    _var_option,
    checked_speed,
    speed_option,
)
from crisisplay.errors import PlaybookError
from crisisplay.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from crisisplay.lint.cache import Usable
    from crisisplay.scenario.loader import CheckedScenario, ScenarioFile


def _complete_scenario(incomplete: str) -> list[str]:
    try:
        from crisisplay.scenario.loader import scenario_catalogue

        return [entry.id for entry in scenario_catalogue(_home()) if entry.id.startswith(incomplete)]
    except Exception:  # completion never fails loudly
        return []


def _scenario_errors(path: Path, findings: list[Any]) -> PlaybookError:
    """Exit 2 with every finding printed like lint's (`path:line:col: CODE [error] …`)."""
    errors = [f for f in findings if f.level == "error"]
    return PlaybookError(
        _("{path}: the drill scenario has {count} error(s)").format(path=path, count=len(errors)), findings
    )


def load_scenario(ref: str) -> tuple[ScenarioFile, bytes, CheckedScenario, Usable]:
    """Find and check a scenario and the playbook it rehearses (an id, or a path relative to the
    scenario's folder), as `lint` does; PlaybookError (exit 2, findings printed) before anything
    is written."""
    from crisisplay.reading import InputTooLarge, read_input
    from crisisplay.scenario.loader import check_scenario, check_scenario_text, find_scenario

    entry = find_scenario(ref, _home())
    try:
        raw = read_input(entry.path)
    except OSError as err:
        raise PlaybookError(_("{path}: cannot read: {reason}").format(path=entry.path, reason=err.strerror)) from None
    except InputTooLarge as err:
        raise PlaybookError(
            _("{path}: the file is larger than {limit} bytes, the most crisisplay reads").format(
                path=entry.path, limit=f"{err.limit:,}"
            )
        ) from None
    checked = check_scenario(check_scenario_text(raw, str(entry.path)), _home())
    if checked.scenario is None or checked.errors or checked.playbook_path is None:
        raise _scenario_errors(entry.path, checked.findings)
    loaded = _load(str(checked.playbook_path), its_language=True)
    return entry, raw, checked, loaded


@_command(
    help=N_(
        "Run a drill: a scenario's playbook as a rehearsal, its injects read out on a scenario clock; "
        "prints the incident id on standard output."
    )
)
def drill(
    scenario: str = typer.Argument(
        ...,
        metavar="SCENARIO",
        help=N_("A drill scenario id or a path to a .yaml file."),
        autocompletion=_complete_scenario,
    ),
    answers: Path | None = typer.Option(
        None,
        "--answers",
        metavar="FILE",
        help=N_("Answer from this file instead of the terminal (its `at:`/`after:` times set the scenario clock)."),
    ),
    speed: int | None = speed_option(
        N_("How many times faster than the wall the scenario clock runs, 1 to 3600 (default 1; terminal only).")
    ),
    notify: bool = _notify_option(),
    responder: str | None = _responder_option(),
    var: list[str] = _var_option(),
    detected_at: str | None = _detected_at_option(),
) -> None:
    from crisisplay.journal import require_posix

    require_posix()
    checked_speed(speed, answers)
    entry, raw, checked, loaded = load_scenario(scenario)
    assert checked.scenario is not None  # load_scenario refused a scenario that could not be built
    plan = checked.scenario
    clock = {
        "clock": "scripted" if answers is not None else "live",
        "speed": speed or 1,
        "snapshot": plan.normalised(),
        "source": {
            "id": plan.id,
            "title": plan.title,
            "source": str(entry.path.resolve()),
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
    }
    warnings = [f for f in checked.findings if f.level != "error"]
    count = len(plan.injects)
    intro = (
        ngettext(
            "Drill: {title} ({count} inject; scenario clock ×{speed})",
            "Drill: {title} ({count} injects; scenario clock ×{speed})",
            count,
        ).format(title=plan.title, count=count, speed=speed or 1)
        if answers is None
        else ngettext(
            "Drill: {title} ({count} inject; scenario clock set by the answers file)",
            "Drill: {title} ({count} injects; scenario clock set by the answers file)",
            count,
        ).format(title=plan.title, count=count)
    )
    _start_run(loaded, answers, True, responder, var, detected_at, notify, clock, warnings, intro)


@_command(help=N_("Read out an inject in a running drill, from another terminal: the team sees it at once."))
def inject(
    incident: str = _incident_argument(),
    text: str = typer.Argument(..., metavar="TEXT|-", help=N_("What happens, or - to read it from standard input.")),
    responder: str | None = typer.Option(None, "--responder", metavar="NAME", help=N_("Who reads it out.")),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=_DONE_FORMATS),
) -> None:
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import read_text_input, responder_name
    from crisisplay.run.team import inject as log_inject

    journal = resolve(incident, _home(), _store())
    body = read_text_input(sys.stdin.buffer, "inject") if text == "-" else text
    actor = responder_name(responder, _config())
    appended = log_inject(journal, body, actor)
    number = appended.events[-1]["data"]["inject"]
    _done(
        format,
        _("Inject {inject} added to {incident}. Head hash: {hash}").format(
            inject=number, incident=journal.incident_id, hash=appended.head
        ),
        {
            "incident": journal.incident_id,
            "event": "drill.inject",
            "inject": number,
            "actor": actor,
            "head": appended.head,
        },
    )
