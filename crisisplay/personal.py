"""Personal values: text that names or identifies a person, marked where the engine makes it.

The engine wraps such a value in `Personal` (a `str`, so everything else handles it as the
text it is); the store seals every `Personal` it is given before the line is written
(`store/sealing.py`) and gives it back as `Personal` when the key opens it, or as None once
the key is gone (erased). "[erased]" is for display only: a personal value that is gone is
None inside, so it can never reach a comparison or a sum as a word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Any

# The kinds a playbook's `personal:` names (playbook.model.PersonalKind), plus `personal`
# (`personal: true`) and `text` (free text a responder typed: a note, a reason, an answer).
TEXT = "text"
GENERIC = "personal"
ERASED = "[erased]"  # how an erased value is shown; never stored, never compared


class Personal(str):
    """A personal value: the text itself, with the kind of data it is (`customer`, `order`, `text`…)."""

    __slots__ = ("kind",)
    kind: str

    def __new__(cls, value: str, kind: str = TEXT) -> Personal:
        made = super().__new__(cls, value)
        made.kind = kind
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Personal, (str(self), self.kind))

    def __deepcopy__(self, memo: dict[int, Any]) -> Personal:
        return self

    def __copy__(self) -> Personal:
        return self


def personal(value: Any, kind: str | bool | None = TEXT) -> Any:
    """`value` marked personal when `kind` says it is (None/False: not personal; True: `personal`).

    Only text is marked: a value of another type is returned as it is. An empty text is not
    personal (there is nothing to protect, and an empty answer stays visibly empty)."""
    if kind is None or kind is False or not isinstance(value, str) or value == "":
        return value
    if isinstance(value, Personal):
        return value
    return Personal(value, GENERIC if kind is True else kind)


def kind_of(value: Any) -> str | None:
    """The kind of a personal value, None for one that is not."""
    return value.kind if isinstance(value, Personal) else None


def shown(value: Any) -> Any:
    """A value as a reader sees it: "[erased]" for an erased one (None), else the value."""
    return ERASED if value is None else value


def holds_personal(value: Any) -> bool:
    """Whether a logged value (a dict, a list or a text) holds a personal value anywhere in it."""
    if isinstance(value, Personal):
        return True
    if isinstance(value, dict):
        return any(holds_personal(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_personal(item) for item in value)
    return False


class Sealed:
    """A personal value read from a log and not opened yet: its envelope, and what the ciphertext
    is bound to (the event's type and the value's place in `data`).

    A replay folds it as it folds any value (`LogSeal.lazy_lines` makes them); when the replay
    ends, the store's seal opens only those the state still holds (`LogSeal.reveal`): a long
    incident's state keeps the latest value of each variable, so most of what its log sealed is
    never decrypted. `number`: open it as a `Decimal` (a personal number input or answer, logged
    as text)."""

    __slots__ = ("envelope", "event_type", "number", "place")

    def __init__(self, envelope: dict[str, Any], event_type: str, place: str, number: bool = False) -> None:
        self.envelope, self.event_type, self.place, self.number = envelope, event_type, place, number

    def as_number(self) -> Sealed:
        return Sealed(self.envelope, self.event_type, self.place, True)

    def __repr__(self) -> str:
        return f"Sealed({self.event_type} {self.place})"


def unseal(value: Any, open_one: Callable[[Sealed], Any]) -> Any:
    """`value` with every `Sealed` in it replaced by `open_one(sealed)`: dicts, lists and (not
    frozen) dataclass objects are changed in place, tuples rebuilt."""
    kind = type(value)
    if kind is Sealed:
        return open_one(value)
    if kind is dict:
        for key, item in value.items():
            if type(item) in _WALKED or is_dataclass(item):
                opened = unseal(item, open_one)
                if opened is not item:
                    value[key] = opened  # the same key: the dict does not change size
    elif kind is list:
        for index, item in enumerate(value):
            if type(item) in _WALKED or is_dataclass(item):
                value[index] = unseal(item, open_one)
    elif kind is tuple:
        opened_items = tuple(unseal(item, open_one) for item in value)
        if any(a is not b for a, b in zip(opened_items, value, strict=True)):
            return opened_items
    elif is_dataclass(value) and not isinstance(value, type) and not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        for name in fields_of(value):
            item = getattr(value, name)
            if type(item) in _WALKED or is_dataclass(item):
                opened = unseal(item, open_one)
                if opened is not item:
                    setattr(value, name, opened)
    return value


_WALKED = (Sealed, dict, list, tuple)


def fields_of(value: Any) -> list[str]:
    return [f.name for f in dataclass_fields(value)]
