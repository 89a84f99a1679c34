"""Incidents in the store: ids, finding one by id, prefix or `last`, and their status, all from their logs."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crisisplay import events as ev
from crisisplay.errors import CrisisplayError, IncidentNotFound, JournalError
from crisisplay.home import incidents_dir
from crisisplay.i18n import _
from crisisplay.journal import Journal, require_posix

# The statuses are re-exported: `incidents` and its callers name them from here.
from crisisplay.metrics import CLOSED as CLOSED
from crisisplay.metrics import INTERRUPTED as INTERRUPTED
from crisisplay.metrics import PAUSED as PAUSED
from crisisplay.metrics import RUNNING as RUNNING
from crisisplay.metrics import headline, measure_log
from crisisplay.store.base import IncidentLog, Store, open_store
from crisisplay.store.files import ID_RE as ID_RE  # re-exported: an incident id's pattern
from crisisplay.store.files import FileStore
from crisisplay.times import format_ts

UNREADABLE = "unreadable"  # the status `incidents` gives a log it cannot read

# One incident as `incidents -f json` shows it: an open JSON object (docs list its keys), so
# its values are whatever JSON holds.
Row = dict[str, Any]


def new_incident_id(playbook_id: str, started: datetime) -> str:
    """`YYYYMMDD-HHMMSS-<playbook-id>-<4 hex>`, from the UTC start time."""
    stamp = started.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{playbook_id}-{secrets.token_hex(2)}"


def all_logs(home: Path) -> list[Path]:
    """The log files in `<home>/incidents` (the file store's folder)."""
    return FileStore(incidents_dir(home)).logs()


def store_of(home: Path, store: Store | None = None) -> Store:
    """The store given, else the one the environment and configuration choose."""
    if store is not None:
        return store
    from crisisplay.config import load_config

    return open_store(load_config(home), home)


def _place(store: Store) -> str:
    """Where a store's incidents are, for a message: the folder, or the PostgreSQL address."""
    return str(store.folder) if isinstance(store, FileStore) else store.describe()


def resolve(ref: str, home: Path, store: Store | None = None) -> IncidentLog:
    """The incident named by an id, a unique prefix of one, or `last` (the most recently started)."""
    store = store_of(home, store)
    if isinstance(store, FileStore):
        require_posix()  # every command that opens an incident locks its log
    ids = store.ids()
    if ref == "last":
        if not ids:
            raise IncidentNotFound(_("no incidents yet in {folder}").format(folder=_place(store)))
        if isinstance(store, FileStore):
            latest = max(store.logs(), key=lambda p: (p.stem[:15], p.stat().st_mtime)).stem
        else:
            order = {incident: index for index, incident in enumerate(ids)}  # in the order they were created
            latest = max(ids, key=lambda i: (i[:15], order[i]))
        return store.open(latest)
    if ref in ids:
        return store.open(ref)
    matches = [i for i in ids if i.startswith(ref)] if ref else []
    if len(matches) == 1:
        return store.open(matches[0])
    if matches:
        listed = ", ".join(sorted(matches)[:10]) + (" …" if len(matches) > 10 else "")
        raise IncidentNotFound(
            _("'{ref}' matches {count} incidents: {listed}; give more of the id").format(
                ref=ref, count=len(matches), listed=listed
            )
        )
    raise IncidentNotFound(
        _("no incident '{ref}' in {folder} (`crisisplay incidents` lists them)").format(ref=ref, folder=_place(store))
    )


def playbook_locale(journal: IncidentLog) -> str | None:
    """The `locale` of the playbook snapshot in an incident's log, from its first line alone.

    For the interface's language (`resume`, `export`, `verify`); None when the log has no
    readable `incident.started` first, which the command reading the log then reports itself.
    """
    try:
        # One line read: the generator, dropped at once, closes the log without reading on.
        first = next(journal.events(tolerate_torn=True), None)
    except CrisisplayError:
        return None
    if first is None or first.get("type") != ev.STARTED or not isinstance(first.get("data"), dict):
        return None
    snapshot = first["data"].get("snapshot")
    locale = snapshot.get("locale") if isinstance(snapshot, dict) else None
    return locale if isinstance(locale, str) else None


def load_state(journal: IncidentLog) -> ev.State:
    """Replay a log (a torn last line is ignored here; `resume` sets it aside)."""
    try:
        return ev.replay(journal.events(tolerate_torn=True))
    except (KeyError, TypeError, ValueError) as err:
        raise JournalError(
            _("{path}: not a crisisplay incident log ({reason})").format(path=journal.where(), reason=err)
        ) from None


def listing(home: Path, store: Store | None = None) -> list[Row]:
    """Every incident once, by the id inside its log, with the problems found on the way.

    A log that cannot be read is listed as `unreadable` (it never hides the others). A log
    whose file name disagrees with the id inside (copied or renamed over another incident's
    file) is flagged; when the same id is in several files, the one named after it is the
    row, and the others are named in its `problems`.
    """
    store = store_of(home, store)
    if not isinstance(store, FileStore):
        return _store_listing(store)
    rows: dict[str, Row] = {}
    for path in store.logs():
        journal = Journal(path)
        try:
            row = summary(journal)
        except CrisisplayError as err:
            rows[f"\0{path.name}"] = unreadable(journal, str(err))  # keyed apart from every real id
            continue
        if row["id"] != journal.incident_id:
            row["problems"].append(
                _(
                    "{path}: holds incident {inside}, but its file name says {name} "
                    "(a log copied or renamed over another incident's file)"
                ).format(path=path, inside=repr(row["id"]), name=repr(journal.incident_id))
            )
        known = rows.get(row["id"]) if isinstance(row["id"], str) else None
        if known is None:
            rows[row["id"] if isinstance(row["id"], str) else f"\0{path.name}"] = row
            continue
        if row["file"] == f"{row['id']}.jsonl" and known["file"] != f"{known['id']}.jsonl":
            row["problems"] += known["problems"]  # the file named after the incident holds it
            rows[row["id"]] = known = row
        else:
            known["problems"] += row["problems"]
    return list(rows.values())


def _store_listing(store: Store) -> list[Row]:
    """Every incident of a store that keeps one log per id (PostgreSQL): no file names to disagree."""
    rows = []
    for incident_id in store.ids():
        log = store.open(incident_id)
        try:
            rows.append(summary(log))
        except CrisisplayError as err:
            rows.append(unreadable(log, str(err)))
    return rows


def unreadable(journal: IncidentLog, problem: str) -> Row:
    """The `incidents` row of a log that cannot be read: its file name, and why."""
    return {
        "id": journal.incident_id,
        "file": _file_name(journal),
        "playbook": None,
        "title": None,
        "status": UNREADABLE,
        "drill": None,
        "severity": None,
        "started": None,
        "detected": None,
        "last_activity": None,
        "responders": [],
        "pause_reason": None,
        "head": None,
        "duration_ms": None,
        "milestones": None,
        "deliveries_unknown": None,
        "problems": [problem],
    }


def _file_name(journal: IncidentLog) -> str | None:
    """The log's file name in the file store; None in a store without files."""
    return journal.path.name if isinstance(journal, Journal) else None


def summary(journal: IncidentLog) -> Row:
    """The headline of one incident, for `incidents`."""
    metrics = measure_log(journal, running=journal.is_running())  # one pass: state and headline figures
    state = metrics.state
    return {
        "id": state.incident_id,
        "file": _file_name(journal),
        "playbook": state.playbook.id,
        "title": state.playbook.title,
        "status": metrics.status,
        "drill": state.drill,
        "severity": state.severity,
        "started": format_ts(state.started_at),
        "detected": format_ts(state.detected_at),
        "last_activity": format_ts(state.last_ts) if state.last_ts else None,
        "responders": list(state.responders),
        "pause_reason": state.pause_reason if state.lifecycle == ev.PAUSED else None,
        "head": state.head,
        **headline(metrics),
        # Deliveries queued whose outcome was never logged (the run stopped while they were sent).
        "deliveries_unknown": len(state.in_flight()),
        "problems": [],
    }
