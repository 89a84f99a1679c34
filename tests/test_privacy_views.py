"""Exports and displays of incidents with sealed personal values: plain values with the key,
"[erased]" without it, pseudonyms with `--redact` (docs/exports.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from incident_logs import REPO, run_crisisplay
from privacy_logs import distinctive, found, plain_text_of_log, purge, sealed_copy

from crisisplay.export import FORMATS, export_incident
from crisisplay.export.redact import Pseudonyms, letters
from crisisplay.personal import ERASED, Personal
from crisisplay.store.base import open_store

PLAYBOOKS = sorted(p.stem for p in (REPO / "playbooks").glob("*.yaml"))


# -- the pseudonyms (pure) --


def test_pseudonyms_are_numbered_by_kind_in_order_of_first_appearance():
    names = Pseudonyms()
    names.learn({"a": Personal("Laura", "customer"), "b": [Personal("NH-1", "order"), Personal("Ben", "customer")]})
    names.learn(Personal("Laura", "customer"))
    names.learn(Personal("@ben", "handle"))
    names.learn(Personal("dana@example.com", "email"))
    names.learn(Personal("Dana", "person"))
    names.learn(Personal("secret", "personal"))
    assert names.value(Personal("Laura", "customer")) == "Customer A"
    assert names.value(Personal("Ben", "customer")) == "Customer B"
    assert names.value(Personal("NH-1", "order")) == "Order 1"
    assert names.value(Personal("@ben", "handle")) == "Handle A"
    assert names.value(Personal("dana@example.com", "email")) == "Email 1"
    assert names.value(Personal("Dana", "person")) == "Person A"
    assert names.value(Personal("secret", "personal")) == "Personal data 1"
    assert names.value(Personal("+34 600", "phone")) == "Phone 1"  # a value first seen late is named then


def test_pseudonyms_are_stable_whatever_the_order_values_are_asked_in():
    names = Pseudonyms()
    for value in ("Ann", "Bea", "Cy"):
        names.learn(Personal(value, "customer"))
    assert [names.value(Personal(v, "customer")) for v in ("Cy", "Ann", "Bea", "Cy")] == [
        "Customer C",
        "Customer A",
        "Customer B",
        "Customer C",
    ]


def test_free_text_keeps_its_words_but_not_the_named_values_longest_first_and_whole_words_only():
    names = Pseudonyms()
    names.learn([Personal("Laura", "customer"), Personal("Laura Martínez", "customer"), Personal("NH-1", "order")])
    text = Personal("Called Laura Martínez about NH-1; Laura's Laurasia order NH-10 is fine.", "text")
    assert names.value(text) == "Called Customer B about Order 1; Customer A's Laurasia order NH-10 is fine."
    # a text that is not personal at all is searched too
    assert names.value("Message to Laura") == "Message to Customer A"


def test_hashes_become_none_and_erased_values_stay_none():
    names = Pseudonyms()
    assert names.value({"message_hash": Personal("ab" * 32, "hash"), "value": None, "n": 3}) == {
        "message_hash": None,
        "value": None,
        "n": 3,
    }


def test_letters_go_on_past_z():
    assert [letters(n) for n in (1, 26, 27, 52, 53)] == ["A", "Z", "AA", "AZ", "BA"]


# -- every bundled playbook, its values sealed --


class _Sealed(dict):
    """Per playbook: its example answers run once as a drill, then copied into a home of its own
    with every personal value sealed (privacy_logs.sealed_copy)."""

    def __init__(self, factory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, playbook: str) -> dict:
        ran = self.factory.mktemp(f"{playbook}-ran")
        done = run_crisisplay(
            ran, "start", playbook, "--drill", "--answers", REPO / "examples" / f"{playbook}.answers.yaml"
        )
        assert done.returncode == 0, done.stderr
        incident_id = done.stdout.strip()
        home = self.factory.mktemp(playbook)
        marked = sealed_copy(ran, incident_id, home)
        plain = plain_text_of_log(home, incident_id)
        kinded = [str(v) for v in marked if v.kind not in ("text", "hash")]
        self[playbook] = {
            "home": home,
            "id": incident_id,
            "kinded": distinctive([v for v in marked if v.kind not in ("text", "hash")], ""),
            "all_kinded": sorted(set(kinded)),
            "values": distinctive(marked, plain),
        }
        return self[playbook]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> dict[str, dict]:
    return _Sealed(tmp_path_factory)


def _export(home: Path, incident_id: str, fmt: str, redact: bool = False) -> tuple[str, str | None]:
    out = io.BytesIO()
    done = export_incident(open_store(None, home).open(incident_id), fmt, None, out, redact=redact)
    return out.getvalue().decode("utf-8"), done.warning


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_exports_show_the_personal_values_with_the_key_erased_without_it(sealed, playbook, tmp_path):
    run = sealed[playbook]
    assert run["values"], "every bundled run logs something personal"
    for fmt in FORMATS:
        text, warning = _export(run["home"], run["id"], fmt)
        assert warning is None
        assert found(run["kinded"], text) == run["kinded"], fmt  # (a playbook may mark no input: then none)
        assert ERASED not in text, fmt
    # purged: a copy of the home, so the module's other tests keep the key
    import shutil

    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    purge(home, run["id"])
    for fmt in FORMATS:
        text, warning = _export(home, run["id"], fmt)
        assert warning is None  # purged: erased is what purge is for, nothing to warn of
        assert ERASED in text or fmt == "json", fmt
        assert found(run["values"], text) == [], fmt
        if fmt == "json":
            clear = json.loads(text)["clear"]
            assert clear and all(value is None for values in clear.values() for value in values.values())


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_a_redacted_export_holds_no_personal_value_in_any_format(sealed, playbook):
    run = sealed[playbook]
    for fmt in FORMATS:
        text, _warning = _export(run["home"], run["id"], fmt, redact=True)
        assert found(run["all_kinded"], text) == [], fmt
        assert "$enc" not in text, fmt
        if run["kinded"] and fmt in ("md", "html", "json"):
            names = ("Customer A", "Order 1", "Person A", "Handle A", "Cliente A", "Pedido 1", "Persona A", "Usuario A")
            assert any(name in text for name in names), fmt  # in the playbook's language


def test_json_keeps_the_events_as_logged_and_opens_them_in_clear(sealed):
    run = sealed["pricing-error"]
    document = json.loads(_export(run["home"], run["id"], "json")[0])
    logged = [json.loads(line) for line in (run["home"] / "incidents" / f"{run['id']}.jsonl").read_text().splitlines()]
    assert document["events"] == logged
    sealed_seqs = {str(e["seq"]) for e in logged if "$enc" in json.dumps(e["data"])}
    assert set(document["clear"]) == sealed_seqs
    names = {e["data"].get("name"): str(e["seq"]) for e in logged if e["type"] == "input.set"}
    assert document["clear"][names["customer_name"]] == {"value": "Laura"}
    assert document["clear"][names["order_ref"]] == {"value": "NH-100482"}


def test_a_redacted_json_names_its_values_in_events_and_clear(sealed):
    run = sealed["pricing-error"]
    document = json.loads(_export(run["home"], run["id"], "json", redact=True)[0])
    values = {e["data"].get("name"): e["data"].get("value") for e in document["events"] if e["type"] == "input.set"}
    assert values["customer_name"] == "Customer A"
    assert values["order_ref"] == "Order 1"
    assert values["customer_handle"] == "Handle A"
    seq = next(str(e["seq"]) for e in document["events"] if e["data"].get("name") == "customer_name")
    assert document["clear"][seq] == {"value": "Customer A"}
    messages = [e["data"]["text"] for e in document["events"] if e["type"] == "message.sent"]
    assert any("Customer A" in text for text in messages)


def test_csv_writes_the_opened_data_of_a_sealed_event(sealed):
    import csv

    run = sealed["pricing-error"]
    rows = list(csv.DictReader(io.StringIO(_export(run["home"], run["id"], "csv")[0])))
    row = next(r for r in rows if r["type"] == "input.set" and '"customer_name"' in r["data"])
    assert json.loads(row["data"])["value"] == "Laura"
    assert row["summary"] == "customer_name: Laura"
    assert len(row["hash"]) == 64


# -- the real CLI: warnings, exit codes, read commands --


def test_a_missing_key_warns_once_and_every_format_shows_erased(sealed, tmp_path):
    import shutil

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    (home / "keys" / f"{run['id']}.key").unlink()  # lost, not purged
    for fmt in FORMATS:
        done = run_crisisplay(home, "export", run["id"], "--format", fmt)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "key is missing" in lines[0], done.stderr
        assert found(run["values"], done.stdout) == [], fmt
        assert ERASED in done.stdout or fmt == "json"


def test_a_wrong_key_warns_and_shows_erased(sealed, tmp_path):
    import shutil

    from crisisplay.store.sealing import key_text, new_key

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    key = home / "keys" / f"{run['id']}.key"
    key.write_text(key_text(run["id"], new_key()))
    done = run_crisisplay(home, "export", run["id"], "--format", "md")
    assert done.returncode == 0, done.stderr
    assert "not this incident's" in done.stderr and "Traceback" not in done.stderr
    assert ERASED in done.stdout and "Laura" not in done.stdout


def test_a_damaged_key_file_warns_that_it_is_not_a_key_and_shows_erased(sealed, tmp_path):
    import shutil

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    key = home / "keys" / f"{run['id']}.key"
    key.write_text("half a line lost in a crash\n")  # still 0600
    done = run_crisisplay(home, "export", run["id"], "--format", "md")
    assert done.returncode == 0, done.stderr
    assert "does not hold a key" in done.stderr and "Traceback" not in done.stderr
    assert ERASED in done.stdout and "Laura" not in done.stdout
    assert run_crisisplay(home, "verify", run["id"]).returncode == 0


def test_export_redact_through_the_cli(sealed):
    run = sealed["pricing-error"]
    for fmt in FORMATS:
        done = run_crisisplay(run["home"], "export", run["id"], "--format", fmt, "--redact")
        assert done.returncode == 0, done.stderr
        assert found(run["all_kinded"], done.stdout) == [], fmt
        assert "$enc" not in done.stdout


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_read_commands_on_a_purged_incident_never_crash(sealed, playbook, tmp_path):
    import shutil

    run = sealed[playbook]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    purge(home, run["id"])
    for args in (("incidents",), ("drills",), ("verify", run["id"])):
        done = run_crisisplay(home, *args, timeout=30)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert done.returncode == 0, (args, done.stderr)
        assert found(run["values"], done.stdout + done.stderr) == [], args


def _watched(home: Path, incident_id: str) -> tuple[str, str, str]:
    """`watch` without a terminal, stopped with Ctrl-C once it has printed its header: (header, rest, stderr)."""
    import signal
    import subprocess
    import sys

    from incident_logs import cli_env

    watching = subprocess.Popen(
        [sys.executable, "-m", "crisisplay", "watch", incident_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=cli_env(home),
    )
    assert watching.stdout is not None
    header = watching.stdout.readline()  # printed once the log is read: any warning went out before it
    watching.send_signal(signal.SIGINT)
    out, err = watching.communicate(timeout=30)
    return header, out, err


def test_watch_of_a_purged_incident_shows_erased_lines_without_a_traceback(sealed, tmp_path):
    import shutil

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    purge(home, run["id"])
    header, out, err = _watched(home, run["id"])
    assert run["id"] in header
    assert "Traceback" not in err, err
    assert err.strip() == ""  # erased is what purge is for: no warning
    assert found(run["values"], header + out + err) == []


def test_watch_with_its_key_missing_says_so_once_before_it_follows(sealed, tmp_path):
    import shutil

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    (home / "keys" / f"{run['id']}.key").unlink()  # lost, not purged
    header, out, err = _watched(home, run["id"])
    assert run["id"] in header
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "key is missing" in lines[0], err
    assert found(run["values"], header + out + err) == []


def test_a_message_to_an_erased_channel_is_headed_erased_not_unnamed(sealed, tmp_path):
    import shutil

    run = sealed["pricing-error"]
    home = tmp_path / "home"
    shutil.copytree(run["home"], home)
    before, _warning = _export(home, run["id"], "md")
    purge(home, run["id"])
    for fmt in ("md", "html"):
        after, _warning = _export(home, run["id"], fmt)
        assert "an unnamed channel" not in after, fmt
        assert f"On {ERASED}" in after.replace("\\[", "[").replace("\\]", "]"), fmt
    assert "an unnamed channel" not in before and f"On {ERASED}" not in before


PERSONAL_NUMBERS = """\
crisisplay: 1
id: refund
title: A personal number
inputs:
  amount: {prompt: Amount refunded, type: number, personal: true}
  orders: {prompt: Orders of this customer, type: number, personal: true}
phases:
  - id: p
    title: P
    steps:
      - {id: big, type: info, prompt: A loyal customer, when: "orders > 3"}
"""


def test_a_redacted_export_of_personal_numbers_names_them_and_never_crashes(tmp_path):
    book = tmp_path / "refund.yaml"
    book.write_text(PERSONAL_NUMBERS, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text("inputs:\n  amount: 731.25\n  orders: 9817\nsteps:\n  big: ok\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    done = run_crisisplay(home, "start", str(book), "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    incident_id = done.stdout.strip()
    for fmt in FORMATS:
        plain = run_crisisplay(home, "export", incident_id, "--format", fmt)
        assert plain.returncode == 0 and "731.25" in plain.stdout and "9817" in plain.stdout, fmt
        redacted = run_crisisplay(home, "export", incident_id, "--format", fmt, "--redact")
        assert redacted.returncode == 0, (fmt, redacted.stderr)
        assert "Traceback" not in redacted.stderr
        assert "731.25" not in redacted.stdout and "9817" not in redacted.stdout, fmt
        assert "Personal data 1" in redacted.stdout and "Personal data 2" in redacted.stdout, fmt
