"""Which rules run on which file: the `[lint]` options `select`, `ignore` and `per-file-ignores`.

Entries are codes (`CP305`), families by prefix (`CP4`) or rule names (`maybe-unset`). The
shared checker's errors are always on: `start` refuses a playbook that has one, so hiding
it from `lint` would only move the surprise to the middle of a crisis.
"""

from __future__ import annotations

import contextlib
import fnmatch
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from crisisplay.errors import ConfigError
from crisisplay.findings import ERROR, RULES, did_you_mean
from crisisplay.i18n import _

if TYPE_CHECKING:
    from crisisplay.config import Config

# The checker's errors, and a drill scenario's (CP7xx: `drill` refuses a scenario with one).
_CHECKER = re.compile(r"CP(0\d\d|1\d\d|20[1-7]|21[1-7]|30[1-4]|7\d\d)")
LOCKED = frozenset(code for code, rule in RULES.items() if rule.level == ERROR and _CHECKER.fullmatch(code))
_NAMES = {rule.name: code for code, rule in RULES.items()}


class Policy(NamedTuple):
    """The enabled codes, per-file exceptions, and the folder the globs are relative to.

    A NamedTuple, not a frozen dataclass: `show` and `list` import this module, and a dataclass
    costs ~0.3 ms to create (issue 16)."""

    enabled: frozenset[str] = frozenset(RULES)
    per_file: tuple[tuple[str, frozenset[str]], ...] = ()
    root: Path | None = None
    locked: frozenset[str] = LOCKED

    def enabled_for(self, path: str) -> frozenset[str]:
        """The codes that apply to the file at `path` (as given on the command line)."""
        off = frozenset().union(*(codes for glob, codes in self.per_file if _matches(glob, path, self.root)))
        return (self.enabled - off) | self.locked


def _matches(glob: str, path: str, root: Path | None) -> bool:
    candidates = {PurePosixPath(Path(path).as_posix()).as_posix(), Path(path).name}
    if root is not None:
        with contextlib.suppress(ValueError, OSError):
            candidates.add(Path(path).resolve().relative_to(root.resolve()).as_posix())
    return any(fnmatch.fnmatchcase(c, glob) for c in candidates)


def expand(entry: object, where: str) -> frozenset[str]:
    """The codes an entry names; ConfigError when it names none."""
    if not isinstance(entry, str):
        raise ConfigError(
            _('{where}: expected rule codes as text in quotes, like "CP305", not {entry}').format(
                where=where, entry=repr(entry)
            )
        )
    text = entry.strip()
    if text in _NAMES:
        return frozenset({_NAMES[text]})
    code = text.upper()
    if re.fullmatch(r"CP\d{0,3}", code):
        matched = frozenset(c for c in RULES if c.startswith(code))
        if matched:
            return matched
    raise ConfigError(
        _(
            "{where}: '{entry}' names no rule{suggestion}; expected a code like CP305, a prefix like CP4, "
            "or a name like maybe-unset (crisisplay lint --list-rules)"
        ).format(where=where, entry=entry, suggestion=did_you_mean(entry, list(RULES) + list(_NAMES)))
    )


def _codes(value: object, where: str) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(_('{where}: expected a list of rule codes, like ["CP305", "CP4"]').format(where=where))
    return frozenset().union(*(expand(entry, where) for entry in value))


def _never_off(codes: frozenset[str], named: str | list[object], where: str) -> None:
    """An exact code or name of a checker error cannot be switched off; a prefix skips them."""
    entries = [named] if isinstance(named, str) else named
    for entry in entries:
        exact = _NAMES.get(str(entry).strip()) or str(entry).strip().upper()
        if exact in LOCKED:
            raise ConfigError(
                _(
                    "{where}: {code} cannot be ignored: a playbook with this error cannot be started; "
                    "fix the playbook instead"
                ).format(where=where, code=exact)
            )


def from_config(options: dict[str, Any], source: Path | None) -> Policy:
    """The policy for `[lint]` options already read from `source`; ConfigError (exit 2) when unusable."""
    where = str(source) if source else "[lint]"
    enabled = frozenset(RULES)
    if "select" in options:
        enabled = _codes(options["select"], f"{where}: select")
    if "ignore" in options:
        ignored = _codes(options["ignore"], f"{where}: ignore")
        _never_off(ignored, options["ignore"], f"{where}: ignore")
        enabled -= ignored
    per_file = []
    table = options.get("per-file-ignores", {})
    if not isinstance(table, dict):
        raise ConfigError(
            _('{where}: per-file-ignores should be a table of "glob" = ["CODE", ...]').format(where=where)
        )
    for glob, value in table.items():
        codes = _codes(value, f"{where}: per-file-ignores '{glob}'")
        _never_off(codes, value, f"{where}: per-file-ignores '{glob}'")
        per_file.append((glob, codes - LOCKED))
    return Policy(enabled | LOCKED, tuple(per_file), source.parent if source else None)


def policy_for(config: Config) -> Policy:
    """The lint policy from the loaded configuration's `[lint]` options."""
    return from_config(config.lint, config.lint_source) if config.lint else Policy()
