"""The post-mortem report as Markdown that reads well on GitHub, whatever the responders typed.

User text never reaches the page as markup: in running text and table cells every character
that could start markup is backslash-escaped (CommonMark allows it before any punctuation),
newlines in cells become `<br>`, right-to-left text is isolated so it cannot reorder a row,
and messages go in fenced blocks whose fence is longer than any run of backticks inside.

The timeline and the event log are written line by line from the spooled timeline
(`metrics.Timeline`), never built whole: a report's memory does not grow with the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import TextIO

from crisisplay.display import visible
from crisisplay.export import words as w
from crisisplay.export.keyevents import ALERT, SEVERITY, key_events
from crisisplay.i18n import _
from crisisplay.metrics import MISSED, Metrics
from crisisplay.personal import shown
from crisisplay.playbook.model import format_duration
from crisisplay.times import parse_ts

_MARKUP = re.compile(r"[\\`*_\[\]<>|~&#]")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")
# Strong right-to-left letters and the explicit direction controls.
_RTL = (
    "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\U00010800-\U00010fff\U0001e800-\U0001efff"
)
_BIDI = re.compile(f"[{_RTL}]")
# One search decides whether a cell needs any work at all: most cells do not.
_NEEDS_WORK = re.compile(f"[\\\\`*_\\[\\]<>|~&#\\n\\r\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_RTL}]")
_BACKTICKS = re.compile(r"`+")
_PLAIN = re.compile(r"[A-Za-z0-9 .-]+")
_MERMAID_UNSAFE = re.compile(r"[^\w .,()'-]+")
_MERMAID_KEYWORDS = (
    "section",
    "title",
    "dateformat",
    "axisformat",
    "excludes",
    "includes",
    "todaymarker",
    "tickinterval",
    "weekday",
    "click",
    "gantt",
)


def isolate(text: str) -> str:
    """Wrap text holding right-to-left letters or direction controls in FSI…PDI, which closes them."""
    return f"\u2068{text}\u2069" if _BIDI.search(text) else text


def inline(text: object) -> str:
    """User text for running text or a table cell: markup escaped, newlines as `<br>`."""
    text = "" if text is None else str(text).strip()
    if not _NEEDS_WORK.search(text):
        return text
    text = _MARKUP.sub(lambda m: "\\" + m.group(), visible(text)).replace("\n", "<br>")
    return isolate(text)


def heading_text(text: object) -> str:
    """User text for a heading: one line, markup escaped."""
    return inline(visible(text).replace("\n", " "))


def quote(text: object) -> str:
    """Multi-line user text as a block quote; no line can start a list, heading or code block."""
    lines = []
    for line in visible(text).strip().split("\n"):
        line = _MARKUP.sub(lambda m: "\\" + m.group(), line.strip())
        line = _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)
        lines.append(f"> {isolate(line)}" if line else ">")
    return "\n".join(lines)


def fenced(text: object, info: str = "text") -> str:
    """Text exactly as sent, in a fenced block no line of it can close."""
    body = visible(text)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def table(header: tuple[str, ...], rows: Iterable[Iterable[str]]) -> list[str]:
    """A GitHub table; the cells must already be escaped, the header's words are translated here."""
    out = ["| " + " | ".join(w.header_words(header)) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def render(metrics: Metrics, out: TextIO) -> None:
    """Write the post-mortem report, section by section, in the contract's order, the event log last."""
    clock = w.ReportClock(metrics)
    for part in (
        _header,
        _scorecard,
        _comparison,
        _response_times,
        _deadlines,
        _what_happened,
        _timeline,
        _messages,
        _escalations,
        _notes,
        _action_items,
        _mermaid,
        _event_log,
        _footer,
    ):
        lines = part(metrics, clock)
        if isinstance(lines, list):
            if not lines:  # a part with nothing to say (no deadlines) leaves no gap
                continue
            out.write("\n".join(lines))
        else:  # the timeline and the event log: one line at a time, never the whole table
            _write_lines(lines, out)
        out.write("\n\n" if part is not _footer else "\n")


def _write_lines(lines: Iterator[str], out: TextIO, chunk: int = 512) -> None:
    """Lines joined by newlines as `"\\n".join` would, written a chunk at a time."""
    batch: list[str] = []
    separator = ""
    for line in lines:
        batch.append(line)
        if len(batch) >= chunk:
            out.write(separator + "\n".join(batch))
            batch, separator = [], "\n"
    if batch:
        out.write(separator + "\n".join(batch))


def _header(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["# " + _("Post-mortem: {title}").format(title=heading_text(metrics.playbook.title)), ""]
    for notice in (w.verification_notice(metrics), w.drill_notice(metrics), w.incomplete_notice(metrics)):
        if notice:
            out += [f"> **{inline(notice)}**", ""]
    out += table((w.SUMMARY, ""), ((label, inline(value)) for label, value in w.summary_rows(metrics, clock)))
    return out


def _response_times(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["## " + _("Response times"), ""]
    targets = metrics.targets
    if targets:
        rows = (
            (
                inline(t.shown),
                format_duration(t.target_ms) if t.target_ms is not None else "—",
                clock(t.reached) if t.reached else "—",
                clock.since(t.elapsed_ms),
                f"**{w.result_words(t)}**" if t.result == MISSED else w.result_words(t),
            )
            for t in targets
        )
        out += table(w.TARGET_COLUMNS, rows)
    else:
        out.append("_" + _("This playbook sets no response-time targets.") + "_")
    out += ["", "### " + _("Severity over time"), ""]
    level = metrics.playbook.severity.label
    changes = [
        (
            clock(metrics.state.detected_at),
            clock.since(0),
            "",
            inline(level(metrics.playbook.severity.start)),
            _("initial"),
        )
    ]
    changes += [
        (
            clock(c["ts"]),
            clock.since(c["elapsed_ms"]),
            inline(level(c["from"])),
            inline(level(c["to"])),
            inline(w.reason_words(c["reason"])),
        )
        for c in metrics.severity_changes
    ]
    return out + table(w.SEVERITY_COLUMNS, changes)


def _deadlines(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """The deadlines and the update cadence; nothing at all for a playbook that sets neither."""
    pb = metrics.playbook
    if not pb.deadlines and pb.cadence is None:
        return []
    out = ["## " + _("Deadlines"), ""]
    if pb.deadlines:
        rows = [
            tuple(inline(cell) for cell in row[:-1])
            + (f"**{inline(row[-1])}**" if d.status in _LATE else inline(row[-1]),)
            for d, row in zip(metrics.deadlines, w.deadline_rows(metrics, clock), strict=True)
        ]
        out += table(w.DEADLINE_COLUMNS, rows) + [""]
    cadence = w.cadence_words(metrics)
    if cadence is not None:
        out += ["### " + _("Update cadence"), "", inline(cadence), ""]
        gaps = w.gap_rows(metrics, clock)
        if gaps:
            out += table(w.GAP_COLUMNS, (tuple(inline(cell) for cell in row) for row in gaps)) + [""]
        else:
            out += ["_" + _("No gap between updates ran past the cadence.") + "_", ""]
    return out[:-1]


_LATE = ("missed", "overdue")


def _what_happened(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["## " + _("What happened")]
    sections = w.post_mortem_sections(metrics)
    if not sections:
        return out + ["", "_" + _("No post-mortem answers were logged.") + "_"]
    for heading, items in sections:
        out += ["", f"### {heading_text(heading)}"]
        for item in items:
            title = f"*{inline(item['title'])}* " if item["title"] else ""
            out += ["", f"{title}({clock(item['ts'])})", "", quote(shown(item["text"]))]
    return out


def _day_heading(day: str, header: tuple[str, ...]) -> list[str]:
    """Each day of a long timeline gets its own table, under the day's name in bold."""
    return ["", f"**{w.day_words(day)}**", ""] + table(header, ())


def _timeline(metrics: Metrics, clock: w.ReportClock) -> Iterator[str]:
    yield from ("## " + _("Timeline"), "", w.timeline_lead())
    marks = {ALERT: "**", SEVERITY: "_"}
    once, since = w.remembered(inline), clock.since
    for row, time_of_day, new_day in clock.by_day(key_events(metrics)):
        if new_day:
            yield from _day_heading(new_day, w.TIMELINE_COLUMNS)
        step = f"**{once(row.title)}** — " if row.title else ""
        what = "<br>".join(
            f"{step if n == 0 else ''}{marks.get(tone, '')}{inline(text)}{marks.get(tone, '')}"
            for n, (text, tone) in enumerate(row.lines)
        )
        yield f"| {time_of_day} | {since(row.elapsed_ms)} | {what} | {once(row.actor)} |"


def _event_log(metrics: Metrics, clock: w.ReportClock) -> Iterator[str]:
    moments = metrics.timeline or ()
    yield from (
        "## " + _("Appendix: event log"),
        "",
        w.event_log_lead(len(moments), metrics.count, lambda name: f"`{name}`"),
    )
    once, since, words = w.remembered(inline), clock.since, w.log_words
    anchored = metrics.scorecard is not None  # a drill's scorecard links its points to these rows
    for m, time_of_day, new_day in clock.by_day(moments):
        if new_day:
            yield from _day_heading(new_day, w.LOG_COLUMNS)
        seq = f'<a id="event-{m.seq}"></a>{m.seq}' if anchored else m.seq
        yield (
            f"| {seq} | {time_of_day} | {since(m.elapsed_ms)} | {once(m.step or '')} | {once(m.actor)} | "
            f"{inline(words(metrics, m))} |"
        )


def _scorecard(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """A drill's scorecard: the score, each category, then each point with the events it comes from."""
    card = metrics.scorecard
    if card is None:
        return []
    from crisisplay.export import scoring

    out = ["## " + _("Scorecard"), "", f"**{inline(scoring.total_words(card))}**", ""]
    out += table(scoring.CATEGORY_COLUMNS, ([inline(c) for c in row] for row in scoring.category_rows(card)))
    if not card.points:
        return out
    shown = metrics.timeline.among(seq for point in card.points for seq in point.events) if metrics.timeline else ()
    pb = metrics.playbook
    rows = []
    for point in card.points:
        result = inline(scoring.result_words(point))
        events = ", ".join(f"[#{seq}](#event-{seq})" if seq in shown else f"#{seq}" for seq in point.events)
        rows.append(
            (
                inline(scoring.category_name(point.category)),
                inline(scoring.subject_words(point, pb)),
                f"**{result}**" if scoring.lost(point) and point.category != "messages" else result,
                events,
            )
        )
    return out + ["", "### " + _("Points"), ""] + table(scoring.POINT_COLUMNS, rows)


def _comparison(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """How this drill did against the previous run of its scenario; nothing for the first run."""
    comparison = metrics.comparison
    if comparison is None:
        return []
    from crisisplay.export import scoring

    out = ["## " + _("Compared with the previous run"), "", inline(scoring.comparison_lead(comparison)), ""]
    out += table(scoring.COMPARE_COLUMNS, ([inline(c) for c in row] for row in scoring.comparison_rows(comparison)))
    targets = scoring.target_rows(comparison, metrics.playbook)
    if targets:
        out += [""] + table(scoring.TARGET_COMPARE_COLUMNS, ([inline(c) for c in row] for row in targets))
    return out


def _messages(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["## " + _("Messages sent")]
    if not metrics.messages:
        return out + ["", "_" + _("No message was sent.") + "_"] + _approvals(metrics, clock)
    for number, message in enumerate(metrics.messages, 1):
        out += [
            "",
            f"### {number}. "
            + _("On {channel}").format(channel=heading_text(shown(message["channel"]) or _("an unnamed channel"))),
            "",
            w.when_at_step(clock(message["ts"]), clock.since(message["elapsed_ms"]), inline(message["step"] or "—")),
            "",
            fenced(shown(message["text"])),
        ]
    return out + _approvals(metrics, clock)


def _approvals(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """Who approved or rejected which message, under the messages; nothing when none needed approval."""
    rows = w.approval_rows(metrics, clock)
    if not rows:
        return []
    return ["", "### " + _("Approvals"), "", *table(w.APPROVAL_COLUMNS, ([inline(c) for c in row] for row in rows))]


def _escalations(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["## " + _("Escalations"), ""]
    if not metrics.escalations:
        return out + ["_" + _("Nobody was escalated to.") + "_", *_deliveries(metrics, clock)]
    reached, missed = metrics.people
    role = metrics.playbook.role_label
    out.append(
        _("Reached: {people}.").format(
            people=", ".join(f"{inline(p['name'])} ({inline(role(p['role']))})" for p in reached) or _("nobody")
        )
        + "  "
    )
    out.append(
        _("Not reached: {people}.").format(
            people=", ".join(f"{inline(p['name'])} ({inline(role(p['role']))})" for p in missed) or _("nobody")
        )
    )
    for number, round_ in enumerate(w.escalation_rounds(metrics), 1):
        people = "; ".join(
            f"{inline(p['name'])} ({inline(role(p['role']))}) "
            + ("**" + _("unreachable") + "**" if p["outcome"] == "unreachable" else _("notified"))
            for p in round_["people"]
        )
        out += [
            "",
            f"### {number}. {heading_text(round_['title'])}",
            "",
            _("{when}: {people}.").format(
                when=w.when_at_step(
                    clock(round_["ts"]), clock.since(round_["elapsed_ms"]), inline(round_["step"] or "—")
                ),
                people=people,
            ),
        ]
        if round_["message"] is None or round_["message"]:  # None: logged, then erased
            out += ["", fenced(shown(round_["message"]))]
    return out + _deliveries(metrics, clock)


def _deliveries(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """What crisisplay sent (notification services), under the escalations; nothing when it sent nothing."""
    rows = w.delivery_rows(metrics, clock)
    if not rows:
        return []
    return ["", "### " + _("Deliveries"), "", *table(w.DELIVERY_COLUMNS, ([inline(c) for c in row] for row in rows))]


def _notes(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    out = ["## " + _("Notes")]
    if not metrics.notes:
        return out + ["", "_" + _("No notes.") + "_"]
    for note in metrics.notes:
        out += [
            "",
            f"**{clock(note['ts'])}** ({clock.since(note['elapsed_ms'])}), {inline(note['actor'])}:",
            "",
            quote(shown(note["text"])),
        ]
    return out


def _action_items(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    items = metrics.action_items
    if not items:
        return ["## " + _("Action items"), "", "_" + w.no_action_items(lambda name: f"`{name}`") + "_"]
    lines = ["## " + _("Action items"), ""]
    for item in items:
        origin = _("note") if item["source"] == "note" else _("step {step}").format(step=inline(item["source"]))
        lines.append(f"- [ ] {inline(item['text'])} ({origin}, {clock(item['ts'])})")
    return lines


def mermaid_name(text: object) -> str:
    """A name Mermaid cannot read as syntax: only letters, digits, spaces and plain punctuation."""
    name = " ".join(_MERMAID_UNSAFE.sub(" ", visible(text)).split())[:80] or "unnamed"
    return f"phase {name}" if name.split()[0].lower() in _MERMAID_KEYWORDS else name


def _mermaid(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    """A Gantt chart: phases as bars; the targets, and the milestones reached (missed ones `crit`), as markers."""
    spans = metrics.phases
    if not spans:
        return ["## " + _("Phases"), "", "_" + _("No phase was entered.") + "_"]
    detected = metrics.state.detected_at
    goals = [
        (t, t.target_ms, detected + timedelta(milliseconds=t.target_ms))
        for t in metrics.targets
        if t.target_ms is not None
    ]
    last = max([metrics.end_at] + [at for _, _, at in goals])
    long = (last - detected).total_seconds() > 86_400
    stamp = "%Y-%m-%d %H:%M:%S"
    out = [
        "## " + _("Phases"),
        "",
        "```mermaid",
        "gantt",
        f"  title {mermaid_name(metrics.state.incident_id)}",
        "  dateFormat YYYY-MM-DD HH:mm:ss",
        f"  axisFormat {'%d %H:%M' if long else '%H:%M'}",
        "  todayMarker off",
        "  section " + mermaid_name(_("Phases")),
    ]
    titles = {p.id: p.title for p in metrics.playbook.phases}
    for number, (phase, (start, end)) in enumerate(spans.items(), 1):
        begin, finish = start.astimezone(), max(end, start).astimezone()
        out.append(f"  {mermaid_name(titles.get(phase, phase))} :p{number}, {begin:{stamp}}, {finish:{stamp}}")
    if goals:
        out.append("  section " + mermaid_name(_("Targets")))
    for number, (target, goal, at) in enumerate(goals, 1):
        at = at.astimezone()
        name = mermaid_name(_("{target} within {goal}").format(target=target.shown, goal=format_duration(goal)))
        out.append(f"  {name} :milestone, t{number}, {at:{stamp}}, {at:{stamp}}")
    reached = [t for t in metrics.targets if t.reached]
    if reached:
        out.append("  section " + mermaid_name(_("Milestones")))
    for number, target in enumerate(reached, 1):
        assert target.reached is not None  # kept above: reached ones only
        at = parse_ts(target.reached).astimezone()
        tags = "crit, milestone" if target.result == MISSED else "milestone"
        out.append(
            f"  {mermaid_name(target.shown + ' ' + w.value_words(target.result))} :{tags}, m{number}, {at:{stamp}}, {at:{stamp}}"
        )
    return out + ["```"]


def _footer(metrics: Metrics, clock: w.ReportClock) -> list[str]:
    command = f"crisisplay verify {metrics.state.incident_id} --head {metrics.head}"
    return [
        "---",
        "",
        w.footer_words(metrics.count, code(metrics.head), code(command)),
    ]


def code(text: object) -> str:
    """A code span for plain ids and hashes; a log written by hand could hold anything, escaped then."""
    text = "" if text is None else str(text)
    return f"`{text}`" if _PLAIN.fullmatch(text) else inline(text)
