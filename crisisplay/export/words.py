"""The words and times the two reports (md and html) share, so they always say the same thing."""

from __future__ import annotations

from datetime import datetime

from crisisplay import events as ev
from crisisplay.metrics import (
    MET,
    MISSED,
    NOT_REACHED,
    PAUSED,
    Metrics,
    TargetResult,
)
from crisisplay.display import visible  # noqa: F401 (the reports' own name for it)
from crisisplay.playbook.model import format_duration

class LocalTimes:
    """Local time with its offset (`2026-03-01 09:00:00 +01:00`), fast for long logs.

    Offsets only change on a whole minute, so the text up to the minute and the offset are
    worked out once per minute and the seconds added: a 100k-event report stays linear and cheap.
    """

    def __init__(self):
        self._minutes: dict[int, tuple[str, str] | None] = {}

    def __call__(self, moment: datetime | str | None) -> str:
        if moment is None:
            return "—"
        if isinstance(moment, str):
            moment = ev.parse_ts(moment)
        stamp = int(moment.timestamp())
        parts = self._minutes.get(stamp // 60, False)
        if parts is False:
            parts = self._minutes[stamp // 60] = _minute_parts(moment)
        if parts is None:  # an offset with seconds (old local mean times): no shortcut
            return _local_text(moment)
        return f"{parts[0]}{stamp % 60:02d}{parts[1]}"


def _local_text(moment: datetime) -> str:
    local = moment.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _minute_parts(moment: datetime) -> tuple[str, str] | None:
    """(`YYYY-MM-DD HH:MM:`, ` +HH:MM`) of the local minute holding `moment`; None if the offset has seconds."""
    local = moment.astimezone()
    if local.utcoffset().seconds % 60:
        return None
    text = _local_text(moment)
    return text[:17], text[19:]


def since_start(elapsed_ms: int | None) -> str:
    """Time since detection in the format's words, like `+1h5m`; `-` before it.

    `format_duration`'s words, worked out inline: a long timeline calls this once a row.
    """
    if elapsed_ms is None:
        return "—"
    sign = "-" if elapsed_ms < 0 else "+"
    seconds = abs(elapsed_ms) // 1000
    if not seconds:
        return sign + "0s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return (f"{sign}{f'{days}d' if days else ''}{f'{hours}h' if hours else ''}"
            f"{f'{minutes}m' if minutes else ''}{f'{seconds}s' if seconds else ''}")


def kind(metrics: Metrics) -> str:
    return "DRILL" if metrics.state.drill else "real"


def status_words(metrics: Metrics) -> str:
    """The status with its reason: `closed (completed)`, `paused — incomplete (answers ran out)`."""
    state = metrics.state
    if state.closed:
        reason = f": {state.close_reason}" if state.outcome != "completed" and state.close_reason else ""
        return f"closed ({state.outcome or 'closed'}{reason})"
    if metrics.status == PAUSED:
        return f"paused — incomplete ({state.pause_reason or 'no reason given'})"
    return f"{metrics.status} — incomplete"


def incomplete_notice(metrics: Metrics) -> str | None:
    """The warning an unfinished incident's report opens with, or None when it is closed."""
    if metrics.complete:
        return None
    return (f"This incident is {metrics.status}, not closed: the report is incomplete and covers "
            f"only what was logged up to {LocalTimes()(metrics.end_at)}.")


def verification_notice(metrics: Metrics) -> str | None:
    """The warning a report of a log that did not verify opens with (`export --force`), or None."""
    result = metrics.verification
    if result is None or result.ok:
        return None
    return (f"Log not verified: {result.verdict.removeprefix('log not verified: ')}. Exported with --force: "
            "this report may not be what was logged; `crisisplay verify` shows the break.")


def drill_notice(metrics: Metrics) -> str | None:
    if not metrics.state.drill:
        return None
    return "DRILL — a rehearsal, not a real incident."


def duration_words(metrics: Metrics) -> str:
    words = format_duration(max(0, metrics.duration_ms))
    return words if metrics.complete else f"{words} so far (incomplete)"


def result_words(target: TargetResult) -> str:
    """`met, 25m to spare`, `missed by 10m`, `not reached`, `reached (no target)`."""
    result, margin = target.result, target.margin_ms
    if result == MET:
        return f"met, {format_duration(margin)} to spare" if margin else "met, just in time"
    if result == MISSED:
        return f"missed by {format_duration(-margin)}"
    if result == NOT_REACHED:
        return "not reached"
    return "reached (no target)"


def section_title(section: str) -> str:
    """A `section:` name as a heading: `root-cause` → `Root cause`."""
    words = section.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def summary_rows(metrics: Metrics, local: LocalTimes) -> list[tuple[str, str]]:
    """The summary header, in the contract's order, as (label, value) pairs of plain text."""
    state, source = metrics.state, metrics.state.source
    level = state.playbook.severity.label
    playbook = f"{metrics.playbook.title} ({metrics.playbook.id})"
    if source.get("sha256"):
        playbook += f", sha256 {source['sha256'][:12]}…"
    return [
        ("Incident", state.incident_id),
        ("Playbook", playbook),
        ("Drill or real", kind(metrics)),
        ("Start (detected)", local(state.detected_at)),
        ("Opened in crisisplay", local(state.started_at)),
        ("End", local(metrics.ended) if metrics.ended else "not ended"),
        ("Duration", duration_words(metrics)),
        ("Final severity", f"{level(state.severity)} (started {level(state.playbook.severity.start)}, "
                           f"{len(metrics.severity_changes)} change(s))"),
        ("Responders", ", ".join(state.responders)),
        ("Status", status_words(metrics)),
        ("Decisions", f"{metrics.decisions} answered, {len(metrics.skips)} skipped"),
        ("Events", str(metrics.count)),
        ("Head hash", metrics.head or ""),
        *([("Verification", metrics.verification.verdict)] if metrics.verification else []),
    ]
