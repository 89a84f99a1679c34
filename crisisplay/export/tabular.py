"""The data exports: `json` (the incident, its metrics and every event exactly as logged) and `csv`.

Both use UTC times as the log writes them. The json events are the log's own lines, copied
byte for byte, so a tool can re-check every hash; they are streamed, never held in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from crisisplay.errors import JournalError
from crisisplay.events import STEP_ENTERED, elapsed_ms, format_ts, parse_ts
from crisisplay.narrative import describe
from crisisplay.metrics import Metrics

EXPORT_VERSION = 1
CSV_COLUMNS = ("seq", "ts", "elapsed", "type", "phase", "step", "actor", "summary", "data", "hash")
# What a spreadsheet runs as a formula (or DDE) when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def incident_json(metrics: Metrics) -> dict:
    """Who, what and where the incident stands: the `incident` member of the json export."""
    state = metrics.state
    return {
        "id": state.incident_id,
        "playbook": {"id": state.playbook.id, "title": state.playbook.title, **state.source},
        "drill": state.drill,
        "kind": "drill" if state.drill else "real",
        "status": metrics.status,
        "complete": metrics.complete,
        "outcome": state.outcome,
        "close_reason": state.close_reason,
        "pause_reason": state.pause_reason if metrics.status == "paused" else None,
        "responders": list(state.responders),
        "organisation": state.organisation,
        "severity": state.severity,
        "version": state.version,
        "events": metrics.count,
        "head": metrics.head,
        "export_version": EXPORT_VERSION,
    }


def metrics_json(metrics: Metrics) -> dict:
    """The figures: the `metrics` member of the json export (times UTC, durations in milliseconds)."""
    state = metrics.state
    reached, missed = metrics.people
    return {
        "start": format_ts(state.detected_at),
        "opened": format_ts(state.started_at),
        "end": metrics.ended,
        "last_event": format_ts(state.last_ts) if state.last_ts else None,
        "duration_ms": metrics.duration_ms,
        "targets": [{"name": t.name, "target_ms": t.target_ms, "reached": t.reached, "elapsed_ms": t.elapsed_ms,
                     "result": t.result, "margin_ms": t.margin_ms} for t in metrics.targets],
        "severity": {"initial": state.playbook.severity.start, "final": state.severity,
                     "changes": metrics.severity_changes},
        "phases": [{"id": phase, "first": format_ts(a), "last": format_ts(b)} for phase, (a, b) in metrics.phases.items()],
        "decisions": metrics.decisions,
        "skips": metrics.skips,
        "notes": metrics.notes,
        "messages": metrics.messages,
        "escalations": metrics.escalations,
        "people": {"reached": reached, "not_reached": missed},
        "post_mortem": metrics.answers,
        "action_items": metrics.action_items,
    }


def render_json(metrics: Metrics, lines: Iterable[bytes], out: TextIO) -> None:
    """`{"incident": …, "metrics": …, "events": [...]}`, one logged line per event."""
    out.write('{"incident": ' + json.dumps(incident_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"metrics": ' + json.dumps(metrics_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"events": [\n')
    separator = ""
    for raw in lines:
        out.write(separator)
        out.write(raw.decode("utf-8").rstrip("\n"))
        separator = ",\n"
    out.write("\n]}\n")


def logged_lines(path: Path, count: int, head: str | None) -> Iterable[bytes]:
    """The first `count` lines of a log, checked to end at `head`: what `measure` read, not a later append."""
    written = 0
    last = b""
    with open(path, "rb", buffering=1024 * 1024) as handle:
        for raw in handle:
            if written == count:
                break
            last = raw
            written += 1
            yield raw
    if written != count or not last.rstrip(b"\n").endswith(f'"hash":"{head}"}}'.encode()):
        raise JournalError(f"{path}: the log changed while it was being exported; export it again")


def neutralise(cell: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading single quote."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def render_csv(metrics: Metrics, events: Iterable[dict], out: TextIO) -> None:
    """One row per event; numbers stay numbers (a negative `elapsed` is not a formula), text is neutralised."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    pb, detected = metrics.playbook, metrics.state.detected_at
    phase_of = {step: phase.id for step, phase in pb.phase_of.items()}
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    for event in events:
        data, step = event["data"], event.get("step")
        phase = data.get("phase") if isinstance(data.get("phase"), str) else phase_of.get(step)
        summary = describe(event, pb)
        if summary is None:
            summary = f"{step}: entered" if event["type"] == STEP_ENTERED else event["type"]
        row = (event["seq"], event["ts"], elapsed_ms(detected, parse_ts(event["ts"])), event["type"], phase or "",
               step or "", event.get("actor") or "", summary, dumps(data), event.get("hash") or "")
        writer.writerow([cell if type(cell) is int else neutralise(str(cell)) for cell in row])
