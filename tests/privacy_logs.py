"""Incident logs with every personal value sealed, and purged ones: for the tests of the views.

`sealed_copy` copies a run's log into another home, event by event through the store, marking
as personal (so the store seals them) the values the engine marks, and more: every input a
playbook marks, every text answer, every typed reason and text (`reason`, `text`, `message`,
`channel`, `edited`), escalation contacts' names, and message hashes as kind `hash`. Each view
then meets an erased value wherever one can be. `purge` does what `crisisplay purge` does to
the log and the keys: appends `incident.purged` through the store, then deletes the key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from crisisplay.personal import Personal
from crisisplay.store.base import open_store
from crisisplay.store.sealing import FINGERPRINT, strip_envelopes

_TEXTS = ("reason", "text", "message", "channel", "edited")


def _mark(kind: str, data: dict[str, Any], marked: list[Personal]) -> dict[str, Any]:
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, Personal):
            marked.append(value)
        elif key in _TEXTS and isinstance(value, str) and value:
            out[key] = Personal(value, "text")
            marked.append(out[key])
        elif key == "message_hash" and isinstance(value, str) and value:
            out[key] = Personal(value, "hash")
        elif key == "answer" and kind == "step.answered" and isinstance(value, str) and value:
            out[key] = Personal(value, "text")
            marked.append(out[key])
        elif key == "answer" and isinstance(value, dict):
            out[key] = _mark(kind, value, marked)
        elif key == "contact" and isinstance(value, dict) and isinstance(value.get("name"), str):
            out[key] = {**value, "name": Personal(value["name"], "person")}
            marked.append(out[key]["name"])
    return out


def sealed_copy(home: Path, incident_id: str, into: Path) -> list[Personal]:
    """Copy the incident into the home `into`, its personal values sealed; the values marked, in log order."""
    source = open_store(None, home).open(incident_id)
    target_store = open_store(None, into)
    marked: list[Personal] = []
    target = None
    for event in source.events():
        given = {key: event[key] for key in ("type", "actor", "step", "ts")}
        if event["type"] == "incident.started":
            given["data"] = {key: value for key, value in event["data"].items() if key != FINGERPRINT}
            target = target_store.create(incident_id, given)
            continue
        data = event["data"]
        if event["type"] == "severity.changed" and str(data.get("reason")).startswith(f"{event['step']}: "):
            given["data"] = data  # the engine's words for an option chosen: not typed, not personal
        else:
            given["data"] = _mark(event["type"], data, marked)
        assert target is not None
        target.append([given])
    return marked


def purge(home: Path, incident_id: str) -> None:
    """Erase the incident as `crisisplay purge` does: `incident.purged` logged, then the key deleted."""
    log = open_store(None, home).open(incident_id)
    head = log.head()
    assert head is not None
    log.append([{"type": "incident.purged", "actor": "tester", "step": None, "ts": head["ts"], "data": {}}])
    os.unlink(home / "keys" / f"{incident_id}.key")


def plain_text_of_log(home: Path, incident_id: str) -> str:
    """The log as logged, its envelopes removed: what anyone reading the file sees in clear."""
    import json

    log = open_store(None, home).open(incident_id)
    return "\n".join(json.dumps(strip_envelopes(event), ensure_ascii=False) for event in log.events(raw=True))


def distinctive(values: list[Personal], plain: str) -> list[str]:
    """The marked values a test can look for: the first line of each, when it is not already in the
    log in clear, is long enough not to be found by chance in a report's own words, and holds nothing
    a format escapes but markdown's markup (see `forms`)."""
    out = []
    for value in values:
        lines = str(value).strip().splitlines()
        text = lines[0].strip() if lines else ""
        if len(text) >= 5 and text not in plain and text not in out and not set(text) & set("\"\\<>&'`"):
            out.append(text)
    return out


def forms(text: str) -> tuple[str, ...]:
    """How a value can appear in an export: as it is, or with markdown's markup escaped."""
    from crisisplay.export.markdown import _MARKUP

    return (text, _MARKUP.sub(lambda m: "\\" + m.group(), text))


def found(values: list[str], exported: str) -> list[str]:
    """The values that appear in `exported`, in any of their forms."""
    return [value for value in values if any(form in exported for form in forms(value))]
