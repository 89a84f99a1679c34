"""Shared fixtures: the real CLI in a subprocess, and a small valid playbook to mutate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The loopback SMTP server and JSON webhook every notification test may ask for (tests/notify_servers.py).
from notify_servers import smtp_server, webhook  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "playbooks"

# A small valid playbook in the format of SPEC.md. test_loader.py pins line:col positions
# inside it: add lines at the end only, or update those tests with it.
MINIMAL_PLAYBOOK = """\
crisisplay: 1
id: minimal
title: A minimal playbook
severity:
  levels: [low, medium, high]
  initial: low
targets:
  acknowledged: 1h
  resolved: 2d
roles:
  manager: Your line manager
inputs:
  product:
    prompt: Which product?
    type: text
phases:
  - id: detection
    title: Detection
    steps:
      - id: assess-reach
        type: choice
        prompt: How far has it spread?
        options:
          - label: Contained
            value: contained
          - label: Viral
            value: viral
            severity: high
            next: notify-manager
        save_as: reach
      - id: fix-price
        type: confirm
        prompt: Is the price fixed?
      - id: notify-manager
        type: escalate
        to: [manager]
        when: severity >= 'medium'
        template: "{{ product }} is {{ reach }}."
      - id: holding-statement
        type: message
        channel: twitter
        template: We are looking into {{ product }}.
        milestone: acknowledged
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: what-happened
        type: text
        prompt: What happened?
        section: summary
        milestone: resolved
"""


# Answers that take MINIMAL_PLAYBOOK from start to end on its contained path.
MINIMAL_ANSWERS = """\
inputs:
  product: Blue Kettle
steps:
  assess-reach: contained
  fix-price: yes
  holding-statement: send
  what-happened: It was the import.
"""


@pytest.fixture
def minimal_playbook() -> str:
    """The text of a small valid playbook; tests replace parts of it to break it."""
    return MINIMAL_PLAYBOOK


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    """The `<home>` folder the `run_cli` fixture points CRISISPLAY_HOME at."""
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def cli_cwd(tmp_path: Path) -> Path:
    """The working folder `run_cli` runs in (empty unless a test puts files there)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return cwd


# The machine's language must not choose the interface's: tests ask for a language explicitly.
LANGUAGE_VARIABLES = ("CRISISPLAY_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def cli_environment(home: Path) -> dict:
    """The environment the CLI runs with in tests: `home` as CRISISPLAY_HOME, colours on, wide, no language chosen."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CRISISPLAY_HOME", "CRISISPLAY_STORE", "NO_COLOR", *LANGUAGE_VARIABLES)
    }
    environment.update({"CRISISPLAY_HOME": str(home), "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    return environment


@pytest.fixture(autouse=True)
def _interface_in_english(monkeypatch):
    """Each test starts in English, whatever the machine's locale, and leaves no language behind."""
    from crisisplay import i18n

    for variable in LANGUAGE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    i18n.configure()
    yield
    i18n.configure()


@pytest.fixture
def run_cli(cli_home: Path, cli_cwd: Path):
    """Run `python -m crisisplay ARGS...` for real; returns (returncode, stdout, stderr)."""

    def run(
        *args: str, input: str | None = None, env: dict | None = None, cwd: Path | None = None, timeout: float = 60
    ) -> tuple[int, str, str]:
        environment = cli_environment(cli_home)
        environment.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "crisisplay", *map(str, args)],
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=cwd or cli_cwd,
            env=environment,
            timeout=timeout,
        )
        return done.returncode, done.stdout, done.stderr

    return run


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home folder (modules that need one with a config.toml define their own `home`)."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """An empty working folder, apart from the home."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def write(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path`; the path."""
    path.write_text(text, encoding="utf-8")
    return path
