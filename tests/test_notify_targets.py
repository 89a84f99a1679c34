"""Notification targets in the configuration: masking, ${VARS}, and each URL's own path:line:col."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crisisplay.config import load_config
from crisisplay.errors import ConfigError
from crisisplay.notify.targets import mask

TOKEN = "Zq7uniqueTOKEN"  # appears nowhere but where a test puts it

from conftest import write  # noqa: E402  (the `home` and `cwd` fixtures are conftest's too)

# ----------------------------------------------------------------------------- mask()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (f"slack://{TOKEN}A/{TOKEN}B/{TOKEN}C/#crisis", "slack://***/***/***/#crisis"),
        (f"tgram://123456789:{TOKEN}/987654", "tgram://***/***"),
        (
            f"mailtos://ana:{TOKEN}@smtp.example.com?to=maria@example.com",
            "mailtos://***@smtp.example.com?to=***",
        ),
        (
            f"json://ana:{TOKEN}@127.0.0.1:8080/path{TOKEN}?+X-Token={TOKEN}&-p={TOKEN}",
            "json://***@127.0.0.1:8080/***?+X-Token=***&-p=***",
        ),
        (f"discord://112233445566/{TOKEN}", "discord://***/***"),
        (f"ntfy://{TOKEN}@ntfy.example.com/topic{TOKEN}", "ntfy://***@ntfy.example.com/***"),
        (
            f"msteams://team/{TOKEN}@aaaa-bbbb/IncomingWebhook/{TOKEN}/{TOKEN}x",
            "msteams://***/***/***/***/***",
        ),
        (f"workflows://prod.westeurope.logic.azure.com:443/{TOKEN}/{TOKEN}?signature={TOKEN}", None),
        (f"mailto://{TOKEN}@gmail.com", "mailto://***@gmail.com"),
        (f"mailto://smtp.example.com:587/maria@example.com?pass={TOKEN}", None),
        (f"json://[::1]:8080/{TOKEN}", "json://[::1]:8080/***"),
        (f"form://localhost/{TOKEN}?{TOKEN}", "form://localhost/***?***"),
        (f"pover://{TOKEN}@{TOKEN}x", "pover://***@***"),
        (f"not a url {TOKEN}", "***"),
        (f"slack://{TOKEN}:{TOKEN}@{TOKEN}/x", "slack://***@***/***"),
    ],
)
def test_mask_keeps_where_it_goes_and_hides_every_secret(url, masked):
    shown = mask(url)
    assert TOKEN not in shown
    assert TOKEN.lower() not in shown.lower()
    if masked is not None:
        assert shown == masked


def test_mask_keeps_a_host_name_and_port_and_an_e_mail_recipient():
    assert mask("json://hooks.example.com:8443/") == "json://hooks.example.com:8443/"
    assert mask("mailto://smtp.example.com/maria@example.com") == "mailto://smtp.example.com/maria@example.com"


def test_a_token_in_the_hosts_place_is_masked():
    # Slack and Telegram write tokens where a host would be: no dot, or a port that is not a number.
    assert mask("slack://T1JJ3T3L2") == "slack://***"
    assert mask("tgram://123456:ABCDEF") == "tgram://***"


# ----------------------------------------------------------------------------- the configuration


def test_contacts_channels_and_drill_targets_are_read_with_service_and_mask(home, cwd):
    write(
        cwd / "crisisplay.toml",
        f"""\
[contacts.manager]
name = "Marta Ruiz"
notify = ["json://127.0.0.1:9/hook?+X-Token={TOKEN}", "mailto://127.0.0.1:25?to=marta@example.com"]
backup = "pr"

[channels.slack]
notify = ["slack://{TOKEN}/B/C/#crisis"]

[drill]
notify = ["ntfy://ntfy.example.com/drill{TOKEN}"]
""",
    )
    config = load_config(home, cwd)
    manager = config.contacts["manager"]
    assert manager.backup == "pr"
    assert [t.service for t in manager.notify] == ["json", "mailto"]
    assert manager.notify[0].url == f"json://127.0.0.1:9/hook?+X-Token={TOKEN}"
    assert manager.notify[0].masked == "json://127.0.0.1:9/***?+X-Token=***"
    assert [t.service for t in config.channels["slack"]] == ["slack"]
    assert [t.masked for t in config.drill_notify] == ["ntfy://ntfy.example.com/***"]
    assert TOKEN not in repr(config)  # a Target's repr shows the masked form


def test_contacts_without_notify_keep_their_old_shape(home, cwd):
    write(cwd / "crisisplay.toml", '[contacts.legal]\nname = "Lex"\n')
    contact = load_config(home, cwd).contacts["legal"]
    assert (contact.notify, contact.backup) == ((), None)


def test_variables_are_expanded_from_the_environment(home, cwd, monkeypatch):
    monkeypatch.setenv("CRISIS_SLACK_TOKEN", f"{TOKEN}/B0/C0")
    write(cwd / "crisisplay.toml", '[contacts.manager]\nnotify = ["slack://${CRISIS_SLACK_TOKEN}/#crisis"]\n')
    (target,) = load_config(home, cwd).contacts["manager"].notify
    assert target.url == f"slack://{TOKEN}/B0/C0/#crisis"
    assert TOKEN not in target.masked
    assert target.missing == ()


def test_a_variable_in_the_hosts_place_is_masked_too(home, cwd, monkeypatch):
    monkeypatch.setenv("HOOK_HOST", f"{TOKEN}.example.com")
    write(cwd / "crisisplay.toml", '[channels.ops]\nnotify = ["json://${HOOK_HOST}/x"]\n')
    (target,) = load_config(home, cwd).channels["ops"]
    assert TOKEN not in target.masked


def test_an_unset_variable_is_not_an_error_when_reading(home, cwd, monkeypatch):
    monkeypatch.delenv("CRISIS_UNSET_TOKEN", raising=False)
    write(cwd / "crisisplay.toml", '[contacts.manager]\nnotify = ["slack://${CRISIS_UNSET_TOKEN}/#crisis"]\n')
    (target,) = load_config(home, cwd).contacts["manager"].notify
    assert target.missing == ("CRISIS_UNSET_TOKEN",)


def test_each_url_points_at_its_own_string_in_multi_line_arrays(home, cwd):
    path = write(
        cwd / "crisisplay.toml",
        """\
responder = "Ana"   # "notify" in a comment

[contacts.manager]
name = "Marta"
notify = [
    # "json://commented.example.com/"
    "json://first.example.com/a",
      'json://second.example.com/b',  # a literal string
]

[contacts."asesoría-jurídica"]
notify = ["json://first.example.com/a"]

[channels.slack]
notify = [ "json://third.example.com/c" ]

[drill]
notify = ["json://fourth.example.com/d"]
""",
    )
    config = load_config(home, cwd)
    assert [t.where for t in config.contacts["manager"].notify] == [f"{path}:7:5", f"{path}:8:7"]
    # the same URL under another role points at its own copy
    assert [t.where for t in config.contacts["asesoría-jurídica"].notify] == [f"{path}:12:11"]
    assert [t.where for t in config.channels["slack"]] == [f"{path}:15:12"]
    assert [t.where for t in config.drill_notify] == [f"{path}:18:11"]


def test_urls_in_inline_tables_are_found_too(home, cwd):
    path = write(
        cwd / "crisisplay.toml",
        '[contacts]\nmanager = { name = "Marta", notify = ["json://a.example.com/x"] }\n',
    )
    (target,) = load_config(home, cwd).contacts["manager"].notify
    assert target.where == f"{path}:2:39"


def test_channel_names_compare_in_nfc(home, cwd):
    decomposed = "comunicacio\u0301n"
    write(cwd / "crisisplay.toml", f'[channels."{decomposed}"]\nnotify = ["json://a.example.com/x"]\n')
    assert "comunicación" in load_config(home, cwd).channels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[contacts.manager]\nnotify = "json://a.example.com/"\n', ":2:1: 'notify' should be a list"),
        ("[contacts.manager]\nnotify = [1]\n", ":2:1: 'notify' should be a list"),
        ("[contacts.manager]\nbackup = 3\n", ":2:1: 'backup' should be text"),
        ("[channels.slack]\nnotfy = []\n", ":2:1: unknown key 'notfy' in [channels.slack]; did you mean 'notify'?"),
        ("[drill]\nnotifi = []\n", ":2:1: unknown key 'notifi' in [drill]; did you mean 'notify'?"),
        (
            '[contacts.manager]\nnotif = ["x"]\n',
            ":2:1: unknown key 'notif' in [contacts.manager]; did you mean 'notify'?",
        ),
        ('channels = "slack"\n', ":1:1: 'channels' should be tables"),
        ("[channels]\nslack = 1\n", ":2:1: [channels.slack] should be a table"),
    ],
)
def test_structural_mistakes_are_config_errors_at_their_key(home, cwd, text, expected):
    path = write(cwd / "crisisplay.toml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}{expected}"), str(raised.value)
    assert raised.value.exit_code == 2


def test_a_local_channel_replaces_the_home_one(home, cwd):
    write(home / "config.toml", '[channels.slack]\nnotify = ["json://home.example.com/"]\n[drill]\nnotify = []\n')
    write(cwd / "crisisplay.toml", '[channels.slack]\nnotify = ["json://local.example.com/"]\n')
    config = load_config(home, cwd)
    assert [t.masked for t in config.channels["slack"]] == ["json://local.example.com/"]
    assert config.drill_notify == ()


# ----------------------------------------------------------------------------- Apprise stays unloaded


def _imports_apprise(code: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('apprise' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "True"


def test_importing_the_notify_package_and_the_config_does_not_import_apprise():
    assert not _imports_apprise("import crisisplay.notify, crisisplay.notify.targets, crisisplay.config")
    assert not _imports_apprise("import crisisplay.notify.courier, crisisplay.notify.check, crisisplay.notify.contacts")
    assert not _imports_apprise("import crisisplay.cli")


@pytest.mark.parametrize(
    "args",
    [["--version"], ["show", "pricing-error"], ["lint", "playbooks/pricing-error.yaml"], ["list"], ["contacts"]],
)
def test_commands_that_never_deliver_never_import_apprise(args, tmp_path):
    from conftest import REPO, cli_environment

    (tmp_path / "crisisplay.toml").write_text('[contacts.manager]\nnotify = ["json://a.example.com/x"]\n', "utf-8")
    environment = cli_environment(tmp_path / "home")
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "crisisplay",
            *[a.replace("playbooks/", f"{REPO}/playbooks/") for a in args],
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert imported  # -X importtime did report
    assert not [name for name in imported if name.split(".")[0] == "apprise"]
