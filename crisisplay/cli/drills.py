"""`crisisplay drills`: past drills by scenario, with their scores and whether the team is getting better."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import IncidentsFormat, _config, _home, _say, _store
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from crisisplay.drill_history import DrillRun


@_command(help=N_("List past drills by scenario, with their scores and the trend from one run to the next."))
def drills(
    format: IncidentsFormat = typer.Option(
        IncidentsFormat.table, "-f", "--format", metavar="FORMAT", help=N_("table or json.")
    ),
) -> None:
    from crisisplay.journal import require_posix

    require_posix()
    groups = drill_groups(_config().drill_weights)
    if format is IncidentsFormat.json:
        print(json.dumps({"drills": groups}, indent=2, ensure_ascii=False))
    elif not groups:
        _say(_("No drills yet: `crisisplay drill SCENARIO` runs one."))
    else:
        _drills_table(groups)


def drill_groups(weights: dict[str, float]) -> list[dict[str, Any]]:
    """The `drills` of `drills -f json`: each scenario (or playbook, for drills without one) with its runs."""
    from crisisplay.drill_history import past_drills, trend
    from crisisplay.scorecard import CATEGORIES, weights_of

    chosen = weights_of(weights)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    last: dict[tuple[str, str], DrillRun] = {}
    for run in past_drills(_home(), _store()):
        key = (run.grouped_by, run.group)
        group = groups.setdefault(
            key, {"group": run.group, "grouped_by": run.grouped_by, "title": run.title, "runs": []}
        )
        score = run.total(chosen)
        before = last.get(key)
        previous = before.total(chosen) if before is not None else None
        delta = round(score - previous, 1) if score is not None and previous is not None else None
        group["runs"].append(
            {
                "id": run.id,
                "playbook": run.playbook,
                "opened": run.opened,
                "score_percent": score,
                "categories": {name: run.percent(name) for name in CATEGORIES if run.sums.get(name, (0, 0))[1]},
                "previous": before.id if before is not None else None,
                "delta": delta,
                "trend": trend(delta),
            }
        )
        last[key] = run
    return list(groups.values())


def _drills_table(groups: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible
    from crisisplay.export.scoring import percent, trend_words
    from crisisplay.times import parse_ts

    console = Console(highlight=False)
    for number, group in enumerate(groups):
        if number:
            console.print()
        if group["grouped_by"] == "scenario":
            heading = f"{group['group']}: {group['title']}"
        else:
            heading = _("{playbook} (drills of the playbook without a scenario): {title}").format(
                playbook=group["group"], title=group["title"]
            )
        console.print(Text(visible(heading), style="bold"))
        table = Table(box=None, pad_edge=False, collapse_padding=True)
        table.add_column(_("id"), no_wrap=True)
        for column in (N_("date"), N_("score"), N_("trend")):
            table.add_column(_(column), no_wrap=True)
        for run in group["runs"]:
            opened = parse_ts(run["opened"]).astimezone().strftime("%Y-%m-%d %H:%M") if run["opened"] else "?"
            table.add_row(
                *(
                    Text(visible(cell))
                    for cell in (
                        run["id"],
                        opened,
                        percent(run["score_percent"]),
                        trend_words(run["trend"], run["delta"]) if run["previous"] else _("first run"),
                    )
                )
            )
        console.print(table)
