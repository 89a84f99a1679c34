"""Sealing personal values at rest (store/sealing.py, store/keys.py) on the file store, without a terminal."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest

from crisisplay.errors import JournalError
from crisisplay.journal import Journal
from crisisplay.personal import Personal, personal
from crisisplay.store.files import FileStore
from crisisplay.store.keys import FileKeys
from crisisplay.store.sealing import (
    FINGERPRINT,
    MISSING,
    PLAIN,
    READY,
    WRONG,
    KeyProblem,
    fingerprint,
    key_text,
    new_key,
    read_key_text,
    strip_envelopes,
)

INCIDENT = "20261130-080000-pricing-error-ab12"
ENVELOPE_RE = re.compile(r'\{"\$enc":"[A-Za-z0-9+/=]*","kind":"[a-z]+"\}')


def _started() -> dict:
    return {"type": "incident.started", "actor": "Ana", "step": None, "data": {"incident_id": INCIDENT}}


def _set(name: str, value: object) -> dict:
    return {"type": "input.set", "actor": "Ana", "step": None, "data": {"name": name, "value": value}}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _store(home: Path) -> FileStore:
    return FileStore(home / "incidents", FileKeys(home / "keys"))


def _logged(home: Path) -> bytes:
    return (home / "incidents" / f"{INCIDENT}.jsonl").read_bytes()


def test_a_personal_value_is_logged_sealed_and_read_back_with_its_kind(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    logged = log.append([_set("customer_name", Personal("Wilhelmina Zorrilla", "customer")), _set("product", "Desk")])
    assert logged[0]["data"]["value"] == "Wilhelmina Zorrilla"  # append hands back what it was given
    raw = _logged(home)
    assert b"Wilhelmina" not in raw
    assert b"Desk" in raw  # what is not personal stays in clear
    assert len(ENVELOPE_RE.findall(raw.decode())) == 1
    value = list(_store(home).open(INCIDENT).events())[1]["data"]["value"]
    assert isinstance(value, Personal) and value == "Wilhelmina Zorrilla" and value.kind == "customer"
    sealed = list(_store(home).open(INCIDENT).events(raw=True))[1]["data"]["value"]
    assert set(sealed) == {"$enc", "kind"} and sealed["kind"] == "customer"
    assert log.verify().ok


def test_the_key_is_kept_owner_only_before_the_log_and_fingerprinted_in_the_first_event(home: Path) -> None:
    _store(home).create(INCIDENT, _started())
    key_file = home / "keys" / f"{INCIDENT}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "keys").stat().st_mode) == 0o700
    incident, key = read_key_text(key_file.read_text())  # type: ignore[misc]
    assert incident == INCIDENT
    first = json.loads(_logged(home).splitlines()[0])
    assert first["data"][FINGERPRINT] == fingerprint(key)


def test_an_envelope_moved_to_another_place_does_not_open(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([{"type": "note.added", "actor": "Ana", "step": None, "data": {"text": Personal("Call Zoltan")}}])
    sealed = list(log.events(raw=True))[1]["data"]["text"]
    # The same ciphertext placed under another event type or key is bound to its place (AAD).
    moved = {"seq": 2, "type": "input.set", "data": {"value": sealed}}
    assert log.seal.open(moved)["data"]["value"] is None
    assert log.seal.open({"seq": 2, "type": "note.added", "data": {"text": sealed}})["data"]["text"] == "Call Zoltan"


def test_an_envelope_relabelled_with_another_kind_does_not_open(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    sealed = list(log.events(raw=True))[1]["data"]["value"]
    relabelled = {"seq": 1, "type": "input.set", "data": {"value": {**sealed, "kind": "text"}}}
    assert log.seal.open(relabelled)["data"]["value"] is None  # so `--redact` cannot be told it is free text


def test_a_tampered_envelope_opens_as_none_not_a_traceback(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([_set("order", Personal("NH-991", "order"))])
    sealed = dict(list(log.events(raw=True))[1]["data"]["value"])
    for bad in ("", "!!!", "AAAA", sealed["$enc"][:-4] + "AAAA", 7, None):
        assert (
            log.seal.open({"seq": 1, "type": "input.set", "data": {"value": {**sealed, "$enc": bad}}})["data"]["value"]
            is None
        )


def test_without_the_key_values_read_as_none_and_the_warning_says_missing_not_purged(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    os.unlink(home / "keys" / f"{INCIDENT}.key")
    again = _store(home).open(INCIDENT)
    assert list(again.events())[1]["data"]["value"] is None
    assert again.seal.status == MISSING
    warning = again.seal.warning()
    assert warning is not None and "missing, not purged" in warning and "\n" not in warning
    assert again.verify().ok  # the chain covers the stored bytes: no key needed


def test_another_incidents_key_is_a_wrong_key(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    FileKeys(home / "keys").put(INCIDENT, new_key(), replace=True)
    again = _store(home).open(INCIDENT)
    assert list(again.events())[1]["data"]["value"] is None
    assert again.seal.status == WRONG
    assert "fingerprint" in (again.seal.warning() or "")


def test_a_purged_incident_warns_nothing_and_refuses_personal_data(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([{"type": "incident.purged", "actor": "Ana", "step": None, "data": {"reason": "retention"}}])
    FileKeys(home / "keys").delete(INCIDENT)
    again = _store(home).open(INCIDENT)
    list(again.events())
    assert again.seal.purged and again.seal.warning() is None
    with pytest.raises(JournalError, match="purged"):
        again.append([{"type": "note.added", "actor": "Ana", "step": None, "data": {"text": Personal("x y")}}])
    again.append([{"type": "note.added", "actor": "Ana", "step": None, "data": {"text": "nothing personal"}}])


def test_a_store_without_keys_logs_plain_text_as_before(tmp_path: Path) -> None:
    log = FileStore(tmp_path / "incidents").create(INCIDENT, _started())
    log.append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    assert b"Wilhelmina" in (tmp_path / "incidents" / f"{INCIDENT}.jsonl").read_bytes()
    assert log.seal.status == PLAIN
    assert list(log.events())[1]["data"]["value"] == "Wilhelmina"


def test_a_key_readable_by_others_is_refused_naming_the_file(home: Path) -> None:
    _store(home).create(INCIDENT, _started()).append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    key_file = home / "keys" / f"{INCIDENT}.key"
    key_file.chmod(0o644)
    with pytest.raises(KeyProblem, match=re.escape(str(key_file))):
        list(_store(home).open(INCIDENT).events())


def test_a_kept_key_is_never_overwritten_unless_replaced(home: Path) -> None:
    keys = FileKeys(home / "keys")
    first, second = new_key(), new_key()
    keys.put(INCIDENT, first)
    with pytest.raises(JournalError, match="--replace"):
        keys.put(INCIDENT, second)
    assert keys.get(INCIDENT) == first
    keys.put(INCIDENT, second, replace=True)
    assert keys.get(INCIDENT) == second
    assert keys.delete(INCIDENT) and keys.get(INCIDENT) is None and not keys.delete(INCIDENT)
    assert not list((home / "keys").glob(".*tmp"))


def test_a_corrupt_key_file_reads_as_a_wrong_key(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([_set("customer_name", Personal("Wilhelmina", "customer"))])
    (home / "keys" / f"{INCIDENT}.key").write_text("not a key\n")
    again = _store(home).open(INCIDENT)
    assert list(again.events())[1]["data"]["value"] is None and again.seal.status == WRONG


def test_key_text_round_trips_and_refuses_what_is_not_a_key() -> None:
    key = new_key()
    assert read_key_text(key_text(INCIDENT, key)) == (INCIDENT, key)
    for bad in ("", "crisisplay-key-v1 x", "crisisplay-key-v1 x !!!", "crisisplay-key-v1 x AAAA", "other x AAAA"):
        assert read_key_text(bad) is None


def test_a_failed_create_leaves_no_orphan_key(home: Path) -> None:
    store = _store(home)
    store.create(INCIDENT, _started())
    with pytest.raises(JournalError):
        store.create(INCIDENT, _started())
    assert FileKeys(home / "keys").ids() == [INCIDENT]


def test_the_head_and_a_moved_head_are_opened(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    head = log.append([_set("order", Personal("NH-7", "order"))])[-1]["hash"]
    other = Journal(log.path, keys=FileKeys(home / "keys"))
    other.append([_set("order", Personal("NH-8", "order"))])
    from crisisplay.store.base import HeadMoved

    with pytest.raises(HeadMoved) as moved:
        log.append([_set("order", personal("NH-9", "order"))], expect_head=head)
    assert moved.value.newer[0]["data"]["value"] == "NH-8"
    assert _store(home).open(INCIDENT).head()["data"]["value"] == "NH-8"  # type: ignore[index]
    assert log.seal.status == READY


def test_strip_envelopes_leaves_no_ciphertext(home: Path) -> None:
    log = _store(home).create(INCIDENT, _started())
    log.append([{"type": "step.answered", "actor": "Ana", "step": "s", "data": {"answer": {"reason": Personal("x")}}}])
    raw = list(log.events(raw=True))[1]["data"]
    assert strip_envelopes(raw) == {"answer": {"reason": None}}
    assert "$enc" not in json.dumps(strip_envelopes(raw))
