"""The header shown before every step, and the end-of-run summary, with a fixed clock.

The state is built the way a run builds it: `engine.start` makes the first event and
`events.replay` folds the rest. The clock is a fixed time, so each threshold (green, amber
under 25% left, red when missed; met or missed once reached) is checked exactly.
"""

from __future__ import annotations

import io
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pexpect
import pytest
import yaml
from rich.cells import cell_len
from rich.console import Console

from crisisplay import engine
from crisisplay.events import make_event, replay
from crisisplay.playbook.loader import check_text
from crisisplay.run.header import AMBER, GREEN, RED, header, position_text, run_summary, target_statuses

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def colours_allowed(monkeypatch):
    """Each test says whether it wants NO_COLOR; the environment the suite runs in does not."""
    monkeypatch.delenv("NO_COLOR", raising=False)


T0 = datetime(2026, 3, 14, 21, 40, tzinfo=UTC)  # detection time
INCIDENT = "20260314-214000-five-phases-a1b2"


def five_phase_playbook(title: str = "Product published at the wrong price") -> str:
    """Five phases; the second (Containment) has seven steps."""
    phases = [
        {
            "id": "detection",
            "title": "Detection",
            "steps": [{"id": "assess", "type": "confirm", "prompt": "Is it spreading?"}],
        }
    ]
    phases.append(
        {
            "id": "containment",
            "title": "Containment",
            "steps": [
                {
                    "id": f"contain-{i}",
                    "type": "confirm",
                    "prompt": f"Containment step {i}?",
                    **({"milestone": "acknowledged"} if i == 3 else {}),
                }
                for i in range(1, 8)
            ],
        }
    )
    for pid, ptitle in (("respond", "Respond"), ("monitor", "Monitor"), ("post-mortem", "Post-mortem")):
        phases.append(
            {
                "id": pid,
                "title": ptitle,
                "steps": [
                    {
                        "id": f"{pid}-step",
                        "type": "text",
                        "prompt": "What now?",
                        **({"milestone": "resolved"} if pid == "post-mortem" else {}),
                    }
                ],
            }
        )
    doc = {
        "crisisplay": 1,
        "id": "five-phases",
        "title": title,
        "severity": {"levels": ["low", "medium", "high", "critical"], "initial": "medium"},
        "targets": {"acknowledged": "1h", "resolved": "2d"},
        "phases": phases,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def state_at(events_after_start=(), *, drill: bool = True, title: str | None = None):
    checked = check_text(five_phase_playbook(**({"title": title} if title else {})))
    assert checked.ok, [str(f) for f in checked.findings]
    first = engine.start(
        INCIDENT,
        checked.playbook,
        {"id": "five-phases"},
        drill=drill,
        responder="Alice",
        organisation=None,
        detected_at=T0,
        now=T0,
        version="test",
    )
    return replay([*first, *events_after_start])


def milestone(name: str, after: timedelta, target: timedelta) -> dict:
    ms = int(after.total_seconds() * 1000)
    return make_event(
        "milestone.reached",
        "Alice",
        "contain-3",
        {"name": name, "elapsed_ms": ms, "target_ms": int(target.total_seconds() * 1000)},
        T0 + after,
    )


def status(state, now, name="acknowledged"):
    return next(s for s in target_statuses(state, now) if s.name == name)


def render(renderable, *, width: int = 80, color: bool = True) -> tuple[str, Console]:
    with open(os.devnull, "w") as sink:  # what is printed is read back from the recording
        console = Console(
            width=width,
            record=True,
            force_terminal=True,
            color_system="standard" if color else None,
            file=sink,
            legacy_windows=False,
        )
        console.print(renderable)
    return console.export_text(styles=False), console


def colour_of(renderable, fragment: str) -> str | None:
    """The foreground colour rich gives the segment holding `fragment`."""
    with open(os.devnull, "w") as sink:
        console = Console(width=80, force_terminal=True, color_system="standard", file=sink)
        for segment in console.render(renderable):
            if fragment in segment.text and segment.style is not None and segment.style.color is not None:
                return segment.style.color.name
    return None


# ----------------------------------------------------------------------------- time left


def test_plenty_of_time_left_is_green_with_the_time_left_and_the_target():
    got = status(state_at(), T0 + timedelta(minutes=10))
    assert got.text == "acknowledged: 50m left (target 1h)"
    assert got.style == GREEN


def test_exactly_a_quarter_left_is_still_green_and_just_under_is_amber():
    state = state_at()
    at_quarter = status(state, T0 + timedelta(minutes=45))
    just_under = status(state, T0 + timedelta(minutes=45, seconds=1))
    assert (at_quarter.text, at_quarter.style) == ("acknowledged: 15m left (target 1h)", GREEN)
    assert just_under.style == AMBER
    assert just_under.text == "acknowledged: 15m left (target 1h)"  # 14m59s, rounded up as a countdown


def test_under_a_quarter_left_is_amber_and_shows_seconds_in_the_last_minute():
    got = status(state_at(), T0 + timedelta(minutes=59, seconds=30))
    assert (got.text, got.style) == ("acknowledged: 30s left (target 1h)", AMBER)


def test_a_missed_target_is_red_and_says_how_long_ago():
    got = status(state_at(), T0 + timedelta(hours=1, minutes=5))
    assert (got.text, got.style) == ("acknowledged: missed 5m ago (target 1h)", RED)


def test_a_long_target_shows_hours_and_days():
    state = state_at()
    assert status(state, T0 + timedelta(minutes=1), "resolved").text == "resolved: 47h59m left (target 2d)"
    assert status(state, T0 + timedelta(days=3, hours=2), "resolved").text == "resolved: missed 26h ago (target 2d)"
    assert status(state, T0 + timedelta(days=4, hours=2), "resolved").text == "resolved: missed 2d2h ago (target 2d)"


def test_a_milestone_reached_in_time_is_met_and_green_whatever_the_clock_says_later():
    state = state_at([milestone("acknowledged", timedelta(minutes=20), timedelta(hours=1))])
    got = status(state, T0 + timedelta(hours=5))
    assert (got.text, got.style) == ("acknowledged ✓ at 20m (met)", GREEN)


def test_a_milestone_reached_late_is_red_and_says_by_how_much():
    state = state_at([milestone("acknowledged", timedelta(minutes=70), timedelta(hours=1))])
    got = status(state, T0 + timedelta(hours=2))
    assert (got.text, got.style) == ("acknowledged ✓ at 1h10m (missed by 10m)", RED)


@pytest.mark.parametrize("minutes, colour", [(10, "green"), (50, "yellow"), (65, "red")])
def test_the_rendered_header_colours_each_target_line(minutes, colour):
    state = state_at()
    fragment = status(state, T0 + timedelta(minutes=minutes)).text
    assert colour_of(header(state, T0 + timedelta(minutes=minutes), "contain-3"), fragment) == colour


# ----------------------------------------------------------------------------- what the header says


def test_position_text_names_the_phase_number_title_and_the_step_within_it():
    state = state_at()
    assert position_text(state, "contain-3") == "Phase 2/5 · Containment · step 3 of 7"
    assert position_text(state, "assess") == "Phase 1/5 · Detection · step 1 of 1"
    assert position_text(state, "post-mortem-step") == "Phase 5/5 · Post-mortem · step 1 of 1"


def test_header_shows_id_title_drill_severity_time_since_detection_targets_and_position():
    text, _ = render(header(state_at(), T0 + timedelta(minutes=12, seconds=5), "contain-3"))
    assert INCIDENT in text
    assert "Product published at the wrong price" in text
    assert " DRILL " in text and "REAL" not in text
    assert "Severity MEDIUM" in text
    assert "12m since detection" in text
    assert "acknowledged: 48m left (target 1h)" in text  # 47m55s: a countdown rounds up
    assert "resolved: 47h48m left (target 2d)" in text
    assert "Phase 2/5 · Containment · step 3 of 7" in text


def test_a_real_incident_says_real_not_drill():
    text, _ = render(header(state_at(drill=False), T0, "assess"))
    assert " REAL " in text and "DRILL" not in text


def test_header_shows_the_severity_after_a_change():
    change = make_event(
        "severity.changed", "Alice", "assess", {"from": "medium", "to": "critical", "reason": "press"}, T0
    )
    text, _ = render(header(state_at([change]), T0, "assess"))
    assert "Severity CRITICAL" in text and "MEDIUM" not in text


@pytest.mark.parametrize("title", ["Short", "A very long playbook title " * 6])
@pytest.mark.parametrize("console_width", [80, 120, 60])
def test_the_header_fits_in_80_columns(title, console_width):
    state = state_at(title=title)
    late = T0 + timedelta(days=3, hours=7, minutes=59)
    text, _ = render(header(state, late, "contain-7", width=min(80, console_width)), width=console_width)
    lines = text.splitlines()
    assert lines, text
    widest = max(cell_len(line) for line in lines)
    assert widest <= min(80, console_width), "\n" + text
    assert "acknowledged: missed 3d6h ago (target 1h)" in text
    assert "resolved: missed 31h59m ago (target 2d)" in text


# ----------------------------------------------------------------------------- NO_COLOR

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(output: str) -> list[str]:
    """The SGR sequences that set a colour (foreground or background); bold and reverse are not colours."""
    found = []
    for params in SGR.findall(output):
        codes = [int(p) for p in params.split(";") if p]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code in (38, 48):
                found.append(params)
                break
            if 30 <= code <= 37 or 40 <= code <= 47 or 90 <= code <= 97 or 100 <= code <= 107:
                found.append(params)
                break
            i += 1
    return found


def test_the_colour_check_itself_sees_colours_when_there_are_some():
    written = io.StringIO()
    console = Console(force_terminal=True, color_system="standard", width=80, file=written)
    console.print(header(state_at(), T0 + timedelta(hours=2), "assess"))
    assert colour_codes(written.getvalue())


def test_a_console_without_colour_renders_the_header_with_no_colour_codes(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    written = io.StringIO()
    console = Console(force_terminal=True, width=80, file=written)
    assert console.no_color
    console.print(header(state_at(drill=False), T0 + timedelta(hours=2), "assess"))
    console.print(run_summary(state_at(), [], T0 + timedelta(hours=2)))
    out = written.getvalue()
    assert "REAL" in out and "missed 1h ago" in out
    assert colour_codes(out) == []


CRISISPLAY = Path(sys.executable).parent / "crisisplay"
SMALL_BOOK = Path(__file__).parent / "data" / "interactive" / "wrong-price-drill.yaml"


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_color_run_in_a_terminal_prints_no_colour_codes(tmp_path, how):
    assert CRISISPLAY.exists(), "installing the project must put the `crisisplay` script beside its Python"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "EDITOR", "VISUAL", "CRISISPLAY_HOME")}
    env.update(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm-256color", CRISISPLAY_HOME=str(tmp_path / "home"))
    args = ["start", str(SMALL_BOOK), "--var", "product=Kettle", "--var", "channel=twitter", "--responder", "Al"]
    if how == "NO_COLOR":
        env["NO_COLOR"] = "1"
    else:
        args.append("--no-color")
    child = pexpect.spawn(str(CRISISPLAY), args, env=env, encoding="utf-8", timeout=10, dimensions=(40, 80))
    child.logfile_read = io.StringIO()
    try:
        child.expect("How far has the complaint spread")
        child.expect_exact("(arrow keys, Enter)")
        child.send("\r")
        child.expect_exact("(y / n")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    screen = child.logfile_read.getvalue()
    assert child.exitstatus == 130
    # the header and the prompts were on screen, and none of it was coloured
    assert "Phase 1/3 · Detection · step 2 of 2" in strip_ansi(screen)
    assert colour_codes(screen) == []


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]", "", text)


def test_a_colour_run_in_a_terminal_does_print_colour_codes(tmp_path):
    """The counterpart of the NO_COLOR test: the same run with colours allowed shows some."""
    assert CRISISPLAY.exists(), "installing the project must put the `crisisplay` script beside its Python"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "EDITOR", "VISUAL", "CRISISPLAY_HOME")}
    env.update(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm-256color", CRISISPLAY_HOME=str(tmp_path / "home"))
    child = pexpect.spawn(
        str(CRISISPLAY),
        ["start", str(SMALL_BOOK), "--var", "product=Kettle", "--var", "channel=twitter", "--responder", "Al"],
        env=env,
        encoding="utf-8",
        timeout=10,
        dimensions=(40, 80),
    )
    child.logfile_read = io.StringIO()
    try:
        child.expect_exact("(arrow keys, Enter)")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    screen = child.logfile_read.getvalue()
    assert colour_codes(screen)


# ----------------------------------------------------------------------------- end of run


def test_the_summary_says_met_missed_and_not_reached_once_the_run_is_over():
    events = [
        milestone("acknowledged", timedelta(minutes=70), timedelta(hours=1)),
        make_event("message.sent", "Alice", "contain-3", {"channel": "x", "text": "Sorry"}, T0 + timedelta(minutes=70)),
        make_event(
            "escalation.notified",
            "Alice",
            "contain-3",
            {"role": "m", "contact": {}, "message": "m"},
            T0 + timedelta(minutes=71),
        ),
        make_event(
            "incident.closed", "Alice", None, {"outcome": "completed", "reason": "end"}, T0 + timedelta(minutes=75)
        ),
    ]
    state = state_at(events)
    first = engine.start(
        INCIDENT,
        state.playbook,
        {},
        drill=True,
        responder="Alice",
        organisation=None,
        detected_at=T0,
        now=T0,
        version="test",
    )
    text, _ = render(run_summary(state, [*first, *events], T0 + timedelta(days=9)))
    assert f"Incident {INCIDENT}: completed" in text
    assert "Duration 1h15m since detection · final severity medium" in text
    assert "acknowledged ✓ at 1h10m (missed by 10m)" in text
    # the run ended with time left on `resolved`: the summary does not pretend it is still running
    assert "resolved: not reached (target 2d)" in text
    assert "left" not in text
    assert "Messages sent: 1 · people reached: 1 · not reached: 0" in text
