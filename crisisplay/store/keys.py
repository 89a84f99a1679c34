"""The file store's keys: `<home>/keys/<incident-id>.key`, one per incident (0600, folder 0700).

A key file is one line (`sealing.key_text`). It is written to a temporary file, fsync'd,
linked into place and the folder fsync'd before the incident's first sealed value is logged;
deleting it (purge) fsyncs the folder too, so a crash leaves it either there or gone.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from contextlib import suppress
from pathlib import Path

from crisisplay.errors import JournalError
from crisisplay.home import private_dir
from crisisplay.i18n import _
from crisisplay.store.sealing import KeyProblem, key_text, read_key_text

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FILE_MODE = 0o600


def keys_dir(home: Path) -> Path:
    return Path(home) / "keys"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileKeys:
    """A folder of key files, one per incident."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FileKeys({str(self.folder)!r})"

    def path_of(self, incident_id: str) -> Path:
        if not _ID_RE.fullmatch(incident_id):
            raise JournalError(_("{incident}: not an incident id").format(incident=incident_id))
        return self.folder / f"{incident_id}.key"

    def where(self, incident_id: str) -> str:
        return str(self.path_of(incident_id))

    def get(self, incident_id: str) -> bytes | None:
        path = self.path_of(incident_id)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as err:
            if err.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link: a key is never followed elsewhere
                raise KeyProblem(
                    _("{path}: the incident's key is a symbolic link, not a regular file; refused").format(path=path)
                ) from None
            raise KeyProblem(
                _("{path}: cannot read the incident's key: {reason}").format(path=path, reason=err.strerror or err)
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise KeyProblem(_("{path}: the incident's key is not a regular file").format(path=path))
            if info.st_mode & 0o077:
                raise KeyProblem(
                    _(
                        "{path}: the incident's key can be read by others (mode {mode:o}); refused: `chmod 600 {path}` "
                        "if nobody else could have read it"
                    ).format(path=path, mode=stat.S_IMODE(info.st_mode))
                )
            if info.st_uid != os.geteuid():
                raise KeyProblem(_("{path}: the incident's key belongs to another user; refused").format(path=path))
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
        try:
            read = read_key_text(raw.decode("ascii"))
        except UnicodeDecodeError:
            read = None
        if read is None or read[0] != incident_id:
            return b""  # not a key (corrupt, or another incident's): the seal reads it as a wrong key
        return read[1]

    def put(self, incident_id: str, key: bytes, replace: bool = False) -> None:
        path = self.path_of(incident_id)
        created = not self.folder.is_dir()
        private_dir(self.folder)
        if created:  # the new folder's own entry, durable before the key in it is relied on
            _fsync_dir(self.folder.parent)
        tmp = self.folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
            try:
                os.fchmod(fd, _FILE_MODE)
                os.write(fd, key_text(incident_id, key).encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            if replace:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)  # refuses an existing key, unlike rename
                os.unlink(tmp)  # before the folder's fsync: no second copy of the key outlives a crash
            _fsync_dir(self.folder)
        except FileExistsError:
            raise JournalError(
                _("{path}: the incident already has a key; `--replace` replaces it").format(path=path)
            ) from None
        except OSError as err:
            raise JournalError(
                _("{path}: cannot write the incident's key: {reason}").format(path=path, reason=err.strerror or err)
            ) from None
        finally:
            with suppress(OSError):
                os.unlink(tmp)

    def delete(self, incident_id: str) -> bool:
        path = self.path_of(incident_id)
        for left in self.folder.glob(f".{path.name}.*.tmp"):  # a copy a crash left mid-write
            with suppress(OSError):
                os.unlink(left)
        try:
            os.unlink(path)
        except FileNotFoundError:
            if self.folder.is_dir():  # a leftover copy may have gone: make that durable too
                _fsync_dir(self.folder)
            return False
        except OSError as err:
            raise JournalError(
                _("{path}: cannot delete the incident's key: {reason}").format(path=path, reason=err.strerror or err)
            ) from None
        _fsync_dir(self.folder)
        return True

    def ids(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.key") if _ID_RE.fullmatch(p.stem))
