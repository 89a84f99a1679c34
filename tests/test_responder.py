"""Whom decisions are recorded as when nobody said: --responder, the configuration, the
account's full name, and only then the login name, with a hint; a scripted run says which,
first, on standard error."""

from __future__ import annotations

import json
import pwd
from pathlib import Path

import pytest

from crisisplay.config import Config
from crisisplay.run.lifecycle import Responder, find_responder, full_name, resuming_responder

ANSWERS = (
    "inputs:\n  product: Kettle\nsteps:\n  assess-reach: contained\n  fix-price: yes\n"
    "  holding-statement: send\n  what-happened: The import left the price empty.\n"
)


def account(login: str, full: str | None):
    return lambda: (login, full)


# ----------------------------------------------------------------------------- the order of preference


def test_the_option_comes_first():
    chosen = find_responder(" Ana Ruiz ", Config(responder="Bo"), account("root", "Root Person"))
    assert chosen == Responder("Ana Ruiz", "option")


def test_then_the_configured_responder():
    assert find_responder(None, Config(responder="Bo"), account("root", "Root Person")) == Responder("Bo", "config")


def test_then_the_accounts_full_name():
    assert find_responder(None, Config(), account("ana", "Ana Ruiz")) == Responder("Ana Ruiz", "account")


def test_a_blank_responder_given_is_refused_not_replaced_by_another_name():
    from crisisplay.errors import UsageError

    with pytest.raises(UsageError, match="an empty name"):
        find_responder("  ", Config(responder="Bo"), account("ana", "Ana Ruiz"))
    assert find_responder("  Ana   Ruiz ", Config(), account("ana", None)) == Responder("Ana Ruiz", "option")


def test_the_login_name_only_as_a_last_resort():
    assert find_responder(None, Config(responder=" "), account("root", None)) == Responder("root", "login")


@pytest.mark.parametrize(
    "gecos, login, expected",
    [
        ("Ana Ruiz,Room 4,555-0100,,", "ana", "Ana Ruiz"),
        ("PostgreSQL administrator,,,", "postgres", "PostgreSQL administrator"),
        ("  Ana   Ruiz  ", "ana", "Ana Ruiz"),
        ("root", "root", None),  # many systems repeat the login name: that is no full name
        ("Root", "root", None),
        ("", "ana", None),
        (",,,", "ana", None),
    ],
)
def test_the_full_name_is_the_first_part_of_the_gecos_field(gecos, login, expected):
    assert full_name(gecos, login) == expected


def test_a_resume_keeps_the_incidents_responder_unless_someone_takes_over():
    assert resuming_responder(None, Config(), "Alice") == Responder("Alice", "incident")
    assert resuming_responder("Bob", Config(), "Alice") == Responder("Bob", "option")
    assert resuming_responder(None, Config(responder="Carol"), "Alice") == Responder("Carol", "config")


# ----------------------------------------------------------------------------- the real CLI


def account_with_a_full_name() -> tuple[str, str]:
    """An account of this machine whose GECOS field holds a full name (Debian's `list` has one)."""
    for entry in pwd.getpwall():
        full = entry.pw_gecos.split(",")[0].strip()
        if full and full.lower() != entry.pw_name.lower():
            return entry.pw_name, full
    raise AssertionError("no account with a full name in /etc/passwd to log in as")


@pytest.fixture
def scripted(run_cli, cli_cwd, minimal_playbook):
    (cli_cwd / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")

    def start(*args: str, **env: str) -> tuple[int, str, str]:
        return run_cli("start", "minimal.yaml", "--answers", "answers.yaml", *args, env=env)

    return start


def actors(home: Path, incident_id: str) -> set[str]:
    lines = (home / "incidents" / f"{incident_id}.jsonl").read_text(encoding="utf-8").splitlines()
    return {json.loads(line)["actor"] for line in lines}


def test_a_scripted_run_with_no_responder_records_the_accounts_full_name_and_says_so_first(scripted, cli_home):
    login, full = account_with_a_full_name()
    code, out, err = scripted(LOGNAME=login)
    assert code == 0, err
    incident_id = out.splitlines()[0]
    assert err.splitlines()[0] == f"Decisions are recorded as {full} (your account's full name)."
    assert "hint:" not in err
    assert actors(cli_home, incident_id) == {full}


def test_the_login_name_comes_with_a_hint_to_set_responder(scripted, cli_home):
    code, out, err = scripted(LOGNAME="no-such-account-here")
    assert code == 0, err
    first, second = err.splitlines()[:2]
    assert first == "Decisions are recorded as no-such-account-here (your login name)."
    assert second == f'hint: set responder = "Your Name" in {cli_home / "config.toml"}, or pass --responder NAME'
    assert actors(cli_home, out.splitlines()[0]) == {"no-such-account-here"}


def test_the_option_and_the_configuration_are_named_as_the_source(scripted, cli_home):
    code, out, err = scripted("--responder", "Ana Ruiz")
    assert err.splitlines()[0] == "Decisions are recorded as Ana Ruiz (--responder)."
    (cli_home / "config.toml").write_text('responder = "Dana Moreno"\n', encoding="utf-8")
    code, out, err = scripted()
    assert code == 0, err
    assert err.splitlines()[0] == "Decisions are recorded as Dana Moreno (`responder` in the configuration)."
    assert actors(cli_home, out.splitlines()[0]) == {"Dana Moreno"}


def test_a_scripted_resume_says_whom_it_records_as(run_cli, cli_cwd, cli_home, minimal_playbook):
    (cli_cwd / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    (cli_cwd / "first.yaml").write_text("inputs:\n  product: Kettle\nsteps: {}\n", encoding="utf-8")
    (cli_cwd / "rest.yaml").write_text(ANSWERS, encoding="utf-8")
    code, _out, err = run_cli("start", "minimal.yaml", "--answers", "first.yaml", "--responder", "Alice")
    assert code == 3, err
    code, _out, err = run_cli("resume", "last", "--answers", "rest.yaml")
    assert code == 0, err
    assert err.splitlines()[0] == "Decisions are recorded as Alice (the incident's responder)."


def test_a_note_records_the_accounts_full_name(scripted, run_cli, cli_home):
    login, full = account_with_a_full_name()
    _code, out, _err = scripted("--responder", "Alice")
    incident_id = out.splitlines()[0]
    assert run_cli("note", incident_id, "Called back", env={"LOGNAME": login})[0] == 0
    events = [
        json.loads(line)
        for line in (cli_home / "incidents" / f"{incident_id}.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert events[-1]["type"] == "note.added" and events[-1]["actor"] == full
