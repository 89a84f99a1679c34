"""The `crisisplay` script (and `python -m crisisplay`): `cli.app.main`, imported here so that a
Ctrl-C while Python is still importing the command line is an interruption, not a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from crisisplay.cli.app import main as run
    except KeyboardInterrupt:
        # Nothing has been read or written yet; the language is not chosen yet either (that needs
        # the command line and the config), so this one line is English.
        sys.stderr.write("crisisplay: interrupted\n")
        sys.exit(130)
    run()
