"""Folders and lookup: where crisisplay keeps its data, and which file a playbook id means.

A playbook id is looked up in `./playbooks/`, then `<home>/playbooks/`, then the bundled
playbooks. A file byte-for-byte identical to the bundled one of the same id does not count
as shadowing it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from crisisplay.errors import ConfigError, PlaybookNotFound
from crisisplay.findings import did_you_mean
from crisisplay.i18n import _

SUFFIXES = (".yaml", ".yml")


def home_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--home`, else `CRISISPLAY_HOME`, else the platform's per-user data folder."""
    chosen = explicit or os.environ.get("CRISISPLAY_HOME")
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_data_path("crisisplay", appauthor=False)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only, 0700, whatever the umask: incident logs
    hold private messages. ConfigError (exit 2) when it cannot be a folder."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as err:
            raise ConfigError(
                _("{path}: cannot create the folder: {reason}").format(path=folder, reason=err.strerror or err)
            ) from None
        os.chmod(folder, 0o700)
    if not path.is_dir():
        raise ConfigError(
            _("{path}: exists and is not a folder; crisisplay keeps its data there (see --home)").format(path=path)
        )
    return path


def read_cache_file(file: Path, code: object) -> dict[str, Any]:
    """The `incidents` entries of a cache file written by the same code (`code`), or nothing: a
    cache that is missing, unreadable, from another version or not what it should be is rebuilt."""
    import json

    try:
        with open(file, "rb") as f:
            cached = json.loads(f.read())
    except (OSError, ValueError, RecursionError):  # RecursionError: nested past the parser's limit
        return {}
    if not isinstance(cached, dict) or cached.get("code") != code:
        return {}
    entries = cached.get("incidents")
    return entries if isinstance(entries, dict) else {}


def write_cache_file(folder: Path, file: Path, body: bytes) -> None:
    """Replace a cache file atomically, owner-only, in a private `folder`; one that cannot be
    written costs speed only, never the command (the caller rebuilds it next time)."""
    tmp = folder / f".{file.name}.{os.getpid()}.tmp"
    try:
        private_dir(folder)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(tmp, file)
    except (OSError, ConfigError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def incidents_dir(home: Path) -> Path:
    return home / "incidents"


def bundled_dir() -> Path:
    """The playbooks shipped with crisisplay: inside the wheel, or the source tree's `playbooks/`."""
    packaged = Path(__file__).resolve().parent / "playbooks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "playbooks"


def search_path(home: Path, cwd: Path | None = None) -> list[tuple[str, Path]]:
    """The folders searched for playbook ids, first match wins."""
    cwd = cwd or Path.cwd()
    return [("local", cwd / "playbooks"), ("home", home / "playbooks"), ("bundled", bundled_dir())]


def looks_like_path(ref: str) -> bool:
    return ref.endswith(SUFFIXES) or os.sep in ref or "/" in ref


class PlaybookFile(NamedTuple):
    """One playbook id as the lookup sees it: the file used, and the files it shadows.

    A NamedTuple, not a dataclass: `show` and `list` import this module, and a dataclass costs
    ~0.3 ms to create (issue 16)."""

    id: str
    path: Path
    origin: str  # local, home, bundled or path
    shadows: Sequence[tuple[str, Path]] = ()


def _files_in(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:  # a folder we may not read holds no playbooks we can use
        entries = []
    for entry in entries:
        if entry.suffix in SUFFIXES and entry.is_file():
            found.setdefault(entry.stem, entry)
    return found


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def catalogue(home: Path, cwd: Path | None = None) -> list[PlaybookFile]:
    """Every playbook id reachable by lookup, with where it comes from and what it shadows."""
    by_id: dict[str, list[tuple[str, Path]]] = {}
    for origin, folder in search_path(home, cwd):
        for stem, path in _files_in(folder).items():
            by_id.setdefault(stem, []).append((origin, path))
    result = []
    for stem, copies in sorted(by_id.items()):
        # The first copy in search order is the one used, even when it is identical to the
        # bundled file; a later copy with the same bytes is the same playbook, not one it shadows.
        (origin, path), rest = copies[0], copies[1:]
        rest = [(o, p) for o, p in rest if not _same_bytes(p, path)]
        result.append(PlaybookFile(stem, path, origin, rest))
    return result


def find_playbook(ref: str, home: Path, cwd: Path | None = None) -> PlaybookFile:
    """The file for a path or an id; PlaybookNotFound (exit 2) when there is none."""
    candidate = Path(ref).expanduser()
    if looks_like_path(ref) or candidate.is_file():
        if candidate.is_dir():
            raise PlaybookNotFound(
                _("{ref}: is a folder; give a playbook file or id (`{command}` checks a folder)").format(
                    ref=ref, command=f"crisisplay lint {ref}"
                )
            )
        if not candidate.is_file():
            if candidate.exists():  # a named pipe, a device: nothing a playbook is kept in
                raise PlaybookNotFound(_("{ref}: not a regular file; give a playbook file or id").format(ref=ref))
            raise PlaybookNotFound(_("{ref}: no such playbook file").format(ref=ref))
        return PlaybookFile(candidate.stem, candidate, "path")
    known = catalogue(home, cwd)
    for entry in known:
        if entry.id == ref:
            return entry
    hint = did_you_mean(ref, [e.id for e in known])
    folders = ", ".join(str(f) for _origin, f in search_path(home, cwd)[:2])
    raise PlaybookNotFound(
        _(
            "no playbook '{ref}'{suggestion} (looked in {folders} and the bundled playbooks; `crisisplay list` shows them)"
        ).format(ref=ref, suggestion=hint, folders=folders)
    )
