"""`crisisplay store`: prepare a PostgreSQL store, and copy incidents between stores."""

from __future__ import annotations

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import _action, _home, _say, _store
from crisisplay.errors import UsageError
from crisisplay.i18n import N_, _

STORE_ACTIONS = ("init", "copy")


@_command(
    help=N_(
        "The store incidents live in (a folder, or PostgreSQL: `store` in config.toml or CRISISPLAY_STORE). "
        "`store init` creates its schema; `store copy --to TARGET` copies every incident into another store."
    )
)
def store(
    action: str = typer.Argument(..., metavar="init|copy", help=N_("`init`, or `copy` with --to.")),
    to: str | None = typer.Option(
        None, "--to", metavar="TARGET", help=N_("copy: the store to copy into, a postgresql://… address or a folder.")
    ),
) -> None:
    from crisisplay.display import visible

    _action(action, STORE_ACTIONS, "`store init` or `store copy --to TARGET`")
    source = _store()
    if action == "init":
        from crisisplay.store.files import FileStore

        if isinstance(source, FileStore):
            from crisisplay.home import private_dir

            private_dir(source.folder)
            _say(_("The store is the folder {folder}; it needs no schema.").format(folder=source.folder))
            return
        from crisisplay.store.postgres import PostgresStore

        assert isinstance(source, PostgresStore)
        _say(source.init())
        return
    if not to or not to.strip():
        raise UsageError(_("store copy needs --to TARGET: a postgresql://… address or a folder"))
    from crisisplay.store.base import open_location
    from crisisplay.store.copy import COPIED, DIFFERENT, OTHER_KEY, SAME, copy_incidents

    target = open_location(to.strip(), _home())
    if target.describe() == source.describe():
        raise UsageError(_("store copy: {store} is the store being copied from").format(store=source.describe()))
    results = copy_incidents(source, target)
    for result in results:
        if result.outcome == COPIED:
            line = _("{incident}: copied ({count} events, head {hash})").format(
                incident=result.incident_id, count=result.events, hash=result.head
            )
        elif result.outcome == SAME:
            line = _("{incident}: already there, same head").format(incident=result.incident_id)
        elif result.outcome == DIFFERENT:
            line = _("{incident}: already there with another head ({there}, here {here}); not overwritten").format(
                incident=result.incident_id, there=result.other_head, here=result.head
            )
        elif result.outcome == OTHER_KEY:
            line = _(
                "{incident}: the target keeps another key for it ({where}); not overwritten, not copied: "
                "`crisisplay keys export {incident}` and `keys import --replace` put the right one there"
            ).format(incident=result.incident_id, where=result.problem)
        else:
            line = _("{incident}: does not verify, not copied: {problem}").format(
                incident=result.incident_id, problem=result.problem
            )
        _say(visible(line))
    copied = sum(1 for r in results if r.outcome == COPIED)
    _say(
        _("{copied} incident(s) copied to {target}, {same} already there, {left} not copied.").format(
            copied=copied,
            target=target.describe(),
            same=sum(1 for r in results if r.outcome == SAME),
            left=sum(1 for r in results if not r.ok),
        )
    )
    if any(not r.ok for r in results):
        raise typer.Exit(1)
