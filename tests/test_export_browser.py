"""The HTML report in a real headless browser: at a desktop's and a phone's width, and printed.

Chromium is driven over the DevTools protocol (tests/browser.py): the export itself holds no
script, so the boxes are measured from outside. Screenshots and PDFs are kept under
`$CRISISPLAY_ARTEFACTS/browser/` (by default the system's temporary folder, then
`crisisplay-artefacts/browser/`) so a person can look at what the test saw; the folder is printed.
The tests are skipped only when no chromium can be found.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from crisisplay.export import export_incident
from tests.browser import FLAGS, Browser, find_chromium, pdf_pages
from tests.incident_logs import REPO
from tests.long_incident import build_long_incident
from tests.test_export import HOSTILE, build

SECTIONS = (
    "summary",
    "response-times",
    "what-happened",
    "timeline",
    "messages",
    "escalations",
    "notes",
    "action-items",
    "event-log",
)
WIDTHS = (1280, 390)
MAX_PAGES = 6

# Measured in the page: anything reaching past the sides of the window, and the chart's labels and
# milestone marks that cover one another (a box of no size is not shown: skipped).
MEASURE = """JSON.stringify((() => {
  const width = document.documentElement.clientWidth, slack = 0.5;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.getAttribute('class') ? '.' + e.getAttribute('class').split(' ').join('.') : '');
  const shown = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 ? r : null; };
  const wide = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = shown(e);
    if (r && (r.left < -slack || r.right > width + slack)) wide.push([name(e), Math.round(r.left), Math.round(r.right)]);
  }
  const overlapping = selector => {
    const boxes = [...document.querySelectorAll(selector)].map(e => [e, shown(e)]).filter(([, r]) => r);
    const pairs = [];
    boxes.forEach(([a, ra], i) => boxes.slice(i + 1).forEach(([b, rb]) => {
      if (ra.left < rb.right - slack && rb.left < ra.right - slack && ra.top < rb.bottom - slack && rb.top < ra.bottom - slack)
        pairs.push([a.textContent || name(a), b.textContent || name(b)]);
    }));
    return [boxes.length, pairs];
  };
  const [labels, labelOverlaps] = overlapping('#visual-timeline text');
  const [marks, markOverlaps] = overlapping('#visual-timeline use, #visual-timeline polygon');
  return {width, innerWidth, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 15),
          labels, labelOverlaps, marks, markOverlaps};
})())"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_chromium()
    if not executable:
        pytest.skip("no chromium on this machine: install Debian's chromium to run the browser tests")
    session = Browser(executable, tmp_path_factory.mktemp("chromium-profile"))
    yield session
    session.close()


@pytest.fixture
def artefacts(request, capsys) -> Path:
    """A folder kept after the run for this test's screenshots and PDFs; its path is printed."""
    root = Path(os.environ.get("CRISISPLAY_ARTEFACTS") or Path(tempfile.gettempdir()) / "crisisplay-artefacts")
    folder = root / "browser" / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    with capsys.disabled():
        print(f"\n  browser artefacts: {folder}")
    return folder


def html_report(journal, folder: Path, name: str) -> Path:
    report = folder / f"{name}.html"
    export_incident(journal, "html", report, io.BytesIO())
    return report


def measure(browser: Browser, report: Path, width: int, picture: Path) -> dict:
    browser.open(report.as_uri(), width, mobile=width < 600)
    found = json.loads(browser.evaluate(MEASURE))
    browser.screenshot(picture)
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return found


def test_chromium_builds_the_report_with_its_sections_and_svg_timeline(tmp_path):
    executable = find_chromium()
    if not executable:
        pytest.skip("no chromium on this machine: install Debian's chromium to run the browser tests")
    journal = build(tmp_path, say=lambda s: s + " " + HOSTILE[:300], drill=True)
    report = html_report(journal, tmp_path, "report")

    dom = subprocess.run(
        [executable, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", report.as_uri()],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.DOTALL).group(1)
    assert title.startswith("DRILL — Post-mortem: Blue Kettle sold at 0 EUR") and journal.incident_id in title
    for section in SECTIONS:
        assert f'id="{section}"' in dom.stdout, section
    svg = re.search(r"<svg.*?</svg>", dom.stdout, re.DOTALL).group(0)
    assert svg.count('class="row phase-row"') == 3 and svg.count('<use class="mark') == 4 and "acknowledged ≤ 1h" in svg
    assert "<script" not in dom.stdout and "&lt;script&gt;" in dom.stdout  # the hostile text stayed text


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_incident_fits_the_window_and_no_chart_label_covers_another(width, browser, artefacts, tmp_path):
    report = html_report(build_long_incident(tmp_path), artefacts, "long-incident")
    found = measure(browser, report, width, artefacts / f"long-incident-{width}px.png")
    assert found["innerWidth"] == width and found["scrollWidth"] <= width, (
        found
    )  # no sideways scrolling, no zooming out
    assert found["wide"] == [], found["wide"]
    assert found["labels"] >= 12 + 4 and found["labelOverlaps"] == [], found  # 8 phases, 4 targets, the axis
    assert found["marks"] == 4 and found["markOverlaps"] == [], found  # every milestone visible


@pytest.mark.parametrize("width", WIDTHS)
def test_hostile_text_stays_inside_the_window(width, browser, artefacts, tmp_path):
    journal = build(
        tmp_path, say=lambda s: s + " " + HOSTILE + " " + "x" * 300, responder="Mallory" + "y" * 200, title=HOSTILE[:60]
    )
    found = measure(browser, html_report(journal, artefacts, "hostile"), width, artefacts / f"hostile-{width}px.png")
    assert found["scrollWidth"] <= width and found["wide"] == [], found
    assert found["labelOverlaps"] == [], found


def answered_example(playbook: str, home: Path, scenario: str | None = None):
    """A bundled playbook run with its example answers file, as a user would rehearse it: a drill
    (`start --drill`), or with `scenario` a drill of that scenario."""
    from crisisplay.journal import Journal
    from tests.incident_logs import only_log

    # `pricing-error.interim` runs pricing-error with its branch's file
    command = ["drill", scenario] if scenario else ["start", playbook.split(".")[0], "--drill"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crisisplay",
            "--home",
            str(home),
            *command,
            "--answers",
            str(REPO / "examples" / f"{playbook}.answers.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return Journal(only_log(home))


EXAMPLES = sorted(p.name.removesuffix(".answers.yaml") for p in (REPO / "examples").glob("*.answers.yaml"))


@pytest.mark.parametrize(
    ("playbook", "scenario"),
    [
        ("pricing-error", "pricing-error-viral-weekend"),
        ("data-breach", "data-breach-invoice-links"),
        ("caida-retrasos", "caida-retrasos-semana-punta-atasco"),
    ],
)
def test_a_drill_report_with_its_scorecard_prints_on_at_most_eight_pages(
    playbook, scenario, browser, artefacts, tmp_path
):
    journal = answered_example(playbook, tmp_path, scenario)
    report = html_report(journal, artefacts, scenario)
    text = report.read_text(encoding="utf-8")
    assert "Scorecard" in text or "Puntuación" in text or "puntuación" in text
    browser.open(report.as_uri(), 1280)
    for paper in ("A4", "Letter"):
        pages = pdf_pages(browser.pdf(artefacts / f"{scenario}-{paper}.pdf", paper))
        assert 1 <= pages <= MAX_PAGES + 2, (scenario, paper, pages)


@pytest.mark.parametrize("incident", ["long-incident", *EXAMPLES])
def test_a_typical_incident_prints_on_six_pages_of_a4_and_letter_eight_with_a_drill_scorecard(
    incident, browser, artefacts, tmp_path
):
    journal = build_long_incident(tmp_path) if incident == "long-incident" else answered_example(incident, tmp_path)
    report = html_report(journal, artefacts, incident)
    # the examples run as drills, whose report adds the scorecard: two pages more at the most
    most = MAX_PAGES if incident == "long-incident" else MAX_PAGES + 2
    browser.open(report.as_uri(), 1280)
    for paper in ("A4", "Letter"):
        pages = pdf_pages(browser.pdf(artefacts / f"{incident}-{paper}.pdf", paper))
        assert 1 <= pages <= most, (incident, paper, pages)
