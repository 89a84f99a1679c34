"""What a user gets from the built distribution, and what the package needs from its environment.

The wheel and sdist are built from this source tree with hatchling (the build backend, in the
test extra) into a temporary folder: nothing is downloaded and the tree is left untouched.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from crisisplay import __version__
from crisisplay.playbook.schema import SHIPPED

REPO = Path(__file__).resolve().parents[1]
DIST_INFO = f"crisisplay-{__version__}.dist-info"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-t", "sdist", "-d", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def wheel(built) -> zipfile.ZipFile:
    [path] = built.glob("crisisplay-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_ships_the_typing_marker_the_bundled_playbooks_and_the_schema(wheel):
    names = set(wheel.namelist())
    assert "crisisplay/py.typed" in names
    assert wheel.read("crisisplay/schema/playbook-v1.json") == SHIPPED.read_bytes()
    bundled = sorted((REPO / "playbooks").glob("*.yaml"))
    assert bundled
    for playbook in bundled:
        assert wheel.read(f"crisisplay/playbooks/{playbook.name}") == playbook.read_bytes()


def test_the_wheel_ships_the_bundled_drill_scenarios(wheel):
    bundled = sorted((REPO / "crisisplay" / "drills").glob("*.yaml"))
    assert len(bundled) == len(list((REPO / "playbooks").glob("*.yaml")))
    for scenario in bundled:
        assert wheel.read(f"crisisplay/drills/{scenario.name}") == scenario.read_bytes()


def test_the_wheel_ships_the_compiled_message_catalogues(wheel):
    catalogues = sorted((REPO / "crisisplay" / "locale").glob("*/LC_MESSAGES/crisisplay.mo"))
    assert catalogues
    for catalogue in catalogues:
        assert wheel.read(catalogue.relative_to(REPO).as_posix()) == catalogue.read_bytes()


def test_the_wheel_declares_the_mit_licence_and_carries_its_text(wheel):
    metadata = email.message_from_bytes(wheel.read(f"{DIST_INFO}/METADATA"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    text = wheel.read(f"{DIST_INFO}/licenses/LICENSE").decode("utf-8")
    assert text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 crisisplay developers" in text


def test_the_wheel_classifiers_name_the_pythons_the_platform_and_the_licence(wheel):
    metadata = email.message_from_bytes(wheel.read(f"{DIST_INFO}/METADATA"))
    classifiers = set(metadata.get_all("Classifier"))
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (11, 12, 13)} <= classifiers
    assert {
        "Operating System :: POSIX",
        "Environment :: Console",
        "Typing :: Typed",
        "License :: OSI Approved :: MIT License",
    } <= classifiers
    assert any(c.startswith("Topic :: ") for c in classifiers)
    assert metadata["Requires-Python"] == ">=3.11"


def test_the_sdist_carries_the_licence_the_typing_marker_and_the_tests(built):
    [path] = built.glob("crisisplay-*.tar.gz")
    with tarfile.open(path) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "crisisplay/py.typed", "crisisplay/schema/playbook-v1.json", "tests/conftest.py"} <= names


def test_every_runtime_dependency_has_a_floor():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    assert [r for r in requirements if ">=" not in r] == []


def test_without_a_home_setting_the_data_folder_is_the_platforms_per_user_one(tmp_path):
    """platformdirs decides the default home: $XDG_DATA_HOME/crisisplay on Linux and the BSDs,
    ~/Library/Application Support/crisisplay on macOS."""
    data = tmp_path / "xdg-data"
    env = {k: v for k, v in os.environ.items() if k not in ("CRISISPLAY_HOME", "XDG_DATA_HOME")}
    env.update(XDG_DATA_HOME=str(data), HOME=str(tmp_path / "home"), PYTHONIOENCODING="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crisisplay",
            "start",
            "pricing-error",
            "--drill",
            "--answers",
            str(REPO / "examples" / "pricing-error.answers.yaml"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    incident_id = done.stdout.splitlines()[0]
    home = tmp_path / "home" / "Library" / "Application Support" if sys.platform == "darwin" else data
    assert (home / "crisisplay" / "incidents" / f"{incident_id}.jsonl").is_file()
