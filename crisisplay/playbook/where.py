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
    line, col = doc.position(path)
    index = name_offset(source, name, bare, attribute)
    if index is None or not doc.text:
        return line, col
    before = source[:index]
    piece = source.split("\n")[before.count("\n")]
    in_piece = index - (before.rfind("\n") + 1)
    lines = doc.text.split("\n")
    # The scalar's lines appear in the file in order, indented or after the key: find the
    # first file line at or after the scalar's start that holds this line of the template.
    for number in range(line - 1, min(len(lines), line + source.count("\n") + 2)):
        text = lines[number]
        start = text.find(piece, col - 1 if number == line - 1 else 0) if piece else -1
        if start >= 0:
            return number + 1, start + in_piece + 1
    return line, col
