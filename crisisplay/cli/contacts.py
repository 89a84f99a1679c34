"""`crisisplay contacts`: who is reached for each role, and a test notice to each target."""

from __future__ import annotations

import json
from typing import Any

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import TextOrJson, _config, _home, _say
from crisisplay.errors import UsageError
from crisisplay.i18n import N_, _
from crisisplay.notify.reasons import failure_words


@_command(
    help=N_(
        "List the contacts by role: person, notification targets (secrets masked), backup. "
        "`contacts test [ROLE]...` sends a test notice to every target: exit 0 when all were delivered, 1 when one failed."
    )
)
def contacts(
    words: list[str] | None = typer.Argument(
        None, metavar="test [ROLE]", help=N_("`test`, then the roles to test (all roles when none is named).")
    ),
    format: TextOrJson = typer.Option(TextOrJson.text, "-f", "--format", metavar="FORMAT", help=N_("text or json.")),
) -> None:
    from crisisplay.notify.contacts import chosen_roles, contact_rows

    words = list(words or [])
    config = _config()
    if not words:
        rows = contact_rows(config)
        if format is TextOrJson.json:
            print(json.dumps({"contacts": rows}, indent=2, ensure_ascii=False))
        else:
            _contacts_table(rows)
        return
    if words[0] != "test":
        from crisisplay.findings import did_you_mean

        raise UsageError(
            _("unknown word '{word}'{suggestion}; expected {usage}").format(
                word=words[0],
                suggestion=did_you_mean(words[0], ["test"]),
                usage=_("`contacts` or `contacts test [ROLE]...`"),
            )
        )
    from crisisplay.notify.check import check_targets
    from crisisplay.notify.contacts import send_test_notices

    roles = chosen_roles(config, words[1:])
    check_targets(config)
    from crisisplay.notify.courier import attempt_timeout

    results = send_test_notices(config, roles, timeout=attempt_timeout())
    failed = sum(1 for r in results if r["delivered"] is False)
    if format is TextOrJson.json:
        delivered = sum(1 for r in results if r["delivered"])
        print(json.dumps({"results": results, "delivered": delivered, "failed": failed}, indent=2, ensure_ascii=False))
    else:
        from crisisplay.display import visible

        for result in results:
            who = result["role"] + (f" ({result['name']})" if result["name"] else "")
            if result["target"] is None:
                line = _("{who}: no targets").format(who=who)
            elif result["delivered"]:
                line = _("{who} via {target}: delivered").format(who=who, target=result["target"])
            else:
                line = _("{who} via {target}: failed: {reason}").format(
                    who=who, target=result["target"], reason=failure_words(result["error"])
                )
            print(visible(line))
    if failed:
        raise typer.Exit(1)


def _contacts_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from crisisplay.display import visible

    if not rows:
        _say(_("No contacts configured: add [contacts.<role>] tables to {path}").format(path=_home() / "config.toml"))
        return
    table = Table(box=None, pad_edge=False)
    for column in (N_("role"), N_("name"), N_("notify"), N_("backup")):
        table.add_column(_(column), overflow="fold")
    for row in rows:
        targets = "\n".join(target["target"] for target in row["targets"]) or _("no targets")
        cells = (row["role"], row["name"] or "", targets, row["backup"] or "")
        table.add_row(*(Text(visible(cell)) for cell in cells))
    Console().print(table)
