"""The post-mortem report as one self-contained, printable HTML file with an SVG timeline.

Inline CSS and SVG only: no scripts, nothing loaded from elsewhere. Every value from the
log goes through `esc` (html.escape with quote=True, after control characters are made
visible) and user text sits in `dir="auto"` elements, so right-to-left text stays in its box.
"""

from __future__ import annotations

import html
from typing import TextIO

from crisisplay.export import words as w
from crisisplay.metrics import MET, MISSED, NOT_REACHED, Metrics
from crisisplay.playbook.model import format_duration

CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6472; --line: #d5d9e0; --met: #1a7f37;
  --missed: #c62828; --reached: #2f5fb3; --phase: #8fb3e8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; margin-bottom: .5rem; } h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem;
  margin-top: 2.2rem; } h3 { margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #f3f5f8; } td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.summary th { width: 13rem; }
.banner { padding: .6rem 1rem; border-radius: 6px; font-weight: 700; margin: .5rem 0; }
.banner.drill { background: #fff4ce; border: 2px dashed #b58900; }
.banner.incomplete { background: #fde7e9; border: 2px solid var(--missed); }
.banner.unverified { background: #fde7e9; border: 4px double var(--missed); }
.met { color: var(--met); } .missed { color: var(--missed); font-weight: 700; } .muted { color: var(--muted); }
.unreachable { color: var(--missed); font-weight: 700; }
blockquote, pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .4rem 0 1rem; }
blockquote { border-left: 4px solid var(--line); padding: .2rem .9rem; color: #2c3340; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .7rem .9rem;
  font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
svg { width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .phase { fill: var(--phase); stroke: #3d6fb6; } svg .axis { stroke: var(--muted); }
svg .target { stroke: var(--muted); stroke-dasharray: 5 4; } svg .target.missed { stroke: var(--missed); }
svg .target.met { stroke: var(--met); } svg polygon.met { fill: var(--met); }
svg polygon.missed { fill: var(--missed); } svg polygon.reached { fill: var(--reached); }
svg text.label { fill: var(--ink); } svg text.small { fill: var(--muted); font-size: 11px; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .9rem; border-top: 1px solid var(--line); }
code { font-family: ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
@page { margin: 14mm; }
@media print { body { margin: 0; max-width: none; font-size: 10.5pt; } h2 { break-after: avoid; }
  tr, pre, blockquote, svg { break-inside: avoid; } .banner { border-width: 2px; } }
"""

WIDTH, LEFT, RIGHT, ROW, TOP = 960, 180, 40, 30, 46


def esc(value) -> str:
    """Any value from the log, safe in HTML text and attributes."""
    return html.escape(w.visible(value), quote=True)


def render(metrics: Metrics, out: TextIO) -> None:
    """Write the whole report: one file, nothing loaded from elsewhere."""
    local = w.LocalTimes()
    state = metrics.state
    title = f"{'DRILL — ' if state.drill else ''}Post-mortem: {metrics.playbook.title} — {state.incident_id}"
    out.write(f'<!DOCTYPE html>\n<html lang="{esc(metrics.playbook.locale)}">\n<head>\n<meta charset="utf-8">\n'
              f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
              f"<style>{CSS}</style>\n</head>\n<body>\n")
    parts = (_header, _response_times, _what_happened, _timeline, _messages, _escalations, _notes, _action_items)
    out.writelines(part(metrics, local) for part in parts)
    out.write(f'<footer><p>Made by crisisplay from the incident log alone: {metrics.count} events, head hash '
              f'<code>{esc(metrics.head)}</code>. Check that the log still holds it with <code>crisisplay verify '
              f'{esc(state.incident_id)} --head {esc(metrics.head)}</code>.</p></footer>\n</body>\n</html>\n')


def _section(key: str, heading: str, body: str) -> str:
    return f'<section id="{key}">\n<h2>{heading}</h2>\n{body}</section>\n'


def _table(header: tuple[str, ...], rows, cls: str = "") -> str:
    """A table; cells are (already escaped html, css class) pairs or plain escaped html."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for row in rows:
        cells = (c if isinstance(c, tuple) else (c, "") for c in row)
        body.append("<tr>" + "".join(f'<td class="{k}">{v}</td>' if k else f'<td dir="auto">{v}</td>'
                                     for v, k in cells) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(body) + "\n</tbody></table>\n"


def _header(metrics: Metrics, local) -> str:
    out = [f'<header id="summary">\n<h1 dir="auto">Post-mortem: {esc(metrics.playbook.title)}</h1>\n']
    if w.verification_notice(metrics):
        out.append(f'<p class="banner unverified">{esc(w.verification_notice(metrics))}</p>\n')
    if w.drill_notice(metrics):
        out.append(f'<p class="banner drill">{esc(w.drill_notice(metrics))}</p>\n')
    if w.incomplete_notice(metrics):
        out.append(f'<p class="banner incomplete">{esc(w.incomplete_notice(metrics))}</p>\n')
    rows = "\n".join(f'<tr><th>{esc(label)}</th><td dir="auto">{esc(value)}</td></tr>'
                     for label, value in w.summary_rows(metrics, local))
    out.append(f'<table class="summary"><tbody>\n{rows}\n</tbody></table>\n</header>\n')
    return "".join(out)


def _response_times(metrics: Metrics, local) -> str:
    targets = metrics.targets
    body = ""
    if targets:
        rows = ((esc(t.shown), (format_duration(t.target_ms) if t.target_ms is not None else "—", "time"),
                 (esc(local(t.reached)) if t.reached else "—", "time"), (w.since_start(t.elapsed_ms), "time"),
                 (esc(w.result_words(t)), t.result if t.result in (MET, MISSED) else "muted")) for t in targets)
        body += _table(("Target", "Goal", "Reached at", "After", "Result"), rows)
    else:
        body += "<p class=\"muted\">This playbook sets no response-time targets.</p>\n"
    body += '<figure id="visual-timeline">\n' + timeline_svg(metrics) + "\n<figcaption class=\"muted\">Phases " \
            "(from first to last activity) and milestones against their targets (dashed lines).</figcaption>\n</figure>\n"
    level = metrics.playbook.severity.label
    rows = [((esc(local(metrics.state.detected_at)), "time"), ("+0s", "time"), "", esc(level(metrics.playbook.severity.start)),
             "initial")]
    rows += [((esc(local(c["ts"])), "time"), (w.since_start(c["elapsed_ms"]), "time"), esc(level(c["from"])), esc(level(c["to"])),
              esc(c["reason"])) for c in metrics.severity_changes]
    body += "<h3>Severity over time</h3>\n" + _table(("Time", "Since start", "From", "To", "Why"), rows)
    return _section("response-times", "Response times", body)


def _what_happened(metrics: Metrics, local) -> str:
    answers = [a for a in metrics.answers if a["section"] != "action-items"]
    if not answers:
        return _section("what-happened", "What happened", '<p class="muted">No post-mortem answers were logged.</p>\n')
    sections: dict[str, list[dict]] = {}
    for answer in answers:
        sections.setdefault(answer["section"], []).append(answer)
    body = []
    for section, items in sections.items():
        body.append(f'<h3 dir="auto">{esc(w.section_title(section))}</h3>\n')
        for item in items:
            body.append(f'<p><em dir="auto">{esc(item["title"])}</em> <span class="muted">({esc(local(item["ts"]))})'
                        f'</span></p>\n<blockquote dir="auto">{esc(item["text"])}</blockquote>\n')
    return _section("what-happened", "What happened", "".join(body))


def _timeline(metrics: Metrics, local) -> str:
    titles = {p.id: esc(p.title) for p in metrics.playbook.phases}
    rows = (((esc(local(m.at)), "time"), (w.since_start(m.elapsed_ms), "time"), titles.get(m.phase) or esc(m.phase or ""),
             esc(m.step or ""), esc(m.actor), esc(m.words)) for m in metrics.timeline or ())
    return _section("timeline", "Timeline", _table(("Time", "Since start", "Phase", "Step", "By", "Decision"), rows))


def _messages(metrics: Metrics, local) -> str:
    if not metrics.messages:
        return _section("messages", "Messages sent", '<p class="muted">No message was sent.</p>\n')
    body = [f'<h3 dir="auto">{number}. On {esc(m["channel"] or "an unnamed channel")}</h3>\n<p class="muted">'
            f'{esc(local(m["ts"]))} ({w.since_start(m["elapsed_ms"])}), step {esc(m["step"] or "—")}</p>\n'
            f'<pre dir="auto">{esc(m["text"])}</pre>\n' for number, m in enumerate(metrics.messages, 1)]
    return _section("messages", "Messages sent", "".join(body))


def _escalations(metrics: Metrics, local) -> str:
    if not metrics.escalations:
        return _section("escalations", "Escalations", '<p class="muted">Nobody was escalated to.</p>\n')
    reached, missed = metrics.people
    role = metrics.playbook.role_label
    names = lambda people: ", ".join(f"{esc(p['name'])} ({esc(role(p['role']))})" for p in people) or "nobody"
    body = f"<p>Reached: {names(reached)}.<br>Not reached: {names(missed)}.</p>\n"
    rows = (((esc(local(e["ts"])), "time"), (w.since_start(e["elapsed_ms"]), "time"), esc(role(e["role"])), esc(e["name"]),
             (esc(e["outcome"]), e["outcome"]), esc(e["step"] or "—")) for e in metrics.escalations)
    body += _table(("Time", "Since start", "Role", "Person", "Outcome", "Step"), rows)
    shown = set()
    for e in metrics.escalations:
        if e["message"] and (e["step"], e["message"]) not in shown:
            shown.add((e["step"], e["message"]))
            body += f'<p>Message at step {esc(e["step"] or "—")}:</p>\n<pre dir="auto">{esc(e["message"])}</pre>\n'
    return _section("escalations", "Escalations", body)


def _notes(metrics: Metrics, local) -> str:
    if not metrics.notes:
        return _section("notes", "Notes", '<p class="muted">No notes.</p>\n')
    body = "".join(f'<p><strong>{esc(local(n["ts"]))}</strong> ({w.since_start(n["elapsed_ms"])}), '
                   f'<span dir="auto">{esc(n["actor"])}</span>:</p>\n<blockquote dir="auto">{esc(n["text"])}</blockquote>\n'
                   for n in metrics.notes)
    return _section("notes", "Notes", body)


def _action_items(metrics: Metrics, local) -> str:
    items = metrics.action_items
    if not items:
        return _section("action-items", "Action items", '<p class="muted">None recorded: answer the action-items '
                        "section, or add a note that starts with ACTION:.</p>\n")
    lines = "".join(f'<li><span dir="auto">{esc(i["text"])}</span> <span class="muted">('
                    f'{"note" if i["source"] == "note" else "step " + esc(i["source"])}, {esc(local(i["ts"]))})</span></li>\n'
                    for i in items)
    return _section("action-items", "Action items", f"<ul>\n{lines}</ul>\n")


def timeline_svg(metrics: Metrics) -> str:
    """Phases as bars from first to last activity, milestones as diamonds, targets as dashed lines."""
    detected = metrics.state.detected_at
    spans = [(phase, (a - detected).total_seconds() * 1000, (b - detected).total_seconds() * 1000)
             for phase, (a, b) in metrics.phases.items()]
    targets = metrics.targets
    axis_end = max([1000, metrics.duration_ms] + [t.elapsed_ms for t in targets if t.elapsed_ms is not None])
    span_px = WIDTH - LEFT - RIGHT
    x = lambda ms: LEFT + span_px * min(max(ms, 0), axis_end) / axis_end
    rows = len(spans) + 1
    height = TOP + rows * ROW + 44
    titles = {p.id: p.title for p in metrics.playbook.phases}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-label="Timeline of phases and milestones against the targets">']
    for row, (phase, start, end) in enumerate(spans):
        y = TOP + row * ROW
        name = titles.get(phase, phase)
        out.append(f'<g class="phase-row"><text class="label" x="{LEFT - 8}" y="{y + 19}" text-anchor="end">'
                   f"{esc(_short(name))}</text>"
                   f'<rect class="phase" x="{x(start):.1f}" y="{y + 6}" width="{max(3.0, x(end) - x(start)):.1f}" '
                   f'height="{ROW - 12}" rx="3"><title>{esc(name)}: {w.since_start(int(start))} to '
                   f"{w.since_start(int(end))}</title></rect></g>")
    bottom = TOP + rows * ROW
    milestone_y = bottom - ROW + 15
    out.append(f'<text class="label" x="{LEFT - 8}" y="{milestone_y + 4}" text-anchor="end">Milestones</text>')
    for number, t in enumerate(targets):
        out.append(_target_marks(t, x, axis_end, bottom, milestone_y, number))
    out.append(f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>')
    for tick in range(5):
        ms = axis_end * tick // 4
        out.append(f'<line class="axis" x1="{x(ms):.1f}" y1="{bottom}" x2="{x(ms):.1f}" y2="{bottom + 5}"/>'
                   f'<text class="small" x="{x(ms):.1f}" y="{bottom + 19}" text-anchor="middle">{w.since_start(ms)}</text>')
    out.append(f'<text class="small" x="{LEFT}" y="{bottom + 37}">time since detection</text></svg>')
    return "\n".join(out)


def _target_marks(t, x, axis_end: int, bottom: int, milestone_y: int, number: int) -> str:
    """One target's dashed line and label, and its milestone's diamond when it was reached."""
    parts = []
    label_y = 12 + (number % 3) * 13  # stagger heights so neighbouring labels do not overlap
    if t.target_ms is not None:
        off_scale = t.target_ms > axis_end
        tx = x(t.target_ms)
        cls = t.result if t.result in (MET, MISSED) else "muted"
        goal = f"{t.shown} ≤ {format_duration(t.target_ms)}{' →' if off_scale else ''}"
        parts.append(f'<line class="target {cls}" x1="{tx:.1f}" y1="{label_y + 4}" x2="{tx:.1f}" y2="{bottom}">'
                     f"<title>{esc(t.shown)}: target {format_duration(t.target_ms)}</title></line>"
                     f'<text class="small" x="{tx:.1f}" y="{label_y}" text-anchor="end">{esc(goal)}</text>')
    if t.result != NOT_REACHED:
        mx, cls = x(t.elapsed_ms), t.result
        parts.append(f'<polygon class="milestone {cls}" points="{mx:.1f},{milestone_y - 8} {mx + 8:.1f},{milestone_y} '
                     f'{mx:.1f},{milestone_y + 8} {mx - 8:.1f},{milestone_y}"><title>{esc(t.shown)} reached after '
                     f"{w.since_start(t.elapsed_ms)}: {esc(w.result_words(t))}</title></polygon>"
                     f'<text class="small" x="{mx + 11:.1f}" y="{milestone_y + 4}">{esc(t.shown)}</text>')
    return "".join(parts)


def _short(text: str, width: int = 26) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
