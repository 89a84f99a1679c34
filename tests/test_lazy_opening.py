"""Lazy opening (issue 17's benchmark): a replay decrypts only the personal values its state still
holds, and gives the same state as opening every value as it is read. Engine and store, no terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.incidents import load_state
from crisisplay.personal import Personal, Sealed, unseal
from crisisplay.playbook.loader import check_text
from crisisplay.store.files import FileStore
from crisisplay.store.keys import FileKeys

INCIDENT = "20261130-090000-lazy-0000"
PLAYBOOK = """\
crisisplay: 1
id: lazy
title: A watch that notes what each customer says
inputs:
  refund:
    prompt: The refund the customer asks for, in euros
    type: number
    personal: true
  customer:
    prompt: The customer's name
    personal: customer
phases:
  - id: watch
    title: Watch
    steps:
      - id: check
        type: choice
        prompt: How are the mentions now?
        options:
          - label: Still growing
            value: growing
            next: said
          - label: Calm again
            value: calm
            next: end
      - id: said
        type: text
        prompt: What did the customer say?
        personal: customer
        save_as: said
        next: check
"""
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _store(home: Path) -> FileStore:
    return FileStore(home / "incidents", FileKeys(home / "keys"))


def _run(home: Path, loops: int, close: str | None = None) -> None:
    """An incident in which the customer said something different `loops` times, then the run ended
    (and, with `close`, the incident was closed for that typed reason)."""
    pb = check_text(PLAYBOOK, "lazy.yaml").playbook
    source = {"id": pb.id, "title": pb.title, "source": "test", "sha256": "0" * 64}
    first = engine.start(
        INCIDENT, pb, source, drill=False, responder="Ana", organisation=None, detected_at=T0, now=T0, version="t"
    )[0]
    log = _store(home).create(INCIDENT, first)
    state = ev.replay(log.events())
    at = T0

    def fold(events: list[dict]) -> None:
        for event in log.append(events):
            ev.apply(state, event)

    fold(engine.set_input(state, "refund", "129.90", at, "Ana"))
    fold(engine.set_input(state, "customer", "Wilhelmina Zorrilla", at, "Ana"))
    for loop in range(loops + 1):
        at += timedelta(seconds=30)
        events, action = engine.advance(state, at, "Ana")
        fold(events)
        if action.step_id == "check":
            fold(engine.decide(state, "check", "growing" if loop < loops else "calm", at, "Ana"))
            if loop == loops:
                break
            events, action = engine.advance(state, at, "Ana")
            fold(events)
        fold(engine.decide(state, "said", f"Wilhelmina says complaint number {loop}", at, "Ana"))
    if close is not None:
        fold(engine.close(close, at, "Ana"))


def test_a_replay_decrypts_only_the_values_its_state_still_holds(tmp_path: Path) -> None:
    _run(tmp_path, loops=40)
    log = _store(tmp_path).open(INCIDENT)
    state = load_state(log)
    assert state.variables["said"] == "Wilhelmina says complaint number 39"
    assert isinstance(state.variables["said"], Personal) and state.variables["said"].kind == "customer"
    assert state.variables["customer"] == "Wilhelmina Zorrilla"
    # the refund, the customer and the last thing said: three of the 42 values the log sealed
    assert log.seal.decrypted == 3
    eager = _store(tmp_path).open(INCIDENT)
    assert sum(1 for event in eager.events() if event["type"] == ev.STEP_ANSWERED) >= 40
    assert eager.seal.decrypted == 42


def test_the_lazy_state_equals_the_state_of_every_value_opened_as_read(tmp_path: Path) -> None:
    _run(tmp_path, loops=5, close="Wilhelmina asked us to wait for her lawyer")
    lazy = load_state(_store(tmp_path).open(INCIDENT))
    eager = ev.replay(_store(tmp_path).open(INCIDENT).events())
    assert lazy == eager
    assert lazy.close_reason == "Wilhelmina asked us to wait for her lawyer"
    assert isinstance(lazy.close_reason, Personal)


def test_a_personal_number_is_a_decimal_once_opened_and_none_once_erased(tmp_path: Path) -> None:
    _run(tmp_path, loops=1)
    state = load_state(_store(tmp_path).open(INCIDENT))
    assert state.variables["refund"] == Decimal("129.90") and type(state.variables["refund"]) is Decimal
    (tmp_path / "keys" / f"{INCIDENT}.key").unlink()
    log = _store(tmp_path).open(INCIDENT)
    erased = load_state(log)
    assert erased.variables["refund"] is None  # never the word "[erased]", never a number
    assert erased.variables["said"] is None and erased.variables["customer"] is None
    assert log.seal.warning() is not None  # the key is missing, not purged: the reader is told


def test_no_sealed_value_is_left_in_a_replayed_state(tmp_path: Path) -> None:
    _run(tmp_path, loops=3, close="Closed for Wilhelmina")
    state = load_state(_store(tmp_path).open(INCIDENT))
    left: list[Sealed] = []
    unseal(state, lambda sealed: left.append(sealed) or sealed)
    assert left == []


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, {"b": "x"}], "c": ("y", 2)},
        [[["deep"]]],
        "text",
    ],
)
def test_unseal_replaces_sealed_values_anywhere_and_leaves_the_rest(value: object) -> None:
    sealed = Sealed({"$enc": "AAAA", "kind": "text"}, "note.added", "/text")
    holder = {"plain": value, "list": [sealed, value], "tuple": (value, sealed), "nested": {"deeper": sealed}}
    opened = unseal(holder, lambda found: f"opened {found.place}")
    assert opened is holder
    assert holder["list"] == ["opened /text", value]
    assert holder["tuple"] == (value, "opened /text")
    assert holder["nested"] == {"deeper": "opened /text"}
    assert holder["plain"] == value


def test_an_approval_of_a_personal_text_replays_lazily_to_the_same_status(tmp_path: Path) -> None:
    """Sealed hashes are compared only once opened: an approval given (with an edit) and one asked
    again read back with the status they had when they were logged."""
    from test_team import BOOK

    pb = check_text(BOOK.read_text(encoding="utf-8"), str(BOOK)).playbook
    first = engine.start(
        INCIDENT, pb, {"id": pb.id}, drill=True, responder="Ana", organisation=None, detected_at=T0, now=T0, version="t"
    )[0]
    log = _store(tmp_path).create(INCIDENT, first)
    state = ev.replay(log.events())

    def fold(events: list[dict]) -> None:
        for event in log.append(events):
            ev.apply(state, event)

    fold(engine.assign(state, "manager", "Marta", T0, "Ana"))
    fold(engine.request_approval(state, "apology", Personal("Sorry, Wilhelmina."), T0, "Ana"))
    fold(engine.give_approval(state, state.approvals["apology"], "Marta", T0, "Marta", edited="Sorry, Wilhelmina!"))
    assert ev.approval_status(state.approvals["apology"]) == ev.APPROVED
    replayed = load_state(_store(tmp_path).open(INCIDENT))
    assert replayed == state
    assert ev.approval_status(replayed.approvals["apology"]) == ev.APPROVED
    assert replayed.approvals["apology"]["text"] == "Sorry, Wilhelmina!"
    assert b"Wilhelmina" not in (tmp_path / "incidents" / f"{INCIDENT}.jsonl").read_bytes()


def test_the_incidents_headline_decrypts_nothing_and_never_imports_cryptography(tmp_path: Path) -> None:
    import subprocess
    import sys

    from crisisplay.incidents import summary

    _run(tmp_path, loops=10, close="Closed for Wilhelmina")
    log = _store(tmp_path).open(INCIDENT)
    row = summary(log)
    assert row["id"] == INCIDENT and row["privacy"] == "sealed" and row["status"] == "closed"
    assert log.seal.decrypted == 0
    assert "Wilhelmina" not in repr(row)
    probe = (
        "import sys\n"
        "from crisisplay.incidents import summary\n"
        "from crisisplay.store.files import FileStore\n"
        "from crisisplay.store.keys import FileKeys\n"
        f"home = {str(tmp_path)!r}\n"
        "store = FileStore(home + '/incidents', FileKeys(home + '/keys'))\n"
        f"log = store.open({INCIDENT!r})\n"
        "summary(log)\n"
        "print(log.seal.status, 'cryptography' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["ready", "False"], done.stderr


def test_a_purge_read_inside_a_batch_erases_every_value_after_it_in_that_batch(tmp_path: Path) -> None:
    """The reader opens events a batch at a time: a purge met in the middle of one (a line the scan
    for its canonical text would miss) deletes the key, and nothing after it opens."""
    _run(tmp_path, loops=6)
    log = _store(tmp_path).open(INCIDENT)
    read = list(log._read(True))  # type: ignore[attr-defined]  # (event, line) pairs, as the journal reads them
    said = [index for index, (event, _line) in enumerate(read) if event["step"] == "said" and "answer" in event["data"]]
    middle = said[len(said) // 2]
    purge = {"type": ev.PURGED, "seq": 999, "step": None, "data": {"reason": "retention"}}
    batch = [*read[:middle], (purge, None), *read[middle:]]
    log.seal.open_batch(batch)
    answers = [
        event["data"]["answer"] for event, _line in batch if event.get("step") == "said" and "answer" in event["data"]
    ]
    before = sum(1 for index in said if index < middle)
    assert all(isinstance(answer, Personal) for answer in answers[:before])
    assert answers[before:] and all(answer is None for answer in answers[before:])
    assert log.seal.purged and not (tmp_path / "keys" / f"{INCIDENT}.key").exists()


@pytest.mark.parametrize("how", ["replay", "read", "export"])
def test_a_seal_that_opened_values_is_freed_at_once_not_by_the_garbage_collector(tmp_path: Path, how: str) -> None:
    """No reference cycle through the seal: on the PostgreSQL store, a log kept alive by one would
    keep its connection open until the cyclic garbage collector ran (eight writers at once then
    ran the server out of connections)."""
    import gc
    import io
    import weakref

    from crisisplay.export import export_incident

    _run(tmp_path, loops=3, close="Closed for Wilhelmina")
    collecting = gc.isenabled()
    gc.disable()
    try:
        log = _store(tmp_path).open(INCIDENT)
        if how == "replay":
            load_state(log)
        elif how == "read":
            list(log.events())
        else:
            export_incident(log, "json", None, io.BytesIO())
        assert log.seal.decrypted > 0
        seal, journal = weakref.ref(log.seal), weakref.ref(log)
        del log
        assert seal() is None and journal() is None
    finally:
        if collecting:
            gc.enable()
