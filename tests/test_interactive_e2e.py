"""The real `crisisplay` process in a pseudo-terminal, driven with pexpect like a responder would.

PROMPT_TOOLKIT_NO_CPR=1 stops prompt_toolkit waiting for a cursor-position reply at each
prompt; the terminal is 40x80. Every test checks what the responder saw, the exit code and
the incident log on disk.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
from incident_logs import opened_events, without_scenario_time

pytestmark = pytest.mark.timeout(60)

HERE = Path(__file__).parent
BOOK = HERE / "data" / "interactive" / "wrong-price-drill.yaml"
SCRIPT = Path(sys.executable).parent / "crisisplay"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "crisisplay"]
DOWN, END_KEY, ENTER, ESC_ENTER, CTRL_C = "\x1b[B", "\x1b[F", "\r", "\x1b\r", "\x03"
ID = re.compile(r"\d{8}-\d{6}-[a-z0-9-]+-[0-9a-f]{4}")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def environment(home: Path, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("EDITOR", "VISUAL", "NO_COLOR", "CRISISPLAY_HOME", "COLUMNS", "LINES")
    }
    env.update(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", CRISISPLAY_HOME=str(home), PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


class Terminal:
    """A crisisplay process in a 40x80 pseudo-terminal; `screen` is everything it showed, escapes removed."""

    def __init__(self, home: Path, *args: str, cwd: Path | None = None, columns: int = 80, **env: str):
        import io

        self.log = io.StringIO()
        self.child = pexpect.spawn(
            COMMAND[0],
            [*COMMAND[1:], *args],
            env=environment(home, **env),
            encoding="utf-8",
            timeout=10,
            dimensions=(40, columns),
            cwd=str(cwd) if cwd else None,
        )
        self.child.logfile_read = self.log

    def expect(self, pattern: str) -> None:
        self.child.expect_exact(pattern)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    @property
    def screen(self) -> str:
        return plain(self.log.getvalue())


def log_of(home: Path, incident_id: str) -> list[dict]:
    return opened_events(home / "incidents" / f"{incident_id}.jsonl")


def answers_in(events: list[dict]) -> dict:
    return {e["step"]: e["data"]["answer"] for e in events if e["type"] == "step.answered"}


def crisisplay(home: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], env=environment(home), capture_output=True, text=True, timeout=30, **kwargs
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        'responder = "Alice"\n\n[contacts.manager]\nname = "Ann Example"\nphone = "+44 20 7946 0000"\n'
        'email = "ann@example.com"\n',
        encoding="utf-8",
    )
    return home


# ----------------------------------------------------------------------------- the whole story


def test_a_run_interrupted_with_ctrl_c_then_resumed_to_the_end(home):
    term = Terminal(home, "start", str(BOOK), "--drill")
    # inputs: type one, pick the other with the arrow keys
    term.expect("Which product was mispriced?")
    term.send("Blue Kettle" + ENTER)
    term.expect("Where is the complaint?")
    term.send(DOWN + ENTER)  # facebook
    # a choice, with each option's help visible
    term.expect("How far has the complaint spread?")
    term.expect("A handful of replies")
    term.send(DOWN + ENTER)  # Shared widely: severity high
    # a confirm: change the severity from the menu first, then answer with the key alone
    term.expect("(y / n")
    term.send(DOWN * 3 + ENTER)  # No, (separator), note, severity
    term.expect("New severity:")
    term.send(DOWN * 3 + ENTER)  # low, medium, high (now), critical
    term.expect("Why?")
    term.send("A journalist asked for comment" + ENTER)
    term.expect("Severity CRITICAL")
    term.expect("(y / n")
    term.send("y")
    # a checklist: tick the first and the third, give a reason for the second
    term.expect("(space ticks")
    term.send(" " + DOWN + DOWN + " " + ENTER)
    term.expect("Why are some items not done?")
    assert "? Tick what is done 2 of 3 done" in term.screen  # the answered line: not questionary's English
    assert "selections" not in term.screen
    term.send("Warehouse closed until 8" + ENTER)
    # a message: edit it, then send it
    term.expect("Send this message?")
    term.send(DOWN + ENTER)
    term.expect("Edit the message")
    term.send(END_KEY + " We will update you by noon." + ESC_ENTER)
    term.expect("We will update you by noon.")
    term.expect("Send this message?")
    term.send(ENTER)
    # a number: add a note from the prompt, then press Ctrl-C mid-answer
    term.expect("How many orders were placed at the wrong price?")
    term.send(":note" + ENTER)
    term.expect("Note")
    term.send("Customer called back, calmer now" + ESC_ENTER)
    term.expect("note: Customer called back, calmer now")
    term.expect("How many orders were placed at the wrong price?")
    term.send("1")
    time.sleep(0.1)
    term.send(CTRL_C)
    assert term.finish() == 130

    incident_id = ID.search(term.screen).group(0)
    assert f"crisisplay resume {incident_id}" in term.screen
    events = log_of(home, incident_id)
    assert answers_in(events) == {
        "assess-reach": {"value": "viral", "label": "Shared widely"},
        "is-fixed": True,
        "fix-checklist": {
            "done": ["Correct the price in the catalogue", "Pause scheduled promotional posts"],
            "not_done": ["Hold every order placed at the wrong price"],
            "reason": "Warehouse closed until 8",
        },
        "holding-statement": {"sent": True, "edited": True},
    }
    assert {e["data"]["name"]: e["data"]["value"] for e in events if e["type"] == "input.set"} == {
        "product": "Blue Kettle",
        "channel": "facebook",
    }
    [sent] = [e for e in events if e["type"] == "message.sent"]
    assert without_scenario_time(sent["data"]) == {
        "channel": "facebook",
        "text": "We're aware of the problem with Blue Kettle and we're "
        "looking into it now. We will update you by noon.",
    }
    changes = [without_scenario_time(e["data"]) for e in events if e["type"] == "severity.changed"]
    assert changes == [
        {"from": "low", "to": "high", "reason": "assess-reach: Shared widely"},
        {"from": "high", "to": "critical", "reason": "A journalist asked for comment"},
    ]
    [note] = [e for e in events if e["type"] == "note.added"]
    assert (note["step"], note["data"]["text"]) == ("count-orders", "Customer called back, calmer now")
    assert events[-1]["type"] == "incident.paused" and without_scenario_time(events[-1]["data"]) == {
        "reason": "interrupted"
    }
    verified = crisisplay(home, "verify", incident_id)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # resume: the last decisions, then the same step, then to the end
    term = Terminal(home, "resume", "last")
    term.expect("Last decisions:")
    term.expect("Phase 2/3 · Containment · step 3 of 4")
    term.expect("How many orders were placed at the wrong price?")
    shown = term.screen
    assert "note: Customer called back, calmer now" in shown
    assert "message sent on facebook" in shown
    assert "paused (interrupted)" not in shown
    term.send("3" + ENTER)
    term.expect("Ann Example · +44 20 7946 0000 · ann@example.com")
    term.expect("Did you reach Ann Example (your line manager)?")  # the configured contact, by name and role
    term.send(ENTER)
    term.expect("Did you reach the legal counsel?")  # no contact configured: the role, in words
    term.send(DOWN + ENTER)
    term.expect("What happened, in your own words?")
    term.send("The import left the price field empty." + ENTER)
    term.expect("Post-mortem: crisisplay export")
    assert term.finish() == 0

    events = log_of(home, incident_id)
    head = events[-1]["hash"]
    assert events[-1]["type"] == "incident.closed"
    assert events[-1]["data"]["outcome"] == "completed"
    screen = term.screen
    assert f"Head hash: {head}" in screen
    assert f"crisisplay export {incident_id} --format md" in screen
    assert "Messages sent: 1 · people reached: 1 · not reached: 1" in screen
    assert "final severity critical" in screen
    answered = answers_in(events)
    assert answered["count-orders"] == 3
    assert answered["notify"] == {"manager": "notified", "legal": "unreachable"}
    assert answered["what-happened"] == "The import left the price field empty."
    # count-orders was entered once: resume landed on it, it did not enter it again
    assert [e["step"] for e in events if e["type"] == "step.entered"].count("count-orders") == 1
    assert crisisplay(home, "verify", incident_id, "--head", head).returncode == 0


# ----------------------------------------------------------------------------- single features


def test_editor_from_the_environment_edits_the_message_sent(home, tmp_path):
    editor = tmp_path / "sign"
    editor.write_text('#!/bin/sh\nprintf "Signed, the support team\\n" >> "$1"\n')
    editor.chmod(0o755)
    term = Terminal(home, "start", str(BOOK), "--var", "product=Kettle", "--var", "channel=twitter", EDITOR=str(editor))
    term.expect("(arrow keys, Enter)")
    term.send(ENTER)  # contained
    term.expect("(y / n")
    term.send("y")
    term.expect("(space ticks")
    term.send(" " + DOWN + " " + DOWN + " " + ENTER)
    term.expect("Send this message?")
    term.send(DOWN + ENTER)  # edit: runs $EDITOR
    term.expect("Signed, the support team")
    term.expect("Send this message?")
    term.send(ENTER)
    term.expect("How many orders")
    term.send(":pause" + ENTER)
    assert term.finish() == 3
    assert "Resume with: crisisplay resume" in term.screen
    incident_id = ID.search(term.screen).group(0)
    events = log_of(home, incident_id)
    [sent] = [e for e in events if e["type"] == "message.sent"]
    assert sent["data"]["text"] == (
        "We're aware of the problem with Kettle and we're looking into it now.\nSigned, the support team"
    )
    assert events[-1]["data"] == {"reason": "responder"}


def test_resume_with_another_responder_records_the_handover(home, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("inputs:\n  product: Kettle\n  channel: instagram\nsteps:\n  assess-reach: contained\n")
    started = crisisplay(home, "start", str(BOOK), "--answers", str(answers))
    assert started.returncode == 3, started.stderr
    incident_id = started.stdout.strip()

    term = Terminal(home, "resume", incident_id[:20], "--responder", "Bob")
    term.expect("(y / n")
    term.send("n")
    term.expect("(space ticks")
    term.send(CTRL_C)
    assert term.finish() == 130
    events = log_of(home, incident_id)
    resumed = next(i for i, e in enumerate(events) if e["type"] == "incident.resumed")
    assert events[resumed]["data"] == {"responder": "Bob"}
    assert events[resumed]["actor"] == "Bob"
    assert {e["actor"] for e in events[:resumed]} == {"Alice"}
    assert {e["actor"] for e in events[resumed:]} == {"Bob"}
    assert answers_in(events)["is-fixed"] is False
    assert events[-1]["data"] == {"reason": "interrupted"}


def test_no_terminal_is_one_line_about_answers_and_creates_no_incident(home):
    done = crisisplay(home, "start", "pricing-error", stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "--answers" in lines[0]
    assert done.stdout == ""
    assert not list(home.glob("incidents/*"))


def test_no_terminal_on_standard_output_is_the_same_error(home):
    """A terminal to type on, but the output piped away: still no prompt, the same one line, exit 2."""
    command = " ".join(f"'{part}'" for part in [*COMMAND, "start", str(BOOK)])
    child = pexpect.spawn(
        "/bin/bash",
        ["-c", f"{command} | cat; exit ${{PIPESTATUS[0]}}"],
        env=environment(home),
        encoding="utf-8",
        timeout=10,
        dimensions=(40, 80),
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    output = plain(child.before).strip()
    assert len(output.splitlines()) == 1 and "--answers" in output and "Traceback" not in output
    assert not list(home.glob("incidents/*"))


def test_resume_without_a_terminal_adds_nothing_to_the_log(home, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("inputs:\n  product: Kettle\n  channel: twitter\nsteps: {}\n")
    started = crisisplay(home, "start", str(BOOK), "--answers", str(answers))
    assert started.returncode == 3, started.stderr
    incident_id = started.stdout.strip()
    before = (home / "incidents" / f"{incident_id}.jsonl").read_bytes()
    done = crisisplay(home, "resume", "last", stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--answers" in done.stderr
    assert (home / "incidents" / f"{incident_id}.jsonl").read_bytes() == before


# ----------------------------------------------------------------------------- a bundled playbook, end to end

PRICING_VARS = {
    "brand": "Nordhaus Living",
    "product": "Lumo Table Lamp",
    "price_shown": "0 EUR",
    "correct_price": "89 EUR",
    "order_ref": "NH-100517",
    "customer_name": "Jordi",
    "customer_handle": "@jordi_bcn",
    "platform": "facebook",
}
# step title -> keys; anything else gets the default for its prompt kind
PRICING_CHOICES = {"Check the conversation": DOWN * 3 + ENTER}  # calm: go to close-out, not round the loop


def loose(text: str) -> str:
    """A regex for `text` as prompt_toolkit draws it: a long line is wrapped, at a space or with cursor moves."""
    junk = r"(?:\x1b\[[0-9;?]*[A-Za-z]|[\r\n])*"
    space = r"(?:\x1b\[[0-9;?]*[A-Za-z]|[ \r\n])+"
    return junk.join(space if ch == " " else re.escape(ch) for ch in text)


PROMPT_KINDS = {
    "confirm": "(y / n",
    "select": "(arrow keys, Enter)",
    "info": "(Enter)",
    "checklist": "(space ticks",
    "text": "(Enter · or :note",
    "multiline": "(Esc then Enter finishes",
}
PROMPTS = re.compile("|".join(f"(?P<{kind}>{loose(text)})" for kind, text in PROMPT_KINDS.items()))


def steps_to_the_end(child, *, header: str, another_role: str, end: str, prompts: re.Pattern, answer) -> list[str]:
    """Answer every step a run shows until `end` appears; the steps' titles, in order.

    `header` matches the start of a step's header, `another_role` the question for the next role
    of the same escalation (answered with Enter: reached), `prompts` a step's prompt with one
    named group per kind; `answer(title, kind)` sends the keys for that step.
    """
    titles: list[str] = []
    while True:
        at = child.expect([header, another_role, end])
        if at == 2:
            return titles
        if at == 1:
            child.send(ENTER)
            continue
        child.expect_exact("╯")  # the header's last line; the step's title is printed under it
        child.expect(r"\n(?:\x1b\[[0-9;]*m)*([^\x1b\r\n]+)")
        title = child.match.group(1).strip()
        titles.append(title)
        child.expect(prompts)
        answer(title, child.match.lastgroup)
        assert len(titles) < 60, titles


def test_the_bundled_pricing_error_playbook_runs_to_the_end_interactively(home):
    args = ["start", "pricing-error", "--drill"]
    for name, value in PRICING_VARS.items():
        args += ["--var", f"{name}={value}"]
    term = Terminal(home, *args)
    child = term.child
    began = time.monotonic()

    def answer(title: str, kind: str) -> None:
        if title in PRICING_CHOICES:
            child.send(PRICING_CHOICES[title])
        elif kind in ("confirm", "select", "info"):
            child.send(ENTER)
        elif kind == "checklist":
            child.send(ENTER)
            child.expect(loose("Why are some items not done?"))
            child.send(ENTER)
        elif kind == "multiline":
            child.send("Written in the drill" + ESC_ENTER)
        else:
            child.send("1" + ENTER)

    titles = steps_to_the_end(
        child,
        header=r"Phase (\d)/8 · [^·\r\n]+ · step \d+ of \d+",
        another_role=r"Did you reach [^?]+?\?(?:\x1b\[[0-9;]*m|\s)*" + loose("(arrow keys"),  # a person, or a role
        end="Post-mortem: crisisplay export",
        prompts=PROMPTS,
        answer=answer,
    )
    assert term.finish() == 0
    assert time.monotonic() - began < 30
    incident_id = ID.search(term.screen).group(0)
    events = log_of(home, incident_id)
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    assert "Close out" in titles and "Summary and impact" in titles
    assert titles[0] == "Stop new orders at the wrong price" and "Quiet for 48 hours?" in titles
    reached = {e["data"]["name"] for e in events if e["type"] == "milestone.reached"}
    assert {"escalated", "contacted", "acknowledged", "resolved"} <= reached
    assert crisisplay(home, "verify", incident_id).returncode == 0


def test_a_long_multiline_prompt_is_drawn_with_its_finish_key_and_the_input_below(home, tmp_path):
    # A multi-line prompt wider than the terminal used to be drawn as a blank screen.
    long_prompt = "Write the offer in one or two sentences, exactly as you will say it to the customer on the phone."
    book = tmp_path / "long-multiline.yaml"
    book.write_text(
        f"crisisplay: 1\nid: long-multiline\ntitle: Long prompt\nphases:\n  - id: p\n    title: P\n"
        f"    steps:\n      - id: offer\n        type: text\n        multiline: true\n"
        f"        prompt: {long_prompt}\n"
    )
    term = Terminal(home, "start", str(book))
    term.child.expect(loose(long_prompt))
    term.child.expect(loose("(Esc then Enter finishes · or :note :severity :skip :pause)"))
    term.expect(">")
    term.send("Full refund\nand a voucher" + ESC_ENTER)
    assert term.finish() == 0
    incident_id = ID.search(term.screen).group(0)
    assert answers_in(log_of(home, incident_id)) == {"offer": "Full refund\nand a voucher"}


def test_without_a_configured_responder_the_run_asks_for_a_name_first(tmp_path):
    home = tmp_path / "bare-home"  # no config.toml: no `responder`
    term = Terminal(home, "start", str(BOOK), "--drill")
    term.expect("Your name, as colleagues and customers should see it:")
    if pwd_full_name() is None:  # no full name to offer: Enter alone is refused, never the login name
        term.send(ENTER)
        term.expect("Please give a name")
    term.child.send("\x15" + "Dana Moreno" + ENTER)  # Ctrl-U clears a suggested full name
    term.expect("Which product was mispriced?")
    term.send(CTRL_C)
    assert term.finish() == 130
    incident_id = ID.search(term.screen).group(0)
    started = log_of(home, incident_id)[0]
    assert started["data"]["responder"] == "Dana Moreno" and started["actor"] == "Dana Moreno"


def test_a_checklist_answered_in_spanish_says_so_in_spanish(home):
    term = Terminal(home, "start", str(BOOK), "--drill", CRISISPLAY_LANG="es")
    term.expect("Which product was mispriced?")
    term.send("Blue Kettle" + ENTER)
    term.expect("Where is the complaint?")
    term.send(ENTER)
    term.expect("How far has the complaint spread?")
    term.send(ENTER)
    term.expect("Is the price fixed everywhere?")
    term.send("s")
    term.expect("Tick what is done")
    term.send(" " + ENTER)
    term.expect("¿Por qué hay tareas sin hacer?")
    assert "? Tick what is done 1 de 3 hechas" in term.screen
    term.send(CTRL_C)
    assert term.finish() == 130


LONG_OPTIONS = """\
crisisplay: 1
id: narrow
title: Narrow terminal
phases:
  - id: p
    title: P
    steps:
      - id: source
        type: choice
        prompt: Where did the post come from?
        help: |
          If our account was hacked, we did not write the post: we secure the account and post a
          factual notice, not an apology.
          - Run the account-hacked playbook alongside this one.
        options:
          - label: From our brand account, written by one of us
            value: brand
          - label: From our brand account, but we did not post it (the account was hacked)
            value: hacked
"""


def test_a_long_option_wraps_in_a_narrow_terminal_instead_of_losing_its_last_words(home, tmp_path):
    book = tmp_path / "narrow.yaml"
    book.write_text(LONG_OPTIONS, encoding="utf-8")
    term = Terminal(home, "start", str(book), "--drill", columns=50)
    term.expect("Where did the post come from?")
    time.sleep(0.5)
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = re.sub(r"\s+", " ", term.screen)
    assert "(the account was hacked)" in screen  # wrapped onto a second line, not cut at 50 columns
    # the help's lines, broken for a wide editor, are one paragraph wrapped at the terminal's width
    lines = [line.strip() for line in term.screen.splitlines()]
    assert not any(line.startswith("factual notice") for line in lines), lines
    assert any(line.startswith("- Run the account-hacked") for line in lines)  # a list item starts its line


def pwd_full_name() -> str | None:
    from crisisplay.run.lifecycle import account_names

    return account_names()[1]


def test_a_refused_answers_reason_is_shown_whole_in_a_narrow_terminal(home, tmp_path):
    book = tmp_path / "count.yaml"
    book.write_text(
        "crisisplay: 1\nid: count\ntitle: Count\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - id: n\n        type: number\n        prompt: How many orders?\n",
        encoding="utf-8",
    )
    term = Terminal(home, "start", str(book), "--drill", columns=50)
    term.expect("How many orders?")
    term.send("1,5" + ENTER)
    term.expect("fits neither reading")
    time.sleep(0.5)
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = re.sub(r"\s+", "", plain(term.screen))
    # the end of the advice, past the 50th column: what to type instead
    assert re.sub(r"\s+", "", "group thousands by three with ','") in screen
