"""The `crisisplay` commands: parse, call one function, print, map errors to exit codes.

`app` holds the typer application, its help and `main`; each other module holds a family of
commands and registers them when imported (`app.COMMAND_MODULES` lists them in the order
`--help` does). A run imports only the module of the command it names: start-up time is a
feature for someone in a crisis, and so are the heavy modules (jinja2, rich tables,
questionary, exporters, Apprise, psycopg) imported inside the command that needs them.
`crisisplay.cli.app`, read from here, is the application with every command registered.
"""

import importlib
from typing import Any

from crisisplay.cli.app import main, register_commands
from crisisplay.cli.common import _config, _store

# Importing the submodule bound its name here; `app` is the application, with every command
# (see __getattr__).
del app  # type: ignore[name-defined]  # noqa: F821  # bound by the import of crisisplay.cli.app

__all__ = ["_config", "_store", "app", "main"]


def __getattr__(name: str) -> Any:
    """`app`: the typer application with every command family registered, as `--help` lists them."""
    if name == "app":
        register_commands()
        return importlib.import_module("crisisplay.cli.app").app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
