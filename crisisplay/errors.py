"""Typed errors a user can cause, each carrying a message written for that user.

`cli/` (its `main`) is the one place that turns them into output and an exit code: every class
names the exit code the contract gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crisisplay.findings import Finding


class CrisisplayError(Exception):
    """Base of every error meant for the user. `str(err)` is the one-line message."""

    exit_code = 2


class UsageError(CrisisplayError):
    """Bad usage: an option value, a missing argument, a bad --var."""


class ConfigError(CrisisplayError):
    """A configuration file that cannot be read or parsed."""


class PlaybookNotFound(CrisisplayError):
    """No playbook file or id matches what the user asked for."""


class PlaybookError(CrisisplayError):
    """A playbook that cannot be used: carries every finding the checker made."""

    def __init__(self, message: str, findings: Sequence[Finding] | None = None):
        super().__init__(message)
        self.findings = list(findings or [])


class AnswersError(CrisisplayError):
    """An answers file that cannot be used (unknown step or input, bad shape)."""


class AnswerError(CrisisplayError):
    """An answer that does not fit its step; the incident is paused with `answer-error`."""


class IncidentNotFound(CrisisplayError):
    """No incident matches the id, prefix or `last`; or a prefix is ambiguous."""


class IncidentBusy(CrisisplayError):
    """Another run holds the incident's run lock."""


class IncidentClosed(CrisisplayError):
    """The incident is closed and cannot be resumed."""


class JournalError(CrisisplayError):
    """An incident log that cannot be read as a chain of events."""


class ExportFailed(CrisisplayError):
    """An export that could not be written: a missing folder, a full disk, no permission."""


class LogNotVerified(CrisisplayError):
    """`export` found what `verify` would report (exit 1): it exports such a log only with --force."""

    exit_code = 1


class PlatformUnsupported(CrisisplayError):
    """A command that needs POSIX file locks (fcntl) on a platform without them."""


class Paused(CrisisplayError):
    """The run stopped unfinished: answers ran out or the responder paused (exit 3)."""

    exit_code = 3


class Interrupted(CrisisplayError):
    """Ctrl-C: everything answered so far is saved (exit 130)."""

    exit_code = 130


class TakenOver(CrisisplayError):
    """Another responder took over the incident this run was driving (exit 3: it goes on there)."""

    exit_code = 3
