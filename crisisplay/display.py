"""Text from playbooks, answers and logs made safe to show on a terminal or in a page.

Control characters (an escape sequence in a playbook title would retitle or clear the
responder's terminal) become the Unicode control pictures; rich markup in user text (`[/x]`,
`[link=…]`) is escaped so it is shown, never interpreted.
"""

from __future__ import annotations

import re

# C0 and C1 controls (but tab and newline) would drive a terminal or break a page:
# they are shown as the Unicode control pictures instead.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
_PICTURES = {**{c: chr(0x2400 + c) for c in range(0x20)}, 0x7F: "\u2421"}


def visible(text: object) -> str:
    """User text safe to show: CRLF and CR as newlines, other control characters as pictures."""
    text = "" if text is None else str(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(lambda m: _PICTURES.get(ord(m.group()), "\ufffd"), text)
    return text


# Every control character, tab, newline and CR included.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: object) -> str:
    """`visible` text that stays on one line: newline, CR and tab shown as pictures too (␊ ␍ ␉)."""
    text = "" if text is None else str(text)
    if _ANY_CONTROL.search(text):
        text = _ANY_CONTROL.sub(lambda m: _PICTURES.get(ord(m.group()), "\ufffd"), text)
    return text


# JSON escapes C0 controls itself; DEL and the C1 controls (U+0080–U+009F, CSI among them) it
# leaves raw, and a terminal would act on them.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def json_safe(text: str) -> str:
    """JSON text (from `json.dumps`) with DEL and C1 controls written as `\\u` escapes: the same data."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def markup_safe(text: object) -> str:
    """`visible` text for a rich string: its square brackets are shown, not parsed as markup."""
    from rich.markup import escape

    return escape(visible(text))


def width(text: str) -> int:
    """How many terminal cells `text` takes: East Asian wide and full-width characters two, combining marks none."""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in text)


def aligned(rows: list[tuple[str, ...]], gap: int = 2) -> list[str]:
    """Rows of one-line cells as lines whose columns line up, each column as wide as its widest cell:
    a table for output that is not a terminal (a pipe, a file), where nothing is wrapped or cut."""
    widths = [max(width(row[column]) for row in rows) for column in range(len(rows[0]))] if rows else []
    lines = []
    for row in rows:
        cells = [cell + " " * (size - width(cell)) for cell, size in zip(row, widths, strict=True)]
        lines.append((" " * gap).join(cells).rstrip())
    return lines


_LIST_ITEM = re.compile(r"\s|[-*•]\s|\d+[.)]\s")


def reflowed(text: str) -> str:
    """A help text whose lines the author broke for a wide editor, as paragraphs a narrow terminal
    can wrap: a line break inside a paragraph becomes a space; blank lines, list items (`- `, `1. `)
    and indented lines keep theirs."""
    out: list[str] = []
    plain = False  # whether the last line is a paragraph's (a line may join it)
    for line in text.strip().split("\n"):
        own = not line.strip() or bool(_LIST_ITEM.match(line))
        if plain and not own:
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line.rstrip())
            plain = not own
    return "\n".join(out)
