"""The words and times the two reports (md and html) share, so they always say the same thing.

Every word here is in the report's language (`i18n`), looked up when the report is written.
Times in English keep the report's long-standing form, `2026-03-29 00:15:00 +01:00`; in any
other language they are Babel's locale formats (`i18n.format_datetime`), worked out once a
minute as the English ones are, so a long log stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from crisisplay import events as ev
from crisisplay import i18n, narrative
from crisisplay.display import visible
from crisisplay.i18n import N_, _, joined, ngettext
from crisisplay.metrics import (
    MET,
    MISSED,
    NOT_REACHED,
    PAUSED,
    Metrics,
    Moment,
    Record,
    TargetResult,
)
from crisisplay.notify.reasons import failure_words
from crisisplay.personal import ERASED
from crisisplay.playbook.model import format_duration
from crisisplay.playbook.roles import role_label

if TYPE_CHECKING:
    from crisisplay.clocks import DeadlineStatus
    from crisisplay.journal import VerifyResult
from crisisplay.times import parse_ts


class _Timed(Protocol):
    @property
    def at(self) -> datetime: ...


_Row = TypeVar("_Row", bound=_Timed)  # a timeline row: anything with its time `at`


class LocalTimes:
    """Local time with its offset (`2026-03-01 09:00:00 +01:00`), fast for long logs.

    Offsets only change on a whole minute, so the text up to the minute and the offset are
    worked out once per minute and the seconds added: a 100k-event report stays linear and cheap.
    """

    def __init__(self) -> None:
        self._minutes: dict[int, tuple[str, str] | None] = {}
        # English keeps the ISO-like form its reports always had; another language, Babel's.
        self._lang: str | None = None if i18n.language() == i18n.ENGLISH else i18n.language()

    def __call__(self, moment: datetime | str | None) -> str:
        if moment is None:
            return "—"
        if isinstance(moment, str):
            moment = parse_ts(moment)
        stamp = int(moment.timestamp())
        parts = self._minute(moment, stamp)
        if parts is None:  # an offset with seconds (old local mean times): no shortcut
            return _local_text(moment) if self._lang is None else i18n.format_datetime(moment, self._lang)
        return f"{parts[0]}{stamp % 60:02d}{parts[1]}"

    def _minute(self, moment: datetime, stamp: int) -> tuple[str, str] | None:
        """`_minute_parts` of the minute holding `moment` (whose timestamp is `stamp`), once a minute."""
        minute = stamp // 60
        if minute not in self._minutes:
            if len(self._minutes) >= _MINUTES:  # a report holds nothing that grows with the incident's length
                self._minutes.clear()
            if self._lang is None:
                self._minutes[minute] = _minute_parts(moment)
            else:
                lang = self._lang
                self._minutes[minute] = _around_seconds(moment, lambda at: i18n.format_datetime(at, lang))
        return self._minutes[minute]


_MINUTES = 4096  # local minutes remembered at most: rows come in time order, the last ones are what repeats


def _local_text(moment: datetime) -> str:
    local = moment.astimezone()
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def _minute_parts(moment: datetime) -> tuple[str, str] | None:
    """(`YYYY-MM-DD HH:MM:`, ` +HH:MM`) of the local minute holding `moment`; None if the offset has seconds."""
    local = moment.astimezone()
    offset = (local.utcoffset() or timedelta(0)).total_seconds()
    if offset % 60:
        return None
    hours, minutes = divmod(int(abs(offset)) // 60, 60)
    return f"{local:%Y-%m-%d %H:%M:}", f" {'-' if offset < 0 else '+'}{hours:02d}:{minutes:02d}"


def _around_seconds(moment: datetime, write: Callable[[datetime], str]) -> tuple[str, str] | None:
    """(the text before the seconds, the text after them) of `write` for the minute holding `moment`.

    `write` is run for the minute's second 0 and second 59: the two texts differ only in the
    seconds, so the rest is the same for the whole minute. None when that does not hold (a
    format without seconds, an offset with seconds): the caller then writes each time in full.
    """
    local = moment.astimezone()
    if (local.utcoffset() or timedelta(0)).total_seconds() % 60:
        return None
    start = moment - timedelta(seconds=local.second, microseconds=local.microsecond)
    first, last = write(start), write(start + timedelta(seconds=59))
    before = 0
    while before < min(len(first), len(last)) and first[before] == last[before]:
        before += 1
    after = len(first) - before - 2
    if after < 0 or first[before : before + 2] != "00" or last[before:] != "59" + first[before + 2 :]:
        return None
    return first[:before], first[before + 2 :]


def since_start(elapsed_ms: int | None, fine: bool = False) -> str:
    """Time since detection in the format's words, like `+1h5m`; `-` before it.

    `fine` (an incident shorter than a minute) writes seconds to the millisecond, `+0.25s`, so
    a drill answered in one go does not read `+0s +0s +0s`. `format_duration`'s words, worked
    out inline: a long timeline calls this once a row.
    """
    if elapsed_ms is None:
        return "—"
    sign = "-" if elapsed_ms < 0 else "+"
    if fine and abs(elapsed_ms) < 60_000:
        seconds_text = f"{abs(elapsed_ms) / 1000:.3f}".rstrip("0").rstrip(".")
        if i18n.language() != i18n.ENGLISH:  # `+0,25s` in Spanish: the language's decimal mark
            seconds_text = seconds_text.replace(".", i18n.number_marks()[0])
        return f"{sign}{seconds_text}s"
    seconds = abs(elapsed_ms) // 1000
    if not seconds:
        return sign + "0s"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return (
        f"{sign}{f'{days}d' if days else ''}{f'{hours}h' if hours else ''}"
        f"{f'{minutes}m' if minutes else ''}{f'{seconds}s' if seconds else ''}"
    )


def since_roughly(elapsed_ms: int, fine: bool = False) -> str:
    """`since_start` cut to its two largest units (`+3d23h`, `+1h35m`): short enough for a chart label."""
    text = since_start(elapsed_ms, fine)
    if fine and abs(elapsed_ms) < 60_000:
        return text
    units = _UNITS.findall(text)
    return text[0] + "".join(units[:2]) if units else text


_UNITS = re.compile(r"\d+[dhms]")
BRIEF_MS = 60_000  # an incident shorter than this shows its times to the millisecond


class ReportClock(LocalTimes):
    """How one report writes times: local time with its offset (call it), and time since detection.

    `since` is to the millisecond when the whole incident took less than a minute (a drill
    answered in one go); `day` splits a local time into the day it falls on and the time of day.
    """

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.fine = abs(metrics.duration_ms) < BRIEF_MS
        # Rows follow each other in time: the minute of the last row is kept, not a table of them.
        self._since_minute: int | None = None
        self._since_prefix = ""
        self._day_minute: int | None = None
        self._day = ""
        self._hour_minute = ("", "")  # the time of day around its seconds

    def since(self, elapsed_ms: int | None) -> str:
        """`since_start` for this report, worked out once a minute for a long one."""
        if elapsed_ms is None or self.fine or elapsed_ms < 0:
            return since_start(elapsed_ms, self.fine)
        minute, second = divmod(elapsed_ms // 1000, 60)
        if minute != self._since_minute:
            self._since_minute, self._since_prefix = minute, since_start(minute * 60_000) if minute else "+"
        if second:
            return f"{self._since_prefix}{second}s"
        return self._since_prefix if minute else "+0s"

    def by_day(self, rows: Iterable[_Row]) -> Iterator[tuple[_Row, str, str | None]]:
        """(row, its local time of day, the day when the row is the first of one, else None), for rows with `.at`."""
        day = None
        for row in rows:
            this_day, time_of_day = self.day(row.at)
            yield row, time_of_day, (this_day if this_day != day else None)
            day = this_day

    def day(self, moment: datetime) -> tuple[str, str]:
        """(the day and offset, like `2026-03-29 +01:00`, for `day_words`; the time of day, `00:15:00`)."""
        stamp = int(moment.timestamp())
        if stamp // 60 != self._day_minute:
            # The offset may change on any minute (summer time). English shares the minutes already worked out.
            parts = self._minute(moment, stamp) if self._lang is None else _minute_parts(moment)
            clock = parts and (parts[0][11:], "") if self._lang is None else _around_seconds(moment, self._time)
            if parts is None or clock is None:  # an offset with seconds (old local mean times): no shortcut
                text = _local_text(moment)
                return text[:10] + text[19:], text[11:19] if self._lang is None else self._time(moment)
            self._day_minute, self._day, self._hour_minute = stamp // 60, parts[0][:10] + parts[1], clock
        return self._day, f"{self._hour_minute[0]}{stamp % 60:02d}{self._hour_minute[1]}"

    def _time(self, moment: datetime) -> str:
        """A local time of day in the language's medium format (Babel's locale data)."""
        from babel.dates import format_time

        return format_time(moment.astimezone(), "medium", locale=self._lang or i18n.ENGLISH)


def remembered(escape: Callable[[Any], str], limit: int = 4096) -> Callable[[Any], str]:
    """`escape`, remembering its answers: steps and people repeat on every row of a long log.

    At most `limit` of them: a log written by hand may hold a new text on every line, and a
    report holds nothing that grows with the log.
    """
    found: dict[object, str] = {}

    def once(text: object) -> str:
        try:
            done = found.get(text)
        except TypeError:  # a log written by hand: an actor that is an object, say
            return escape(text)
        if done is None:
            if len(found) >= limit:
                found.clear()
            done = found[text] = escape(text)
        return done

    return once


def day_words(day: str) -> str:
    """A `day` key as a heading: `Sunday 29 March 2026 (UTC+01:00)`."""
    date = datetime.strptime(day[:10], "%Y-%m-%d")
    if i18n.language() == i18n.ENGLISH:
        return f"{date:%A} {date.day} {date:%B %Y} (UTC{day[11:]})"
    from babel.dates import format_date

    return f"{format_date(date, 'full', locale=i18n.language())} (UTC{day[11:]})"


def clip(text: object, limit: int = 160) -> str:
    """User text on one line, shortened to `limit` characters: for a line whose full text the report shows elsewhere."""
    text = "" if text is None else str(text)
    if len(text) <= limit and "\n" not in text and "\r" not in text:
        return text  # most lines: nothing to do (the reports make control characters visible when they escape)
    text = " ".join(visible(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


LOG_CLIP = 120


def log_words(metrics: Metrics, moment: Moment) -> str:
    """An event's words in the appendix: notes and post-mortem answers shortened, as the report shows them in full."""
    if moment.type == ev.NOTE_ADDED or (moment.type == ev.STEP_ANSWERED and moment.step in metrics.sections):
        return clip(moment.words, LOG_CLIP)
    return moment.words


def kind(metrics: Metrics) -> str:
    return _("DRILL") if metrics.state.drill else _("real")


def value_words(value: str | None) -> str:
    """A status, outcome or result as the log writes it, in the report's words (as written if unknown)."""
    return narrative.log_words(value)


def reason_words(reason: str | None) -> str:
    """A severity change's reason: "[erased]" once erased, a reason the engine wrote (a drill's
    inject) in the report's words, a responder's as typed."""
    return ERASED if reason is None else narrative.log_words(reason)


def status_words(metrics: Metrics) -> str:
    """The status with its reason: `closed (completed)`, `paused — incomplete (answers ran out)`."""
    state = metrics.state
    if state.closed:
        outcome = value_words(state.outcome or "closed")
        if state.outcome != "completed" and state.close_reason:
            outcome = _("{outcome}: {reason}").format(outcome=outcome, reason=narrative.log_words(state.close_reason))
        return _("closed ({outcome})").format(outcome=outcome)
    if metrics.status == PAUSED:
        return _("paused — incomplete ({reason})").format(
            reason=narrative.log_words(state.pause_reason or ev.REASON_NONE)
        )
    return _("{status} — incomplete").format(status=value_words(metrics.status))


def incomplete_notice(metrics: Metrics) -> str | None:
    """The warning an unfinished incident's report opens with, or None when it is closed."""
    if metrics.complete:
        return None
    return _(
        "This incident is {status}, not closed: the report is incomplete and covers only what was logged up to {time}."
    ).format(status=value_words(metrics.status), time=LocalTimes()(metrics.end_at))


def verification_notice(metrics: Metrics) -> str | None:
    """The warning a report of a log that did not verify opens with (`export --force`), or None."""
    result = metrics.verification
    if result is None or result.ok:
        return None
    return _(
        "Log not verified: {problem}. Exported with --force: this report may not be what was logged; "
        "`crisisplay verify` shows the break."
    ).format(problem=_problem_words(result))


def verdict_words(result: VerifyResult) -> str:
    """`VerifyResult.verdict` in the report's language: `chain verified`, or `log not verified: line N: …`."""
    if result.ok:
        return _("chain verified")
    return _("log not verified: {problem}").format(problem=_problem_words(result))


def _problem_words(result: VerifyResult) -> str:
    """`line N: reason`, and the lines left out of a forced export (the reason is the check's own words)."""
    words = _("line {line}: {reason}").format(line=result.line, reason=result.shown_reason)
    if result.left_out:
        shown = ", ".join(map(str, result.left_out[:5])) + (", …" if len(result.left_out) > 5 else "")
        words += ngettext(
            "; left out of this export: line {lines}", "; left out of this export: lines {lines}", len(result.left_out)
        ).format(lines=shown)
    return words


def drill_notice(metrics: Metrics) -> str | None:
    if not metrics.state.drill:
        return None
    return _("DRILL — a rehearsal, not a real incident.")


def duration_words(metrics: Metrics) -> str:
    """`3h10m`; to the millisecond (`0.183s`) for an incident shorter than a minute; `so far` while unfinished."""
    words = since_start(max(0, metrics.duration_ms), fine=True)[1:]
    return words if metrics.complete else _("{duration} so far (incomplete)").format(duration=words)


def result_words(target: TargetResult) -> str:
    """`met, 25m to spare`, `missed by 10m`, `not reached`, `reached (no target)`."""
    result, margin = target.result, target.margin_ms
    if result == MET:
        return _("met, {margin} to spare").format(margin=format_duration(margin)) if margin else _("met, just in time")
    if result == MISSED:
        assert margin is not None  # missed: the target and the time are both there
        return _("missed by {margin}").format(margin=format_duration(-margin))
    if result == NOT_REACHED:
        return _("not reached")
    return _("reached (no target)")


def step_title(metrics: Metrics, step_id: str | None) -> str | None:
    """What the report calls a step: its title, else its id (None for an event at no step)."""
    if step_id is None:
        return None
    step = metrics.playbook.step(step_id) if step_id in metrics.playbook.step_index else None
    return (step.title if step is not None else None) or step_id


def post_mortem_sections(metrics: Metrics) -> list[tuple[str, list[Record]]]:
    """The post-mortem answers but the action items, by section in the order asked: `[(heading, answers)]`.

    An answer's `title` is None when it would only repeat its heading (the `Summary` step of the
    `summary` section): a one-answer section says it once.
    """
    sections: dict[str, list[Record]] = {}
    for answer in metrics.answers:
        if answer["section"] != "action-items":
            sections.setdefault(answer["section"], []).append(answer)
    out = []
    for section, answers in sections.items():
        heading = section_title(section)
        if len(answers) == 1 and answers[0]["title"].strip().lower() == heading.lower():
            answers = [{**answers[0], "title": None}]
        out.append((heading, answers))
    return out


def escalation_rounds(metrics: Metrics) -> list[Record]:
    """The escalations, one round per visit of an escalate step: `{ts, elapsed_ms, step, title, people, message}`
    (the time of its first person's outcome).

    `people` is `[{name, role, outcome}]`: everyone that visit reached or could not reach, with
    the same message, whether they were logged together (an answers file) or one by one (a terminal).
    """
    rounds: list[Record] = []
    keys: list[tuple[object, int]] = []
    visits = metrics.escalation_visits if len(metrics.escalation_visits) == len(metrics.escalations) else None
    for index, e in enumerate(metrics.escalations):
        key = (e["step"], visits[index] if visits is not None else e["ts"])
        if not keys or keys[-1] != key:
            keys.append(key)
            last = {
                "ts": e["ts"],
                "elapsed_ms": e["elapsed_ms"],
                "step": e["step"],
                "message": e["message"],
                "title": step_title(metrics, e["step"]) or _("Escalation"),
                "people": [],
            }
            rounds.append(last)
        rounds[-1]["people"].append({"name": e["name"], "role": e["role"], "outcome": e["outcome"]})
    return rounds


# The post-mortem sections the bundled playbooks use, as headings in the report's language.
SECTION_TITLES = {
    "summary": N_("Summary"),
    "impact": N_("Impact"),
    "root-cause": N_("Root cause"),
    "what-went-well": N_("What went well"),
    "what-went-wrong": N_("What went wrong"),
    "action-items": N_("Action items"),
}


def section_title(section: str) -> str:
    """A `section:` name as a heading: `root-cause` → `Root cause` (in the report's language when it is a known one)."""
    known = SECTION_TITLES.get(section)
    if known is not None:
        return _(known)
    words = section.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def summary_rows(metrics: Metrics, local: LocalTimes) -> list[tuple[str, str]]:
    """The summary header, in the contract's order, as (label, value) pairs of plain text."""
    state, source = metrics.state, metrics.state.source
    level = state.playbook.severity.label
    playbook = f"{metrics.playbook.title} ({metrics.playbook.id})"
    if source.get("sha256"):
        playbook += f", sha256 {source['sha256'][:12]}…"
    changes = len(metrics.severity_changes)
    scenario = state.drill_run.scenario if state.drill_run is not None else None
    return [
        (_(INCIDENT), state.incident_id),
        (_(PLAYBOOK), playbook),
        (_("Drill or real"), kind(metrics)),
        *([(_("Drill scenario"), f"{scenario.title} ({scenario.id})")] if scenario is not None else []),
        (_("Start (detected)"), local(state.detected_at)),
        (_("Opened in crisisplay"), local(state.started_at)),
        (_("End"), local(metrics.ended) if metrics.ended else _("not ended")),
        (_("Duration"), duration_words(metrics)),
        (
            _("Final severity"),
            ngettext(
                "{level} (started {start}, {count} change(s))", "{level} (started {start}, {count} change(s))", changes
            ).format(level=level(state.severity), start=level(state.playbook.severity.start), count=changes),
        ),
        *([(_("Outcome"), outcome_words(metrics))] if metrics.outcome else []),
        (_("Responders"), ", ".join(state.responders)),
        *([(_("Roles"), roles_words(metrics))] if metrics.assignments or metrics.handovers else []),
        (_("Status"), status_words(metrics)),
        (
            _("Decisions"),
            ngettext("{count} answered", "{count} answered", metrics.decisions).format(count=metrics.decisions)
            + ", "
            + ngettext("{count} skipped", "{count} skipped", len(metrics.skips)).format(count=len(metrics.skips)),
        ),
        (_("Events"), str(metrics.count)),
        (_(HEAD_HASH), metrics.head or ""),
        *([(_("Verification"), verdict_words(metrics.verification))] if metrics.verification else []),
    ]


# Summary labels the html report lays out on a whole line.
INCIDENT, PLAYBOOK, HEAD_HASH = N_("Incident"), N_("Playbook"), N_("Head hash")


# --- the words both reports write the same way -----------------------------------------------

SUMMARY = N_("Summary")
TARGET_COLUMNS = (N_("Target"), N_("Goal"), N_("Reached at"), N_("After"), N_("Result"))
SEVERITY_COLUMNS = (N_("Time"), N_("Since start"), N_("From"), N_("To"), N_("Why"))
TIMELINE_COLUMNS = (N_("Time"), N_("Since start"), N_("What changed"), N_("By"))
DELIVERY_COLUMNS = (
    N_("Queued"),
    N_("Step"),
    N_("Recipient"),
    N_("Service"),
    N_("Address (secrets masked)"),
    N_("Outcome"),
    N_("Finished"),
)


def delivery_rows(metrics: Metrics, clock: ReportClock) -> list[tuple[str, ...]]:
    """The deliveries as plain-text cells of DELIVERY_COLUMNS (each format escapes them): when each
    was queued, at which step, to whom, how, and how it ended, with its own time."""
    pb = metrics.playbook
    rows: list[tuple[str, ...]] = []
    for d in metrics.deliveries:
        who = role_label(pb, d["role"]) if d.get("role") else f"#{d.get('channel') or ''}"
        status = d["status"]
        if status == "sent":
            outcome = _("delivered")
        elif status == "failed":
            outcome = _("failed: {reason}").format(reason=failure_words(d.get("error")))
        elif d.get("replaced_by"):
            outcome = _("outcome unknown; sent again as {delivery}").format(delivery=d["replaced_by"])
        else:
            outcome = _("outcome unknown")
        if d.get("attempts"):
            outcome += " " + _("(attempt {attempt})").format(attempt=d["attempts"])
        if d.get("simulated"):
            outcome += " " + _("(simulated)")
        rows.append(
            (
                clock(d["queued_at"]) if d.get("queued_at") else "—",
                d.get("step") or "—",
                who,
                d.get("service") or "—",
                d.get("target") or "—",
                outcome,
                clock(d["finished_at"]) if d.get("finished_at") else "—",
            )
        )
    return rows


def roles_words(metrics: Metrics) -> str:
    """Who held each role at the end, and who held it before: `lead Ana; manager Marta Gil (before: Leo)`."""
    pb = metrics.playbook
    earlier: dict[str, list[str]] = {}
    holder = {ev.LEAD: metrics.state.responders[0]} if metrics.state.responders else {}
    for item in metrics.assignments:
        role = item["role"]
        if role in holder and holder[role] != item["person"]:
            earlier.setdefault(role, []).append(holder[role])
        holder[role] = item["person"]
    parts = []
    for role, person in metrics.state.roles.items():
        before = earlier.get(role)
        shown = f"{role_label(pb, role)}: {person}"
        parts.append(shown + (" " + _("(before: {people})").format(people=", ".join(before)) if before else ""))
    return "; ".join(parts)


APPROVAL_COLUMNS = (N_("Time"), N_("Step"), N_("Role"), N_("Who"), N_("Decision"))


def approval_rows(metrics: Metrics, clock: ReportClock) -> list[tuple[str, ...]]:
    """Who approved or rejected what, when (a phone approval marked as such), as plain-text cells."""
    pb = metrics.playbook
    rows: list[tuple[str, ...]] = []
    for item in metrics.approvals:
        if item["event"] == "requested":
            labels = [role_label(pb, r) for r in item.get("by") or []]
            decision = (
                _("asked by {person} (all of {roles})").format(person=item["actor"], roles=joined(labels))
                if item.get("need") == "all"
                else _("asked by {person} (any of {roles})").format(person=item["actor"], roles=joined(labels, "or"))
            )
            rows.append((clock(item["ts"]), item["step"] or "—", "—", item["actor"], decision))
            continue
        if item["event"] == "given":
            decision = _("approved")
            if item.get("by_phone"):
                decision += " " + _("(by phone, recorded by {person})").format(person=item["actor"])
            if item.get("edited") is not None:
                decision += " " + _("(edited the text)")
            if item.get("simulated"):
                decision += " " + _("(simulated)")
        else:
            decision = _("rejected: {reason}").format(reason=narrative.said(item, "reason"))
        role = role_label(pb, str(item.get("by"))) if item.get("by") else "—"
        rows.append((clock(item["ts"]), item["step"] or "—", role, item.get("person") or "—", decision))
    return rows


LOG_COLUMNS = ("#", N_("Time"), N_("Since start"), N_("Step"), N_("By"), N_("Event"))


def header_words(header: Iterable[str]) -> list[str]:
    """A table's column names (marked with `N_`) in the report's language; an empty name or `#` stays as it is."""
    return [_(name) if name.strip() and name != "#" else name for name in header]


def _plain(text: str) -> str:
    return text


def timeline_lead(event_log: str | None = None) -> str:
    """The words above the key events; `event_log` is how the report writes "event log" (html: a link)."""
    return _(
        "The key events: what changed the course of the incident (severity, messages, escalations, milestones, "
        "decisions, notes). Every event is in the {event_log} at the end."
    ).format(event_log=event_log if event_log is not None else _("event log"))


def event_log_lead(shown: int, count: int, code: Callable[[str], str]) -> str:
    """The words above the appendix; `code` writes a name from the log (md: a code span, html: `<code>`)."""
    return _(
        "Every event of the log in order ({shown} of {count}: the {left} {entered} events are left out, as the "
        "answer or skip that follows each says it). The number is the event's {seq}, its line in the log from 0. "
        "Notes and post-mortem answers are shortened here: they are in full above."
    ).format(shown=shown, count=count, left=count - shown, entered=code("step.entered"), seq=code("seq"))


def no_action_items(code: Callable[[str], str] = _plain) -> str:
    """What the action items say when there are none; `code` writes the section's name and the note prefix."""
    return _("None recorded: answer the {section} section, or add a note that starts with {prefix}.").format(
        section=code("action-items"), prefix=code("ACTION:")
    )


def when_at_step(time: str, since: str, step: str) -> str:
    """`2026-03-29 00:15:00 +01:00 (+15m), step notify-legal`: the pieces already escaped for the report."""
    return _("{time} ({since}), step {step}").format(time=time, since=since, step=step)


def footer_words(count: int, head: str, command: str) -> str:
    """The report's last words: how many events, the head hash, and the command that checks it (both written as code)."""
    return ngettext(
        "Made by crisisplay from the incident log alone: {count} event, head hash {head}. "
        "Check that the log still holds it with {command}.",
        "Made by crisisplay from the incident log alone: {count} events, head hash {head}. "
        "Check that the log still holds it with {command}.",
        count,
    ).format(count=count, head=head, command=command)


# --- clocks: deadlines, the update cadence, a decided outcome (issue 12) ------------------------

DEADLINE_COLUMNS = (N_("Deadline"), N_("Started"), N_("Within"), N_("Due"), N_("Met at"), N_("Result"))
GAP_COLUMNS = (N_("Update"), N_("Next update"), N_("Gap"), N_("Cadence"), N_("Over by"))


def outcome_words(metrics: Metrics) -> str:
    """`monitor only (at decide-response): a reply would spread it`."""
    from crisisplay.narrative import log_words as logged

    outcome = metrics.outcome or {}
    return _("{outcome} (at {step}): {reason}").format(
        outcome=logged(outcome.get("outcome")), step=outcome.get("step"), reason=narrative.said(outcome, "reason")
    )


def deadline_result(status: DeadlineStatus, complete: bool) -> str:
    """`met, 2h to spare`, `missed by 5m`, `overdue by 5m` (`not met, …` once ended), `open`, `not started`."""
    from crisisplay import clocks

    margin = status.left_ms
    if status.status == clocks.MET:
        return _("met, {margin} to spare").format(margin=format_duration(margin)) if margin else _("met, just in time")
    if status.status == clocks.MISSED:
        return _("missed by {margin}").format(margin=format_duration(-(margin or 0)))
    if status.status == clocks.OVERDUE:
        late = format_duration(-(margin or 0))
        return (
            _("not met: missed by {margin}").format(margin=late)
            if complete
            else _("overdue by {margin}").format(margin=late)
        )
    if status.status == clocks.OPEN:
        return _("not met (still open at the end)") if complete else _("open")
    return _("not started")


def deadline_rows(metrics: Metrics, local: LocalTimes) -> list[tuple[str, ...]]:
    """Each run of each deadline as plain-text cells of DEADLINE_COLUMNS (each format escapes them)."""
    rows: list[tuple[str, ...]] = []
    for d in metrics.deadlines:
        label = d.label if d.run <= 1 else _("{label} (run {run})").format(label=d.label, run=d.run)
        rows.append(
            (
                label,
                local(d.start_at) if d.start_at else "—",
                format_duration(d.within_ms) if d.within_ms is not None else "—",
                local(d.due_at) if d.due_at else "—",
                local(d.met_at) if d.met_at else "—",
                deadline_result(d, metrics.complete),
            )
        )
    return rows


def cadence_words(metrics: Metrics) -> str | None:
    """`Public updates: critical every 1h, high every 2h; 3 update(s) sent.` (None without a cadence)."""
    cadence = metrics.playbook.cadence
    if cadence is None:
        return None
    level = metrics.playbook.severity.label
    every = ", ".join(
        _("{level} every {every}").format(level=level(name), every=duration) for name, duration in cadence.every.items()
    )
    sent = len(metrics.state.clocks.updates)
    return ngettext("{label}: {every}; {count} update sent.", "{label}: {every}; {count} updates sent.", sent).format(
        label=cadence.label or _("Update cadence"), every=every, count=sent
    )


def gap_rows(metrics: Metrics, local: LocalTimes) -> list[tuple[str, ...]]:
    """Each gap between updates longer than the cadence, as plain-text cells of GAP_COLUMNS."""
    from crisisplay.times import elapsed_ms

    level = metrics.playbook.severity.label
    return [
        (
            local(gap.start_at),
            local(gap.end_at),
            format_duration(elapsed_ms(gap.start_at, gap.end_at)),
            _("{every} ({level})").format(every=format_duration(gap.every_ms), level=level(gap.level)),
            format_duration(gap.over_ms),
        )
        for gap in metrics.cadence_gaps
    ]
