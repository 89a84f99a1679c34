"""The file store: a folder of incident logs, `<id>.jsonl` each (the embedded default).

Each incident's log is a `Journal` (crisisplay/journal.py): the file, its lease and its run
lock. This module is the folder: creating an incident, opening one, listing them.
"""

from __future__ import annotations

import re
from pathlib import Path

from crisisplay.errors import IncidentNotFound
from crisisplay.events import Event
from crisisplay.home import private_dir
from crisisplay.i18n import _
from crisisplay.journal import Journal
from crisisplay.store.sealing import KeyRing

__all__ = ["FileStore", "Journal"]

ID_RE = re.compile(r"(\d{8}-\d{6})-([a-z0-9][a-z0-9-]*)-([0-9a-f]{4})")


class FileStore:
    """A folder holding one `<id>.jsonl` log per incident."""

    def __init__(self, folder: Path, keys: KeyRing | None = None):
        """`keys`: where the incidents' keys are kept (`<home>/keys`); without it personal values
        are logged as plain text (a store made by hand, as tests do)."""
        self.folder = Path(folder)
        self.keys = keys

    def __repr__(self) -> str:
        return f"FileStore({str(self.folder)!r})"

    def path_of(self, incident_id: str) -> Path:
        return self.folder / f"{incident_id}.jsonl"

    def create(self, incident_id: str, first_event: Event) -> Journal:
        """The incident's log, created complete with its first event (refused if it exists)."""
        private_dir(self.folder)
        return Journal.create(self.path_of(incident_id), first_event, keys=self.keys)

    def open(self, incident_id: str) -> Journal:
        path = self.path_of(incident_id)
        if not path.exists() and not path.is_symlink():
            raise IncidentNotFound(_("{path}: no such incident log").format(path=path))
        return Journal(path, keys=self.keys)

    def logs(self) -> list[Path]:
        """Every log file named like an incident, in name order."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.jsonl") if ID_RE.fullmatch(p.stem))

    def ids(self) -> list[str]:
        return [path.stem for path in self.logs()]

    def describe(self) -> str:
        return _("folder {folder}").format(folder=self.folder)
