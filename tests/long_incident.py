"""A long, real-shaped incident for the report tests: the bundled pricing-error playbook run over four days.

Several responders, a night's pause and the resumes after it, notes from colleagues, a price
that took two tries to fix, severity going up and down, targets met and missed, and the
post-mortem written on the fourth day: about 86 events besides `step.entered`, the size of
the incident the issue was filed from. Driven through the engine with a clock moved by hand.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.config import Contact
from crisisplay.journal import Journal
from crisisplay.playbook.loader import check_text

REPO = Path(__file__).resolve().parents[1]
INCIDENT_ID = "20260327-215200-pricing-error-4d86"
DETECTED = datetime(2026, 3, 27, 21, 40, tzinfo=UTC)

INPUTS = {
    "brand": "Nordhaus Living",
    "product": "Oslo Oak Standing Desk",
    "price_shown": "0 EUR plus shipping",
    "correct_price": "449 EUR",
    "order_ref": "NH-100482",
    "customer_name": "Laura",
    "customer_handle": "@laura_mtz84",
    "platform": "x",
}
CONTACTS = {
    "manager": Contact(name="Marta Ruiz"),
    "pr": Contact(name="Leo Kim"),
    "legal": Contact(name="Inés Vidal"),
    "executive": Contact(name="Sam Okafor"),
    "tech": Contact(name="Piotr Nowak"),
}
_OFFER = "A full refund including the 29 EUR shipping, and the desk at 30% off (314 EUR) for 30 days."
_PM = {
    "pm-summary": "The Oslo desk went live at 0 EUR plus shipping for 40 minutes after a catalogue import. "
    "One order was cancelled with an automatic email; the customer went public on X citing consumer law.",
    "pm-root-cause": "The supplier import left the price field empty and the shop treats empty as 0. Nothing "
    "blocks a product from going live at 0.",
    "pm-went-well": "Manager reached within minutes; the phone call calmed the customer; no argument in public.",
    "pm-went-wrong": "The holding statement went out 25 minutes late, waiting for PR. Legal was unreachable "
    "the first night, so the decision waited until the morning.",
    "pm-action-items": "Block publishing a product whose price is 0 (owner: e-commerce lead)\n"
    "Rewrite the cancellation email (owner: customer care)\n"
    "Agree a PR stand-in for nights and weekends (owner: head of marketing)",
}

# (minutes since detection, who, what): answers go to the step the engine asks for next;
# notes, pauses, resumes and severity changes are logged in between, as they were.
TIMELINE: list[tuple[float, str, object]] = [
    (14, "Ana Ruiz", ("fix-price", "some")),
    (15, "Ana Ruiz", ("price-status", "blocked")),
    (16, "Ana Ruiz", ("get-tech-help", "notified")),
    (17, "Ana Ruiz", ("price-status", "fixed")),
    (17.5, "Ana Ruiz", ("count-orders", 3)),
    (18, "Ana Ruiz", ("other-orders", "on-hold")),
    (18.5, "Ana Ruiz", ("assess-reach", "viral")),
    (19, "Ana Ruiz", ("escalate-manager", "notified")),
    (24, "Ana Ruiz", ("escalate-team", {"pr": "notified", "legal": "unreachable"})),
    (25, "Marta Ruiz", ("note", "Marta: I'm on it with Ana. Legal on-call number goes to voicemail.")),
    (54, "Ana Ruiz", ("contact-customer", "called")),
    (55, "Ana Ruiz", ("next-update", "2h")),
    (57, "Ana Ruiz", ("private-message", "send")),
    (62, "Leo Kim", ("note", "PR: reviewing the holding statement now; don't post before I reply.")),
    (85, "Ana Ruiz", ("holding-statement", "edited")),
    (92, "Ana Ruiz", ("pause", "responder paused: waiting for legal")),
    (96, "Marta Ruiz", ("note", "ACTION: get a PR stand-in for nights and weekends")),
    (140, "Ana Ruiz", ("note", "Customer replied to the DM: she'll wait for tomorrow's answer.")),
    (330, "Ana Ruiz", ("resume",)),
    (334, "Ana Ruiz", ("pause", "responder paused: legal still unreachable, back at 07:00")),
    (600, "Bo Lind", ("resume",)),
    (610, "Bo Lind", ("ask-counsel", "notified")),
    (612, "Bo Lind", ("changes", {"skip": "Nothing agreed yet"})),
    (615, "Bo Lind", ("pause", "responder paused: counsel reading the order emails")),
    (700, "Bo Lind", ("resume",)),
    (705, "Bo Lind", ("legal-decision", "refund-goodwill")),
    (712, "Bo Lind", ("offer", _OFFER)),
    (730, "Bo Lind", ("apology", "send")),
    (745, "Bo Lind", ("public-update", "send")),
    (760, "Bo Lind", ("public-statement", {"skip": "PR advised against a standalone statement while it calms"})),
    (790, "Bo Lind", ("check-mentions", "steady")),
    (800, "Bo Lind", ("recheck-wait", True)),
    (805, "Bo Lind", ("pause", "answers ran out")),
    (1500, "Ana Ruiz", ("resume",)),
    (1510, "Ana Ruiz", ("check-mentions", "press")),
    (1515, "Ana Ruiz", ("growth-escalate", "notified")),
    (1516, "Sam Okafor", ("note", "Exec: agree. Offer stands; no further public statement without me.")),
    (1530, "Ana Ruiz", ("recheck-wait", True)),
    (1540, "Ana Ruiz", ("pause", "answers ran out")),
    (1800, "Leo Kim", ("note", "PR: a deal forum thread links the post; 40 new order attempts blocked by the fix.")),
    (2100, "Bo Lind", ("resume",)),
    (2102, "Bo Lind", ("pause", "responder paused: nothing new, checking again at 16:00")),
    (2400, "Bo Lind", ("resume",)),
    (2420, "Bo Lind", ("severity", "high", "The association's post is a day old and no journalist called back")),
    (2425, "Bo Lind", ("pause", "answers ran out")),
    (3200, "Marta Ruiz", ("note", "Consumer association updated its post: 'the shop made it right'.")),
    (3210, "Marta Ruiz", ("severity", "medium", "The association now says we made it right")),
    (4300, "Ana Ruiz", ("resume",)),
    (4310, "Ana Ruiz", ("check-mentions", "calm")),
    (4315, "Ana Ruiz", ("quiet-check", "quiet")),
    (4325, "Ana Ruiz", ("close-out", "all")),
    (4330, "Ana Ruiz", ("note", "Customer thanked us in the thread. Closing the monitoring.")),
    (5600, "Ana Ruiz", ("resume",)),
    (5610, "Ana Ruiz", ("pm-summary", _PM["pm-summary"])),
    (5640, "Ana Ruiz", ("pm-root-cause", _PM["pm-root-cause"])),
    (5650, "Ana Ruiz", ("pm-went-well", _PM["pm-went-well"])),
    (5660, "Ana Ruiz", ("pm-went-wrong", _PM["pm-went-wrong"])),
    (5690, "Ana Ruiz", ("pm-action-items", _PM["pm-action-items"])),
]


def _answer(step, value, state: ev.State, at: datetime):
    """The engine's answer for a step from the short form in TIMELINE."""
    if isinstance(value, dict) and "skip" in value:
        return engine.Skip(value["skip"])
    if step.type == "checklist":
        items = step.items if value == "all" else step.items[:2]
        return engine.Checklist(tuple(items), None if value == "all" else "The ads need the marketing lead")
    if step.type == "message":
        text = engine.render(state, step.id, at).text
        return engine.Send(text + "\n— Ana" if value == "edited" else text, edited=value == "edited")
    return value


def build_long_incident(home: Path) -> Journal:
    """The four-day incident, logged in `home/incidents/`."""
    source_path = REPO / "playbooks" / "pricing-error.yaml"
    text = source_path.read_text(encoding="utf-8")
    checked = check_text(text, str(source_path))
    assert checked.ok, [str(f) for f in checked.findings]
    pb = checked.playbook
    source = {
        "id": pb.id,
        "title": pb.title,
        "source": str(source_path),
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    at = DETECTED + timedelta(minutes=12)
    first = engine.start(
        INCIDENT_ID,
        pb,
        source,
        drill=False,
        responder="Ana Ruiz",
        organisation="Nordhaus Living",
        detected_at=DETECTED,
        now=at,
        version="test",
    )[0]
    journal = Journal.create(home / "incidents" / f"{INCIDENT_ID}.jsonl", first)
    state = ev.replay(journal.events())

    def log(events: list[dict]) -> None:
        for event in journal.append(events):
            ev.apply(state, event)

    for name, value in INPUTS.items():
        log(engine.set_input(state, name, value, at, "Ana Ruiz"))
    for minutes, who, (what, *args) in TIMELINE:
        at = DETECTED + timedelta(minutes=minutes)
        if what == "note":
            log(engine.note(args[0], at, who))
        elif what == "pause":
            log(engine.pause(args[0], at, who))
        elif what == "resume":
            log(engine.resume(who, at))
        elif what == "severity":
            log(engine.change_severity(state, args[0], args[1], at, who))
        else:
            events, action = engine.advance(state, at, who)
            log(events)
            assert isinstance(action, engine.AskStep) and action.step_id == what, (action, what)
            log(engine.decide(state, what, _answer(pb.step(what), args[0], state, at), at, who, CONTACTS))
    events, action = engine.advance(state, at, state.responder)
    log(events)
    assert isinstance(action, engine.Finished), action
    return journal
