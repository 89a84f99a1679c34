"""The `crisisplay` commands: parse, call one function, print, map errors to exit codes.

`app` holds the typer application, its help and `main`; each other module holds a family of
commands and registers them when imported, in the order `--help` lists them (so the imports
below are in that order, not sorted). Heavy modules (jinja2, rich tables, questionary,
exporters, Apprise, psycopg) are imported inside the command that needs them: start-up time
is a feature for someone in a crisis.
"""

# ruff: noqa: I001
from crisisplay.cli import playbooks  # list, show, schema, lint, new
from crisisplay.cli import runs  # start, resume
from crisisplay.cli import drill  # drill, inject
from crisisplay.cli import incidents  # note, close, incidents, verify, export
from crisisplay.cli import team  # assign, severity, approve, reject, watch
from crisisplay.cli import contacts  # contacts
from crisisplay.cli import stores  # store
from crisisplay.cli import drills  # drills
from crisisplay.cli.app import app, main
from crisisplay.cli.common import _config, _store

__all__ = [
    "_config",
    "_store",
    "app",
    "contacts",
    "drill",
    "drills",
    "incidents",
    "main",
    "playbooks",
    "runs",
    "stores",
    "team",
]
