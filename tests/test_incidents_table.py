"""The `incidents` table: drawn without rich's cell-by-cell layout only when the text is sure to be
rich's own, at whatever rich version is installed (CI runs the lowest supported one too)."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console

from crisisplay.cli.incidents_table import plain_table, rich_table

HEADERS = ("id", "status", "severity", "took", "met", "by")
NAMES = ["Alice", "Bob Smith", "Zoë Ünicode", "a-very-long-responder-name-indeed", "x", " lead", "trail ", "Ñandú", "—"]


def console(width: int, **options: object) -> Console:
    return Console(width=width, file=io.StringIO(), **options)  # type: ignore[arg-type]


def drawn_by_rich(rows: list[tuple[str, ...]], width: int) -> str:
    screen = console(width)
    screen.print(rich_table(HEADERS, rows))
    return screen.file.getvalue()  # type: ignore[attr-defined]


def listing_rows(
    count: int,
    rnd: random.Random,
    names: list[str] = NAMES,
    playbooks: tuple[str, ...] = ("bench", "a-long-playbook-id"),
) -> list[tuple[str, ...]]:
    rows = []
    for number in range(count):
        status = [rnd.choice(["interrupted", "closed", "paused", "running", "interrumpido"])]
        status += [word for word in (rnd.choice(["", "(drill)"]), rnd.choice(["", "(see warning)"])) if word]
        rows.append(
            (
                f"20261125-{rnd.randint(0, 235959):06d}-{rnd.choice(playbooks)}-{number:04x}",
                "\n".join(status),
                rnd.choice(["low", "high", "?", "critical-ish"]),
                rnd.choice(["3m37s so far", "1h 2m", "?", "12d 3h so far"]),
                rnd.choice(["0/1", "—", "?", "10/12"]),
                rnd.choice([", ", " "]).join(rnd.choice(names) for _ in range(rnd.randint(0, 5))),
            )
        )
    return rows


def test_a_listing_at_80_columns_is_drawn_without_rich_and_exactly_as_rich_draws_it():
    rnd = random.Random(16)
    rows = [  # as the benchmark's home: ids of 33 characters, a status on two lines now and then
        (
            f"20261125-{number:06d}-bench-replay-{number:04x}",
            rnd.choice(["interrupted", "closed", "paused"]) + rnd.choice(["", "\n(drill)"]),
            rnd.choice(["low", "high"]),
            rnd.choice(["3m37s so far", "1h 2m"]),
            rnd.choice(["0/1", "—"]),
            ", ".join(rnd.sample(["Alice", "Bob Smith", "bench"], rnd.randint(1, 3))),
        )
        for number in range(50)
    ]
    fast = plain_table(console(80), HEADERS, rows)
    assert fast is not None  # the usual case takes the fast way
    assert fast.count("\n") > len(rows) + 1  # and some rows take more than one line
    assert fast == drawn_by_rich(rows, 80)


@pytest.mark.parametrize("seed", range(12))
def test_whenever_the_table_is_drawn_without_rich_it_is_rich_s_own_text(seed):
    rnd = random.Random(seed)
    drawn_fast = 0
    for _ in range(60):
        width = rnd.choice([40, 60, 80, 120, 200])
        rows = listing_rows(rnd.randint(1, 8), rnd)
        fast = plain_table(console(width), HEADERS, rows)
        if fast is not None:
            drawn_fast += 1
            assert fast == drawn_by_rich(rows, width), (width, rows)
    assert drawn_fast >= 10  # the comparison above ran, not only the fallbacks


@pytest.mark.parametrize(
    "case",
    ["terminal", "wide characters", "folded mid-line", "header folded", "markup in a header"],
)
def test_what_versions_of_rich_draw_differently_is_left_to_rich(case):
    rows = listing_rows(3, random.Random(7), ["Alice", "Bob"], ("bench",))
    headers, screen = HEADERS, console(80)
    if case == "terminal":  # colours and bold headers: rich's escapes
        screen = console(80, force_terminal=True, color_system="standard")
    elif case == "wide characters":
        rows[0] = (*rows[0][:5], "李小龙, 🙂")
    elif case == "folded mid-line":  # a word longer than its column after another word on its line
        rows[0] = (*rows[0][:5], "Al " + "x" * 60)
    elif case == "header folded":  # rich versions put a shorter header at the top or at the bottom
        headers = ("id", "a-status-header-too-long-to-fit", *HEADERS[2:])
    else:
        headers = ("[b]id[/b]", *HEADERS[1:])
    assert plain_table(screen, headers, rows) is None
    if case != "terminal":
        assert (
            plain_table(console(80), HEADERS, listing_rows(3, random.Random(7), ["Alice", "Bob"], ("bench",)))
            is not None
        )
