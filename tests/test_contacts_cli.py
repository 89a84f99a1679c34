"""`crisisplay contacts` and `crisisplay contacts test`, run for real against servers on 127.0.0.1."""

from __future__ import annotations

import json

from notify_servers import Webhook, refused_port  # the smtp_server and webhook fixtures come from conftest.py

TOKEN = "Qv3contactsTOKEN"


def configure(cli_cwd, text: str) -> None:
    (cli_cwd / "crisisplay.toml").write_text(text, encoding="utf-8")


def test_contacts_lists_roles_people_masked_targets_and_backups(run_cli, cli_cwd):
    configure(
        cli_cwd,
        f"""\
[contacts.manager]
name = "Marta Ruiz"
notify = ["slack://{TOKEN}/B0/C0/#crisis", "mailtos://marta:{TOKEN}@smtp.example.com?to=marta@example.com"]
backup = "pr"

[contacts.pr]
name = "Leo Kim"
""",
    )
    code, out, err = run_cli("contacts")
    assert code == 0, err
    assert "Marta Ruiz" in out and "slack://***/***/***/#crisis" in out and "mailtos://***@smtp.example.com" in out
    assert "Leo Kim" in out and "no targets" in out
    assert TOKEN not in out + err
    code, out, err = run_cli("contacts", "-f", "json")
    assert code == 0, err
    rows = {row["role"]: row for row in json.loads(out)["contacts"]}
    assert rows["manager"]["backup"] == "pr"
    assert [t["service"] for t in rows["manager"]["targets"]] == ["slack", "mailtos"]
    assert rows["manager"]["targets"][0]["where"].endswith("crisisplay.toml:3:11")
    assert rows["pr"]["targets"] == []
    assert TOKEN not in out + err


def test_contacts_test_sends_to_every_target_and_says_delivered(run_cli, cli_cwd, smtp_server, webhook):
    configure(
        cli_cwd,
        f"""\
[contacts.manager]
name = "Marta Ruiz"
notify = ["{webhook.url(query=f"+X-Token={TOKEN}")}", "{smtp_server.url(to="marta@example.com")}"]

[contacts.legal]
name = "Lex"
""",
    )
    code, out, err = run_cli("contacts", "test")
    assert code == 0, err
    lines = out.splitlines()
    assert lines == [
        f"manager (Marta Ruiz) via json://127.0.0.1:{webhook.port}/***?+X-Token=***: delivered",
        f"manager (Marta Ruiz) via mailto://127.0.0.1:{smtp_server.port}?to=***&from=***: delivered",
        "legal (Lex): no targets",
    ]
    # every target got it, not only the first that worked
    expected = "crisisplay test notice for manager: if you read this, crisisplay can reach you."
    assert [r.json()["message"] for r in webhook.requests] == [expected]
    assert [(m.recipients, m.body) for m in smtp_server.messages] == [(["marta@example.com"], expected)]
    assert TOKEN not in out + err


def test_contacts_test_exits_1_naming_each_failure(run_cli, cli_cwd, webhook):
    failing = Webhook(status=500).start()
    try:
        configure(
            cli_cwd,
            f"""\
[contacts.manager]
notify = ["{failing.url(path=f"/{TOKEN}")}", "json://user:{TOKEN}@127.0.0.1:{refused_port()}/x"]
[contacts.pr]
notify = ["{webhook.url()}"]
""",
        )
        code, out, err = run_cli("contacts", "test", "manager")
        assert code == 1, err
        assert out.splitlines() == [
            f"manager via json://127.0.0.1:{failing.port}/***: failed: HTTP 500",
            f"manager via json://***@127.0.0.1:{out.split('@127.0.0.1:')[1].split('/')[0]}/***: failed: connection refused",
        ]
        assert webhook.requests == []  # only the role named was tested
        code, out, err = run_cli("contacts", "test", "-f", "json")
        assert code == 1
        data = json.loads(out)
        assert (data["delivered"], data["failed"]) == (1, 2)
        assert [(r["role"], r["delivered"], r["error"]) for r in data["results"]] == [
            ("manager", False, "HTTP 500"),
            ("manager", False, "connection refused"),
            ("pr", True, None),
        ]
        assert TOKEN not in out + err
    finally:
        failing.stop()


def test_an_unknown_role_is_exit_2_with_did_you_mean(run_cli, cli_cwd):
    configure(cli_cwd, '[contacts.manager]\nnotify = ["json://127.0.0.1:9/x"]\n')
    code, _out, err = run_cli("contacts", "test", "managr")
    assert code == 2
    assert "no contact for role 'managr'; did you mean 'manager'?" in err
    assert "Traceback" not in err


def test_a_bad_url_is_exit_2_before_anything_is_sent(run_cli, cli_cwd, webhook):
    configure(cli_cwd, f'[contacts.manager]\nnotify = ["{webhook.url()}", "slak://{TOKEN}/B/C"]\n')
    code, out, err = run_cli("contacts", "test")
    assert code == 2
    assert err.strip() == (
        f"crisisplay: error: {cli_cwd / 'crisisplay.toml'}:2:{13 + len(webhook.url()) + 2}: "
        "unknown notification service 'slak://'; did you mean 'slack://'?"
    )
    assert webhook.requests == []
    assert TOKEN not in out + err


def test_a_word_other_than_test_is_a_usage_error(run_cli, cli_cwd):
    code, _out, err = run_cli("contacts", "tset")
    assert code == 2
    assert "did you mean 'test'?" in err


def test_contacts_test_in_spanish(run_cli, cli_cwd, webhook):
    configure(cli_cwd, f'[contacts.manager]\nnotify = ["{webhook.url()}"]\n')
    code, out, err = run_cli("--lang", "es", "contacts", "test")
    assert code == 0, err
    assert "entregado" in out
    assert webhook.requests[0].json()["message"].startswith("Aviso de prueba de crisisplay para manager")
