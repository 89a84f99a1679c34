"""Reading what a user hands crisisplay — playbooks, answers files, configuration, notes — from a
file, a pipe or standard input, never more than MAX_INPUT_BYTES.

`lint /dev/zero` or `--answers /dev/zero` would otherwise read until memory runs out, and a
27 MB playbook took 22 s and 850 MB to be refused. A regular file's size is known before
anything is read; a pipe or a stream is read up to one byte past the limit and no further.
A device named as a file (`/dev/zero`, a disk) is refused without being opened; only the
null device, which reads as empty (`--answers /dev/null`), is read like a file.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from crisisplay.errors import CrisisplayError
from crisisplay.i18n import _

MAX_INPUT_BYTES = 1024 * 1024  # 1 MiB: forty times the largest bundled playbook
_CHUNK = 64 * 1024


class InputTooLarge(CrisisplayError):
    """A file or stream larger than crisisplay reads (exit 2, unless the caller says otherwise)."""

    def __init__(self, name: str, limit: int = MAX_INPUT_BYTES):
        super().__init__(
            _("{name}: larger than {limit} bytes ({mib} MiB), the most crisisplay reads from one file").format(
                name=name, limit=f"{limit:,}", mib=limit // 1024 // 1024
            )
        )
        self.name = name
        self.limit = limit


def read_input(
    source: str | os.PathLike[str] | BinaryIO, name: str | None = None, limit: int = MAX_INPUT_BYTES
) -> bytes:
    """The bytes of a file, a pipe or a binary stream, at most `limit` of them.

    InputTooLarge when there are more (the rest is never read); OSError when the path cannot
    be read, including a character or block device, which is not a file.
    """
    if not isinstance(source, (str, os.PathLike)):
        return _read_at_most(source, name or "<stdin>", limit)
    name = name or str(source)
    _refuse_special(os.stat(source), source)  # before opening: opening some devices has effects (a tape rewinds)
    with open(os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)), "rb") as stream:
        info = os.fstat(stream.fileno())  # the path may have been swapped since the stat
        _refuse_special(info, source)
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise InputTooLarge(name, limit)
        return _read_at_most(stream, name, limit)


def _refuse_special(info: os.stat_result, path: str | os.PathLike[str]) -> None:
    mode = info.st_mode
    if (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) and not _is_null_device(info):
        raise OSError(errno.ENODEV, _("a device, not a file"), str(path))
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))


def _is_null_device(info: os.stat_result) -> bool:
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == null.st_rdev


def _read_at_most(stream: BinaryIO, name: str, limit: int) -> bytes:
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise InputTooLarge(name, limit)
    return b"".join(chunks)
