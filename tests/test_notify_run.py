"""Deliveries during a run: what is sent, to whom, when nothing may be sent, and what the log keeps.

Real servers on 127.0.0.1 (tests/notify_servers.py), the real CLI, the bundled playbook and its
example answers file; never a mock of Apprise or of our own code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from incident_logs import REPO, opened_events, run_crisisplay
from notify_servers import Webhook

from crisisplay import engine

ANSWERS = REPO / "examples" / "pricing-error.answers.yaml"
SECRET = "tok-9f3e1c5a7b"  # a secret that must never leave the config file


def home_with(tmp_path: Path, config: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('responder = "Ana"\n' + config, encoding="utf-8")
    return home


def manager_to(url: str, extra: str = "") -> str:
    return f'\n[contacts.manager]\nname = "Marta Ruiz"\nnotify = ["{url}"]\n{extra}'


def events_of(home: Path, incident_id: str) -> list[dict]:
    return opened_events(home / "incidents" / f"{incident_id}.jsonl")


def notifications(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"].startswith("notification.")]


def answers_with(tmp_path: Path, escalate_manager: str) -> Path:
    """The example answers file with another answer for `escalate-manager`."""
    answers = tmp_path / "answers.yaml"
    text = ANSWERS.read_text(encoding="utf-8")
    answers.write_text(text.replace("  escalate-manager: notified", f"  escalate-manager: {escalate_manager}"), "utf-8")
    return answers


def start(home: Path, *args: str, timeout: float = 120):
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(ANSWERS), *args, timeout=timeout)
    return done, done.stdout.strip()


# ----------------------------------------------------------------------------- what is sent


def test_an_escalation_reaches_the_webhook_with_the_exact_message_and_the_log_says_so(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    done, incident_id = start(home, "--notify")
    assert done.returncode == 0, done.stderr
    [request] = webhook.wait_for(1)
    payload = request.json()
    logged = notifications(events_of(home, incident_id))
    assert [e["type"] for e in logged] == ["notification.queued", "notification.sent"]
    queued, sent = logged
    assert queued["data"]["role"] == "manager" and queued["data"]["step"] == "escalate-manager"
    assert queued["data"]["service"] == "json" and sent["data"]["attempt"] == 1
    # The hash is of the exact text the server received, and that text is the escalation's message.
    assert sent["data"]["message_hash"] == hashlib.sha256(payload["message"].encode()).hexdigest()
    notified = next(e for e in events_of(home, incident_id) if e["type"] == "escalation.notified")
    assert payload["message"] == notified["data"]["message"]
    assert "Tell your manager" in payload["title"]
    assert run_crisisplay(home, "verify", incident_id).returncode == 0


def test_an_escalation_email_arrives_as_plain_text_with_the_rendered_message(tmp_path, smtp_server):
    home = home_with(tmp_path, manager_to(smtp_server.url(to="marta@example.com")))
    done, incident_id = start(home, "--notify")
    assert done.returncode == 0, done.stderr
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["marta@example.com"]
    assert "Tell your manager" in mail.subject
    notified = next(e for e in events_of(home, incident_id) if e["type"] == "escalation.notified")
    assert mail.body == notified["data"]["message"]


def test_a_message_step_goes_to_its_configured_channel(tmp_path, webhook):
    channel = '\n[channels."Website and pinned post"]\nnotify = ["' + webhook.url("/web") + '"]\n'
    home = home_with(tmp_path, channel)
    answers = tmp_path / "answers.yaml"
    text = ANSWERS.read_text(encoding="utf-8")
    answers.write_text(text, encoding="utf-8")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), "--notify", timeout=120)
    assert done.returncode == 0, done.stderr
    events = events_of(home, done.stdout.strip())
    sent = [e for e in notifications(events) if e["type"] == "notification.sent"]
    channels = {e["data"].get("channel") for e in sent}
    assert channels <= {"Website and pinned post"}
    assert all(r.path == "/web" for r in webhook.requests)
    messages = {e["data"]["channel"]: e["data"]["text"] for e in events if e["type"] == "message.sent"}
    for request in webhook.requests:
        assert request.json()["message"] == messages["Website and pinned post"]


# ----------------------------------------------------------------------------- when nothing may be sent


def test_an_answers_file_without_notify_sends_nothing(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    done, incident_id = start(home)
    assert done.returncode == 0, done.stderr
    assert webhook.requests == []
    assert notifications(events_of(home, incident_id)) == []


def test_a_drill_without_notify_sends_nothing_even_with_targets(tmp_path, webhook):
    drill_hook = Webhook().start()
    try:
        home = home_with(tmp_path, manager_to(webhook.url()) + f'\n[drill]\nnotify = ["{drill_hook.url()}"]\n')
        done, _ = start(home, "--drill")
        assert done.returncode == 0, done.stderr
        assert webhook.requests == [] and drill_hook.requests == []
    finally:
        drill_hook.stop()


def test_a_drill_with_notify_sends_only_to_the_drill_channel_marked_drill(tmp_path, webhook):
    drill_hook = Webhook().start()
    try:
        home = home_with(tmp_path, manager_to(webhook.url()) + f'\n[drill]\nnotify = ["{drill_hook.url()}"]\n')
        done, incident_id = start(home, "--drill", "--notify")
        assert done.returncode == 0, done.stderr
        [request] = drill_hook.wait_for(1)
        assert webhook.requests == []
        payload = request.json()
        assert payload["title"].startswith("[DRILL] ") and payload["message"].startswith("[DRILL] ")
        sent = [e for e in notifications(events_of(home, incident_id)) if e["type"] == "notification.sent"]
        assert sent[0]["data"]["message_hash"] == hashlib.sha256(payload["message"].encode()).hexdigest()
    finally:
        drill_hook.stop()


def test_a_drill_with_notify_and_no_drill_channel_is_refused_before_anything_runs(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    done, out = start(home, "--drill", "--notify")
    assert done.returncode == 2
    assert out == "" and not list(home.glob("incidents/*.jsonl"))
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("crisisplay: error: --notify") and "[drill]" in error


def test_an_unknown_service_is_a_config_error_at_the_urls_own_position(tmp_path):
    home = home_with(tmp_path, '\n[contacts.manager]\nnotify = [\n  "slak://a/b/c",\n]\n')
    done, _ = start(home, "--notify")
    assert done.returncode == 2
    assert f"{home / 'config.toml'}:5:3:" in done.stderr and "slack" in done.stderr, done.stderr
    assert not list(home.glob("incidents/*.jsonl"))


# ----------------------------------------------------------------------------- faults


def test_a_server_answering_500_is_logged_as_failed_and_the_run_goes_on(tmp_path, webhook):
    webhook.status = 500
    home = home_with(tmp_path, manager_to(webhook.url()))
    done, incident_id = start(home, "--notify")
    assert done.returncode == 0, done.stderr
    events = events_of(home, incident_id)
    failed = [e for e in notifications(events) if e["type"] == "notification.failed"]
    assert [e["data"]["attempt"] for e in failed] == [1, 2]  # one target, tried twice
    assert "500" in failed[-1]["data"]["error"] and failed[-1]["data"]["final"] is True
    assert failed[0]["data"]["final"] is False
    assert events[-1]["type"] == "incident.closed"
    # The run said only "queued" as it went: its end names what never reached anyone.
    warned = [line for line in done.stderr.splitlines() if line.startswith("warning: not delivered")]
    assert len(warned) == 1 and "via json" in warned[0] and "500" in warned[0], done.stderr


def test_a_failed_delivery_is_logged_in_english_and_shown_in_the_readers_language(tmp_path):
    from notify_servers import refused_port

    home = home_with(tmp_path, 'language = "es"\n' + manager_to(f"json://127.0.0.1:{refused_port()}/x"))
    done, incident_id = start(home, "--notify")
    assert done.returncode == 0, done.stderr
    failed = [e for e in events_of(home, incident_id) if e["type"] == "notification.failed"]
    assert {e["data"]["error"] for e in failed} == {"connection refused"}  # data stays English
    assert "conexión rechazada" in done.stderr and "connection refused" not in done.stderr
    spanish = run_crisisplay(home, "export", incident_id)
    assert "conexión rechazada" in spanish.stdout and "connection refused" not in spanish.stdout
    english = run_crisisplay(home, "--lang", "en", "export", incident_id)
    assert "connection refused" in english.stdout and "conexión rechazada" not in english.stdout


def test_a_run_paused_by_an_answer_that_does_not_fit_still_names_what_was_not_delivered(tmp_path, webhook):
    webhook.status = 500
    home = home_with(tmp_path, manager_to(webhook.url()))
    answers = tmp_path / "answers.yaml"
    text = ANSWERS.read_text(encoding="utf-8").replace("  contact-customer: called", "  contact-customer: bogus")
    answers.write_text(text, encoding="utf-8")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), "--notify", timeout=120)
    assert done.returncode == 2 and "'bogus'" in done.stderr, done.stderr
    warned = [line for line in done.stderr.splitlines() if line.startswith("warning: not delivered")]
    assert len(warned) == 1 and "500" in warned[0], done.stderr


def test_a_hanging_server_times_out_and_the_close_waits_for_its_outcome(tmp_path, webhook):
    webhook.hang = True
    home = home_with(tmp_path, manager_to(webhook.url()))
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(ANSWERS), "--notify", timeout=120)
    assert done.returncode == 0, done.stderr
    events = events_of(home, done.stdout.strip())
    kinds = [e["type"] for e in events]
    failed = [e for e in events if e["type"] == "notification.failed"]
    assert failed and failed[-1]["data"]["final"] is True
    assert kinds.index("notification.failed") < kinds.index("incident.closed")  # logged before the close


@pytest.fixture(autouse=True)
def _short_attempts(monkeypatch):
    # Each attempt may take 2 s here, not 10: the hanging server's test stays short.
    monkeypatch.setenv("CRISISPLAY_NOTIFY_TIMEOUT", "2")


def test_a_secret_in_the_url_never_reaches_the_log_exports_or_output(tmp_path, webhook):
    url = f"json://user:{SECRET}@127.0.0.1:{webhook.port}/hook/{SECRET}?+X-Token={SECRET}&-p={SECRET}"
    home = home_with(tmp_path, manager_to(url))
    done, incident_id = start(home, "--notify")
    assert done.returncode == 0, done.stderr
    webhook.wait_for(1)
    outputs = [done.stdout, done.stderr]
    for fmt in ("md", "html", "json", "csv"):
        exported = run_crisisplay(home, "export", incident_id, "-f", fmt)
        assert exported.returncode == 0
        outputs.append(exported.stdout)
    outputs.append(run_crisisplay(home, "verify", incident_id, "-f", "json").stdout)
    outputs.append(run_crisisplay(home, "incidents", "-f", "json").stdout)
    for path in (home / "incidents").rglob("*"):  # the logs, and the `incidents` summary cache
        if path.is_file():
            outputs.append(path.read_text(encoding="utf-8", errors="replace"))
    assert not [text for text in outputs if SECRET in text]
    assert any("***" in text for text in outputs)


# ----------------------------------------------------------------------------- answers files simulate


def test_a_wrapped_answer_simulates_delivery_without_sending(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    answers = answers_with(tmp_path, "{answer: notified, notify: failed}")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), timeout=120)
    assert done.returncode == 0, done.stderr
    assert webhook.requests == []
    logged = notifications(events_of(home, done.stdout.strip()))
    assert [e["type"] for e in logged] == ["notification.queued", "notification.failed"]
    assert all(e["data"]["simulated"] is True for e in logged)
    assert logged[0]["data"]["service"] == "json"  # the configured target, masked, though nothing was sent
    exported = run_crisisplay(home, "export", done.stdout.strip(), "-f", "md").stdout
    assert "(simulated)" in exported


def test_a_wrapped_answer_with_notify_is_refused_at_its_position(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    answers = answers_with(tmp_path, "{answer: notified, notify: sent}")
    line = next(i for i, row in enumerate(answers.read_text().splitlines(), 1) if "escalate-manager" in row)
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), "--notify")
    assert done.returncode == 2
    assert f"{answers}:{line}:" in done.stderr and "--notify" in done.stderr
    assert webhook.requests == []


@pytest.mark.parametrize(
    ("wrapped", "said"),
    [
        ("{answer: notified, notify: maybe}", "sent, failed, skipped"),
        ("{answer: notified, notfy: sent}", "notify"),
        ("{notify: sent}", "answer"),
    ],
)
def test_a_wrapper_that_does_not_fit_is_refused_before_anything_runs(tmp_path, wrapped, said):
    home = home_with(tmp_path, "")
    answers = answers_with(tmp_path, wrapped)
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers))
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert not list(home.glob("incidents/*.jsonl"))


# ----------------------------------------------------------------------------- backups, in the engine


class _Contact:
    def __init__(self, backup: str | None = None, name: str | None = None):
        self.backup, self.name, self.phone, self.email = backup, name, None, None


def test_the_engine_takes_an_outcome_for_a_configured_backup_and_refuses_any_other_role():
    contacts = {"manager": _Contact(backup="executive"), "executive": _Contact(backup="legal")}
    assert engine.backups_of(["manager"], contacts) == {"executive": "manager", "legal": "executive"}
    assert engine.backups_of(["manager", "executive"], contacts) == {"legal": "executive"}
    assert engine.backups_of(["pr"], contacts) == {}


def test_a_backup_outcome_is_logged_with_whom_it_stood_in_for(tmp_path):
    home = home_with(tmp_path, '\n[contacts.manager]\nname = "Marta"\nbackup = "executive"\n')
    answers = answers_with(tmp_path, "{manager: unreachable, executive: notified}")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), timeout=120)
    assert done.returncode == 0, done.stderr
    events = events_of(home, done.stdout.strip())
    stood_in = [e for e in events if e["type"] == "escalation.notified" and e["step"] == "escalate-manager"]
    assert [(e["data"]["role"], e["data"].get("backup_for")) for e in stood_in] == [("executive", "manager")]


def test_an_outcome_for_a_role_that_is_no_backup_is_refused(tmp_path):
    home = home_with(tmp_path, "")
    answers = answers_with(tmp_path, "{manager: unreachable, executive: notified}")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), timeout=120)
    assert done.returncode != 0
    assert "executive" in done.stderr and "Traceback" not in done.stderr


def test_a_role_may_not_take_a_name_the_answers_file_reserves(tmp_path):
    book = tmp_path / "r.yaml"
    book.write_text(
        "crisisplay: 1\nid: r\ntitle: R\nroles:\n  notify: Someone\nphases:\n  - id: p\n    title: P\n"
        "    steps:\n      - id: s\n        type: escalate\n        prompt: Tell\n        to: [notify]\n",
        encoding="utf-8",
    )
    done = run_crisisplay(tmp_path, "lint", str(book))
    assert done.returncode == 1
    assert f"{book}:5:3: CP105" in done.stdout + done.stderr


# ----------------------------------------------------------------------------- in a terminal

ESCALATE_BOOK = """\
crisisplay: 1
id: call-the-manager
title: Call the manager
roles:
  manager: Your line manager
phases:
  - id: escalation
    title: Escalation
    steps:
      - id: tell-manager
        type: escalate
        prompt: Tell your manager now.
        to: [manager]
        template: "Heads-up: a customer is complaining in public."
      - id: what-next
        type: text
        prompt: What happens next?
"""


def terminal_run(tmp_path: Path, webhook: Webhook, *args: str):
    from test_interactive_e2e import Terminal

    home = home_with(tmp_path, manager_to(webhook.url()))
    book = tmp_path / "call-the-manager.yaml"
    book.write_text(ESCALATE_BOOK, encoding="utf-8")
    return home, Terminal(home, *args, str(book), CRISISPLAY_NOTIFY_TIMEOUT="30")


@pytest.mark.timeout(120)
def test_sending_from_the_terminal_never_holds_up_the_next_prompt(tmp_path, webhook):
    from test_interactive_e2e import ENTER, ID, loose

    webhook.hang = True  # the server takes the request and does not answer while the responder goes on
    home, term = terminal_run(tmp_path, webhook, "start")
    term.child.expect(loose("Send to Marta Ruiz via json"))
    term.send(ENTER)
    # The next question is already there while the server still holds the request.
    term.child.expect(loose("(delivery: sending)"))
    assert len(webhook.wait_for(1)) == 1
    term.send(ENTER)  # reached
    term.child.expect(loose("via json: sending"))  # the next step's header shows the delivery, still in flight
    term.child.expect(loose("What happens next?"))
    webhook.hang = False
    webhook.stop()  # the held request ends without an answer: the attempt fails, then a retry is refused
    term.send("We wait" + ENTER)
    assert term.finish() == 0
    events = events_of(home, ID.search(term.screen).group(0))
    kinds = [e["type"] for e in events]
    assert kinds.index("notification.queued") < kinds.index("step.answered")
    assert "notification.failed" in kinds and kinds.index("notification.failed") < kinds.index("incident.closed")
    assert events[-1]["type"] == "incident.closed"


def killed_while_sending(tmp_path: Path, webhook: Webhook) -> tuple[Path, str]:
    """A terminal run killed (SIGKILL) while its escalation is at a server that does not answer."""
    import signal

    from test_interactive_e2e import ENTER, ID, loose

    webhook.hang = True
    home, term = terminal_run(tmp_path, webhook, "start")
    term.child.expect(loose("Send to Marta Ruiz via json"))
    term.send(ENTER)
    term.child.expect(loose("(delivery: sending)"))
    webhook.wait_for(1)
    incident_id = ID.search(term.screen).group(0)
    term.child.kill(signal.SIGKILL)
    term.child.close()
    return home, incident_id


@pytest.mark.timeout(120)
def test_a_run_killed_while_a_delivery_is_in_flight_resumes_saying_so_and_offers_to_send_again(tmp_path, webhook):

    from test_interactive_e2e import ENTER, Terminal, loose, plain

    home, incident_id = killed_while_sending(tmp_path, webhook)
    logged = [e["type"] for e in events_of(home, incident_id)]
    assert logged[-1] == "notification.queued"  # queued, and nobody saw how it went
    assert run_crisisplay(home, "verify", incident_id).returncode == 0

    webhook.hang = False
    again = Terminal(home, "resume", incident_id)
    again.child.expect(loose("was in flight when the run stopped: outcome unknown"))
    again.child.expect(loose("Send it again to"))
    again.send(ENTER)  # send again
    # The step does not offer to send it a second time: it asks at once whether she was reached.
    again.child.expect(loose("Did you reach"))
    assert "Send to Marta Ruiz" not in plain(again.child.before)
    again.send(ENTER)
    again.child.expect(loose("What happens next?"))
    again.send("We wait" + ENTER)
    assert again.finish() == 0
    events = events_of(home, incident_id)
    sent = [e for e in events if e["type"] == "notification.sent"]
    assert len(sent) == 1 and sent[0]["data"]["delivery"] == "d2"
    assert run_crisisplay(home, "verify", incident_id).returncode == 0
    listed = json.loads(run_crisisplay(home, "incidents", "-f", "json").stdout)
    assert listed["incidents"][0]["deliveries_unknown"] == 0  # d1 was sent again as d2: nothing left to ask
    report = run_crisisplay(home, "export", incident_id, "-f", "md").stdout
    assert "outcome unknown; sent again as d2" in report and "delivered (attempt 1)" in report
    replaced = next(e for e in events if e["type"] == "notification.queued" and e["data"]["delivery"] == "d2")
    assert replaced["data"]["replaces"] == "d1"


# ----------------------------------------------------------------------------- the answer fits first


def test_an_escalate_answer_that_does_not_fit_pages_nobody(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    answers = answers_with(tmp_path, "bogus")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), "--notify", timeout=120)
    assert done.returncode == 2, done.stderr
    assert webhook.requests == []
    assert notifications(events_of(home, done.stdout.strip())) == []


def test_a_simulated_outcome_is_not_logged_for_an_answer_that_does_not_fit(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    answers = answers_with(tmp_path, "{answer: bogus, notify: failed}")
    done = run_crisisplay(home, "start", "pricing-error", "--answers", str(answers), timeout=120)
    assert done.returncode == 2, done.stderr
    assert notifications(events_of(home, done.stdout.strip())) == []


UNICODE_ROLE_BOOK = """\
crisisplay: 1
id: avisar
title: Avisar
locale: es
roles:
  asesoría-jurídica: Asesoría jurídica
phases:
  - id: p
    title: P
    steps:
      - id: avisar
        type: escalate
        prompt: Avisa a la asesoría jurídica.
        to: [asesoría-jurídica]
        template: Un cliente se queja en público.
"""


def test_a_role_written_with_a_combining_accent_in_the_answers_file_is_still_delivered_to(tmp_path, webhook):
    home = home_with(tmp_path, f'\n[contacts."asesoría-jurídica"]\nnotify = ["{webhook.url()}"]\n')
    book = tmp_path / "avisar.yaml"
    book.write_text(UNICODE_ROLE_BOOK, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    decomposed = "asesori\u0301a-juri\u0301dica"  # í as i + a combining acute accent (NFD)
    answers.write_text(f'steps:\n  avisar: {{"{decomposed}": notified}}\n', encoding="utf-8")
    done = run_crisisplay(home, "start", str(book), "--answers", str(answers), "--notify", timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(webhook.wait_for(1)) == 1
    sent = [e for e in notifications(events_of(home, done.stdout.strip())) if e["type"] == "notification.sent"]
    assert [e["data"]["role"] for e in sent] == ["asesoría-jurídica"]


@pytest.mark.timeout(120)
def test_leaving_a_lost_delivery_as_it_is_is_logged_and_not_asked_again(tmp_path, webhook):

    from test_interactive_e2e import CTRL_C, DOWN, ENTER, Terminal, loose

    home, incident_id = killed_while_sending(tmp_path, webhook)
    webhook.hang = False

    again = Terminal(home, "resume", incident_id)
    again.child.expect(loose("Send it again to"))
    again.send(DOWN + ENTER)  # leave it
    again.child.expect(loose("Send to Marta Ruiz via json"))
    again.send(CTRL_C)
    again.finish()
    left = [e for e in events_of(home, incident_id) if e["type"] == "notification.failed"]
    assert len(left) == 1 and left[0]["data"]["unknown"] is True and left[0]["data"]["delivery"] == "d1"

    third = Terminal(home, "resume", incident_id)
    third.child.expect(loose("Send to Marta Ruiz via json"))  # straight to the step: nothing asked about d1
    assert "Send it again" not in third.screen
    third.send(CTRL_C)
    third.finish()


@pytest.mark.parametrize("value", ["abc", "0", "-5", "9999"])
def test_a_timeout_that_is_not_a_number_of_seconds_is_refused_before_anything_runs(tmp_path, webhook, value):
    import subprocess
    import sys

    from incident_logs import cli_env

    home = home_with(tmp_path, manager_to(webhook.url()))
    done = subprocess.run(
        [sys.executable, "-m", "crisisplay", "start", "pricing-error", "--answers", str(ANSWERS), "--notify"],
        capture_output=True,
        text=True,
        env=cli_env(home, CRISISPLAY_NOTIFY_TIMEOUT=value),
        cwd=home,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("crisisplay: error: CRISISPLAY_NOTIFY_TIMEOUT=")
    assert not list(home.glob("incidents/*.jsonl")) and webhook.requests == []


def test_contacts_test_honours_the_attempt_timeout(tmp_path, webhook):
    webhook.hang = True
    home = home_with(tmp_path, manager_to(webhook.url()))
    done = run_crisisplay(home, "contacts", "test", "manager")  # the fixture sets 2 s
    assert done.returncode == 1
    assert "timed out after 2 s" in done.stdout + done.stderr


APPROVAL_BOOK = """\
crisisplay: 1
id: apology-approved
title: Apology, approved first
roles:
  manager: Your line manager
phases:
  - id: respond
    title: Respond
    steps:
      - id: apology
        type: message
        prompt: Post the apology.
        channel: Website
        template: "We are sorry: the price was our mistake."
        approval:
          by: [manager]
          need: all
"""


def test_a_message_awaiting_approval_sends_the_approvers_a_notice_with_the_text_and_the_commands(tmp_path, webhook):
    home = home_with(tmp_path, manager_to(webhook.url()))
    book = tmp_path / "apology-approved.yaml"
    book.write_text(APPROVAL_BOOK, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text("steps:\n  apology: send\n", encoding="utf-8")
    done = run_crisisplay(home, "start", str(book), "--answers", str(answers), "--notify", timeout=120)
    assert done.returncode == 3, done.stderr  # paused: awaiting approval
    incident_id = done.stdout.strip()
    [request] = webhook.wait_for(1)
    body = request.json()["message"]
    assert "We are sorry: the price was our mistake." in body
    assert f"crisisplay approve {incident_id} apology" in body
    events = events_of(home, incident_id)
    kinds = [e["type"] for e in events]
    assert "approval.requested" in kinds and "notification.sent" in kinds
    assert events[-1]["type"] == "incident.paused" and events[-1]["data"]["reason"] == "awaiting-approval"


def test_a_drill_whose_answers_file_approves_sends_no_approval_notice(tmp_path, webhook):
    drill_hook = Webhook().start()
    try:
        home = home_with(tmp_path, manager_to(webhook.url()) + f'\n[drill]\nnotify = ["{drill_hook.url()}"]\n')
        book = tmp_path / "apology-approved.yaml"
        book.write_text(APPROVAL_BOOK, encoding="utf-8")
        answers = tmp_path / "answers.yaml"
        answers.write_text("steps:\n  apology: {answer: send, approved_by: [manager]}\n", encoding="utf-8")
        done = run_crisisplay(home, "start", str(book), "--drill", "--answers", str(answers), "--notify", timeout=120)
        assert done.returncode == 0, done.stderr
        events = events_of(home, done.stdout.strip())
        kinds = [e["type"] for e in events]
        assert "approval.requested" in kinds and "approval.given" in kinds and "message.sent" in kinds
        assert not any("Approval needed" in r.json()["message"] for r in drill_hook.requests)
        assert webhook.requests == []
    finally:
        drill_hook.stop()
