"""Two terminals on one incident: the driver in a pseudo-terminal waits for an approval that a
second process gives (or refuses) with `crisisplay approve` / `reject`; notes from elsewhere
show at the driver's next prompt. Asserts what each one saw and the log, never how fast."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from incident_logs import with_clear
from test_interactive_e2e import COMMAND, CTRL_C, DOWN, ENTER, ESC_ENTER, ID, Terminal, environment

pytestmark = pytest.mark.timeout(90)

BOOK = Path(__file__).parent / "data" / "team" / "apology.yaml"


def crisisplay(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], env=environment(home), capture_output=True, text=True, encoding="utf-8", timeout=60
    )


def events(home: Path, incident: str) -> list[dict]:
    done = crisisplay(home, "export", incident, "-f", "json")
    assert done.returncode == 0, done.stderr
    return with_clear(json.loads(done.stdout))


def driver_at_the_apology(home: Path) -> tuple[Terminal, str]:
    """Start the playbook as Ana, make Marta the manager from another process, and send the apology."""
    driver = Terminal(home, "start", str(BOOK), "--responder", "Ana")
    driver.expect("Are the facts checked?")
    incident = ID.search(driver.screen).group(0)
    assigned = crisisplay(home, "assign", incident, "manager", "Marta Gil", "--responder", "Ana")
    assert assigned.returncode == 0, assigned.stderr
    driver.send(ENTER)  # yes
    driver.expect("Send this message?")
    driver.send(ENTER)  # Send as is
    driver.expect("Waiting for approval")
    return driver, incident


def test_driver_waits_for_the_approval_given_from_another_process_then_continues(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    assert "waiting for all of Marta Gil (your line manager)" in driver.screen
    noted = crisisplay(home, "note", incident, "Customer called back", "--responder", "Leo")
    assert noted.returncode == 0
    approved = crisisplay(home, "approve", incident, "--as", "Marta Gil")
    assert approved.returncode == 0, approved.stderr
    driver.expect("What happened?")
    screen = driver.screen
    assert "Leo (from another terminal): note: Customer called back" in screen
    assert "approved by Marta Gil (your line manager)" in screen
    driver.send("The import left the price empty." + ENTER)
    assert driver.finish() == 0
    logged = events(home, incident)
    kinds = [e["type"] for e in logged]
    assert kinds.index("approval.requested") < kinds.index("approval.given") < kinds.index("message.sent")
    given = next(e for e in logged if e["type"] == "approval.given")
    sent = next(e for e in logged if e["type"] == "message.sent")
    assert given["data"]["person"] == "Marta Gil" and given["data"]["by"] == "manager"
    assert sent["data"]["text"] == "We are sorry about the wrong price."
    assert sent["data"]["message_hash"] == given["data"]["message_hash"]


def test_a_rejection_returns_the_message_to_the_driver_to_edit_and_ask_again(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    refused = crisisplay(home, "reject", incident, "--reason", "say what we will do", "--as", "Marta Gil")
    assert refused.returncode == 0, refused.stderr
    driver.expect("Edit the message")
    assert "rejected by Marta Gil: say what we will do" in driver.screen
    driver.send(" We are refunding every order." + ESC_ENTER)
    driver.expect("Send this message?")
    driver.send(ENTER)
    driver.expect("Waiting for approval")
    approved = crisisplay(home, "approve", incident, "--as", "Marta Gil")
    assert approved.returncode == 0, approved.stderr
    driver.expect("What happened?")
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    logged = events(home, incident)
    assert [e["type"] for e in logged].count("approval.requested") == 2
    sent = next(e for e in logged if e["type"] == "message.sent")
    assert sent["data"]["text"] == "We are sorry about the wrong price. We are refunding every order."


def test_the_driver_records_an_approval_given_by_phone(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    driver.send(ENTER)  # Record an approval given by phone
    driver.expect("Who approved by phone?")
    driver.send(ENTER)  # the manager, as assigned (only the holder of the role can approve it)
    driver.expect("What happened?")
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    given = next(e for e in events(home, incident) if e["type"] == "approval.given")
    assert given["data"] == {**given["data"], "person": "Marta Gil", "by": "manager", "by_phone": True}
    assert given["actor"] == "Ana"
    report = crisisplay(home, "export", incident, "-f", "md").stdout
    assert "Marta Gil" in report and "by phone" in report


def test_the_phone_approval_can_go_back_to_waiting(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    driver.send(ENTER)  # Record an approval given by phone
    driver.expect("Who approved by phone?")
    driver.send(DOWN + ENTER)  # ← Back to waiting
    driver.expect("Waiting for approval")
    assert crisisplay(home, "approve", incident, "--as", "Marta Gil").returncode == 0
    driver.expect("What happened?")
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    (given,) = [e for e in events(home, incident) if e["type"] == "approval.given"]
    assert "by_phone" not in given["data"]


def test_an_approval_given_elsewhere_while_the_phone_menu_is_open_is_not_recorded_twice(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    driver.send(ENTER)  # Record an approval given by phone
    driver.expect("Who approved by phone?")
    assert crisisplay(home, "approve", incident, "--as", "Marta Gil").returncode == 0
    driver.expect("What happened?")  # the menu ended by itself: the approval came in
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    (given,) = [e for e in events(home, incident) if e["type"] == "approval.given"]
    assert given["data"]["person"] == "Marta Gil" and "by_phone" not in given["data"]


def test_a_note_from_another_terminal_leaves_the_phone_menu_open(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    driver.send(ENTER)  # Record an approval given by phone
    driver.expect("Who approved by phone?")
    assert crisisplay(home, "note", incident, "Customer called back", "--responder", "Leo").returncode == 0
    time.sleep(1.5)  # the menu watches the log every half second: a note must not end it
    driver.send(ENTER)  # still the menu: Marta Gil
    driver.expect("What happened?")
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    (given,) = [e for e in events(home, incident) if e["type"] == "approval.given"]
    assert given["data"]["by_phone"] is True and given["data"]["person"] == "Marta Gil"


def test_a_phone_approval_typed_after_the_real_one_came_in_is_not_logged(tmp_path):
    home = tmp_path / "home"
    driver = Terminal(home, "start", str(BOOK), "--responder", "Ana")
    driver.expect("Are the facts checked?")
    incident = ID.search(driver.screen).group(0)
    driver.send(ENTER)  # yes
    driver.expect("Send this message?")
    driver.send(ENTER)  # Send as is
    driver.expect("Waiting for approval")
    driver.send(ENTER)  # Record an approval given by phone: nobody holds the role, so a name is typed
    driver.expect("Approved by phone: name?")
    for args in (("assign", incident, "manager", "Marta Gil"), ("approve", incident, "--as", "Marta Gil")):
        done = crisisplay(home, *args, "--responder", "Leo") if args[0] == "assign" else crisisplay(home, *args)
        assert done.returncode == 0, done.stderr
    driver.send("Marta Gil" + ENTER)
    driver.expect("What happened?")
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
    (given,) = [e for e in events(home, incident) if e["type"] == "approval.given"]
    assert "by_phone" not in given["data"]


def test_a_second_resume_is_refused_naming_who_drives_the_incident(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    (tmp_path / "answers.yaml").write_text("steps: {}\n", encoding="utf-8")
    for extra in (["--answers", str(tmp_path / "answers.yaml")], []):  # without a terminal too
        done = crisisplay(home, "resume", incident, "--responder", "Leo", *extra)
        assert done.returncode == 2, done.stderr
        assert "is being run by Ana in another terminal (pid " in done.stderr
    driver.send(CTRL_C)
    driver.finish()


def test_watch_redraws_the_incident_on_a_terminal_until_ctrl_c(tmp_path):
    home = tmp_path / "home"
    driver, incident = driver_at_the_apology(home)
    watcher = Terminal(home, "watch", incident)
    watcher.expect("Apology after a wrong price")
    watcher.expect("Watching; Ctrl-C to stop.")
    assert "waiting for all of Marta Gil" in watcher.screen
    assert crisisplay(home, "approve", incident, "--as", "Marta Gil").returncode == 0
    watcher.expect("approved by Marta Gil")
    driver.expect("What happened?")
    watcher.send(CTRL_C)
    assert watcher.finish() == 0
    driver.send("Import." + ENTER)
    assert driver.finish() == 0
