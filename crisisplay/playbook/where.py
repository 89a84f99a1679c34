"""Positions inside a scalar: the line and column of a name used in a template or condition.

The document knows where each scalar starts; a finding about one name in a long block
template is more useful at that name. Jinja reports lines, not columns, so we search the
template's text between its `{{ }}` / `{% %}` delimiters and map that back to the file.
"""

from __future__ import annotations

import re

from crisisplay.yamlsource import Document, Path_

_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def name_offset(source: str, name: str, bare: bool, attribute: bool = False) -> int | None:
    """Index of the first use of `name` in `source` (a bare condition, or inside a template's tags);
    an `attribute` may follow a dot or a quote (`x.__class__`, `x['mro']`)."""
    before = r"(?<!\w)" if attribute else r"(?<![\w.'\"])"
    word = re.compile(rf"{before}{re.escape(name)}\b")
    regions = [(0, len(source))] if bare else [m.span() for m in _CODE.finditer(source)]
    for start, end in regions:
        found = word.search(source, start, end)
        if found:
            return found.start()
    return None


def locate(
    doc: Document, path: Path_, source: str, name: str, bare: bool = False, attribute: bool = False
) -> tuple[int, int]:
    """(line, column) of `name` inside the scalar at `path`, or the scalar's own position."""
    return position_of(doc, path, source, name_offset(source, name, bare, attribute))


def locate_line(doc: Document, path: Path_, source: str, number: int) -> tuple[int, int] | None:
    """(line, column) in the file of line `number` (1-based, as Jinja counts) of the scalar at
    `path`, at its first character that is not a space; None when it cannot be told apart."""
    lines = source.split("\n")
    if not 1 <= number <= len(lines) or not lines[number - 1].strip():
        return None
    text = lines[number - 1]
    index = sum(len(earlier) + 1 for earlier in lines[: number - 1]) + len(text) - len(text.lstrip())
    found = position_of(doc, path, source, index)
    return None if found == doc.position(path) and number > 1 else found


def position_of(doc: Document, path: Path_, source: str, index: int | None) -> tuple[int, int]:
    """(line, column) in the file of the character at `index` of the scalar at `path`, or the
    scalar's own position when it is not found (a folded or escaped scalar's lines may differ)."""
    line, col = doc.position(path)
    if index is None or not doc.text:
        return line, col
    before = source[:index]
    nth = before.count("\n")
    piece = source.split("\n")[nth]
    in_piece = index - (before.rfind("\n") + 1)
    lines = doc.text.split("\n")
    # The scalar's lines appear in the file in order, indented or after the key: find the
    # file line at or after the scalar's start that holds this line of the template: first
    # where a block scalar (`|`, its text from the next line) or a plain one puts it, since the
    # same text may be on another line too (`{% endif %}`), then wherever it is.
    end = min(len(lines), line + source.count("\n") + 2)
    likely = (line + nth, line - 1 + nth) if nth else (line - 1, line)
    for number in dict.fromkeys(n for n in (*likely, *range(line - 1, end)) if n < end):
        text = lines[number]
        start = text.find(piece, col - 1 if number == line - 1 else 0) if piece else -1
        if start >= 0:
            return number + 1, start + in_piece + 1
    return line, col
