"""Starting and resuming incidents: the log created in the store, the lease taken, the session run."""

from __future__ import annotations

import getpass
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from crisisplay import __version__, engine, i18n
from crisisplay.config import Config
from crisisplay.errors import IncidentClosed, JournalError, UsageError
from crisisplay.events import Event, State, replay
from crisisplay.findings import did_you_mean
from crisisplay.i18n import N_, _
from crisisplay.incidents import load_state, new_incident_id, refuse_erased, runs_scenario_clock
from crisisplay.narrative import log_words
from crisisplay.playbook.model import Playbook
from crisisplay.reading import InputTooLarge, read_input
from crisisplay.run.delivery import Reach
from crisisplay.run.scenario_clock import stamped_from_wall
from crisisplay.run.session import Frontend, Outcome, Session
from crisisplay.store.base import IncidentLog, Store, open_store
from crisisplay.times import now

LEASE_TTL_VARIABLE = "CRISISPLAY_LEASE_TTL"  # seconds a run's lease lasts unrenewed (tests use a few)
LEASE_TTL_S = 60.0


def lease_ttl() -> float:
    """How long a run's lease lasts without a heartbeat: CRISISPLAY_LEASE_TTL seconds (1 to 86,400), else
    60; UsageError (exit 2) for any other value, before the run takes the incident."""
    text = os.environ.get(LEASE_TTL_VARIABLE, "").strip()
    if not text:
        return LEASE_TTL_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 86_400:
        raise UsageError(
            _("{variable}={value}: give the seconds a run's lease lasts, from 1 to 86400").format(
                variable=LEASE_TTL_VARIABLE, value=text
            )
        )
    return seconds


@dataclass
class StartRequest:
    playbook: Playbook
    path: Path
    drill: bool = False
    responder: str | None = None
    variables: tuple[str, ...] = ()
    detected_at: str | None = None
    reach: Reach | None = None  # who the run may send to (run/delivery.py); None: nobody
    # A drill's scenario clock: `clock` (live or scripted), `speed`, and for `crisisplay drill` the
    # scenario's `snapshot` and `source` (engine.start).
    scenario: dict[str, Any] | None = None


@dataclass(frozen=True)
class Responder:
    """Who decisions are recorded as, and where that name came from (`option`, `config`,
    `account`: the account's full name, or `login`: the login name, a last resort)."""

    name: str
    source: str


def account_names() -> tuple[str, str | None]:
    """The login name, and the account's full name (the GECOS field's first part) when it has one."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        return "responder", None
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos
    except (ImportError, KeyError, OSError):  # no such account (LOGNAME set by hand), or no pwd (Windows)
        return login, None
    return login, full_name(gecos, login)


def full_name(gecos: str, login: str) -> str | None:
    """The full name in a GECOS field (`Ana Ruiz,Room 4,,`); None when it is empty or the login name."""
    full = " ".join(gecos.split(",", 1)[0].split())
    # Many systems fill the field with the login name itself (`root`): that is no full name.
    return full if full and full.lower() != login.lower() else None


def find_responder(
    given: str | None, config: Config, account: Callable[[], tuple[str, str | None]] = account_names
) -> Responder:
    """--responder (its spaces tidied; a blank one is refused: a script's unset `$NAME` must not
    record decisions under someone else), else the configured responder, else the account's full
    name, else the login name."""
    if given is not None:
        tidied = " ".join(given.split())
        if not tidied:
            raise UsageError(_("an empty name: give the name of a person"))
        return Responder(tidied, "option")
    if config.responder and config.responder.strip():
        return Responder(config.responder.strip(), "config")
    login, full = account()
    return Responder(full, "account") if full else Responder(login, "login")


def resuming_responder(given: str | None, config: Config, recorded: str) -> Responder:
    """On resume, --responder or the configured responder takes over (a handover); else the incident's own."""
    if given is not None or (config.responder and config.responder.strip()):
        return find_responder(given, config)
    return Responder(recorded, "incident")


def responder_name(given: str | None, config: Config) -> str:
    """The name decisions are recorded under (see `find_responder`)."""
    return find_responder(given, config).name


def parse_detected_at(text: str | None, now: datetime) -> datetime:
    """`--detected-at`: an ISO time (local time if it has no offset) or a span ago like `-45m`,
    `-2 h` or, in Spanish, `-1 día` (the run's language; English words and `90s 30m 1h 2d` always)."""
    if not text:
        return now
    text = text.strip()
    span = i18n.duration_ms(text[1:]) if text.startswith("-") else None
    if span is not None:
        try:
            moment = now - timedelta(milliseconds=span)
        except OverflowError:
            raise UsageError(_("--detected-at {text} is too far back").format(text=text)) from None
        if moment < now - timedelta(days=366):
            raise UsageError(_("--detected-at {text} is more than a year ago; check it").format(text=text))
        return moment
    if not text.startswith("-"):
        written: datetime | None
        try:
            written = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            written = None
        if written is not None:
            moment = written
            if moment.tzinfo is None:
                moment = moment.astimezone()  # a time without offset is local time
            if moment > now + timedelta(minutes=1):
                raise UsageError(_("--detected-at {text} is in the future").format(text=text))
            if moment < now - timedelta(days=366):
                raise UsageError(_("--detected-at {text} is more than a year ago; check the date").format(text=text))
            return moment.astimezone(UTC)
    raise UsageError(
        _(
            "--detected-at: '{text}' is not a time; give an ISO time like 2026-11-25T21:40 or a span ago like -45m"
        ).format(text=text)
    )


def parse_vars(pairs: tuple[str, ...], playbook: Playbook) -> dict[str, str]:
    """`--var KEY=VALUE` pairs, each naming an input of the playbook.

    A number is typed by the responder, so it is read in the run's language (`1.234` is 1234 in
    Spanish) and kept as plain digits and a point, as the terminal keeps a typed number.
    """
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(_("--var '{pair}': expected KEY=VALUE").format(pair=pair))
        if key not in playbook.inputs:
            known = ", ".join(playbook.inputs) or "—"
            raise UsageError(
                _("--var {key}: the playbook has no input '{key}'{suggestion} (inputs: {known})").format(
                    key=key, suggestion=did_you_mean(key, playbook.inputs), known=known
                )
            )
        spec = playbook.inputs[key]
        if spec.type == "number":
            value = engine.local_number(value, f"--var {key}", i18n.language())
        engine.input_value(spec, key, value)  # fits, or exit 2 before anything is written
        out[key] = value
    return out


def start_incident(
    request: StartRequest,
    config: Config,
    home: Path,
    make_frontend: Callable[[dict[str, Any]], Frontend],
    announce: Callable[[str], None],
    clock: Callable[[], datetime] = now,
    store: Store | None = None,
) -> Outcome:
    """Create the incident's log with its first event, announce its id, and run it."""
    now = clock()
    detected = parse_detected_at(request.detected_at, now)
    overrides = parse_vars(request.variables, request.playbook)
    frontend = make_frontend(overrides)
    responder = responder_name(request.responder, config)
    pb = request.playbook
    raw = read_input(request.path)  # what the log's sha256 records: the bytes lint just checked
    source = {
        "id": pb.id,
        "title": pb.title,
        "source": str(request.path.resolve()),
        "sha256": hashlib.sha256(raw).hexdigest(),
    }
    ttl = lease_ttl()  # a bad CRISISPLAY_LEASE_TTL is exit 2 before the incident exists
    incident_id = new_incident_id(pb.id, now)
    store = store if store is not None else open_store(config, home)
    first = engine.start(
        incident_id,
        pb,
        source,
        drill=request.drill,
        responder=responder,
        organisation=config.organisation,
        detected_at=detected,
        now=now,
        version=__version__,
        scenario=request.scenario,
    )[0]
    journal = store.create(incident_id, first)
    announce(incident_id)
    with journal.lease(responder, ttl) as held:
        # Read once, folded and shown: its first line holds the whole playbook.
        created = list(journal.events())
        state = _replayed(journal, created)
        session = Session(journal, state, frontend, clock, responder, config.contacts)
        session.lease = held
        deliveries = session.deliver_with(request.reach or Reach(live=False))
        frontend.logged(session, created)
        try:
            return session.run()
        finally:
            deliveries.close()
            journal.close()


def _replayed(journal: IncidentLog, events: list[Event]) -> State:
    """`load_state`, of events read already."""
    try:
        return replay(events)
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise JournalError(
            _("{path}: not a crisisplay incident log ({reason})").format(path=journal.where(), reason=err)
        ) from None


def resume_incident(
    journal: IncidentLog,
    config: Config,
    responder: str | None,
    frontend: Frontend,
    warn: Callable[[str], None],
    clock: Callable[[], datetime] = now,
    reach: Reach | None = None,
    take_over: bool = False,
    reason: str | None = None,
    drill_clock: tuple[str, int] | None = None,
) -> Outcome:
    """Continue an incident at the exact step where it stopped, from its log alone.

    A drill's scenario clock goes on from where it stood when the run paused: `drill_clock` is how
    it runs from now (`live` or `scripted`, and its speed), logged in `incident.resumed`.

    With `take_over`, an expired or abandoned lease is taken (`incident.handover` is logged when
    someone else held it); otherwise a held lease refuses the resume (IncidentBusy, exit 2)."""
    if reason is not None and not take_over:
        raise UsageError(_("--reason goes with --take-over: it says why you take the incident over"))
    who = resuming_responder(responder, config, load_state(journal).responder).name
    if take_over:
        holding, previous = journal.take_over(who, lease_ttl())
    else:
        holding, previous = journal.lease(who, lease_ttl()), None
    with holding as held:
        if journal.has_torn_tail():
            warn(
                journal.set_aside_torn()
                or _("a torn last line was set aside into {path}").format(path=journal.where() + ".torn")
            )
        checked = journal.verify()
        if not checked.ok:
            # Replaying an edited log could resume from a state that never happened.
            raise JournalError(
                _(
                    "{problem}; the log was changed outside crisisplay, so it is not resumed "
                    "(`crisisplay verify {incident}` shows the break)"
                ).format(problem=checked.shown_message, incident=journal.incident_id)
            )
        state = load_state(journal)
        if state.closed:
            raise IncidentClosed(
                _("incident {incident} is closed ({reason}); there is nothing to resume").format(
                    incident=state.incident_id, reason=log_words(state.close_reason or state.outcome)
                )
            )
        refuse_erased(journal, read=False)  # purged, or its key missing: nothing personal may be logged
        session = Session(journal, state, frontend, clock, who, config.contacts)
        session.lease = held
        deliveries = session.deliver_with(reach or Reach(live=False))
        if state.drill_run is not None:
            # The clock goes on from the log's last scenario time: the time the drill was down,
            # paused or not (a killed run logs no pause), is not scenario time.
            state.drill_run.paused = True
        if previous is not None and previous.holder != who:
            going_on = engine.handover(previous.holder, who, (reason or "").strip(), session.clock())
        else:
            going_on = engine.resume(who, session.clock())
        if state.drill_run is not None:
            kind, speed = drill_clock or (state.drill_run.clock, state.drill_run.speed)
            going_on[0]["data"].update(clock=kind, speed=speed)
        session.log(going_on)
        frontend.resumed(session, list(journal.events()))
        try:
            return session.run()
        finally:
            deliveries.close()
            journal.close()


# What `note ID -` and `inject ID -` say when standard input will not do: too large, not UTF-8.
_STDIN_PROBLEMS = {
    "note": (
        N_("the note on standard input is larger than {limit} bytes, the most crisisplay reads"),
        N_("the note on standard input is not UTF-8 text"),
    ),
    "inject": (
        N_("the inject on standard input is larger than {limit} bytes, the most crisisplay reads"),
        N_("the inject on standard input is not UTF-8 text"),
    ),
}


def read_text_input(stream: BinaryIO, what: str = "note") -> str:
    """A note or an inject given on standard input (`note ID -`, `inject ID -`): UTF-8 text, up to
    the input size limit; UsageError (exit 2) otherwise."""
    too_large, not_text = _STDIN_PROBLEMS[what]
    try:
        return read_input(stream, "standard input").decode("utf-8")
    except InputTooLarge as err:
        raise UsageError(_(too_large).format(limit=f"{err.limit:,}")) from None
    except UnicodeDecodeError:
        raise UsageError(_(not_text)) from None


def read_note(stream: BinaryIO) -> str:
    """A note given on standard input (`note ID -`)."""
    return read_text_input(stream, "note")


def add_note(journal: IncidentLog, text: str, actor: str, clock: Callable[[], datetime] = now) -> str:
    """Append a note (the incident may be running elsewhere, paused or closed); the new head hash."""
    if not text.strip():
        raise UsageError(_("the note is empty"))
    # Every line read first: a note is never chained onto a log with a corrupt or edited line
    # (refused, exit 2, as resume refuses it).
    state = load_state(journal)
    refuse_erased(journal, read=False)  # a note is personal: never logged once the incident was purged
    events = engine.note(text.strip("\n"), clock(), actor)
    if runs_scenario_clock(journal):  # a drill's note carries its scenario time
        events = stamped_from_wall(state, events)
    head: str = journal.append(events)[-1]["hash"]
    return head


def close_incident(journal: IncidentLog, reason: str, actor: str, clock: Callable[[], datetime] = now) -> str:
    """End an incident that will not be run to the end; refused while another terminal runs it."""
    if not reason.strip():
        raise UsageError(_("--reason is empty; say why the incident is closed"))
    with journal.lease(actor):
        state = load_state(journal)
        if state.closed:
            raise IncidentClosed(_("incident {incident} is already closed").format(incident=state.incident_id))
        refuse_erased(journal, read=False)  # the reason is typed text: personal
        head: str = journal.append(stamped_from_wall(state, engine.close(reason.strip(), clock(), actor)))[-1]["hash"]
        return head
