"""The `incidents` table as rich draws it in a terminal (a pipe or a file gets aligned lines:
`cli.common._print_table`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table


def rich_table(headers: tuple[str, ...], cells: Iterable[tuple[str, ...]]) -> Table:
    """The id, the severity, how long and the targets never fold; the status (drills are marked on a
    second line of it) and the names do, so nothing is cut off."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column(headers[0], no_wrap=True)
    table.add_column(headers[1], overflow="fold")
    for header in headers[2:5]:
        table.add_column(header, no_wrap=True)
    table.add_column(headers[5], overflow="fold", min_width=6)
    for values in cells:
        table.add_row(*(Text(value) for value in values))
    return table
