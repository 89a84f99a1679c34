"""The data exports: `json` (the incident, its metrics and every event exactly as logged) and `csv`.

Both use UTC times as the log writes them. The json events are the log's own lines, copied
byte for byte, so a tool can re-check every hash; they are streamed, never held in memory.
Both say whether the log verified: json in its `verification` member, csv in a last
column on every row (a row of its own would not be one event, and sorting would lose it).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from crisisplay import events as ev
from crisisplay.display import visible
from crisisplay.events import STEP_ENTERED
from crisisplay.i18n import ENGLISH, speaking
from crisisplay.metrics import Metrics, Record
from crisisplay.narrative import describe
from crisisplay.times import elapsed_ms, format_ts, parse_ts

EXPORT_VERSION = 2  # 2: the `verification` member (json) and column (csv)
CSV_COLUMNS = ("seq", "ts", "elapsed", "type", "phase", "step", "actor", "summary", "data", "hash", "verification")
# What a spreadsheet runs as a formula (or DDE) when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# DEL and the C1 controls, which JSON leaves as they are, written as JSON escapes in the
# `data` column: the same value for a JSON reader, and no control character in the file.
_JSON_C1_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}


def incident_json(metrics: Metrics) -> dict[str, Any]:
    """Who, what and where the incident stands: the `incident` member of the json export."""
    state = metrics.state
    scenario = state.drill_run.scenario if state.drill_run is not None else None
    return {
        "id": state.incident_id,
        "playbook": {"id": state.playbook.id, "title": state.playbook.title, **state.source},
        "drill": state.drill,
        # a drill of a scenario names it (the whole scenario is in `incident.started`'s `scenario`)
        **({"scenario": {"id": scenario.id, "title": scenario.title}} if scenario is not None else {}),
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


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    """The figures: the `metrics` member of the json export (times UTC, durations in milliseconds)."""
    state = metrics.state
    reached, missed = metrics.people
    return {
        "start": format_ts(state.detected_at),
        "opened": format_ts(state.started_at),
        "end": metrics.ended,
        "last_event": format_ts(state.last_ts) if state.last_ts else None,
        "duration_ms": metrics.duration_ms,
        "targets": [
            {
                "name": t.name,
                "target_ms": t.target_ms,
                "reached": t.reached,
                "elapsed_ms": t.elapsed_ms,
                "result": t.result,
                "margin_ms": t.margin_ms,
            }
            for t in metrics.targets
        ],
        "severity": {
            "initial": state.playbook.severity.start,
            "final": state.severity,
            "changes": metrics.severity_changes,
        },
        "phases": [
            {"id": phase, "first": format_ts(a), "last": format_ts(b)} for phase, (a, b) in metrics.phases.items()
        ],
        "decisions": metrics.decisions,
        "skips": metrics.skips,
        "notes": metrics.notes,
        "messages": metrics.messages,
        "escalations": metrics.escalations,
        "deliveries": metrics.deliveries,
        "roles": dict(state.roles),
        "assignments": metrics.assignments,
        "approvals": metrics.approvals,
        "handovers": metrics.handovers,
        "people": {"reached": reached, "not_reached": missed},
        "post_mortem": metrics.answers,
        "action_items": metrics.action_items,
        "deadlines": [d.as_dict() for d in metrics.deadlines],
        "cadence": cadence_json(metrics),
        "outcome": metrics.outcome,
    }


def cadence_json(metrics: Metrics) -> dict[str, Any] | None:
    """The update cadence: the playbook's durations by level, each update sent, the gaps too long."""
    from crisisplay.clocks import cadence_ms

    cadence = metrics.playbook.cadence
    if cadence is None:
        return None
    return {
        "label": cadence.label,
        "every_ms": {level: cadence_ms(metrics.playbook, level) for level in cadence.every},
        "updates": [{"ts": format_ts(at), "step": step} for at, step in metrics.state.clocks.updates],
        "gaps": [gap.as_dict() for gap in metrics.cadence_gaps],
    }


def verification_json(metrics: Metrics) -> dict[str, Any] | None:
    """What verifying the log found: the `verification` member of the json export."""
    result = metrics.verification
    if result is None:
        return None
    return {
        "verified": result.ok,
        "summary": result.verdict,
        "events_verified": result.count,
        "last_verified_hash": result.head,
        "problem": None if result.ok else {"line": result.line, "kind": result.kind, "reason": result.reason},
        "left_out": list(result.left_out),
    }


def render_json(metrics: Metrics, lines: Iterable[bytes], out: TextIO) -> None:
    """`{"verification": …, "incident": …, "metrics": …, "events": [...]}`, one logged line per event; a
    drill's also has `scorecard` and `comparison` (null for the first run of its scenario) before `events`."""
    out.write('{"verification": ' + json.dumps(verification_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"incident": ' + json.dumps(incident_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"metrics": ' + json.dumps(metrics_json(metrics), ensure_ascii=False, indent=2))
    if metrics.scorecard is not None:  # a drill: its scorecard, and how it compares with the previous run
        out.write(',\n"scorecard": ' + json.dumps(metrics.scorecard.as_dict(), ensure_ascii=False, indent=2))
        out.write(',\n"comparison": ' + json.dumps(metrics.comparison, ensure_ascii=False, indent=2))
    out.write(',\n"events": [\n')
    separator = ""
    for raw in lines:
        out.write(separator)
        out.write(raw.decode("utf-8").rstrip("\n"))
        separator = ",\n"
    out.write("\n]}\n")


def neutralise(cell: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading single quote."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def text_cells(values: list[str]) -> list[str | int]:
    """Text cells: control characters made visible as in every report (CR as a newline), then neutralised.

    One `visible` over the whole row says whether any cell needs it (most rows hold none):
    newlines join the cells, and `visible` leaves newlines as they are.
    """
    joined = "\n".join(values)
    if visible(joined) != joined:
        values = [visible(value) for value in values]
    return [neutralise(value) for value in values]  # room for the numbers the caller puts back


def render_csv(metrics: Metrics, events: Iterable[Record], out: TextIO) -> None:
    """One row per event; numbers stay numbers (a negative `elapsed` is not a formula), text is neutralised.

    No cell holds a control character but tab and newline: text goes through `visible`, and
    the `data` JSON escapes the controls it would otherwise leave raw.
    """
    with speaking(ENGLISH):  # a CSV is data for other tools: its summaries are English in every language
        _write_csv(metrics, events, out)


def _write_csv(metrics: Metrics, events: Iterable[Record], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    # A drill's rows also give each event's scenario time (`scenario_ts`, after the wall `ts`), and
    # its `elapsed` is on scenario time, as every figure of a drill; other incidents' rows are as before.
    drill = metrics.state.drill_run is not None
    writer.writerow(CSV_COLUMNS if not drill else CSV_COLUMNS[:2] + ("scenario_ts",) + CSV_COLUMNS[2:])
    pb, detected, state = metrics.playbook, metrics.state.detected_at, metrics.state
    # Looked up with each event's step, which may be None (an event at no step).
    phase_of: dict[str | None, str] = {step: phase.id for step, phase in pb.phase_of.items()}
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    verdict = metrics.verification.verdict if metrics.verification else ""
    for event in events:
        data, step = event["data"], event.get("step")
        phase = data.get("phase") if isinstance(data.get("phase"), str) else phase_of.get(step)
        summary = describe(event, pb)
        if summary is None:
            summary = f"{step}: entered" if event["type"] == STEP_ENTERED else event["type"]
        timed = ev.on_incident_clock(state, event) if drill else event
        seq, elapsed = event["seq"], elapsed_ms(detected, parse_ts(timed["ts"]))
        texts = text_cells(
            list(
                map(
                    str,
                    (
                        seq,
                        event["ts"],
                        *((timed["ts"],) if drill else ()),
                        elapsed,
                        event["type"],
                        phase or "",
                        step or "",
                        event.get("actor") or "",
                        summary,
                        dumps(data).translate(_JSON_C1_ESCAPES),
                        event.get("hash") or "",
                        verdict,
                    ),
                )
            )
        )
        if type(seq) is int:
            texts[0] = seq  # numbers stay numbers: a negative one is not a formula
        texts[3 if drill else 2] = elapsed
        writer.writerow(texts)
