"""Lint results cached by content, so `show` and `start` skip re-checking an unchanged playbook.

The key covers everything a result depends on: the file's bytes and path, the lint policy,
crisisplay's own checker code (its version and the size and time of its source files), and
the language the findings are written in (with its catalogue), so an edited playbook, a
changed `[lint]` table, an upgrade or another `--lang` all miss the cache: a finding cached
in English is never shown to a Spanish reader. A cache
that cannot be read or written is simply not used.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crisisplay import __version__
from crisisplay.findings import Finding
from crisisplay.lint.policy import Policy

if TYPE_CHECKING:
    from crisisplay.playbook.model import Playbook

PACKAGE = Path(__file__).resolve().parent.parent
CHECKER_SOURCES = ("findings.py", "yamlsource.py", "templates.py", "template_limits.py", "playbook", "lint")


@dataclass
class Usable:
    """A linted playbook: its findings and, when it could be built, its normalised form."""

    path: Path
    findings: list[Finding]
    normalised: dict[str, Any] | None
    _playbook: Playbook | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @cached_property
    def playbook(self) -> Playbook | None:
        """The model, built from the normalised form when it came from the cache."""
        if self._playbook is None and self.normalised is not None:
            from crisisplay.playbook.loader import from_snapshot

            self._playbook = from_snapshot(self.normalised)
        return self._playbook


@functools.lru_cache(maxsize=1)
def _code_fingerprint() -> tuple[tuple[object, ...], ...]:
    """The checker's source files (name, size, time): once per process, which `list` asks for
    every playbook it lists (the code cannot change under a running command)."""
    stamps: list[tuple[object, ...]] = []
    for name in CHECKER_SOURCES:
        target = PACKAGE / name
        files = sorted(target.glob("*.py")) if target.is_dir() else [target]
        for path in files:
            try:
                st = path.stat()
            except OSError:
                continue
            stamps.append((path.name, st.st_size, st.st_mtime_ns))
    return tuple(stamps)


def _policy_fingerprint(policy: Policy) -> list[object]:
    return [
        sorted(policy.enabled),
        sorted([glob, sorted(codes)] for glob, codes in policy.per_file),
        str(policy.root) if policy.root else None,
        sorted(policy.locked),
    ]


def _language_fingerprint() -> list[object]:
    """The language the findings are written in, and its catalogue's size and time."""
    from crisisplay import i18n

    code = i18n.language()
    catalogue = i18n.LOCALE_DIR / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    try:
        st = catalogue.stat()
    except OSError:
        return [code]  # English: the messages are in the code
    return [code, st.st_size, st.st_mtime_ns]


def cache_key(raw: bytes, path: str, policy: Policy) -> str:
    """The content address of one lint result."""
    digest = hashlib.sha256(raw)
    context = [__version__, path, _policy_fingerprint(policy), _code_fingerprint(), _language_fingerprint()]
    digest.update(json.dumps(context, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def usable(path: Path, policy: Policy, folder: Path | None) -> Usable:
    """Lint `path` for use by `show` and `start`, through the cache in `folder` when given."""
    from crisisplay.reading import InputTooLarge, read_input

    try:
        raw = read_input(path)
    except InputTooLarge as err:
        from crisisplay.lint.runner import oversized_result

        return Usable(path, oversized_result(str(path), err.limit).findings, None)
    key = cache_key(raw, str(path), policy) if folder is not None else None
    if folder is not None and key is not None:
        hit = _read(folder / f"{key}.json", path)
        if hit is not None:
            return hit
    from crisisplay.lint.runner import lint_text

    result = lint_text(raw, str(path), stem=path.stem, policy=policy)
    if result.scenario is not None:
        # A drill scenario is not a playbook to start or show as one; and its findings depend on
        # its playbook's file too, which the key does not cover: never cached.
        from crisisplay.i18n import _

        note = result.checked.doc.finding(
            ("crisisplay-drill",),
            "CP006",
            _("this is a drill scenario, not a playbook; run it with `{command}`").format(
                command=f"crisisplay drill {path}"
            ),
            key=True,
        )
        return Usable(path, [*result.findings, note], None)
    pb = result.checked.playbook
    loaded = Usable(path, result.findings, pb.normalised() if pb is not None else None, pb)
    if folder is not None and key is not None:
        _write(folder, f"{key}.json", loaded)
    return loaded


def outline(path: Path, policy: Policy, folder: Path | None) -> dict[str, Any]:
    """What `list` shows of `path` (see `_outline_of`), through the cache in `folder` when given:
    a hit reads only the entry's first line, not the normalised playbook after it."""
    if folder is not None:
        from crisisplay.reading import InputTooLarge, read_input

        try:
            raw = read_input(path)
        except InputTooLarge:
            raw = None  # `usable` reports it
        if raw is not None:
            try:
                with open(folder / f"{cache_key(raw, str(path), policy)}.json", encoding="utf-8") as f:
                    head = json.loads(f.readline())
                if isinstance(head["outline"], dict) and head["outline"].keys() == OUTLINE_KEYS:
                    return head["outline"]
            except (OSError, ValueError, KeyError, TypeError):
                pass
    return _outline_of(usable(path, policy, folder))


OUTLINE_KEYS = {"title", "steps", "tag", "errors"}


def _outline_of(loaded: Usable) -> dict[str, Any]:
    """A playbook's title, number of steps, first tag and number of errors."""
    book = loaded.normalised or {}
    tags = book.get("tags") or []
    return {
        "title": book.get("title"),
        "steps": sum(len(phase["steps"]) for phase in book["phases"]) if book else None,
        "tag": str(tags[0]) if tags else None,
        "errors": len(loaded.errors),
    }


# An entry is two lines of JSON (compact JSON has no line break of its own): the outline and
# the findings, then the normalised playbook, so that `list` reads the first only.
def _read(file: Path, path: Path) -> Usable | None:
    try:
        head, _, rest = file.read_text("utf-8").partition("\n")
        data = json.loads(head)
        findings = [
            Finding(f["path"], f["line"], f["column"], f["code"], f["message"], f["level"]) for f in data["findings"]
        ]
        return Usable(path, findings, json.loads(rest))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(folder: Path, name: str, loaded: Usable) -> None:
    from crisisplay.home import private_dir

    head = {"outline": _outline_of(loaded), "findings": [f.as_dict() for f in loaded.findings]}
    text = json.dumps(head, ensure_ascii=False) + "\n" + json.dumps(loaded.normalised, ensure_ascii=False) + "\n"
    try:
        private_dir(folder)
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(text, "utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, folder / name)
    except OSError:
        pass  # a read-only or full disk costs speed, never the command
