"""Pseudonyms for a redacted export (`export --redact`): every personal value named by its kind.

A value of a kind that names something (a customer, an order…) becomes a stable pseudonym,
numbered by first appearance in the incident: people and handles by letter ("Customer A",
"Person B", "Handle A"), things by number ("Order 1", "Email 2"). The same value is always
the same pseudonym. Free text (kind `text`: answers, notes, reasons, edited messages) and text
that is not personal at all are kept, with every occurrence of a named value inside them
replaced by its pseudonym, longest values first (so "Laura Martínez" is not left as
"Customer A Martínez"), and only where it stands as a whole word ("Ann" is not replaced
inside "Annual"). A personal hash (kind `hash`) becomes None: a digest of a personal text
could be checked against a guess. An erased value (None) stays None.

Pure: no store, no key; the export feeds it the opened values (`learn`) and asks for the
redacted ones (`value`).
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any

from crisisplay.i18n import N_, _
from crisisplay.personal import GENERIC, TEXT, Personal

HASH = "hash"
# Each kind's name, and whether it counts with letters (people, handles) or numbers (things).
_NAMES: dict[str, tuple[str, bool]] = {
    "customer": (N_("Customer {mark}"), True),
    "person": (N_("Person {mark}"), True),
    "handle": (N_("Handle {mark}"), True),
    "order": (N_("Order {mark}"), False),
    "email": (N_("Email {mark}"), False),
    "phone": (N_("Phone {mark}"), False),
    GENERIC: (N_("Personal data {mark}"), False),
}


def letters(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA: spreadsheet columns, so no incident runs out of letters."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = string.ascii_uppercase[rest] + out
    return out


class Pseudonyms:
    """The pseudonyms of one incident's personal values, given in order of first appearance."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # value -> its pseudonym
        self._found: dict[
            str, str
        ] = {}  # how a value may be written in a text (casefolded; a handle without its @) -> pseudonym
        self._counts: dict[str, int] = {}  # kind -> how many values of it were named
        self._pattern: re.Pattern[str] | None = None
        self._stale = False

    def __len__(self) -> int:
        return len(self._names)

    @staticmethod
    def names(kind: str) -> bool:
        """Whether values of `kind` get a pseudonym of their own (free text and hashes do not)."""
        return kind not in (TEXT, HASH)

    def learn(self, value: Any) -> None:
        """Give a pseudonym to every named personal value in `value` (a text, a dict or a list), in order."""
        if isinstance(value, Personal):
            if self.names(value.kind) and value.strip():
                self.name(str(value), value.kind)
        elif type(value) is dict:
            for item in value.values():
                self.learn(item)
        elif type(value) is list:
            for item in value:
                self.learn(item)

    def name(self, value: str, kind: str) -> str:
        """The pseudonym of `value`, given now (the next of its kind) when it has none yet."""
        known = self._names.get(value)
        if known is not None:
            return known
        label, lettered = _NAMES.get(kind, _NAMES[GENERIC])
        counted = kind if kind in _NAMES else GENERIC
        count = self._counts.get(counted, 0) + 1
        self._counts[counted] = count
        made = _(label).format(mark=letters(count) if lettered else count)
        self._names[value] = made
        for written in _written(value, kind):
            self._found.setdefault(written.casefold(), made)
        self._stale = True
        return made

    def text(self, text: str) -> str:
        """`text` with every named value in it replaced by its pseudonym (whole words, longest first)."""
        if not self._names or not text:
            return text
        pattern = self._compiled()
        text = unicodedata.normalize("NFC", text)  # "Á" typed as A and a combining accent matches "Á"
        return pattern.sub(lambda found: self._found.get(found.group(0).casefold(), found.group(0)), text)

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None or self._stale:
            words = sorted(self._found, key=len, reverse=True)
            self._pattern = re.compile("|".join(_whole(word) for word in words), re.IGNORECASE)
            self._stale = False
        return self._pattern

    def value(self, value: Any) -> Any:
        """`value` redacted: named values by their pseudonym, hashes None, every other text searched."""
        if isinstance(value, Personal):
            if value.kind == HASH:
                return None
            if self.names(value.kind) and value.strip():
                return self.name(str(value), value.kind)
            return self.text(str(value))
        if isinstance(value, str):
            return self.text(value)
        if type(value) is dict:
            return {key: self.value(item) for key, item in value.items()}
        if type(value) is list:
            return [self.value(item) for item in value]
        return value


def _written(value: str, kind: str) -> list[str]:
    """How a value may appear in a text: as logged (in any case), and a handle also without its `@`."""
    value = unicodedata.normalize("NFC", value)
    forms = [value]
    if kind == "handle" and value.startswith("@") and len(value) > 1:
        forms.append(value[1:])
    return forms


def _whole(word: str) -> str:
    """A pattern for `word` standing alone: not preceded or followed by a letter or digit it does not end on."""
    escaped = re.escape(word)
    before = r"(?<!\w)" if re.match(r"\w", word) else ""
    after = r"(?!\w)" if re.search(r"\w$", word) else ""
    return before + escaped + after
