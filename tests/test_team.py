"""Team incidents without a terminal: roles, severity from anyone, approvals (engine, answers
file, commands), what the post-mortem says of them, and two sessions answering one step."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import cli_environment

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.errors import UsageError
from crisisplay.playbook.loader import check_text

BOOK = Path(__file__).parent / "data" / "team" / "apology.yaml"
T0 = datetime(2026, 11, 25, 21, 40, tzinfo=UTC)
ANSWERS = "steps:\n  check-facts: yes\n  apology: send\n  what-happened: The import.\n"


def started(by: str = "[manager]") -> ev.State:
    checked = check_text(BOOK.read_text(encoding="utf-8").replace("by: [manager]", f"by: {by}"), str(BOOK))
    pb = checked.playbook
    assert pb is not None
    first = engine.start(
        "20261125-214000-apology-0a1b",
        pb,
        {"id": pb.id},
        drill=True,
        responder="Ana",
        organisation=None,
        detected_at=T0,
        now=T0,
        version="test",
    )[0]
    return ev.replay([first])


def fold(state: ev.State, events: list[dict]) -> ev.State:
    for event in events:
        ev.apply(state, event)
    return state


# --- the engine -----------------------------------------------------------------------------


def test_whoever_starts_an_incident_is_its_lead_until_assign_names_another():
    state = started()
    assert state.roles == {"lead": "Ana"}
    fold(state, engine.assign(state, "lead", "Leo", T0, "Ana"))
    fold(state, engine.assign(state, "manager", " Marta   Gil ", T0, "Ana"))
    assert state.roles == {"lead": "Leo", "manager": "Marta Gil"}
    assert engine.assign(state, "manager", "Marta Gil", T0, "Ana") == []


def test_assign_refuses_a_role_the_incident_has_not_with_did_you_mean():
    with pytest.raises(UsageError, match=r"no role 'manger'.*did you mean 'manager'"):
        engine.assign(started(), "manger", "Marta", T0, "Ana")


def approval_asked(state: ev.State, text: str = "Sorry.") -> dict:
    fold(state, engine.request_approval(state, "apology", text, T0, "Ana"))
    return state.approvals["apology"]


def test_an_approval_counts_only_from_a_person_who_holds_the_role():
    state = started()
    approval = approval_asked(state)
    with pytest.raises(UsageError, match="Marta holds none of the roles this approval needs"):
        engine.give_approval(state, approval, "Marta", T0, "Marta")
    fold(state, engine.assign(state, "manager", "Marta", T0, "Ana"))
    fold(state, engine.give_approval(state, approval, "marta", T0, "Marta"))
    assert ev.approval_status(state.approvals["apology"]) == ev.APPROVED
    assert state.approvals["apology"]["given"][0]["person"] == "Marta"  # as the assignment spells it


def test_an_approvers_edit_is_the_text_sent_and_asks_the_others_again():
    state = started(by="[manager, legal]")
    fold(state, engine.assign(state, "manager", "Marta", T0, "Ana"))
    fold(state, engine.assign(state, "legal", "Leo", T0, "Ana"))
    approval = approval_asked(state)
    fold(state, engine.give_approval(state, approval, "Leo", T0, "Leo"))
    fold(state, engine.give_approval(state, approval, "Marta", T0, "Marta", edited="We are sorry."))
    assert ev.approval_status(approval) == ev.PENDING  # Leo approved the earlier wording
    assert approval["text"] == "We are sorry."
    fold(state, engine.give_approval(state, approval, "Leo", T0, "Leo"))
    assert ev.approval_status(approval) == ev.APPROVED
    with pytest.raises(engine.AnswerError, match="not approved"):
        engine.decide(state, "apology", engine.Send("Sorry."), T0, "Ana")
    sent = engine.decide(state, "apology", engine.Send("We are sorry.", edited=True), T0, "Ana")[1]
    assert sent["data"]["text"] == "We are sorry." and sent["data"]["message_hash"] == ev.text_hash("We are sorry.")


def test_a_rejection_needs_a_reason_and_a_new_request_clears_it():
    state = started()
    fold(state, engine.assign(state, "manager", "Marta", T0, "Ana"))
    approval = approval_asked(state)
    with pytest.raises(UsageError, match="--reason is empty"):
        engine.reject_approval(state, approval, "Marta", " ", T0, "Marta")
    fold(state, engine.reject_approval(state, approval, "Marta", "say what we do", T0, "Marta"))
    assert ev.approval_status(state.approvals["apology"]) == ev.REJECTED
    assert engine.request_approval(state, "apology", "Sorry.", T0, "Ana")  # the same text may be asked again
    approval_asked(state, "Sorry. We refund.")
    assert ev.approval_status(state.approvals["apology"]) == ev.PENDING


# --- commands -----------------------------------------------------------------------------


@pytest.fixture
def paused(run_cli, cli_cwd):
    """An incident paused at the apology, awaiting approval; its id."""
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    code, out, err = run_cli("start", BOOK, "--answers", "answers.yaml", "--responder", "Ana")
    assert code == 3, err
    assert "paused (awaiting-approval)" in err
    return out.strip()


def test_a_scripted_run_pauses_awaiting_approval_and_resume_continues_once_approved(run_cli, paused):
    assert run_cli("assign", paused, "manager", "Marta Gil")[0] == 0
    code, out, err = run_cli("approve", paused, "--as", "Marta Gil", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["roles"] == ["manager"]
    code, _, err = run_cli("resume", paused, "--answers", "answers.yaml")
    assert code == 0, err
    events = json.loads(run_cli("export", paused, "-f", "json")[1])["events"]
    assert [e["type"] for e in events].count("message.sent") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("approve", "--as", "Leo"), "Leo holds none of the roles this approval needs (manager)"),
        (("reject", "--reason", "no", "--as", "Leo"), "Leo holds none of the roles"),
        (("approve", "nope", "--as", "Leo"), "step 'nope' has no approval waiting; waiting: apology"),
        (("assign", "chief", "Leo"), "no role 'chief' in this incident"),
        (("severity", "huge", "--reason", "x"), "severity 'huge' is not a level of this playbook"),
    ],
)
def test_team_commands_refuse_in_one_line_with_exit_2(run_cli, paused, args, message):
    code, _, err = run_cli(args[0], paused, *args[1:])
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("crisisplay: error: ") and message in err


def test_send_of_a_text_rejected_under_an_earlier_request_is_refused_not_asked_again(run_cli, cli_cwd, paused):
    """Rejected, then another text asked for and approved: the file's `send` (the text rejected)
    is an answer that does not fit, as the rejection said, never a new request for it."""
    assert run_cli("assign", paused, "manager", "Marta Gil")[0] == 0
    assert run_cli("reject", paused, "--reason", "too vague", "--as", "Marta Gil")[0] == 0
    (cli_cwd / "edited.yaml").write_text("steps:\n  apology: {text: We are sorry; refunds by Friday.}\n")
    code, _, err = run_cli("resume", paused, "--answers", "edited.yaml")
    assert code == 3 and "paused (awaiting-approval)" in err
    assert run_cli("approve", paused, "--as", "Marta Gil")[0] == 0

    code, _, err = run_cli("resume", paused, "--answers", "answers.yaml")  # `send`: the rejected text

    assert code == 2 and "Marta Gil rejected this text (too vague)" in err, err
    events = json.loads(run_cli("export", paused, "-f", "json")[1])["events"]
    assert [e["type"] for e in events].count("approval.requested") == 2
    assert not [e for e in events if e["type"] == "message.sent"]
    code, _, err = run_cli("resume", paused, "--answers", "edited.yaml")  # the approved text goes out
    assert code == 3, err  # sent; then the file has no answer for what-happened
    events = json.loads(run_cli("export", paused, "-f", "json")[1])["events"]
    assert [e["type"] for e in events].count("message.sent") == 1


def test_severity_from_another_terminal_is_logged_like_a_note_but_not_on_a_closed_incident(run_cli, paused):
    code, out, err = run_cli("severity", paused, "high", "--reason", "a journalist called", "-f", "json")
    assert code == 0, err
    assert json.loads(out) | {"head": None} == {
        "incident": paused,
        "event": "severity.changed",
        "actor": json.loads(out)["actor"],
        "from": "low",
        "to": "high",
        "reason": "a journalist called",
        "head": None,
    }
    assert run_cli("close", paused, "--reason", "duplicate")[0] == 0
    code, _, err = run_cli("severity", paused, "low", "--reason", "calm")
    assert code == 2 and "is closed" in err


def test_an_answers_file_scripts_approvals_in_a_drill_and_the_report_says_who(run_cli, cli_cwd):
    (cli_cwd / "drill.yaml").write_text(
        ANSWERS.replace("apology: send", "apology: {answer: send, approved_by: [manager]}"), encoding="utf-8"
    )
    code, out, err = run_cli("start", BOOK, "--drill", "--answers", "drill.yaml", "--responder", "Ana")
    assert code == 0, err
    report = run_cli("export", out.strip(), "-f", "md")[1]
    assert "### Approvals" in report and "approved (simulated)" in report


def test_approved_by_names_only_roles_of_the_approval(run_cli, cli_cwd):
    (cli_cwd / "drill.yaml").write_text(
        ANSWERS.replace("apology: send", "apology: {answer: send, approved_by: [legal]}"), encoding="utf-8"
    )
    code, out, err = run_cli("start", BOOK, "--drill", "--answers", "drill.yaml")
    # Refused before anything is written, at the key's own line and column.
    assert code == 2 and out == ""
    assert "drill.yaml:3:" in err and "approved_by: legal cannot approve this step; its approval is by manager" in err


def test_approved_by_is_for_drills_only(run_cli, cli_cwd):
    (cli_cwd / "real.yaml").write_text(
        ANSWERS.replace("apology: send", "apology: {answer: send, approved_by: [manager]}"), encoding="utf-8"
    )
    code, out, err = run_cli("start", BOOK, "--answers", "real.yaml", "--responder", "Ana")
    assert code == 2, err
    assert "approved_by: is for drills" in err
    events = json.loads(run_cli("export", out.strip(), "-f", "json")[1])["events"]
    assert not [e for e in events if e["type"] in ("approval.given", "message.sent")]


def test_a_role_named_twice_in_approved_by_approves_once(run_cli, cli_cwd):
    (cli_cwd / "drill.yaml").write_text(
        ANSWERS.replace("apology: send", "apology: {answer: send, approved_by: [manager, manager]}"), encoding="utf-8"
    )
    code, out, err = run_cli("start", BOOK, "--drill", "--answers", "drill.yaml", "--responder", "Ana")
    assert code == 0, err
    events = json.loads(run_cli("export", out.strip(), "-f", "json")[1])["events"]
    assert [e["type"] for e in events].count("approval.given") == 1


def test_a_wrapper_without_its_answer_names_the_key_it_has(run_cli, cli_cwd):
    (cli_cwd / "drill.yaml").write_text(
        ANSWERS.replace("apology: send", "apology: {approved_by: manager}"), encoding="utf-8"
    )
    code, _, err = run_cli("start", BOOK, "--drill", "--answers", "drill.yaml")
    assert code == 2 and "approved_by: needs the answer beside it" in err


@pytest.mark.parametrize("value", ["0", "abc", "-1", "99999999"])
def test_a_lease_ttl_that_is_not_seconds_is_refused_before_the_incident_exists(run_cli, cli_cwd, value):
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    code, out, err = run_cli("start", BOOK, "--answers", "answers.yaml", env={"CRISISPLAY_LEASE_TTL": value})
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("crisisplay: error: CRISISPLAY_LEASE_TTL=")


def test_an_empty_as_name_is_refused_and_a_name_is_tidied(run_cli, paused):
    run_cli("assign", paused, "manager", "Marta Gil")
    code, _, err = run_cli("approve", paused, "--as", "   ")
    assert code == 2 and "an empty name" in err
    code, out, err = run_cli("approve", paused, "--as", "  marta   GIL ", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["actor"] == "marta GIL"


def test_the_post_mortem_lists_roles_and_who_approved_what_phone_approvals_marked(run_cli, paused):
    run_cli("assign", paused, "manager", "Marta Gil")
    run_cli("approve", paused, "--as", "Marta Gil")
    run_cli("resume", paused, "--answers", "answers.yaml")
    report = run_cli("export", paused, "-f", "md")[1]
    assert "| Roles | Incident lead: Ana; Your line manager: Marta Gil |" in report
    assert "| Your line manager | Marta Gil | approved |" in report
    data = json.loads(run_cli("export", paused, "-f", "json")[1])["metrics"]
    assert data["roles"] == {"lead": "Ana", "manager": "Marta Gil"}
    assert [a["event"] for a in data["approvals"]] == ["requested", "given"]
    html = run_cli("export", paused, "-f", "html")[1]
    assert "Approvals" in html and "Marta Gil" in html


def test_the_checker_refuses_an_approval_by_an_undeclared_role(run_cli, cli_cwd):
    (cli_cwd / "bad.yaml").write_text(
        BOOK.read_text(encoding="utf-8").replace("by: [manager]", "by: [manger]"), encoding="utf-8"
    )
    code, out, _ = run_cli("lint", "bad.yaml")
    assert code == 1
    assert "CP211 [error] approval by 'manger': no such role" in out and "did you mean 'manager'" in out


# --- watch without a terminal -------------------------------------------------------------------


def test_watch_prints_each_new_event_until_ctrl_c(run_cli, paused, cli_home):
    watcher = subprocess.Popen(
        [sys.executable, "-m", "crisisplay", "watch", paused],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=cli_environment(cli_home),
    )
    try:
        assert watcher.stdout.readline().startswith(f"Watching {paused}")
        assert run_cli("note", paused, "Customer called back", "--responder", "Leo")[0] == 0
        for line in watcher.stdout:
            if "note: Customer called back" in line:
                assert "Leo: note: Customer called back" in line
                break
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0
        assert "Traceback" not in watcher.stderr.read()
    finally:
        watcher.kill()
        watcher.wait()


def test_the_header_shows_roles_and_the_approvals_waited_for():
    from rich.console import Console

    from crisisplay.run.header import header

    state = started(by="[manager, legal]")
    console = Console(width=80, record=True, color_system=None)
    console.print(header(state, T0, "check-facts"))
    assert "manager" not in console.export_text()  # only the lead, who started it: nothing to show
    fold(state, engine.assign(state, "manager", "Marta Gil", T0, "Ana"))
    approval = approval_asked(state)
    fold(state, engine.give_approval(state, approval, "Marta Gil", T0, "Marta Gil"))
    console.print(header(state, T0, "apology"))
    shown = " ".join(console.export_text().split())
    assert "Ana (incident lead) · Marta Gil (your line manager)" in shown  # the roles in words, not ids
    assert "apology: waiting for all of the legal counsel; approved so far by Marta" in shown


def test_team_commands_speak_spanish(run_cli, paused):
    code, _, err = run_cli("assign", paused, "jefe", "Leo", "--lang", "es")
    assert code == 2 and "no hay ningún rol 'jefe' en este incidente" in err
    code, _, err = run_cli("assign", paused, "manager", "Marta Gil", "--lang", "es")
    assert code == 0 and "Marta Gil es your line manager de" in err  # the playbook's own words for the role


def _watch_screen(cli_home: Path, incident_id: str) -> str:
    from datetime import UTC, datetime

    from rich.console import Console

    from crisisplay.journal import Journal
    from crisisplay.run.watch import Watched, view

    console = Console(width=80, record=True, color_system=None)
    from crisisplay.store.keys import FileKeys, keys_dir

    log = Journal(cli_home / "incidents" / f"{incident_id}.jsonl", keys=FileKeys(keys_dir(cli_home)))
    console.print(view(Watched(log), datetime.now(UTC), 80))
    return console.export_text()


def test_watch_says_a_paused_incident_is_paused_and_a_closed_one_closed(run_cli, paused, cli_home):
    screen = _watch_screen(cli_home, paused)
    assert "Paused at" in screen and "nobody is driving it" in screen and "is on it" not in screen
    assert run_cli("close", paused, "--reason", "duplicate")[0] == 0
    screen = _watch_screen(cli_home, paused)
    assert "The incident is closed" in screen and "Closed: duplicate" in screen
    assert "Before the first step" not in screen and "waiting for" not in screen


@pytest.mark.parametrize(
    ("approval", "said"),
    [
        ("approval:\n          need: any\n", "missing required key 'by' of a message's approval"),
        ("approval:\n          by: [manager]\n          extra: 1\n", "unknown key 'extra' of a message's approval"),
        ("approval:\n          by: [manager, manager]\n", "'manager' is listed twice"),
    ],
)
def test_lint_names_the_approval_when_its_keys_are_wrong(run_cli, cli_cwd, approval, said):
    book = cli_cwd / "a.yaml"
    book.write_text(
        "crisisplay: 1\nid: a\ntitle: A\nroles:\n  manager: M\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - id: s\n        type: message\n        channel: x\n        template: hi\n        " + approval,
        encoding="utf-8",
    )
    code, out, err = run_cli("lint", str(book))
    assert code == 1 and said in out + err


def test_watch_ends_on_ctrl_c_even_when_its_parent_blocked_sigint(run_cli, paused, cli_home):
    # Signal masks survive fork and exec: a watch started by a process that blocks SIGINT must
    # still end on Ctrl-C.
    watcher = subprocess.Popen(
        [sys.executable, "-m", "crisisplay", "watch", paused],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=cli_environment(cli_home),
        preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}),
    )
    try:
        assert watcher.stdout.readline().startswith(f"Watching {paused}")
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0
    finally:
        watcher.kill()
        watcher.wait()


@pytest.mark.parametrize("command", [("note", "x"), ("severity", "high", "--reason", "x"), ("assign", "legal", "Leo")])
def test_a_blank_responder_is_refused_for_every_command_never_recorded_as_the_configured_one(run_cli, paused, command):
    before = run_cli("export", paused, "-f", "json")[1]
    code, _, err = run_cli(command[0], paused, *command[1:], "--responder", "  ")
    assert code == 2 and "an empty name" in err
    assert run_cli("export", paused, "-f", "json")[1] == before  # nothing was logged


def test_a_blank_responder_is_refused_before_an_incident_starts(run_cli, tmp_path):
    code, out, err = run_cli("start", "pricing-error", "--drill", "--responder", "", "--answers", "/dev/null")
    assert code == 2 and "an empty name" in err and out == ""
