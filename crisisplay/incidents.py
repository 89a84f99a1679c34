"""Incidents on disk: ids, finding one by id, prefix or `last`, and their status, all from their logs."""

from __future__ import annotations

import re
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
from crisisplay.times import format_ts

ID_RE = re.compile(r"(\d{8}-\d{6})-([a-z0-9][a-z0-9-]*)-([0-9a-f]{4})")
UNREADABLE = "unreadable"  # the status `incidents` gives a log it cannot read

# One incident as `incidents -f json` shows it: an open JSON object (docs list its keys), so
# its values are whatever JSON holds.
Row = dict[str, Any]


def new_incident_id(playbook_id: str, started: datetime) -> str:
    """`YYYYMMDD-HHMMSS-<playbook-id>-<4 hex>`, from the UTC start time."""
    stamp = started.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{playbook_id}-{secrets.token_hex(2)}"


def all_logs(home: Path) -> list[Path]:
    folder = incidents_dir(home)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if ID_RE.fullmatch(p.stem))


def resolve(ref: str, home: Path) -> Journal:
    """The incident named by an id, a unique prefix of one, or `last` (the most recently started)."""
    require_posix()  # every command that opens an incident locks its log
    logs = all_logs(home)
    if ref == "last":
        if not logs:
            raise IncidentNotFound(_("no incidents yet in {folder}").format(folder=incidents_dir(home)))
        return Journal(max(logs, key=lambda p: (p.stem[:15], p.stat().st_mtime)))
    exact = [p for p in logs if p.stem == ref]
    if exact:
        return Journal(exact[0])
    matches = [p for p in logs if p.stem.startswith(ref)] if ref else []
    if len(matches) == 1:
        return Journal(matches[0])
    if matches:
        listed = ", ".join(p.stem for p in matches[:10]) + (" …" if len(matches) > 10 else "")
        raise IncidentNotFound(
            _("'{ref}' matches {count} incidents: {listed}; give more of the id").format(
                ref=ref, count=len(matches), listed=listed
            )
        )
    raise IncidentNotFound(
        _("no incident '{ref}' in {folder} (`crisisplay incidents` lists them)").format(
            ref=ref, folder=incidents_dir(home)
        )
    )


def playbook_locale(journal: Journal) -> str | None:
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


def load_state(journal: Journal) -> ev.State:
    """Replay a log (a torn last line is ignored here; `resume` sets it aside)."""
    try:
        return ev.replay(journal.events(tolerate_torn=True))
    except (KeyError, TypeError, ValueError) as err:
        raise JournalError(
            _("{path}: not a crisisplay incident log ({reason})").format(path=journal.path, reason=err)
        ) from None


def listing(home: Path) -> list[Row]:
    """Every incident once, by the id inside its log, with the problems found on the way.

    A log that cannot be read is listed as `unreadable` (it never hides the others). A log
    whose file name disagrees with the id inside (copied or renamed over another incident's
    file) is flagged; when the same id is in several files, the one named after it is the
    row, and the others are named in its `problems`.
    """
    rows: dict[str, Row] = {}
    for path in all_logs(home):
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


def unreadable(journal: Journal, problem: str) -> Row:
    """The `incidents` row of a log that cannot be read: its file name, and why."""
    return {
        "id": journal.incident_id,
        "file": journal.path.name,
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


def summary(journal: Journal) -> Row:
    """The headline of one incident, for `incidents`."""
    metrics = measure_log(journal, running=journal.is_running())  # one pass: state and headline figures
    state = metrics.state
    return {
        "id": state.incident_id,
        "file": journal.path.name,
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
