"""The post-mortem report as Markdown that reads well on GitHub, whatever the responders typed.

User text never reaches the page as markup: in running text and table cells every character
that could start markup is backslash-escaped (CommonMark allows it before any punctuation),
newlines in cells become `<br>`, right-to-left text is isolated so it cannot reorder a row,
and messages go in fenced blocks whose fence is longer than any run of backticks inside.
"""

from __future__ import annotations

import re
from typing import TextIO

from crisisplay.events import parse_ts
from crisisplay.export import words as w
from crisisplay.metrics import MISSED, Metrics
from crisisplay.playbook.model import format_duration

_MARKUP = re.compile(r"[\\`*_\[\]<>|~&#]")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")
# Strong right-to-left letters and the explicit direction controls.
_RTL = ("\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200e\u200f\u202a-\u202e\u2066-\u2069"
        "\U00010800-\U00010fff\U0001e800-\U0001efff")
_BIDI = re.compile(f"[{_RTL}]")
# One search decides whether a cell needs any work at all: most cells do not.
_NEEDS_WORK = re.compile(f"[\\\\`*_\\[\\]<>|~&#\\n\\r\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_RTL}]")
_BACKTICKS = re.compile(r"`+")
_PLAIN = re.compile(r"[A-Za-z0-9 .-]+")
_MERMAID_UNSAFE = re.compile(r"[^\w .,()'-]+")
_MERMAID_KEYWORDS = ("section", "title", "dateformat", "axisformat", "excludes", "includes",
                     "todaymarker", "tickinterval", "weekday", "click", "gantt")


def isolate(text: str) -> str:
    """Wrap text holding right-to-left letters or direction controls in FSI…PDI, which closes them."""
    return f"\u2068{text}\u2069" if _BIDI.search(text) else text


def inline(text) -> str:
    """User text for running text or a table cell: markup escaped, newlines as `<br>`."""
    text = "" if text is None else str(text).strip()
    if not _NEEDS_WORK.search(text):
        return text
    text = _MARKUP.sub(lambda m: "\\" + m.group(), w.visible(text)).replace("\n", "<br>")
    return isolate(text)


def heading_text(text) -> str:
    """User text for a heading: one line, markup escaped."""
    return inline(w.visible(text).replace("\n", " "))


def quote(text) -> str:
    """Multi-line user text as a block quote; no line can start a list, heading or code block."""
    lines = []
    for line in w.visible(text).strip().split("\n"):
        line = _MARKUP.sub(lambda m: "\\" + m.group(), line.strip())
        line = _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)
        lines.append(f"> {isolate(line)}" if line else ">")
    return "\n".join(lines)


def fenced(text, info: str = "text") -> str:
    """Text exactly as sent, in a fenced block no line of it can close."""
    body = w.visible(text)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def table(header: tuple[str, ...], rows) -> list[str]:
    """A GitHub table; the cells must already be escaped."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def render(metrics: Metrics, out: TextIO) -> None:
    """Write the post-mortem report, section by section, in the contract's order."""
    local = w.LocalTimes()
    for part in (_header, _response_times, _what_happened, _timeline, _messages, _escalations,
                 _notes, _action_items, _mermaid, _footer):
        out.write("\n".join(part(metrics, local)))
        out.write("\n\n" if part is not _footer else "\n")


def _header(metrics: Metrics, local) -> list[str]:
    out = [f"# Post-mortem: {heading_text(metrics.playbook.title)}", ""]
    for notice in (w.verification_notice(metrics), w.drill_notice(metrics), w.incomplete_notice(metrics)):
        if notice:
            out += [f"> **{inline(notice)}**", ""]
    out += table(("Summary", ""), ((label, inline(value)) for label, value in w.summary_rows(metrics, local)))
    return out


def _response_times(metrics: Metrics, local) -> list[str]:
    out = ["## Response times", ""]
    targets = metrics.targets
    if targets:
        rows = ((inline(t.shown), format_duration(t.target_ms) if t.target_ms is not None else "—",
                 local(t.reached) if t.reached else "—", w.since_start(t.elapsed_ms),
                 f"**{w.result_words(t)}**" if t.result == MISSED else w.result_words(t)) for t in targets)
        out += table(("Target", "Goal", "Reached at", "After", "Result"), rows)
    else:
        out.append("_This playbook sets no response-time targets._")
    out += ["", "### Severity over time", ""]
    level = metrics.playbook.severity.label
    rows = [(local(metrics.state.detected_at), "+0s", "", inline(level(metrics.playbook.severity.start)), "initial")]
    rows += [(local(c["ts"]), w.since_start(c["elapsed_ms"]), inline(level(c["from"])), inline(level(c["to"])),
              inline(c["reason"]))
             for c in metrics.severity_changes]
    return out + table(("Time", "Since start", "From", "To", "Why"), rows)


def _what_happened(metrics: Metrics, local) -> list[str]:
    out = ["## What happened"]
    answers = [a for a in metrics.answers if a["section"] != "action-items"]
    if not answers:
        return out + ["", "_No post-mortem answers were logged._"]
    sections: dict[str, list[dict]] = {}
    for answer in answers:
        sections.setdefault(answer["section"], []).append(answer)
    for section, items in sections.items():
        out += ["", f"### {heading_text(w.section_title(section))}"]
        for item in items:
            out += ["", f"*{inline(item['title'])}* ({local(item['ts'])})", "", quote(item["text"])]
    return out


def _timeline(metrics: Metrics, local) -> list[str]:
    titles = {p.id: inline(p.title) for p in metrics.playbook.phases}
    escaped: dict = {}

    def once(text) -> str:
        found = escaped.get(text)
        if found is None:
            found = escaped[text] = inline(text)
        return found

    since = w.since_start
    rows = [f"| {local(m.at)} | {since(m.elapsed_ms)} | {titles.get(m.phase) or once(m.phase or '')} | "
            f"{once(m.step or '')} | {once(m.actor)} | {inline(m.words)} |" for m in metrics.timeline or ()]
    return ["## Timeline", ""] + table(("Time", "Since start", "Phase", "Step", "By", "Decision"), ()) + rows


def _messages(metrics: Metrics, local) -> list[str]:
    out = ["## Messages sent"]
    if not metrics.messages:
        return out + ["", "_No message was sent._"]
    for number, message in enumerate(metrics.messages, 1):
        out += ["", f"### {number}. On {heading_text(message['channel'] or 'an unnamed channel')}", "",
                f"{local(message['ts'])} ({w.since_start(message['elapsed_ms'])}), step {inline(message['step'] or '—')}",
                "", fenced(message["text"])]
    return out


def _escalations(metrics: Metrics, local) -> list[str]:
    out = ["## Escalations", ""]
    if not metrics.escalations:
        return out + ["_Nobody was escalated to._"]
    reached, missed = metrics.people
    role = metrics.playbook.role_label
    out.append("Reached: " + (", ".join(f"{inline(p['name'])} ({inline(role(p['role']))})" for p in reached) or "nobody") + ".  ")
    out.append("Not reached: " + (", ".join(f"{inline(p['name'])} ({inline(role(p['role']))})" for p in missed) or "nobody") + ".")
    rows = ((local(e["ts"]), w.since_start(e["elapsed_ms"]), inline(role(e["role"])), inline(e["name"]),
             "**unreachable**" if e["outcome"] == "unreachable" else "notified", inline(e["step"] or "—"))
            for e in metrics.escalations)
    out += [""] + table(("Time", "Since start", "Role", "Person", "Outcome", "Step"), rows)
    shown = set()
    for e in metrics.escalations:
        if (e["step"], e["message"]) not in shown and e["message"]:
            shown.add((e["step"], e["message"]))
            out += ["", f"Message at step {inline(e['step'] or '—')}:", "", fenced(e["message"])]
    return out


def _notes(metrics: Metrics, local) -> list[str]:
    out = ["## Notes"]
    if not metrics.notes:
        return out + ["", "_No notes._"]
    for note in metrics.notes:
        out += ["", f"**{local(note['ts'])}** ({w.since_start(note['elapsed_ms'])}), {inline(note['actor'])}:", "",
                quote(note["text"])]
    return out


def _action_items(metrics: Metrics, local) -> list[str]:
    items = metrics.action_items
    if not items:
        return ["## Action items", "", "_None recorded: answer the `action-items` section, or add a note "
                "that starts with `ACTION:`._"]
    lines = ["## Action items", ""]
    for item in items:
        origin = "note" if item["source"] == "note" else f"step {inline(item['source'])}"
        lines.append(f"- [ ] {inline(item['text'])} ({origin}, {local(item['ts'])})")
    return lines


def mermaid_name(text) -> str:
    """A name Mermaid cannot read as syntax: only letters, digits, spaces and plain punctuation."""
    name = " ".join(_MERMAID_UNSAFE.sub(" ", w.visible(text)).split())[:80] or "unnamed"
    return f"phase {name}" if name.split()[0].lower() in _MERMAID_KEYWORDS else name


def _mermaid(metrics: Metrics, local) -> list[str]:
    spans = metrics.phases
    if not spans:
        return ["## Phases", "", "_No phase was entered._"]
    first, last = metrics.state.detected_at, metrics.end_at
    long = (last - first).total_seconds() > 86_400
    stamp = "%Y-%m-%d %H:%M:%S"
    out = ["## Phases", "", "```mermaid", "gantt",
           f"  title {mermaid_name(metrics.state.incident_id)}", "  dateFormat YYYY-MM-DD HH:mm:ss",
           f"  axisFormat {'%d %H:%M' if long else '%H:%M'}", "  section Phases"]
    titles = {p.id: p.title for p in metrics.playbook.phases}
    for number, (phase, (start, end)) in enumerate(spans.items(), 1):
        begin, finish = start.astimezone(), max(end, start).astimezone()
        out.append(f"  {mermaid_name(titles.get(phase, phase))} :p{number}, {begin:{stamp}}, {finish:{stamp}}")
    reached = [t for t in metrics.targets if t.reached]
    if reached:
        out.append("  section Milestones")
    for number, target in enumerate(reached, 1):
        at = parse_ts(target.reached).astimezone()
        tags = "crit, milestone" if target.result == MISSED else "milestone"
        out.append(f"  {mermaid_name(target.shown + ' ' + target.result)} :{tags}, m{number}, {at:{stamp}}, {at:{stamp}}")
    return out + ["```"]


def _footer(metrics: Metrics, local) -> list[str]:
    command = f"crisisplay verify {metrics.state.incident_id} --head {metrics.head}"
    return ["---", "", f"Made by crisisplay from the incident log alone: {metrics.count} events, head hash "
            f"{code(metrics.head)}. Check that the log still holds it with {code(command)}."]


def code(text) -> str:
    """A code span for plain ids and hashes; a log written by hand could hold anything, escaped then."""
    text = "" if text is None else str(text)
    return f"`{text}`" if _PLAIN.fullmatch(text) else inline(text)
