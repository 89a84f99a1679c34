"""`check_targets`: every configured URL known to Apprise, each problem at the URL's own path:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisplay.config import load_config
from crisisplay.errors import ConfigError
from crisisplay.notify.check import check_targets

TOKEN = "Xk4secretCHECK"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    home, cwd = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    cwd.mkdir()
    return home, cwd


def checked(folders: tuple[Path, Path], text: str) -> tuple[Path, str | None]:
    home, cwd = folders
    path = cwd / "crisisplay.toml"
    path.write_text(text, encoding="utf-8")
    try:
        check_targets(load_config(home, cwd))
    except ConfigError as err:
        assert err.exit_code == 2
        return path, str(err)
    return path, None


def test_good_urls_pass(folders):
    _path, error = checked(
        folders,
        """\
[contacts.manager]
notify = ["json://127.0.0.1:8080/hook", "mailto://127.0.0.1:2525?to=marta@example.com&from=crisis@example.com"]
[channels.slack]
notify = ["slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#crisis"]
[drill]
notify = ["ntfy://ntfy.example.com/drills"]
""",
    )
    assert error is None


def test_no_targets_need_no_apprise(folders):
    assert checked(folders, '[contacts.manager]\nname = "Marta"\n')[1] is None


def test_an_unknown_service_is_named_at_its_url_with_did_you_mean(folders):
    path, error = checked(
        folders,
        f'[contacts.manager]\nname = "Marta"\nnotify = [\n  "json://127.0.0.1/x",\n  "slak://{TOKEN}/B/C",\n]\n',
    )
    assert error == f"{path}:5:3: unknown notification service 'slak://'; did you mean 'slack://'?"


def test_a_service_with_no_close_match_has_no_suggestion(folders):
    path, error = checked(folders, f'[drill]\nnotify = ["zzqqxx://{TOKEN}"]\n')
    assert error == f"{path}:2:11: unknown notification service 'zzqqxx://'"


def test_text_that_is_not_a_url(folders):
    path, error = checked(folders, f'[channels.ops]\nnotify = ["{TOKEN}"]\n')
    assert error is not None and error.startswith(f"{path}:2:11: not a notification URL")
    assert TOKEN not in error


@pytest.mark.parametrize(
    "url",
    [
        f"slack://{TOKEN}",  # one token where Slack needs three
        f"tgram://{TOKEN}",  # no bot token shape
        f"mailto://{TOKEN}",  # no address to send from
        "json://",
        f"discord://{TOKEN}",
    ],
)
def test_a_url_apprise_cannot_use_is_an_error_without_the_secret(folders, url):
    path, error = checked(folders, f'[contacts.pr]\nnotify = ["{url}"]\n')
    service = url.split(":", 1)[0]
    assert error is not None and error.startswith(f"{path}:2:11: not a valid {service}:// address"), error
    assert TOKEN not in error
    assert "\n" not in error


def test_an_unset_variable_is_reported_where_it_is_used(folders, monkeypatch):
    monkeypatch.delenv("CRISIS_CHECK_UNSET", raising=False)
    path, error = checked(folders, '[contacts.manager]\nnotify = ["slack://${CRISIS_CHECK_UNSET}/#crisis"]\n')
    assert error == f"{path}:2:11: ${{CRISIS_CHECK_UNSET}} is not set"


def test_a_set_variable_passes_and_its_value_never_shows(folders, monkeypatch):
    monkeypatch.setenv("CRISIS_CHECK_TOKEN", TOKEN)
    _path, error = checked(folders, '[contacts.manager]\nnotify = ["slak://${CRISIS_CHECK_TOKEN}/B/C"]\n')
    assert error is not None and TOKEN not in error


def test_apprise_logs_nothing_to_the_terminal(folders, capfd):
    checked(folders, f'[contacts.pr]\nnotify = ["slack://{TOKEN}"]\n')
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_msteams_which_apprise_2_dropped_points_at_workflows(folders):
    path, error = checked(folders, f'[channels.teams]\nnotify = ["msteams://team/{TOKEN}/B/C"]\n')
    assert error == f"{path}:2:11: unknown notification service 'msteams://'; did you mean 'workflows://'?"
