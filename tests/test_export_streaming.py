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

import hashlib
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.config import Contact
from crisisplay.export import FORMATS, export_incident
from crisisplay.journal import Journal
from crisisplay.playbook.loader import check_text

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
    "json": "1203ce080f87dc8d683970147617ea2a45c95b81ef5f306e8aa04ff9747f65da",
    "csv": "41f5b9dfd2dcdfb22f7712c2a7f436192308f743a2e6b63999aa51a4362a4797",
    "html": "10064cd7232261223b4c8f9b16ab3a2f32c4604bdba93e5cfb2974c434f29463",
}


def test_a_long_log_exports_to_the_same_bytes_in_every_format(tmp_path, madrid):
    journal = build_long_log(tmp_path)
    assert journal.path.read_bytes().count(b"\n") > 5000
    digests = {fmt: hashlib.sha256(text).hexdigest() for fmt, text in _exports(journal, tmp_path).items()}
    assert digests == LONG_DIGESTS
