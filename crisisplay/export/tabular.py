"""The data exports: `json` (the incident, its metrics and every event exactly as logged) and `csv`.

Both use UTC times as the log writes them. The json events are the log's own lines, copied
byte for byte, so a tool can re-check every hash; they are streamed, never held in memory.
Both say whether the log verified: json in its `verification` member, csv in a last
column on every row (a row of its own would not be one event, and sorting would lose it).

The csv is written from one parse of the log: while the verifying pass folds the events,
`CsvRows` writes each row but its last three cells (data, hash, verification) to a spool (a
few MiB in memory, then an unnamed owner-only file). Once the verdict is known, the rows are
copied out beside the log's lines read again (proved the same bytes): a verified line is the
canonical JSON of its event, so its `data` cell is the logged text of `data` itself, cut from
the line rather than encoded again.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from crisisplay import events as ev
from crisisplay.display import visible
from crisisplay.errors import JournalError
from crisisplay.events import STEP_ENTERED
from crisisplay.i18n import ENGLISH, N_, _, language, speaking
from crisisplay.metrics import Metrics, Record
from crisisplay.narrative import describe
from crisisplay.store.chain import _dumps, _loads
from crisisplay.times import elapsed_ms, format_ts

if TYPE_CHECKING:
    from crisisplay.export.opened import Reading

EXPORT_VERSION = 2  # 2: the `verification` member (json) and column (csv)
CSV_COLUMNS = ("seq", "ts", "elapsed", "type", "phase", "step", "actor", "summary", "data", "hash", "verification")
# What a spreadsheet runs as a formula (or DDE) when a cell starts with it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# DEL and the C1 controls, which JSON leaves as they are, written as JSON escapes in the
# `data` column: the same value for a JSON reader, and no control character in the file.
_JSON_C1_ESCAPES = {code: f"\\u{code:04x}" for code in range(0x7F, 0xA0)}
_C1 = re.compile("[\x7f-\x9f]")
# What `visible` would change in a cell (CR, and the controls but tab and newline).
_NOT_VISIBLE = re.compile("[\r\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A cell that may start with a formula: some line of the cells joined by newlines starts like one.
_FORMULA_AT_LINE_START = re.compile("^[=+@\t\r-]", re.M)
_ROW_END = "\r\n"  # no cell holds a CR (`visible` makes it a newline): the rows' only CR LF
_SPOOL_IN_MEMORY = 4 * 1024 * 1024
_CHUNK = 1024 * 1024
# The keys of an event as the engine logs it: its canonical line is then, in this order,
# {"actor":…,"data":{…},"prev":"…","seq":…,"step":…,"ts":"…","type":"…","v":1,"hash":"…"}
_EVENT_KEYS = frozenset(("actor", "data", "prev", "seq", "step", "ts", "type", "v", "hash"))
_STRING_OR_NONE = (str, type(None))
# A spooled row's first character: cut `data` from the line, parse the line, or the row holds its
# `data` cell already (an event opened with the incident's key, or redacted): only the hash is the line's.
PLAIN, PARSE, OPENED = "P", "X", "O"
# A line read again that no longer reads as it did in the verifying pass (either data export).
_CHANGED = N_("{path}: the log changed while it was being exported; export it again")


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


def render_json(
    metrics: Metrics, lines: Iterable[bytes], out: TextIO, where: object = "", reading: Reading | None = None
) -> None:
    """`{"verification": …, "incident": …, "metrics": …, "clear": {…}, "events": [...]}`, one logged line
    per event; a drill's also has `scorecard` and `comparison` (null for the first run of its scenario)
    before `clear`.

    `lines` are the log's lines read again (`where` names the log): one that is no longer UTF-8 has
    changed since the verifying pass read it. `clear` maps the seq of each event that holds sealed
    values to those values opened, by their place in `data` (null once erased), as `reading` kept
    them. A redacted export (`reading.redacting`) writes each event redacted instead of as logged:
    no ciphertext, and its events no longer verify as a chain."""
    out.write('{"verification": ' + json.dumps(verification_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"incident": ' + json.dumps(incident_json(metrics), ensure_ascii=False, indent=2))
    out.write(',\n"metrics": ' + json.dumps(metrics_json(metrics), ensure_ascii=False, indent=2))
    if metrics.scorecard is not None:  # a drill: its scorecard, and how it compares with the previous run
        out.write(',\n"scorecard": ' + json.dumps(metrics.scorecard.as_dict(), ensure_ascii=False, indent=2))
        out.write(',\n"comparison": ' + json.dumps(metrics.comparison, ensure_ascii=False, indent=2))
    out.write(',\n"clear": {\n')
    if reading is not None:
        reading.write_clear(out)
    out.write("\n}")
    out.write(',\n"events": [\n')
    separator = ""
    redacting = reading is not None and reading.redacting
    for raw in lines:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:  # the first pass decoded this line: it has changed since
            raise JournalError(_(_CHANGED).format(path=where)) from None
        out.write(separator)
        if redacting:
            assert reading is not None
            try:
                event = reading.event(_loads(raw))
            except ValueError:  # the first pass parsed this line: it has changed since
                raise JournalError(_(_CHANGED).format(path=where)) from None
            out.write(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        else:
            out.write(text.rstrip("\n"))
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


class CsvRows:
    """The csv's rows but their last three cells, written while the verifying pass folds the events.

    Called by `metrics.measure` (its `each`) with the state, the event as logged and the event on
    the incident's clock. Rows go through `csv.writer` into a spool, each marked with whether
    its event has the engine's own keys (its data can then be cut from its line).
    """

    def __init__(self, reading: Reading | None = None) -> None:
        self._reading = reading  # says whether the event given is not as logged (opened, or redacted)
        if reading is not None:
            reading.track = True
        self._spool: Any = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 (closed in close())
        self._pending: list[str] = []
        self._writer = csv.writer(_Appender(self._pending), lineterminator=_ROW_END)
        self._switch: bool | None = None  # whether summaries need a switch to English (decided at the first event)
        self._phase_of: dict[str | None, str] = {}
        self.drill = False

    def __call__(self, state: ev.State, event: Record, timed: Record) -> None:
        if self._switch is None:  # the first event: the playbook, and the language, are known now
            self._switch = language() != ENGLISH
            self._phase_of = {step: phase.id for step, phase in state.playbook.phase_of.items()}
            self.drill = state.drill_run is not None
        data, step, kind = event["data"], event.get("step"), event["type"]
        phase = data.get("phase")
        if not isinstance(phase, str):
            phase = self._phase_of.get(step)
        summary: str | None
        if kind == STEP_ENTERED:  # half of a log; `describe` has no words for it
            summary = f"{step}: entered"
        elif self._switch:
            with speaking(ENGLISH):  # a CSV is data for other tools: its summaries are English in every language
                summary = describe(event, state.playbook)
        else:
            summary = describe(event, state.playbook)
        if summary is None:
            summary = kind
        seq, ts, actor = event["seq"], event["ts"], event.get("actor")
        assert state.last_ts is not None  # `apply` has just set it from this event's time
        elapsed = elapsed_ms(state.detected_at, state.last_ts)
        plain = (
            len(event) == 9
            and event.keys() == _EVENT_KEYS
            and type(actor) in _STRING_OR_NONE
            and type(step) in _STRING_OR_NONE
            and type(kind) is str
            and type(ts) is str
        )
        texts = [
            str(seq),
            ts,
            *((timed["ts"],) if self.drill else ()),
            kind,
            phase or "",
            step or "",
            actor or "",
            summary,
        ]
        if not plain:
            texts = [str(text) for text in texts]
        joined = "\n".join(texts)  # one search each says whether any cell needs work (most rows: none)
        if _NOT_VISIBLE.search(joined):
            texts = [visible(text) for text in texts]
            joined = "\n".join(texts)
        if _FORMULA_AT_LINE_START.search(joined):
            texts = ["'" + text if text.startswith(FORMULA_STARTS) else text for text in texts]
        cells: list[str | int] = list(texts)
        if type(seq) is int:
            cells[0] = seq  # numbers stay numbers: a negative one is not a formula
        cells.insert(3 if self.drill else 2, elapsed)
        if self._reading is not None and self._reading.changed:
            # Opened (or redacted): its `data` cell is the data as read, not the line's ciphertext.
            cells.append(_data_cell(data))
            self._pending.append(OPENED)
        else:
            self._pending.append(PLAIN if plain else PARSE)
        self._writer.writerow(cells)
        if len(self._pending) >= 1024:
            self._flush()

    def _flush(self) -> None:
        self._spool.write("".join(self._pending).encode("utf-8"))
        self._pending.clear()

    def rows(self) -> Iterator[str]:
        """The rows spooled, in log order, each with its mark and without its line end."""
        self._flush()
        spool = self._spool
        spool.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        rest = ""
        while True:
            chunk = spool.read(_CHUNK)
            rows = (rest + decoder.decode(chunk, final=not chunk)).split(_ROW_END)
            rest = rows.pop()
            yield from rows
            if not chunk:
                return

    def close(self) -> None:
        self._spool.close()


class _Appender:
    """A file for `csv.writer` that keeps what it is given in a list."""

    def __init__(self, into: list[str]) -> None:
        self.write = into.append


def render_csv(metrics: Metrics, rows: CsvRows, lines: Iterable[bytes], out: TextIO, where: object = "") -> None:
    """One row per event; numbers stay numbers (a negative `elapsed` is not a formula), text is neutralised.

    No cell holds a control character but tab and newline: text goes through `visible`, and
    the `data` JSON escapes the controls it would otherwise leave raw. `rows` are the rows
    spooled by the verifying pass; `lines` the log's lines read again, one per row.
    """
    with speaking(ENGLISH):  # a CSV is data for other tools: its verdict is English in every language
        verdict = metrics.verification.verdict if metrics.verification else ""
    writer = csv.writer(out, lineterminator=_ROW_END)
    # A drill's rows also give each event's scenario time (`scenario_ts`, after the wall `ts`), and
    # its `elapsed` is on scenario time, as every figure of a drill; other incidents' rows are as before.
    drill = metrics.state.drill_run is not None
    writer.writerow(CSV_COLUMNS if not drill else CSV_COLUMNS[:2] + ("scenario_ts",) + CSV_COLUMNS[2:])
    tail: list[str] = []
    csv.writer(_Appender(tail), lineterminator=_ROW_END).writerow(("", neutralise(visible(verdict))))
    end = tail[0]  # `,` and the verdict's cell, and the row's end
    # Every line verified: each is its event's canonical JSON with `,"hash":"…"}` after it.
    verified = metrics.verification is not None and metrics.verification.ok
    spooled = rows.rows()
    changed = JournalError(_(_CHANGED).format(path=where))
    write = out.write
    for raw in lines:
        row = next(spooled, None)
        if row is None:
            raise changed
        try:
            mark = row[0]
            cut: str | None = None
            if mark == OPENED:  # a verified line ends with its hash (hex: a cell as it is)
                cut = raw[-67:-3].decode("ascii") if verified and raw[-76:-67] == b',"hash":"' else _hash_cell(raw)
            elif verified and mark == PLAIN:
                cut = _data_and_hash(raw)
            if cut is None:
                cut = _parsed_data_and_hash(raw)
        except (ValueError, KeyError, TypeError):  # the first pass read this line whole: it has changed since
            raise changed from None
        write(row[1:] + "," + cut + end)
    if next(spooled, None) is not None:
        raise changed


def _data_and_hash(raw: bytes) -> str | None:
    """`data,hash` cells cut from a verified line of an event with the engine's keys; None when unsure."""
    if raw.startswith(b'{"actor":"'):
        start = raw.find(b'","data":{', 10) + 9  # no `","` inside a JSON string: the actor's end
        if start == 8:
            return None
    elif raw.startswith(b'{"actor":null,"data":{'):
        start = 21
    else:
        return None
    stop = raw.rfind(b',"prev":"')  # after `data`, only strings, numbers and null: no `,"prev":"` but this one
    if stop <= start or raw[stop - 1 : stop] != b"}" or raw[-76:-67] != b',"hash":"' or not raw.endswith(b'"}\n'):
        return None
    data = raw[start:stop].decode("utf-8")
    if _C1.search(data):
        data = data.translate(_JSON_C1_ESCAPES)
    if '"' in data or "," in data:
        data = '"' + data.replace('"', '""') + '"'
    return data + "," + raw[-67:-3].decode("ascii")


def _data_cell(data: Any) -> str:
    """The `data` cell of an event's data as read (opened, or parsed again): its canonical JSON,
    DEL and C1 controls escaped, neutralised."""
    text = _dumps(data)
    if _C1.search(text):
        text = text.translate(_JSON_C1_ESCAPES)
    if type(data) is dict:  # `{…}`: no formula, and JSON has escaped every other control in it
        return text
    return neutralise(visible(text))


def _hash_cell(raw: bytes) -> str:
    """The `hash` cell of a line (its row holds its `data` cell already)."""
    cells: list[str] = []
    csv.writer(_Appender(cells), lineterminator=_ROW_END).writerow(
        (neutralise(visible(str(_loads(raw).get("hash") or ""))),)
    )
    return cells[0][: -len(_ROW_END)]


def _parsed_data_and_hash(raw: bytes) -> str:
    """`data,hash` cells from the line parsed again and its data encoded (a line not verified, an odd event).

    Parsed as every log line is (`chain._loads`: UTF-8, no floats, the depth bound), never more loosely.
    """
    event = _loads(raw)
    cells: list[str] = []
    csv.writer(_Appender(cells), lineterminator=_ROW_END).writerow(
        (
            _data_cell(event["data"]),
            neutralise(visible(str(event.get("hash") or ""))),
        )
    )
    return cells[0][: -len(_ROW_END)]
