"""Commands that run an incident: start and resume."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crisisplay import i18n
from crisisplay.cli.app import _command
from crisisplay.cli.common import (
    _again,
    _config,
    _head_of,
    _home,
    _incident_argument,
    _load,
    _playbook,
    _playbook_argument,
    _print_findings,
    _say,
    _store,
    _store_ready,
)
from crisisplay.errors import AnswerError, CrisisplayError, PlaybookError, UsageError
from crisisplay.i18n import N_, _
from crisisplay.notify.reasons import failure_words
from crisisplay.times import format_ts, now

if TYPE_CHECKING:
    from rich.console import Console

    from crisisplay.config import Config
    from crisisplay.errors import Interrupted
    from crisisplay.events import State
    from crisisplay.findings import Finding
    from crisisplay.lint.cache import Usable
    from crisisplay.playbook.model import Playbook
    from crisisplay.run.lifecycle import Responder
    from crisisplay.run.session import Frontend, Outcome

    MakeFrontend = Callable[[dict[str, Any]], Frontend]


def _report(outcome: Outcome, console: Console | None = None, since: str | None = None) -> None:
    """How a run ended, on standard error (or the terminal); exit 3 when it paused. A scripted run
    (no console) first names each delivery it queued (`since` it began) that failed for good:
    the terminal showed them as they happened, a file's run only said they were queued."""
    if console is None and since is not None:
        _undelivered(outcome.state, since)
    if console is not None and outcome.finished:
        from crisisplay.run.header import run_summary

        console.print()
        console.print(run_summary(outcome.state, outcome.events(), now()))
    from crisisplay.narrative import log_words  # the log's outcome and pause reasons, in words

    if outcome.finished:
        if outcome.state.drill:
            _drill_scorecard(outcome)
        _say(
            _("Incident {incident} closed: {reason}.").format(
                incident=outcome.incident_id, reason=log_words(outcome.reason)
            )
        )
        _say(_("Head hash: {hash}").format(hash=outcome.head))
        _say(_("Post-mortem: {command}").format(command=_again(f"export {outcome.incident_id} --format md")))
        return
    _say(
        _("Incident {incident} paused ({reason}). Everything answered so far is saved.").format(
            incident=outcome.incident_id, reason=log_words(outcome.reason)
        )
    )
    _say(_("Head hash: {hash}").format(hash=outcome.head))
    _say(_("Resume with: {command}").format(command=_again(f"resume {outcome.incident_id}")))
    raise typer.Exit(3)


def _undelivered(state: State, since: str) -> None:
    from crisisplay.run.delivery import recipient

    for delivery in state.deliveries.values():
        queued = delivery.get("queued_at") or ""
        if delivery.get("status") == "failed" and not delivery.get("simulated") and queued >= since:
            _say(
                _("warning: not delivered to {who} via {service}: {error}").format(
                    who=recipient(state.playbook, delivery),
                    service=delivery.get("service") or "—",
                    error=failure_words(delivery.get("error")),
                )
            )


def _drill_scorecard(outcome: Outcome) -> None:
    """The end of a drill: its scorecard, on standard error, scored with `[drill.weights]`."""
    from crisisplay.export.scoring import summary_lines
    from crisisplay.metrics import measure
    from crisisplay.scorecard import Observations, scorecard

    seen = Observations()
    metrics = measure(outcome.events(), observe=seen)
    for line in summary_lines(scorecard(metrics, seen, _config().drill_weights), metrics.playbook):
        _say(line)
    _say(_("The scorecard in full: {command}").format(command=_again(f"export {outcome.incident_id} --format md")))


def _scripted_frontend(answers_path: Path, playbook: Playbook, delivering: bool = False) -> MakeFrontend:
    from crisisplay.run.answers import read_answers
    from crisisplay.run.scripted import ScriptedFrontend

    answers = read_answers(answers_path, playbook, delivering)
    return lambda overrides: ScriptedFrontend(answers, overrides)


def _terminal_frontend(config: Config) -> tuple[Console, MakeFrontend]:
    """The interactive front end; exit 2 with one clear line when there is no terminal."""

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(_("no terminal to ask questions on: run unattended with --answers FILE"))
    from rich.console import Console

    from crisisplay.run.terminal import TerminalFrontend

    console = Console(highlight=False)
    return console, lambda overrides: TerminalFrontend(console, contacts=config.contacts, overrides=overrides)


def _ask_responder(suggested: str | None) -> str:
    """Who is responding, asked once: messages sign with it, so never guess from the login name.

    The account's full name, when it has one, is offered greyed in the empty box: Enter takes it,
    typing replaces it. A login name is never offered: the name must be typed."""
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
    return Interrupted(_("interrupted. Resume with: {command}").format(command=_again(f"resume {incident_id}")))


def _paused_by_error(incident_id: str | None, reason: str, since: str | None = None) -> None:
    """An answer or a template failed mid-run: the incident is paused; say so, with its head hash
    (and, for a scripted run that began at `since`, the deliveries it queued that failed)."""
    from crisisplay.narrative import log_words

    if not incident_id:
        return
    if since is not None:
        from crisisplay.incidents import load_state, resolve

        with suppress(CrisisplayError):  # the pause is said in any case; the log's own problem later
            _undelivered(load_state(resolve(incident_id, _home(), _store())), since)
    _say(
        _("Incident {incident} paused ({reason}). Everything answered before it is saved.").format(
            incident=incident_id, reason=log_words(reason)
        )
    )
    _say(_("Head hash: {hash}").format(hash=_head_of(incident_id)))
    if reason == "playbook-error":
        _say(
            _("Nothing was sent. The log keeps the playbook as it was; end it with: {command}").format(
                command=_again(f'close {incident_id} --reason "playbook error"')
            )
        )
    else:
        _say(_("Resume with: {command} (with an answer that fits)").format(command=_again(f"resume {incident_id}")))


def _notify_option() -> Any:  # typer's parameter declarations are typed Any
    return typer.Option(
        False,
        "--notify",
        help=N_("Deliver for real in a drill (only to the drill targets in config.toml) or from an answers file."),
    )


def _responder_option() -> Any:
    return typer.Option(
        None,
        "--responder",
        metavar="NAME",
        help=N_(
            "Who is responding (default: `responder` in the configuration, then your account's full name, then your login name)."
        ),
    )


def _var_option() -> Any:
    return typer.Option([], "--var", metavar="KEY=VALUE", help=N_("Set an input (overrides the answers file)."))


def _detected_at_option() -> Any:
    return typer.Option(
        None, "--detected-at", metavar="TIME", help=N_("When the crisis was detected: ISO time or -45m.")
    )


@_command(help=N_("Start an incident from a playbook; prints its id on standard output."))
def start(
    playbook: str = _playbook_argument(),
    answers: Path | None = typer.Option(
        None, "--answers", metavar="FILE", help=N_("Answer from this file instead of the terminal.")
    ),
    drill: bool = typer.Option(False, "--drill", help=N_("A rehearsal: marked DRILL everywhere.")),
    responder: str | None = _responder_option(),
    var: list[str] = _var_option(),
    detected_at: str | None = _detected_at_option(),
    notify: bool = _notify_option(),
) -> None:
    from crisisplay.journal import require_posix

    require_posix()
    loaded = _load(playbook, its_language=True)
    # A drill runs on a scenario clock: live in the terminal, scripted (answer by answer) from a file.
    clock = {"clock": "scripted" if answers is not None else "live", "speed": 1} if drill else None
    _start_run(loaded, answers, drill, responder, var, detected_at, notify, clock)


def _start_run(
    loaded: Usable,
    answers: Path | None,
    drill: bool,
    responder: str | None,
    var: list[str],
    detected_at: str | None,
    notify: bool,
    scenario: dict[str, Any] | None,
    warnings: list[Finding] | None = None,
    intro: str | None = None,
) -> None:
    """Start an incident of a loaded playbook (`start`, `drill`) and run it; `scenario` is the
    drill's clock (and, for `drill`, its scenario), for `StartRequest.scenario`; `intro`, a line
    said first (after whom decisions are recorded as)."""
    from crisisplay.run.delivery import reach_for_run
    from crisisplay.run.lifecycle import StartRequest, find_responder, start_incident

    config = _config()
    pb = _playbook(loaded)
    who = find_responder(responder, config)
    _store_ready()  # a store that cannot be used says so first, in one line
    if answers is not None:
        _recorded_as(who)  # before anything else on standard error
    if intro is not None:
        _say(intro)
    _print_findings([f for f in [*loaded.findings, *(warnings or [])] if f.level != "error"])
    console = None
    name = who.name
    if answers is None:
        console, make_frontend = _terminal_frontend(config)
        if who.source in ("account", "login"):  # nobody said who: ask, offering the account's full name
            # never the login name ("root"): Enter alone must not sign a customer's message with it
            name = _ask_responder(who.name if who.source == "account" else None)
    else:
        make_frontend = _scripted_frontend(answers, pb, delivering=notify)
    reach = reach_for_run(config, drill=drill, scripted=answers is not None, notify=notify)
    request = StartRequest(pb, loaded.path, drill, name, tuple(var), detected_at, reach, scenario)
    started: list[str] = []

    def announce(incident_id: str) -> None:
        started.append(incident_id)
        print(incident_id, flush=True)

    begun = format_ts(now())
    try:
        outcome = start_incident(request, config, _home(), make_frontend, announce, store=_store())
    except KeyboardInterrupt:
        raise _interrupted(started[0] if started else None) from None
    except PlaybookError:
        _paused_by_error(started[0] if started else None, "playbook-error", begun if answers else None)
        raise
    except AnswerError:
        _paused_by_error(started[0] if started else None, "answer-error", begun if answers else None)
        raise
    _report(outcome, console, begun)


def speed_option(default_words: str) -> Any:  # typer's parameter declarations are typed Any
    return typer.Option(None, "--speed", metavar="N", help=default_words)


def checked_speed(speed: int | None, answers: Path | None) -> None:
    """--speed: a whole number from 1 to 3600, for a live clock (a terminal) only; exit 2 otherwise."""
    from crisisplay.scenario.state import MAX_SPEED

    if speed is None:
        return
    if not 1 <= speed <= MAX_SPEED:
        raise UsageError(
            _("--speed {speed}: give how many times faster the scenario clock runs, from 1 to {most}").format(
                speed=speed, most=MAX_SPEED
            )
        )
    if answers is not None:
        raise UsageError(
            _("--speed is for a drill run in the terminal; with --answers, the answers' times set the clock")
        )


@_command(help=N_("Continue a paused or interrupted incident at the step where it stopped."))
def resume(
    incident: str = _incident_argument(),
    answers: Path | None = typer.Option(
        None, "--answers", metavar="FILE", help=N_("Answer from this file instead of the terminal.")
    ),
    responder: str | None = typer.Option(
        None, "--responder", metavar="NAME", help=N_("Who takes over (recorded as a handover).")
    ),
    notify: bool = _notify_option(),
    take_over: bool = typer.Option(
        False,
        "--take-over",
        help=N_("Take the incident over from a run whose lease expired or was abandoned (logged as a handover)."),
    ),
    reason: str | None = typer.Option(
        None, "--reason", metavar="TEXT", help=N_("With --take-over: why you take it over.")
    ),
    speed: int | None = speed_option(
        N_("A drill: how many times faster than the wall the scenario clock runs (1 to 3600; default: as before).")
    ),
) -> None:
    from crisisplay.errors import IncidentClosed
    from crisisplay.incidents import load_state, refuse_erased, resolve
    from crisisplay.narrative import log_words
    from crisisplay.run.delivery import reach_for_run
    from crisisplay.run.lifecycle import resume_incident

    config = _config()
    journal = resolve(incident, _home(), _store())
    state = load_state(journal)
    i18n.use_playbook_locale(state.playbook.locale)
    checked_speed(speed, answers)
    drill_clock = None
    if state.drill_run is not None:  # the scenario clock goes on: live in the terminal, scripted from a file
        drill_clock = ("scripted" if answers is not None else "live", speed or state.drill_run.speed)
    elif speed is not None:
        raise UsageError(_("--speed is for drills; incident {incident} is not one").format(incident=state.incident_id))
    if state.closed:
        raise IncidentClosed(
            _("incident {incident} is closed ({reason}); there is nothing to resume").format(
                incident=state.incident_id, reason=log_words(state.close_reason or state.outcome)
            )
        )
    refuse_erased(journal, read=False)  # before a terminal or an answers file is opened
    console = None
    if answers is None:
        # Without a terminal, someone driving the incident is the reason to give first (with one,
        # taking the lease says it, or finds a run that has died since).
        no_terminal = not (sys.stdin.isatty() and sys.stdout.isatty())
        lease = journal.current_lease() if no_terminal and not take_over and journal.is_running() else None
        if lease is not None:
            from crisisplay.errors import IncidentBusy
            from crisisplay.store.base import busy_with

            raise IncidentBusy(busy_with(journal.incident_id, lease))
        console, make_frontend = _terminal_frontend(config)
        frontend = make_frontend({})
    else:
        from crisisplay.run.lifecycle import resuming_responder

        _recorded_as(resuming_responder(responder, config, state.responder))
        frontend = _scripted_frontend(answers, state.playbook, delivering=notify)({})
    reach = reach_for_run(config, drill=state.drill, scripted=answers is not None, notify=notify)
    begun = format_ts(now())
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
            drill_clock=drill_clock,
        )
    except KeyboardInterrupt:
        raise _interrupted(journal.incident_id) from None
    except PlaybookError:
        _paused_by_error(journal.incident_id, "playbook-error", begun if answers else None)
        raise
    except AnswerError:
        _paused_by_error(journal.incident_id, "answer-error", begun if answers else None)
        raise
    _report(outcome, console, begun)
