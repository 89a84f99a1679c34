"""Streamed exports (issue 16): a long log exports to exactly the bytes the exports wrote before
they stopped holding the timeline, and md and html hold nothing per event.

The digests below were produced by the exports as they stood before issue 16's streaming
change (main at 3e1ff1b), by running this file's `_exports` on the same logs and printing
`hashlib.sha256(text).hexdigest()` for each format: the byte-identity promise. A change that
is meant to alter a report changes them on purpose (and says so in its commit). A drill's
log holds its scenario's path in every hash, so drills are left to the scorecard's golden files
(tests/test_scorecard.py), which cover the appendix anchors the scorecard links to.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.config import Contact
from crisisplay.errors import JournalError
from crisisplay.export import FORMATS, export_incident, tabular
from crisisplay.export.tabular import CSV_COLUMNS
from crisisplay.journal import Journal
from crisisplay.metrics import Moment, Timeline
from crisisplay.playbook.loader import check_text
from crisisplay.store.chain import canonical_line
from tests.incident_logs import read_events, rechain

INCIDENT_ID = "20260328-200000-stream-long-5e7a"
DETECTED = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # Madrid changes to summer time during it
PLAYBOOK = """\
crisisplay: 1
id: stream-long
title: A long watch | with *everything*
severity:
  levels: [low, medium, high]
  initial: low
targets:
  acknowledged: 30m
  calm: 1d
roles:
  manager: Your line manager
  legal: Legal counsel
phases:
  - id: detection
    title: Detection
    steps:
      - id: acknowledge
        type: confirm
        prompt: Seen it?
        milestone: acknowledged
  - id: watch
    title: Watch
    steps:
      - id: check
        type: choice
        prompt: How are the mentions now?
        options:
          - label: Growing
            value: growing
            next: escalate
          - label: Steady
            value: steady
            next: update
          - label: Calm again
            value: calm
            next: summary
      - id: escalate
        type: escalate
        to: [manager, legal]
        template: "Mentions are still growing."
        when: severity >= 'high'
        next: update
      - id: update
        type: message
        channel: twitter
        template: "We are still on it."
        next: figure
      - id: figure
        type: number
        prompt: Mentions in the last hour?
        next: check
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: summary
        type: text
        prompt: What happened?
        section: summary
        milestone: calm
      - id: actions
        type: text
        prompt: Action items, one per line
        section: action-items
"""
CONTACTS = {"manager": Contact(name="Marta Ruiz"), "legal": Contact(name="Lex <b>Law</b>")}
ROUNDS = 1000  # rounds before calm: about 8,000 events over three local days


def build_long_log(home: Path) -> Journal:
    """A long incident through the engine, with a clock moved by hand; appended in batches to stay fast."""
    checked = check_text(PLAYBOOK, "stream-long.yaml")
    assert checked.ok, [str(f) for f in checked.findings]
    pb = checked.playbook
    source = {"id": pb.id, "title": pb.title, "source": "stream-long.yaml", "sha256": "0" * 64}
    at = DETECTED + timedelta(minutes=3)
    first = engine.start(
        INCIDENT_ID,
        pb,
        source,
        drill=False,
        responder="Ana",
        organisation="Acme",
        detected_at=DETECTED,
        now=at,
        version="test",
    )[0]
    journal = Journal.create(home / "incidents" / f"{INCIDENT_ID}.jsonl", first)
    state = ev.replay(journal.events())
    batch: list[dict] = []

    def log(events: list[dict]) -> None:
        for event in events:
            ev.apply(state, event)
        batch.extend(events)

    people = ("Ana", "Bo Lind", "Zoë | =SUM(A1)", "مرحبا")
    n = rounds = 0
    while True:
        at += timedelta(minutes=1, seconds=7 * (n % 5))
        who = people[n % len(people)]
        events, action = engine.advance(state, at, who)
        log(events)
        if isinstance(action, engine.Finished):
            break
        step = action.step_id
        if step == "acknowledge":
            answer: object = n % 2 == 0
        elif step == "check":
            rounds += 1
            answer = "calm" if rounds > ROUNDS else ("growing" if rounds % 3 == 0 else "steady")
        elif step == "escalate":
            answer = {"manager": "notified", "legal": "unreachable" if n % 2 else "notified"}
        elif step == "update":
            answer = engine.Skip(f"nothing new #{n}") if n % 7 == 0 else engine.Send(f"Update {n}: still on it.")
        elif step == "figure":
            answer = 100 + n
        elif step == "summary":
            answer = "The import left the price empty.\nNobody *checked* it: `0 EUR`."
        else:
            answer = '- Add a price floor\n- =HYPERLINK("x")\n- Rewrite the email'
        log(engine.decide(state, step, answer, at, who, CONTACTS))
        if n % 11 == 0:
            log(engine.note(f"Note {n}: <script>alert({n})</script> & \x85 \u202eevil", at, who))
        if n % 50 == 0:
            log(engine.note(f"ACTION: follow up #{n}", at, "Bo Lind"))
        if n % 37 == 5:
            level = ("high", "medium", "low")[n % 3]
            if level != state.severity:
                log(engine.change_severity(state, level, f"round {n}", at, who))
        if n % 97 == 0 and n:
            log(engine.pause("responder paused: a break", at, who))
            at += timedelta(minutes=40)
            log(engine.resume("Bo Lind", at))
        if len(batch) >= 2000:
            journal.append(batch)
            batch.clear()
        n += 1
    if batch:
        journal.append(batch)
    return journal


def _exports(journal: Journal, tmp_path: Path) -> dict[str, bytes]:
    out = {}
    for fmt in FORMATS:
        target = tmp_path / f"export.{fmt}"
        export_incident(journal, fmt, target, io.BytesIO())
        out[fmt] = target.read_bytes()
    return out


@pytest.fixture
def madrid(monkeypatch):
    """Local time is Madrid's (summer time starts during the incident); restored afterwards."""
    monkeypatch.setenv("TZ", "Europe/Madrid")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


LONG_DIGESTS = {
    "md": "d06efb754d9531f1fa47cbbb7260778198f0c0733c03ab96ea4f64afd39172d8",
    "json": "15c8a2ec3d2f60b890f5a2d4637f17c5f7ffc3f3f5f3738f323b7f29b2c71f42",
    "csv": "41f5b9dfd2dcdfb22f7712c2a7f436192308f743a2e6b63999aa51a4362a4797",
    "html": "10064cd7232261223b4c8f9b16ab3a2f32c4604bdba93e5cfb2974c434f29463",
}


def test_a_long_log_exports_to_the_same_bytes_in_every_format(tmp_path, madrid):
    journal = build_long_log(tmp_path)
    assert journal.path.read_bytes().count(b"\n") > 5000
    digests = {fmt: hashlib.sha256(text).hexdigest() for fmt, text in _exports(journal, tmp_path).items()}
    assert digests == LONG_DIGESTS


def _line(**event: object) -> bytes:
    base: dict[str, object] = {"v": 1, "seq": 3, "ts": "2026-03-28T20:00:00.000Z", "type": "note.added"}
    base.update({"actor": "Ana", "step": None, "prev": "0" * 64, "data": {"text": "x"}})
    base.update(event)
    line, _digest = canonical_line(base)
    return (line + "\n").encode("utf-8")


@pytest.mark.parametrize(
    "line",
    [
        _line(),
        _line(actor=None),
        _line(actor='","data":{"evil":1}, \\"'),  # what ends the actor, written inside it
        _line(data={}),
        _line(data={"a": {"prev": "x"}, "prev": ',"prev":"', "z": '"},"prev":"'}),  # the cut's markers inside data
        _line(data={"text": 'C1 \x85 and DEL \x7f, a quote " and a comma', "n": [1, None, True]}),
        _line(data={"text": "=SUM(A1)\r\nline two\x1b[31m"}),
        _line(step="a step", type="step.answered"),
    ],
)
def test_the_csv_data_cut_from_a_verified_line_is_what_encoding_the_event_gives(line):
    assert tabular._data_and_hash(line) == tabular._parsed_data_and_hash(line)


def test_events_the_engine_would_not_log_get_their_data_cell_from_the_parsed_line(tmp_path):
    """Keys the engine does not log, an actor that is not text: the line is parsed, never cut."""
    journal = build_long_log(tmp_path)
    events = read_events(journal.path)[:200]
    for n, event in enumerate(events[1:], 1):
        if n % 3 == 0:
            event["extra"] = {"data": {"x": n}, "prev": ',"prev":"'}
        elif n % 3 == 1:
            event["actor"] = {"name": "Ana", "data": {"y": n}}
    journal.path.write_text(rechain(events), encoding="utf-8")
    rows = list(csv.reader(io.StringIO(_exports(journal, tmp_path)["csv"].decode("utf-8"))))
    data = [row[CSV_COLUMNS.index("data")] for row in rows[1:]]
    encoded = [json.dumps(e["data"], sort_keys=True, separators=(",", ":"), ensure_ascii=False) for e in events]
    assert data == [text.translate(tabular._JSON_C1_ESCAPES) for text in encoded]  # DEL and C1 as JSON escapes


def test_the_timeline_spool_reads_back_every_moment_twice_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    start = datetime(2026, 3, 28, 20, 0, 0, 123456, tzinfo=UTC)
    moments = [
        Moment(
            n,
            start + timedelta(milliseconds=7 * n),
            7 * n,
            "p" if n % 2 else None,
            f"s{n % 5}",
            "Ana",
            "t",
            f"w{n} " * 40,
        )
        for n in range(30_000)
    ]
    timeline = Timeline()
    for moment in moments:
        timeline.append(moment)
    assert len(timeline) == len(moments)
    first, second = iter(timeline), iter(timeline)
    interleaved = [(a, b) for a, b in zip(first, second, strict=True)]  # two readers at once
    assert [a for a, _b in interleaved] == moments == [b for _a, b in interleaved]
    assert all(a.at.tzinfo is UTC for a, _b in interleaved[:10])
    assert timeline.among({5, 29_999, 40_000}) == {5, 29_999}
    assert timeline._spool._rolled  # 30,000 moments of this size pass the few MiB kept in memory
    assert os.listdir(tmp_path) == []  # spilled to a file on disk that has no name
    timeline.close()


def test_a_csv_of_a_log_changed_after_its_verifying_pass_is_refused_and_not_written(tmp_path, monkeypatch):
    journal = build_long_log(tmp_path)
    real = tabular.render_csv

    def edit_then_render(*args, **kwargs):
        text = journal.path.read_bytes()
        journal.path.write_bytes(text.replace(b'"actor":"Bo Lind"', b'"actor":"Bo Lund"', 1))  # same length
        return real(*args, **kwargs)

    monkeypatch.setattr(tabular, "render_csv", edit_then_render)
    target = tmp_path / "export.csv"
    with pytest.raises(JournalError, match="changed while it was being exported"):
        export_incident(journal, "csv", target, io.BytesIO())
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def _edit_hash_of_line(text: bytes, number: int, new: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    line = lines[number - 1]
    at = line.rindex(b'"hash":"') + len(b'"hash":"')
    lines[number - 1] = line[:at] + new + line[at + len(new) :]  # same length
    return b"".join(lines)


@pytest.mark.parametrize(
    ("fmt", "edit"),
    [
        ("csv", lambda text: _edit_hash_of_line(text, 5, "é".encode())),  # a cut hash that is not ASCII
        ("csv", lambda text: text.replace(b"still on it.", b"still on it\xff", 1)),  # data no longer UTF-8
        ("csv", lambda text: b"[" * 3000 + b"]" * 3000 + b"\n" + text.split(b"\n", 1)[1]),  # nested too deep
        ("csv", lambda text: b"x\n" + text.split(b"\n", 1)[1]),  # not JSON
        ("json", lambda text: text.replace(b'"actor":"Bo Lind"', b'"actor":"Bo Lin\xff"', 1)),
    ],
    ids=["csv-hash", "csv-utf8", "csv-deep", "csv-garbage", "json-utf8"],
)
def test_a_log_changed_between_passes_so_its_line_no_longer_reads_is_refused_in_one_line(
    tmp_path, monkeypatch, fmt, edit
):
    """Review of issue 16: the second read cuts or parses a line the first pass read whole; a line
    that no longer reads (not UTF-8, not JSON, nested too deep) is the log having changed, never a
    UnicodeDecodeError or RecursionError traceback."""
    journal = build_long_log(tmp_path)
    name = "render_csv" if fmt == "csv" else "render_json"
    real = getattr(tabular, name)

    def edit_then_render(*args, **kwargs):
        journal.path.write_bytes(edit(journal.path.read_bytes()))
        return real(*args, **kwargs)

    monkeypatch.setattr(tabular, name, edit_then_render)
    target = tmp_path / f"export.{fmt}"
    with pytest.raises(JournalError, match="changed while it was being exported"):
        export_incident(journal, fmt, target, io.BytesIO())
    assert not target.exists() and [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
