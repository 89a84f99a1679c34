"""The `incidents` table drawn without rich's layout when every cell fits is the table rich draws."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crisisplay.cli.incidents import _incidents_table


def row(n: int, **changes) -> dict:
    base = {
        "id": f"20261129-2104{n % 60:02d}-pricing-error-{n:04x}",
        "status": ["closed", "paused", "running", "interrupted"][n % 4],
        "drill": n % 3 == 0,
        "severity": ["low", "high", None][n % 3],
        "duration_ms": None if n % 5 == 4 else 61_000 * n,
        "milestones": None if n % 7 == 6 else {"met": n % 3, "missed": n % 2, "not_reached": 0, "targets": 3},
        "responders": [["Ana María"], [], ["root", "José"], ["a-very-long-responder-name-indeed"]][n % 4],
        "deliveries_unknown": n % 4 == 1,
        "problems": ["p"] if n % 6 == 5 else [],
    }
    return {**base, **changes}


def reference(rows: list[dict], console: Console) -> None:
    """The table as rich lays it out, with the settings `incidents` has always used."""
    from crisisplay.cli.incidents import _duration, _milestones

    table = Table(box=None, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True)
    table.add_column("status", overflow="fold")
    for column in ("severity", "took", "met"):
        table.add_column(column, no_wrap=True)
    table.add_column("by", overflow="fold", min_width=6)
    for r in rows:
        status = (
            r["status"]
            + ("\n(drill)" if r["drill"] else "")
            + ("\n(see warning)" if r["problems"] else "")
            + ("\n(delivery outcome unknown)" if r["deliveries_unknown"] else "")
        )
        cells = (
            r["id"],
            status,
            r["severity"] or "?",
            _duration(r),
            _milestones(r).split(" ")[0],
            ", ".join(r["responders"]),
        )
        table.add_row(*(Text(c) for c in cells))
    console.print(table)


def drawn(draw, rows: list[dict], width: int, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=terminal, color_system="standard" if terminal else None)
    draw(rows, console)
    return out.getvalue()


SETS = [
    [row(n) for n in range(12)],
    [row(n, responders=["root"]) for n in range(4)],
    [row(1, responders=["名前"])],  # wide characters: rich lays it out
    [row(2, responders=["  spaced  "])],
    [row(3, id="x" * 90)],  # wider than the screen
]


@pytest.mark.parametrize("rows", SETS)
@pytest.mark.parametrize("terminal", [False, True])
def test_the_table_is_the_one_rich_draws_at_every_width(rows, terminal):
    for width in range(30, 161, 3):
        assert drawn(_incidents_table, rows, width, terminal) == drawn(reference, rows, width, terminal), width
