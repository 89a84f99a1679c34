"""Names in the playbook's own language: what a Unicode name may hold, and one form to compare them in.

Severity levels, option values and role names may be written in any script (`crítica`,
`asesoría-jurídica`, `紧急`). The same word can arrive as different code points — `í` typed
precomposed, or as `i` plus a combining accent — so every comparison happens in Unicode NFC:
the playbook is read in NFC, and answers and config keys are put in NFC before they are
matched against it. Ids that end up in file names, incident ids and answers-file keys
(playbook, phase, step and milestone ids, variable names) stay ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from crisisplay.findings import Finding
from crisisplay.i18n import _

if TYPE_CHECKING:
    from crisisplay.yamlsource import Document, Path_

_Where = TypeVar("_Where")

# A Unicode name starts with a letter without uppercase (lowercase, or a script with no
# case, like CJK) or a digit; after that, combining marks (Devanagari vowel signs), `-`
# and `_` too. Uppercase and titlecase letters, spaces and other punctuation are refused.
_FIRST = frozenset(("Ll", "Lo", "Lm", "Nd"))
_REST = _FIRST | {"Mn", "Mc"}
# The JSON Schema pattern editors check: the ASCII part exactly ([0-9a-z] first, then also
# `-` and `_`), any non-ASCII character allowed. A `\p{Ll}` class would be exact, but neither
# Python's `re` (the jsonschema package) nor every editor's regex engine reads it; the
# checker gives the exact verdict and the friendlier message.
UNICODE_NAME_PATTERN = r"^[^\x00-\x2f\x3a-\x60\x7b-\x7f][^\x00-\x2c\x2e\x2f\x3a-\x5e\x60\x7b-\x7f]*$"


def nfc(text: str) -> str:
    """`text` in Unicode NFC, the one form names are compared in."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def is_unicode_name(value: str) -> bool:
    """A lowercase name in any script: letters without uppercase, digits, `-` and `_`, starting with a letter or digit."""
    if not value:
        return False
    if value.isascii():  # the common case, and the one the old pattern described
        return re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value) is not None
    if unicodedata.category(value[0]) not in _FIRST:
        return False
    return all(ch in "-_" or unicodedata.category(ch) in _REST for ch in value[1:])


def suggested_name(value: str) -> str | None:
    """A valid name close to `value` (`Asesoría Jurídica` → `asesoría-jurídica`), or None."""
    guess = re.sub(r"[\s.]+", "-", nfc(value).strip().lower()).strip("-")
    return guess if guess != value and is_unicode_name(guess) else None


def _in_nfc(value: Any) -> bool:
    """Whether every text value and key in `value` is already NFC: checked without copying, since
    nearly every file is (lint paid for a full copy of each document)."""
    if isinstance(value, str):
        return value.isascii() or unicodedata.is_normalized("NFC", value)
    if isinstance(value, list):
        for item in value:
            if not _in_nfc(item):
                return False
    elif isinstance(value, dict):
        for key, item in value.items():
            if (isinstance(key, str) and not _in_nfc(key)) or not _in_nfc(item):
                return False
    return True


def nfc_document(doc: Document) -> Document:
    """The document with every text value and key in NFC, positions and findings kept.

    Returned unchanged (the same object) when it is already in NFC, as nearly every file is.
    Two keys of one mapping that are the same name once normalised are a duplicate key
    (CP002), like two keys written the same way.
    """
    if _in_nfc(doc.data):
        return doc
    changed = False
    duplicates: list[tuple[Path_, str]] = []

    def walk(value: Any, path: Path_) -> Any:
        nonlocal changed
        if isinstance(value, str):
            normal = nfc(value)
            changed = changed or normal != value
            return normal
        if isinstance(value, list):
            return [walk(item, path + (i,)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                normal = nfc(key) if isinstance(key, str) else key
                if normal != key:
                    changed = True
                if normal in out:
                    duplicates.append((path + (key,), normal))
                    continue
                out[normal] = walk(item, path + (key,))
            return out
        return value

    data = walk(doc.data, ())
    if not changed:
        return doc

    def rekey(mapping: dict[Path_, _Where]) -> dict[Path_, _Where]:
        return {tuple(nfc(p) if isinstance(p, str) else p for p in path): where for path, where in mapping.items()}

    findings = list(doc.findings)
    for raw_path, name in duplicates:
        line, col = doc.position(raw_path, key=True)
        findings.append(
            Finding(
                doc.path,
                line,
                col,
                "CP002",
                _(
                    "duplicate key '{name}': the same name as an earlier key, written with other code points "
                    "(a combining accent); only the first is kept"
                ).format(name=name),
            )
        )
    return replace(
        doc,
        data=data,
        findings=findings,
        positions=rekey(doc.positions),
        key_positions=rekey(doc.key_positions),
        scalars=rekey(doc.scalars),
    )
