"""The `incidents` table: drawn by rich, or, where every supported rich would write the same
text (no terminal, one-cell-wide characters, cells that fit), laid out here from rich's own
column widths: rich drew a thousand rows in 0.25 s, this writes them in about 20 ms."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def rich_table(headers: tuple[str, ...], cells: Iterable[tuple[str, ...]]) -> Table:
    """The table as rich draws it (the reference `plain_table` must match)."""
    from rich.table import Table
    from rich.text import Text

    # Fits 80 columns: the id already says when it started (UTC); drills are marked on a
    # second line of the status and long names fold, so nothing is cut off.
    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column(headers[0], no_wrap=True)
    table.add_column(headers[1], overflow="fold")
    for header in headers[2:5]:
        table.add_column(header, no_wrap=True)
    table.add_column(headers[5], overflow="fold", min_width=6)
    for values in cells:
        table.add_row(*(Text(value) for value in values))
    return table


# The columns `rich_table` folds (the others never wrap), and the characters one cell wide at
# every version of rich the project supports: printable ASCII, Latin-1's letters and signs (not
# its no-break or soft hyphen), and the dashes and ellipsis the words use.
_FOLDED = (False, True, False, False, False, True)
_NARROW = re.compile("[\x20-\x7e\n\u00a1-\u00ac\u00ae-\u00ff\u2013\u2014\u2026]*")
_WORD = re.compile(r"\s*\S+\s*")  # rich's words, as it wraps them


def plain_table(console: Console, headers: tuple[str, ...], cells: list[tuple[str, ...]]) -> str | None:
    """The text `console.print(rich_table(...))` writes, made without drawing each cell through rich;
    None unless it is sure to be the same (then rich draws it).

    Drawing a thousand rows took rich 0.25 s. Here rich still chooses the column widths, from a
    table of one cell per distinct measure in each column (its width depends on those alone); the cells
    are then laid out as rich lays out plain text in them. Only for what every supported rich
    version writes alike: no colour or style (not a terminal), one-cell-wide characters, cells
    that fit their column, or fold only where the versions agree (a word too long for its column
    as the first word of its line).
    """
    from itertools import zip_longest

    if console.color_system is not None or console.legacy_windows or console.is_terminal:
        return None
    if any("[" in header or ":" in header for header in headers):  # rich reads markup and emoji codes in them
        return None
    every = (headers, *cells)
    for values in every:
        for value in values:
            if not _NARROW.fullmatch(value) or value.endswith("\n"):
                return None
    # One cell per column for each (longest line, longest word): what rich measures a plain cell by.
    distinct = [list({_span(value): value for value in column}.values()) for column in zip(*cells, strict=True)]
    measure = rich_table(headers, zip_longest(*distinct, fillvalue=""))
    try:
        widths = measure._calculate_column_widths(console, console.options.update_width(console.width))
    except (AttributeError, TypeError):  # a rich without this method: let it draw the table itself
        return None
    if sum(widths) > console.width or min(widths) < 2:  # squeezed past what the rows need: rich's call
        return None
    last = len(widths) - 1
    spaces = [width - (index < last) for index, width in enumerate(widths)]  # each column's text, then its padding
    out = []
    for values in every:
        laid = []
        for index, value in enumerate(values):
            lines = _fold(value, spaces[index]) if _FOLDED[index] else value.split("\n")
            if lines is None or any(len(line) > spaces[index] for line in lines):
                return None
            laid.append(lines)
        height = max(len(lines) for lines in laid)
        if values is headers and height > 1:  # rich versions differ on where shorter headers sit
            return None
        for number in range(height):
            out.append(
                "".join(
                    (lines[number] if number < len(lines) else "").ljust(spaces[index]) + " " * (index < last)
                    for index, lines in enumerate(laid)
                )
            )
    return "\n".join(out) + "\n"


def _span(value: str) -> tuple[int, int]:
    """What a cell of one-cell-wide characters needs: its longest line, and its longest word."""
    return max(map(len, value.split("\n"))), max(map(len, value.split()), default=0)


def _fold(value: str, width: int) -> list[str] | None:
    """`value`'s lines wrapped to `width` as rich wraps a folding column; None where versions differ."""
    out = []
    for line in value.split("\n"):
        start_of_line, used = 0, 0
        for match in _WORD.finditer(line):
            start, word = match.start(), match.group()
            length = len(word.rstrip())
            if used + length <= width:
                used += len(word)
                continue
            if length > width:
                if start:  # older rich folds it from where the line is, newer from a new line
                    return None
                while len(word) > width:  # the first word, folded: pieces of `width`
                    out.append(line[start_of_line : start_of_line + width])
                    start_of_line += width
                    word = word[width:]
                used = len(word)
            elif used and start:
                out.append(line[start_of_line:start])
                start_of_line, used = start, len(word)
        out.append(line[start_of_line:])
    # A line's spaces past the width are dropped (rich strips them, then pads to the width).
    return [line if len(line) <= width else line[:width] if not line[width:].strip() else line for line in out]
