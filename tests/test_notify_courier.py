"""The Courier against real servers on 127.0.0.1: what arrives, what fails and why, and its threads."""

from __future__ import annotations

import hashlib
import signal
import threading

import pytest
from notify_servers import Webhook, refused_port  # the smtp_server and webhook fixtures come from conftest.py

from crisisplay.notify.courier import Attempt, Courier, Notice
from crisisplay.notify.targets import Target, make_target

TOKEN = "Pw9courierSECRET"
BODY = "Blue Kettle was sold at 0 EUR; the complaint on twitter is viral.\n\nCall me: +34 600 000 001 — é ñ <b>&amp;"


def target(url: str) -> Target:
    return make_target(url, "crisisplay.toml:1:1")


class Reports:
    """The `report` a run would give: every attempt, in the order the courier reported them."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []
        self.sigint_blocked: list[bool] = []
        self.threads: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)
            self.sigint_blocked.append(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, []))
            self.threads.append(threading.current_thread().name)


@pytest.fixture
def reports() -> Reports:
    return Reports()


def test_an_e_mail_reaches_the_smtp_server_with_recipient_subject_and_the_exact_body(smtp_server, reports):
    courier = Courier(reports)
    notice = Notice("escalate-1", "Escalation: pricing error", BODY, (target(smtp_server.url(to="marta@example.com")),))
    courier.send(notice)
    courier.close()
    (received,) = smtp_server.messages
    assert received.recipients == ["marta@example.com"]
    assert received.subject == "Escalation: pricing error"
    assert received.body == BODY
    assert courier.state("escalate-1") == "delivered"
    assert [(a.attempt, a.ok, a.error) for a in reports.attempts] == [(1, True, None)]


def test_a_json_webhook_receives_the_title_and_the_exact_message(webhook, reports):
    courier = Courier(reports)
    notice = Notice("msg-1", "Holding statement", BODY, (target(webhook.url(query=f"+X-Token={TOKEN}")),))
    courier.send(notice)
    courier.close()
    (request,) = webhook.requests
    assert request.json()["title"] == "Holding statement"
    assert request.json()["message"] == BODY
    assert request.headers["X-Token"] == TOKEN  # the secret goes to the server, and only there
    assert notice.message_hash() == hashlib.sha256(BODY.encode("utf-8")).hexdigest()
    assert TOKEN not in reports.attempts[0].target.masked


def test_a_500_fails_with_its_reason_and_the_next_target_is_tried(webhook, smtp_server, reports):
    webhook.status = 500
    courier = Courier(reports, retries=1)
    notice = Notice("n", "t", BODY, (target(webhook.url(path=f"/{TOKEN}")), target(smtp_server.url())))
    courier.send(notice)
    courier.close()
    outcomes = [(a.attempt, a.target.service, a.ok, a.error) for a in reports.attempts]
    # 1 + retries attempts at the failing target, then the next one, then stop
    assert outcomes == [(1, "json", False, "HTTP 500"), (2, "json", False, "HTTP 500"), (3, "mailto", True, None)]
    assert len(webhook.requests) == 2
    assert [m.body for m in smtp_server.messages] == [BODY]
    assert courier.state("n") == "delivered"


def test_every_target_failing_leaves_the_last_reason_in_the_state(reports):
    courier = Courier(reports, retries=0)
    notice = Notice("n", "t", "b", (target(f"json://127.0.0.1:{refused_port()}/{TOKEN}"),))
    courier.send(notice)
    courier.close()
    assert [(a.ok, a.error) for a in reports.attempts] == [(False, "connection refused")]
    assert courier.state("n") == "failed: connection refused"
    assert courier.states() == {"n": "failed: connection refused"}


def test_a_hanging_server_fails_as_timed_out_and_send_never_waits_for_it(reports):
    hanging = Webhook(hang=True).start()  # accepts, reads, never answers until the test ends
    try:
        courier = Courier(reports, timeout=0.5, retries=0)
        courier.send(Notice("n", "t", "b", (target(hanging.url()),)))
        # send() came back while the server still holds the request unanswered
        assert courier.state("n") == "sending"
        courier.wait(timeout=30)  # the attempt is bounded by its timeout, not by the server
        assert courier.state("n") == "failed: timed out after 0.5 s"
        assert [(a.ok, a.error) for a in reports.attempts] == [(False, "timed out after 0.5 s")]
        courier.close()
    finally:
        hanging.stop()


def test_workers_block_sigint_and_no_thread_outlives_close(webhook, reports):
    courier = Courier(reports)
    for number in range(3):
        courier.send(Notice(f"n{number}", "t", "b", (target(webhook.url()),)))
    courier.close()
    assert reports.sigint_blocked == [True, True, True]
    assert all(name.startswith("crisisplay-notify-") for name in reports.threads)
    assert not [t for t in threading.enumerate() if t.name.startswith("crisisplay-notify")]
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the main thread still takes Ctrl-C


def test_a_report_that_raises_does_not_stop_delivery(webhook, smtp_server):
    seen: list[int] = []

    def report(attempt: Attempt) -> None:
        seen.append(attempt.attempt)
        raise OSError("disk full")

    webhook.status = 500
    courier = Courier(report, retries=0)
    courier.send(Notice("n", "t", BODY, (target(webhook.url()), target(smtp_server.url()))))
    courier.close()
    assert seen == [1, 2]
    assert courier.state("n") == "delivered"


def test_an_unknown_key_has_no_state_and_a_key_in_flight_cannot_be_sent_twice(reports):
    hanging = Webhook(hang=True).start()
    try:
        courier = Courier(reports, timeout=0.5, retries=0)
        assert courier.state("nothing") is None
        notice = Notice("n", "t", "b", (target(hanging.url()),))
        courier.send(notice)
        with pytest.raises(ValueError):
            courier.send(notice)
        courier.close()
    finally:
        hanging.stop()


def test_no_secret_in_any_error_and_nothing_on_the_terminal(webhook, capfd):
    webhook.status = 500
    reports = Reports()
    courier = Courier(reports, timeout=2, retries=0)
    urls = [
        webhook.url(path=f"/{TOKEN}", query=f"+X-Token={TOKEN}&-p={TOKEN}"),
        f"json://user:{TOKEN}@127.0.0.1:{refused_port()}/{TOKEN}",
        f"mailto://user:{TOKEN}@127.0.0.1:{refused_port()}?to=marta@example.com&from=a@example.com",
    ]
    for number, url in enumerate(urls):
        courier.send(Notice(f"n{number}", "t", "b", (target(url),)))
    courier.close()
    assert len(reports.attempts) == 3
    for attempt in reports.attempts:
        assert not attempt.ok
        assert attempt.error and TOKEN not in attempt.error and "\n" not in attempt.error
    assert TOKEN not in repr(courier.states())
    assert capfd.readouterr() == ("", "")


def test_an_unset_variable_fails_the_attempt_without_sending(monkeypatch, reports):
    monkeypatch.delenv("CRISIS_COURIER_UNSET", raising=False)
    courier = Courier(reports, retries=0)
    courier.send(Notice("n", "t", "b", (target("slack://${CRISIS_COURIER_UNSET}/#c"),)))
    courier.close()
    assert courier.state("n") == "failed: ${CRISIS_COURIER_UNSET} is not set"


def test_warm_loads_apprise_in_the_background():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from crisisplay.notify.courier import warm, _wait_for_warming\n"
        "warm()\n"
        "_wait_for_warming()\n"
        "print('apprise' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
    assert done.stderr == ""
