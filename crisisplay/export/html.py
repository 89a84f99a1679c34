"""The post-mortem report as one self-contained HTML file that reads well on a screen, a phone and paper.

Inline CSS and SVG only: no scripts, nothing loaded from elsewhere (a Content-Security-Policy
says so to the browser too). Every value from the log goes through `esc` (html.escape with
quote=True, after control characters are made visible) and user text sits in `dir="auto"`
elements, so right-to-left text stays in its box.

The body tells the story — response times and a chart of them, what happened, the key
events, messages, escalations, notes, action items — and an appendix holds every event.
Below 640 px wide the tables reflow into one card per row; printed, the report fits A4 and
Letter alike, rows unbroken, page numbers in the margin. The key events and the appendix are
written a chunk of rows at a time from the spooled timeline (`metrics.Timeline`), never built
whole: a report's memory does not grow with the log.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from crisisplay import i18n
from crisisplay.display import visible
from crisisplay.export import words as w
from crisisplay.export.keyevents import ALERT, SEVERITY, key_events
from crisisplay.export.timeaxis import scale_of
from crisisplay.i18n import N_, _
from crisisplay.metrics import MET, MISSED, NOT_REACHED, Metrics, Record, TargetResult
from crisisplay.personal import shown
from crisisplay.playbook.model import format_duration

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6472; --line: #d5d9e0; --soft: #f3f5f8; --met: #1a7f37;
  --missed: #c62828; --reached: #2f5fb3; --phase: #8fb3e8; --severity: #8a5a00; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; overflow-wrap: break-word; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .6rem; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin: 2.2rem 0 .6rem; }
h3 { margin: 1.2rem 0 .3rem; } h3 small { font-weight: 400; font-size: .8em; margin-left: .4rem; }
p.lead { color: var(--muted); margin: .2rem 0 .5rem; }
dl.summary { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); margin: .6rem 0;
  border-top: 1px solid var(--line); border-left: 1px solid var(--line); }
dl.summary > div { display: grid; grid-template-columns: 11rem minmax(0, 1fr); border-right: 1px solid var(--line);
  border-bottom: 1px solid var(--line); }
dl.summary > div.wide { grid-column: 1 / -1; }
dl.summary dt { background: var(--soft); font-weight: 700; padding: .3rem .5rem; }
dl.summary dd { margin: 0; padding: .3rem .5rem; min-width: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: var(--soft); white-space: nowrap; }
td.time, td.since, td.seq { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.step { min-width: 10em; } td.who { min-width: 7em; }
td.text, td.who, .hash dd, code.hash { overflow-wrap: anywhere; }
.hash dd, code.hash { font: .92em ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
td.text div + div { margin-top: .15rem; } td.text strong.step { font-weight: 600; }
tr.day th { background: none; border-left: 0; border-right: 0; padding-top: .7rem; font-weight: 700; }
table.log { font-size: .87rem; } table.log td.step { min-width: 8em; }
.banner { padding: .6rem 1rem; border-radius: 6px; font-weight: 700; margin: .5rem 0; }
.banner.drill { background: #fff4ce; border: 2px dashed #b58900; }
.banner.incomplete { background: #fde7e9; border: 2px solid var(--missed); }
.banner.unverified { background: #fde7e9; border: 4px double var(--missed); }
.met { color: var(--met); } .missed, .alert, .unreachable { color: var(--missed); font-weight: 700; }
.muted { color: var(--muted); } .severity { color: var(--severity); } .notified { color: var(--met); }
blockquote, pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0 1rem; }
blockquote { border-left: 4px solid var(--line); padding: .2rem .9rem; color: #2c3340; }
p.note { margin: .35rem 0; } p.note .said { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .7rem .9rem;
  font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre.message { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
figure.chart { margin: 1rem 0 1.4rem; padding: 0 8px; }
figure.chart figcaption { font-size: .9rem; margin-top: .5rem; }
svg.chart { display: block; width: 100%; overflow: visible; font: 12.5px system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; }
svg .label { fill: var(--ink); } svg .label tspan.muted { fill: var(--muted); }
svg tspan.met { fill: var(--met); } svg tspan.missed { fill: var(--missed); font-weight: 700; }
svg tspan.reached { fill: var(--reached); }
svg .tick { fill: var(--muted); font-size: 11.5px; } svg .grid { stroke: #e6e9ee; } svg .axis { stroke: var(--muted); }
svg .bar { fill: var(--phase); stroke: #3d6fb6; } svg .allowed { fill: #eef1f5; }
svg .goal { stroke: var(--muted); stroke-dasharray: 4 3; stroke-width: 1.5; }
svg .goal.met { stroke: var(--met); } svg .goal.missed { stroke: var(--missed); }
svg use.met { fill: var(--met); } svg use.missed { fill: var(--missed); } svg use.reached { fill: var(--reached); }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .9rem; border-top: 1px solid var(--line); }
@media (max-width: 640px) {
  body { margin: 1rem auto; padding: 0 .8rem; }
  h1 { font-size: 1.35rem; } h2 { font-size: 1.25rem; margin-top: 1.8rem; }
  h3 small { display: block; margin: .1rem 0 0; }
  dl.summary { grid-template-columns: minmax(0, 1fr); } dl.summary > div { grid-template-columns: 38% minmax(0, 1fr); }
  table.rows, table.rows > tbody, table.rows > tbody > tr, table.rows > tbody > tr > td { display: block; width: auto; }
  table.rows > thead { display: none; }
  table.rows > tbody > tr { border: 1px solid var(--line); border-radius: 6px; margin: .45rem 0;
    padding: .35rem .6rem; }
  table.rows > tbody > tr > td { border: 0; padding: .05rem 0; min-width: 0; }
  table.rows > tbody > tr > td.time, table.rows > tbody > tr > td.since, table.rows > tbody > tr > td.seq {
    display: inline-block; margin-right: .7rem; color: var(--muted); }
  table.rows > tbody > tr > td:empty { display: none; }
  table.rows td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .88em; }
  table.rows > tbody > tr.day { border: 0; margin: .9rem 0 0; padding: 0; }
  table.rows > tbody > tr.day > th { display: block; border: 0; padding: 0; }
  svg .tick.minor, svg tspan.span { display: none; }
}
@page { margin: 9mm 10mm 11mm;
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt system-ui, sans-serif; color: #5b6472; } }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { margin: 0; padding: 0; max-width: none; font-size: 8.5pt; line-height: 1.3; }
  h1 { font-size: 15pt; } h2 { font-size: 12pt; margin: 1rem 0 .3rem; break-after: avoid; }
  h3 { font-size: 10pt; margin: .6rem 0 .15rem; break-after: avoid; }
  p { margin: .3rem 0; }
  th, td, dl.summary dt, dl.summary dd { padding: .1rem .35rem; } table, dl.summary { margin: .3rem 0; }
  dl.summary > div { grid-template-columns: 8.5rem minmax(0, 1fr); }
  td.who { min-width: 5.5em; } table.rows { line-height: 1.22; } table.events { font-size: 8pt; }
  table.log { font-size: 7pt; line-height: 1.18; } table.log td { padding-top: .05rem; padding-bottom: .05rem; }
  tr.day th { padding-top: .3rem; }
  table.log td.step, table.log td.who { white-space: nowrap; }  /* ids and names on one line: a row, a line */
  thead { display: table-header-group; }
  tr, figure, .banner, blockquote, dl.summary > div { break-inside: avoid; }
  pre { font-size: 7.5pt; padding: .3rem .5rem; margin: .15rem 0 .4rem; }
  pre.message { font-size: 8pt; line-height: 1.3; }
  blockquote { margin: .15rem 0 .4rem; padding: 0 .6rem; }
  figure.chart { margin: .4rem 0; } figure.chart figcaption { font-size: 8pt; margin-top: .2rem; }
  svg.chart { zoom: .8; }  /* rows and labels in px shrink; across, the percentages still fill the page */
  a { color: inherit; text-decoration: none; }
  footer { margin-top: 1rem; font-size: 8pt; }
}
"""
# Nothing but the inline style may load or run, whatever a value could smuggle in.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

ROW, GAP, AXIS = 31, 8, 24  # chart geometry in px: a row (label over its track), the gap between groups, the axis


def esc(value: object) -> str:
    """Any value from the log, safe in HTML text and attributes."""
    return html.escape(visible(value), quote=True)


def render(metrics: Metrics, out: TextIO) -> None:
    """Write the whole report: one file, nothing loaded from elsewhere."""
    clock = w.ReportClock(metrics)
    state = metrics.state
    title = _("Post-mortem: {title}").format(title=metrics.playbook.title) + f" — {state.incident_id}"
    if state.drill:
        title = _("DRILL") + " — " + title
    out.write(
        f'<!DOCTYPE html>\n<html lang="{esc(i18n.language())}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n<title>{esc(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n"
    )
    parts = (
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
        _event_log,
    )
    for part in parts:
        written = part(metrics, clock)
        if isinstance(written, str):
            out.write(written)
        else:  # the timeline and the event log: a chunk of rows at a time, never the whole table
            _write_chunks(written, out)
    head = f'<code class="hash">{esc(metrics.head)}</code>'
    command = f"<code>crisisplay verify {esc(state.incident_id)} --head {esc(metrics.head)}</code>"
    out.write(f"<footer><p>{w.footer_words(metrics.count, head, command)}</p></footer>\n</body>\n</html>\n")


def _write_chunks(parts: Iterator[str], out: TextIO, chunk: int = 512) -> None:
    batch: list[str] = []
    for part in parts:
        batch.append(part)
        if len(batch) >= chunk:
            out.write("".join(batch))
            batch = []
    out.write("".join(batch))


def _section(key: str, heading: str, body: str) -> str:
    """A section of the report; `heading` (marked with `N_`) is translated here."""
    return f'<section id="{key}">\n<h2>{_(heading)}</h2>\n{body}</section>\n'


def _muted(text: str) -> str:
    """Our own words in grey: what a section says when it has nothing to show."""
    return f'<p class="muted">{text}</p>\n'


_UNLABELLED = frozenset(("Time", "Since start"))  # a card shows these first, and plainly


def _table(header: tuple[str, ...], rows: Iterable[Iterable[Cell]], cls: str = "rows") -> str:
    """A table that reflows to one card per row on a phone; cells are (html, class) pairs or plain html.

    On a card, each cell but the times is labelled with its column's name.
    """
    body = []
    for row in rows:
        cells = []
        for name, cell in zip(header, row, strict=False):
            value, kind = cell if isinstance(cell, tuple) else (cell, "")
            attrs = f' class="{kind}"' if kind else ' dir="auto"'  # a class marks our own words; the rest may be theirs
            attrs += "" if name in _UNLABELLED else f' data-label="{_(name)}"'
            cells.append(f"<td{attrs}>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>\n")
    return _table_of(header, "".join(body), cls)


Cell = str | tuple[str, str]  # html, or (html, the cell's class)


def _table_of(header: tuple[str, ...], body: str, cls: str) -> str:
    """A table around rows already written (`<tr>…</tr>` lines)."""
    head = "".join(f'<th scope="col">{h}</th>' for h in w.header_words(header))
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n'


# Summary items that take a whole line; the others pair up, two to a line, in the contract's order.
_WIDE = frozenset((w.INCIDENT, w.PLAYBOOK, w.HEAD_HASH))


def _header(metrics: Metrics, clock: w.ReportClock) -> str:
    title = _("Post-mortem: {title}").format(title=esc(metrics.playbook.title))
    out = [f'<header id="summary">\n<h1 dir="auto">{title}</h1>\n']
    if w.verification_notice(metrics):
        out.append(f'<p class="banner unverified">{esc(w.verification_notice(metrics))}</p>\n')
    if w.drill_notice(metrics):
        out.append(f'<p class="banner drill">{esc(w.drill_notice(metrics))}</p>\n')
    if w.incomplete_notice(metrics):
        out.append(f'<p class="banner incomplete">{esc(w.incomplete_notice(metrics))}</p>\n')
    items = []
    wide, hash_label = {_(label) for label in _WIDE}, _(w.HEAD_HASH)
    for label, value in w.summary_rows(metrics, clock):
        kind = " ".join(name for name, on in (("wide", label in wide), ("hash", label == hash_label)) if on)
        attrs = f' class="{kind}"' if kind else ""
        items.append(f'<div{attrs}><dt>{esc(label)}</dt><dd dir="auto">{esc(value)}</dd></div>')
    out.append('<dl class="summary">\n' + "\n".join(items) + "\n</dl>\n</header>\n")
    return "".join(out)


def _response_times(metrics: Metrics, clock: w.ReportClock) -> str:
    targets = metrics.targets
    body = ""
    if targets:
        rows = (
            (
                esc(t.shown),
                (format_duration(t.target_ms) if t.target_ms is not None else "—", "time"),
                (esc(clock(t.reached)) if t.reached else "—", "time"),
                (clock.since(t.elapsed_ms), "since"),
                (esc(w.result_words(t)), t.result if t.result in (MET, MISSED) else "muted"),
            )
            for t in targets
        )
        body += _table(w.TARGET_COLUMNS, rows)
    else:
        body += _muted(_("This playbook sets no response-time targets."))
    body += _chart(metrics, clock)
    level = metrics.playbook.severity.label
    changes = [
        (
            (esc(clock(metrics.state.detected_at)), "time"),
            (clock.since(0), "since"),
            "",
            esc(level(metrics.playbook.severity.start)),
            _("initial"),
        )
    ]
    changes += [
        (
            (esc(clock(c["ts"])), "time"),
            (clock.since(c["elapsed_ms"]), "since"),
            esc(level(c["from"])),
            esc(level(c["to"])),
            esc(w.reason_words(c["reason"])),
        )
        for c in metrics.severity_changes
    ]
    body += "<h3>" + _("Severity over time") + "</h3>\n" + _table(w.SEVERITY_COLUMNS, changes)
    return _section("response-times", N_("Response times"), body)


def _deadlines(metrics: Metrics, clock: w.ReportClock) -> str:
    """The deadlines and the update cadence; nothing for a playbook that sets neither."""
    pb = metrics.playbook
    if not pb.deadlines and pb.cadence is None:
        return ""
    body = ""
    if pb.deadlines:
        tones = {"met": "met", "missed": "missed", "overdue": "missed"}
        rows = (
            (
                esc(row[0]),
                (esc(row[1]), "time"),
                (esc(row[2]), "time"),
                (esc(row[3]), "time"),
                (esc(row[4]), "time"),
                (esc(row[5]), tones.get(d.status, "muted")),
            )
            for d, row in zip(metrics.deadlines, w.deadline_rows(metrics, clock), strict=True)
        )
        body += _table(w.DEADLINE_COLUMNS, rows)
    cadence = w.cadence_words(metrics)
    if cadence is not None:
        body += "<h3>" + _("Update cadence") + f'</h3>\n<p dir="auto">{esc(cadence)}</p>\n'
        gaps = w.gap_rows(metrics, clock)
        if gaps:
            body += _table(w.GAP_COLUMNS, ((esc(c) for c in row) for row in gaps))
        else:
            body += _muted(_("No gap between updates ran past the cadence."))
    return _section("deadlines", N_("Deadlines"), body)


def _what_happened(metrics: Metrics, clock: w.ReportClock) -> str:
    sections = w.post_mortem_sections(metrics)
    if not sections:
        return _section("what-happened", N_("What happened"), _muted(_("No post-mortem answers were logged.")))
    body = []
    for heading, items in sections:
        if items[0]["title"] is None:  # the one answer, titled like its section: the time goes in the heading
            when = esc(clock(items[0]["ts"]))
            body.append(
                f'<h3 dir="auto">{esc(heading)} <small class="muted">{when}</small></h3>\n'
                f'<blockquote dir="auto">{esc(shown(items[0]["text"]))}</blockquote>\n'
            )
            continue
        body.append(f'<h3 dir="auto">{esc(heading)}</h3>\n')
        for item in items:
            body.append(
                f'<p><em dir="auto">{esc(item["title"])}</em> <span class="muted">({esc(clock(item["ts"]))})'
                f'</span></p>\n<blockquote dir="auto">{esc(shown(item["text"]))}</blockquote>\n'
            )
    return _section("what-happened", N_("What happened"), "".join(body))


def _day_row(day: str | None, columns: int) -> str:
    """A heading row for the first event of each local day (and offset): the rows show only the time of day."""
    if day is None:
        return ""
    return f'<tr class="day"><th colspan="{columns}" scope="rowgroup">{esc(w.day_words(day))}</th></tr>\n'


def _streamed_section(
    key: str, heading: str, lead: str, header: tuple[str, ...], cls: str, rows: Iterator[str]
) -> Iterator[str]:
    """`_section` around a lead and `_table_of`, its rows written as they come."""
    table, end = _table_of(header, "\0", cls).split("\0")
    section, close = _section(key, heading, "\0").split("\0")
    yield section + lead + table
    yield from rows
    yield end + close


def _timeline(metrics: Metrics, clock: w.ReportClock) -> Iterator[str]:
    link = '<a href="#event-log">' + _("event log") + "</a>"
    lead = f'<p class="lead">{w.timeline_lead(link)}</p>\n'
    tones = {ALERT: ' class="alert"', SEVERITY: ' class="severity"'}
    by = _("By")

    def rows() -> Iterator[str]:
        for row, time_of_day, new_day in clock.by_day(key_events(metrics)):
            heading = _day_row(new_day, 4)
            step = f'<strong class="step">{esc(row.title)}</strong> — ' if row.title else ""
            what = "".join(
                f"<div{tones.get(tone, '')}>{step if n == 0 else ''}{esc(text)}</div>"
                for n, (text, tone) in enumerate(row.lines)
            )
            yield (
                f'{heading}<tr><td class="time">{time_of_day}</td>'
                f'<td class="since">{clock.since(row.elapsed_ms)}</td><td class="text" dir="auto">{what}</td>'
                f'<td class="who" dir="auto" data-label="{by}">{esc(row.actor)}</td></tr>\n'
            )

    return _streamed_section("timeline", N_("Timeline"), lead, w.TIMELINE_COLUMNS, "rows events", rows())


def _event_log(metrics: Metrics, clock: w.ReportClock) -> Iterator[str]:
    moments = metrics.timeline or ()
    words = w.event_log_lead(len(moments), metrics.count, lambda name: f"<code>{name}</code>")
    lead = f'<p class="lead">{words}</p>\n'
    once = w.remembered(esc)
    by = _("By")
    since = clock.since
    anchored = metrics.scorecard is not None  # a drill's scorecard links its points to these rows

    def rows() -> Iterator[str]:
        for m, time_of_day, new_day in clock.by_day(moments):
            row = f'<tr id="event-{m.seq}">' if anchored else "<tr>"
            yield (
                f'{_day_row(new_day, 6)}{row}<td class="seq">{m.seq}</td><td class="time">{time_of_day}</td>'
                f'<td class="since">{since(m.elapsed_ms)}</td><td class="step" dir="auto">{once(m.step or "")}</td>'
                f'<td class="who" dir="auto" data-label="{by}">{once(m.actor)}</td>'
                f'<td class="text" dir="auto">{esc(w.log_words(metrics, m))}</td></tr>\n'
            )

    return _streamed_section("event-log", N_("Appendix: event log"), lead, w.LOG_COLUMNS, "rows log", rows())


def _scorecard(metrics: Metrics, clock: w.ReportClock) -> str:
    """A drill's scorecard: the score, each category, then each point linked to the events it comes from."""
    card = metrics.scorecard
    if card is None:
        return ""
    from crisisplay.export import scoring

    body = f'<p class="lead"><strong>{esc(scoring.total_words(card))}</strong></p>\n'
    body += _table(scoring.CATEGORY_COLUMNS, ([esc(c) for c in row] for row in scoring.category_rows(card)))
    shown = metrics.timeline.among(seq for point in card.points for seq in point.events) if metrics.timeline else ()
    pb = metrics.playbook
    rows = []
    for point in card.points:
        tone = "missed" if scoring.lost(point) and point.category != "messages" else ""
        events = ", ".join(f'<a href="#event-{seq}">#{seq}</a>' if seq in shown else f"#{seq}" for seq in point.events)
        rows.append(
            (
                esc(scoring.category_name(point.category)),
                esc(scoring.subject_words(point, pb)),
                (esc(scoring.result_words(point)), tone) if tone else esc(scoring.result_words(point)),
                (events, "seq"),
            )
        )
    if rows:
        body += "<h3>" + _("Points") + "</h3>\n" + _table(scoring.POINT_COLUMNS, rows)
    return _section("scorecard", N_("Scorecard"), body)


def _comparison(metrics: Metrics, clock: w.ReportClock) -> str:
    """How this drill did against the previous run of its scenario; nothing for the first run."""
    comparison = metrics.comparison
    if comparison is None:
        return ""
    from crisisplay.export import scoring

    body = f'<p class="lead">{esc(scoring.comparison_lead(comparison))}</p>\n'
    body += _table(scoring.COMPARE_COLUMNS, ([esc(c) for c in row] for row in scoring.comparison_rows(comparison)))
    targets = scoring.target_rows(comparison, metrics.playbook)
    if targets:
        body += _table(scoring.TARGET_COMPARE_COLUMNS, ([esc(c) for c in row] for row in targets))
    return _section("comparison", N_("Compared with the previous run"), body)


def _messages(metrics: Metrics, clock: w.ReportClock) -> str:
    if not metrics.messages:
        return _section("messages", N_("Messages sent"), _muted(_("No message was sent.")) + _approvals(metrics, clock))
    unnamed = _("an unnamed channel")
    body = [
        f'<h3><span dir="auto">{number}. {_on(esc(shown(m["channel"]) or unnamed))}</span> <small class="muted">'
        f"{w.when_at_step(esc(clock(m['ts'])), clock.since(m['elapsed_ms']), esc(m['step'] or '—'))}</small></h3>\n"
        f'<pre class="message" dir="auto">{esc(shown(m["text"]))}</pre>\n'
        for number, m in enumerate(metrics.messages, 1)
    ]
    return _section("messages", N_("Messages sent"), "".join(body) + _approvals(metrics, clock))


def _approvals(metrics: Metrics, clock: w.ReportClock) -> str:
    """Who approved or rejected which message, under the messages; nothing when none needed approval."""
    rows = w.approval_rows(metrics, clock)
    if not rows:
        return ""
    heading = esc(_("Approvals"))
    return f"<h3>{heading}</h3>\n" + _table(w.APPROVAL_COLUMNS, ([esc(c) for c in row] for row in rows))


def _on(channel: str) -> str:
    return _("On {channel}").format(channel=channel)


def _escalations(metrics: Metrics, clock: w.ReportClock) -> str:
    if not metrics.escalations:
        return _section(
            "escalations", N_("Escalations"), _muted(_("Nobody was escalated to.")) + _deliveries(metrics, clock)
        )
    reached, missed = metrics.people
    role = metrics.playbook.role_label

    def names(people: list[Record]) -> str:
        return ", ".join(f"{esc(p['name'])} ({esc(role(p['role']))})" for p in people) or _("nobody")

    reached_words = _("Reached: {people}.").format(people=names(reached))
    missed_words = _("Not reached: {people}.").format(people=names(missed))
    body = f"<p>{reached_words}<br>{missed_words}</p>\n"
    for number, round_ in enumerate(w.escalation_rounds(metrics), 1):
        people = "; ".join(
            f'<span dir="auto">{esc(p["name"])}</span> ({esc(role(p["role"]))}) '
            f'<span class="{p["outcome"]}">{esc(w.value_words(p["outcome"]))}</span>'
            for p in round_["people"]
        )
        body += (
            f'<h3><span dir="auto">{number}. {esc(round_["title"])}</span> <small class="muted">'
            f"{w.when_at_step(esc(clock(round_['ts'])), clock.since(round_['elapsed_ms']), esc(round_['step'] or '—'))}"
            f"</small></h3>\n<p>{people}.</p>\n"
        )
        if round_["message"] is None or round_["message"]:  # None: logged, then erased
            body += f'<pre class="message" dir="auto">{esc(shown(round_["message"]))}</pre>\n'
    return _section("escalations", N_("Escalations"), body + _deliveries(metrics, clock))


def _deliveries(metrics: Metrics, clock: w.ReportClock) -> str:
    """What crisisplay sent (notification services), under the escalations; nothing when it sent nothing."""
    rows = w.delivery_rows(metrics, clock)
    if not rows:
        return ""
    heading = esc(_("Deliveries"))
    return f"<h3>{heading}</h3>\n" + _table(w.DELIVERY_COLUMNS, ([esc(c) for c in row] for row in rows))


def _notes(metrics: Metrics, clock: w.ReportClock) -> str:
    if not metrics.notes:
        return _section("notes", N_("Notes"), _muted(_("No notes.")))
    body = "".join(
        f'<p class="note"><strong>{esc(clock(n["ts"]))}</strong> ({clock.since(n["elapsed_ms"])}), '
        f'<span dir="auto">{esc(n["actor"])}</span>: '
        f'<span class="said" dir="auto">{esc(shown(n["text"]).strip())}</span></p>\n'
        for n in metrics.notes
    )
    return _section("notes", N_("Notes"), body)


def _action_items(metrics: Metrics, clock: w.ReportClock) -> str:
    items = metrics.action_items
    if not items:
        return _section("action-items", N_("Action items"), _muted(w.no_action_items()))
    note = _("note")
    lines = "".join(
        f'<li><span dir="auto">{esc(shown(i["text"]))}</span> <span class="muted">('
        f"{note if i['source'] == 'note' else _('step {step}').format(step=esc(i['source']))}, "
        f"{esc(clock(i['ts']))})</span></li>\n"
        for i in items
    )
    return _section("action-items", N_("Action items"), f"<ul>\n{lines}</ul>\n")


# --- the chart ---------------------------------------------------------------------------------------


def _chart(metrics: Metrics, clock: w.ReportClock) -> str:
    if not metrics.phases and not metrics.targets:
        return ""  # closed before its first step, in a playbook without targets: nothing to draw
    caption = _(
        "Phases from first to last activity; each milestone (◆ green met, red missed, blue without a target) "
        "against its target (dashed line, the grey band is the time allowed). Time since detection, on a "
        "logarithmic scale: the first minutes get room and the days after still fit."
    )
    return (
        f'<figure id="visual-timeline" class="chart">\n{timeline_svg(metrics, clock)}\n'
        f'<figcaption class="muted">{caption}</figcaption>\n</figure>\n'
    )


def timeline_svg(metrics: Metrics, clock: w.ReportClock) -> str:
    """Phases as bars and milestones against their targets, one labelled row each, so no label can cover another.

    Across, positions are percentages of the width (the labels keep their size on a phone and
    on paper); down, rows are fixed pixels.
    """
    scale = scale_of(metrics)

    def at(ms: float) -> str:
        return f"{100 * scale(ms):.2f}%"

    detected, fine = metrics.state.detected_at, clock.fine
    titles = {p.id: p.title for p in metrics.playbook.phases}
    rows, y = [], 0
    for phase, (first, last) in metrics.phases.items():
        start, end = (first - detected).total_seconds() * 1000, (last - detected).total_seconds() * 1000
        name = titles.get(phase, phase)
        span = f"{w.since_roughly(int(start), fine)} → {w.since_roughly(int(end), fine)}"
        left = min(scale(start), 0.995)
        width = max(scale(end) - left, 0.005)
        between = _("{start} to {end}").format(start=clock.since(int(start)), end=clock.since(int(end)))
        rows.append(
            f'<g class="row phase-row"><title>{esc(name)}: {between}'
            f'</title><text class="label" x="0" y="{y + 12}">{esc(_short(name, 34))}'
            f'<tspan class="span muted"> · {span}</tspan></text><rect class="bar" x="{100 * left:.2f}%" '
            f'y="{y + 16}" width="{100 * width:.2f}%" height="10" rx="2"/></g>'
        )
        y += ROW
    if metrics.phases and metrics.targets:
        y += GAP
    for target in metrics.targets:
        rows.append(_milestone_row(target, at, y, fine))
        y += ROW
    grid, labels = [], []
    major = scale.ticks()
    for ms in scale.ticks(TICK_MINOR, keep=tuple(major)):
        where = scale(ms)
        anchor = "start" if where < 0.06 else "end" if where > 0.94 else "middle"
        grid.append(f'<line class="grid" x1="{at(ms)}" y1="0" x2="{at(ms)}" y2="{y + 4}"/>')
        labels.append(
            f'<text class="tick{"" if ms in major else " minor"}" x="{at(ms)}" y="{y + 19}" '
            f'text-anchor="{anchor}">{w.since_start(ms, fine=True)}</text>'
        )  # a round 0.1s is not +0s
    height = y + AXIS
    described = esc(_("Phases and milestones against their targets, over time since detection"))
    return "\n".join(
        [
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" role="img" '
            f'aria-label="{described}">',
            '<defs><path id="milestone-mark" d="M0 -6.5 L6.5 0 L0 6.5 L-6.5 0 Z"/></defs>',
            *grid,
            *rows,
            f'<line class="axis" x1="0" y1="{y + 4}" x2="100%" y2="{y + 4}"/>',
            *labels,
            "</svg>",
        ]
    )


TICK_MINOR = 0.08  # the gap of the finer ticks a wide screen or paper has room for


def _milestone_row(t: TargetResult, at: Callable[[float], str], y: int, fine: bool) -> str:
    """A target's row: the time allowed, its goal as a dashed line, and the milestone's mark where it was reached."""
    after = "" if t.elapsed_ms is None else _(", reached after {time}").format(time=w.since_start(t.elapsed_ms, fine))
    within = "" if t.target_ms is None else _(", target {goal}").format(goal=format_duration(t.target_ms))
    parts = [f'<g class="row milestone-row"><title>{esc(t.shown)}: {esc(w.result_words(t))}{after}{within}</title>']
    goal = f" ≤ {format_duration(t.target_ms)}" if t.target_ms is not None else ""
    parts.append(
        f'<text class="label" x="0" y="{y + 12}">{esc(_short(t.shown))}{goal}<tspan class="{_tone(t)}"> · '
        f"{esc(_short_result(t, fine))}</tspan></text>"
    )
    if t.target_ms is not None:
        parts.append(
            f'<rect class="allowed" x="0" y="{y + 17}" width="{at(t.target_ms)}" height="8"/>'
            f'<line class="goal {_tone(t)}" x1="{at(t.target_ms)}" y1="{y + 14}" x2="{at(t.target_ms)}" '
            f'y2="{y + 29}"/>'
        )
    if t.elapsed_ms is not None:  # reached
        parts.append(f'<use class="mark {t.result}" href="#milestone-mark" x="{at(t.elapsed_ms)}" y="{y + 21}"/>')
    return "".join(parts) + "</g>"


def _tone(t: TargetResult) -> str:
    return {MET: "met", MISSED: "missed", NOT_REACHED: "muted"}.get(t.result, "reached")


def _short_result(t: TargetResult, fine: bool) -> str:
    """`met, 15m to spare`, `missed by 1d2h`: `result_words` with rounded durations, to fit a phone."""
    if t.result == MET and t.margin_ms:
        return _("met, {margin} to spare").format(margin=w.since_roughly(t.margin_ms, fine)[1:])
    if t.result == MISSED and t.margin_ms is not None:  # missed: the margin is always there
        return _("missed by {margin}").format(margin=w.since_roughly(-t.margin_ms, fine)[1:])
    return w.result_words(t)


def _short(text: str, width: int = 24) -> str:
    text = " ".join(visible(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
