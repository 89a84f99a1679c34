"""The HTML report opened in a real headless browser: what chromium built, and a picture of it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from crisisplay.export import export_incident
from tests.test_export import HOSTILE, build

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTIONS = ("summary", "response-times", "what-happened", "timeline", "messages", "escalations", "notes",
            "action-items")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not found:
        pytest.skip("no chromium on this machine: install Debian's chromium to run the browser test")
    return found


def browse(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", timeout=120)


def test_chromium_builds_the_report_with_its_sections_and_svg_timeline(tmp_path):
    browser = chromium()
    journal = build(tmp_path, say=lambda s: s + " " + HOSTILE[:300], drill=True)
    report = tmp_path / "report.html"
    export_incident(journal, "html", report, io.BytesIO())

    dom = browse(browser, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.DOTALL).group(1)
    assert title.startswith("DRILL — Post-mortem: Blue Kettle sold at 0 EUR") and journal.incident_id in title
    for section in SECTIONS:
        assert f'id="{section}"' in dom.stdout, section
    svg = re.search(r"<svg.*?</svg>", dom.stdout, re.DOTALL).group(0)
    assert svg.count('class="phase"') == 3 and svg.count("<polygon") == 4 and "acknowledged ≤ 1h" in svg
    assert "<script" not in dom.stdout and "&lt;script&gt;" in dom.stdout  # the hostile text stayed text

    picture = tmp_path / "report.png"
    shot = browse(browser, tmp_path / "profile", f"--screenshot={picture}", "--window-size=1200,2000", report.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000
