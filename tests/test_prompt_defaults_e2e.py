"""A suggested answer is a placeholder: typing replaces it, Enter alone accepts it.

The real `crisisplay` in a pseudo-terminal (see test_interactive_e2e.py), at the two prompts
that offer an answer: the responder's name (the account's name) and an input with a
`default:`. The log must record exactly what was typed, never the default with the typing
appended to it (`rootAna Ruiz`, `0 EUR plus shipping12 EUR`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_interactive_e2e import CTRL_C, ENTER, ID, Terminal, log_of, loose
from test_responder import account_with_a_full_name

pytestmark = pytest.mark.timeout(60)

BOOK = """\
crisisplay: 1
id: defaults
title: Inputs with defaults
inputs:
  price_shown:
    prompt: What price did the shop show?
    default: 0 EUR plus shipping
  orders:
    prompt: How many orders so far?
    type: number
    default: 3
phases:
  - id: only
    title: Only phase
    steps:
      - id: done
        type: info
        prompt: That is all.
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "defaults.yaml"
    path.write_text(BOOK, encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('responder = "Alice"\n', encoding="utf-8")
    return home


def inputs_of(home: Path, screen: str) -> dict:
    events = log_of(home, ID.search(screen).group(0))
    return {e["data"]["name"]: e["data"]["value"] for e in events if e["type"] == "input.set"}


def test_typing_at_an_input_with_a_default_replaces_the_default(home, book):
    term = Terminal(home, "start", str(book), "--drill")
    term.expect("What price did the shop show?")
    term.child.expect(
        loose("(Enter to accept)") + r"(?:\x1b\[[0-9;?]*[A-Za-z]|\s)*" + loose("0 EUR plus shipping")
    )  # the suggestion
    term.send("12 EUR" + ENTER)
    term.expect("How many orders so far?")
    term.send("5" + ENTER)
    term.expect("Done?")
    term.send(ENTER)
    assert term.finish() == 0
    assert inputs_of(home, term.screen) == {"price_shown": "12 EUR", "orders": 5}


def test_enter_alone_at_an_input_with_a_default_accepts_the_default(home, book):
    term = Terminal(home, "start", str(book), "--drill")
    term.expect("What price did the shop show?")
    term.send(ENTER)
    term.expect("How many orders so far?")
    term.send(ENTER)
    term.expect("Done?")
    term.send(ENTER)
    assert term.finish() == 0
    assert inputs_of(home, term.screen) == {"price_shown": "0 EUR plus shipping", "orders": 3}


def started_by(home: Path, screen: str) -> dict:
    return log_of(home, ID.search(screen).group(0))[0]


def test_typing_at_the_name_prompt_replaces_the_suggested_name(tmp_path, book):
    home = tmp_path / "bare-home"  # no config.toml: no `responder`, so the name is asked
    login, full = account_with_a_full_name()
    term = Terminal(home, "start", str(book), "--drill", LOGNAME=login)
    term.expect("Your name, as colleagues and customers should see it:")
    term.child.expect(loose(full))  # the account's full name, offered
    term.send("Ana Ruiz" + ENTER)
    term.expect("What price did the shop show?")
    term.send(CTRL_C)
    assert term.finish() == 130
    started = started_by(home, term.screen)
    assert started["data"]["responder"] == "Ana Ruiz" and started["actor"] == "Ana Ruiz"


def test_enter_alone_at_the_name_prompt_accepts_the_suggested_name(tmp_path, book):
    home = tmp_path / "bare-home"
    login, full = account_with_a_full_name()
    term = Terminal(home, "start", str(book), "--drill", LOGNAME=login)
    term.expect("Your name, as colleagues and customers should see it:")
    term.send(ENTER)
    term.expect("What price did the shop show?")
    term.send(CTRL_C)
    assert term.finish() == 130
    started = started_by(home, term.screen)
    assert started["data"]["responder"] == full and started["actor"] == full
