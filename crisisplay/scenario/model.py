"""The drill scenario format, version 1: a playbook to rehearse and the injects a facilitator reads out.

A scenario file starts with `crisisplay-drill: 1` (that key is how `lint` and `show` tell it
from a playbook). Each inject is due at a scenario time after detection (`at: 10m`) or once a
step is answered (`after_step: holding-statement`), carries the text the team receives and may
change the incident (`effects`): raise the severity, set an input or a saved answer, make a role
unreachable for a while. Like the playbook models, these are strict and forbid unknown keys.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from crisisplay.i18n import _
from crisisplay.playbook.model import (
    Duration,
    Id,
    Name,
    PlaybookId,
    Text,
    UnicodeName,
    Variable,
    _Model,
    parse_duration,
)

FORMAT_KEY = "crisisplay-drill"
FORMAT_VERSION = 1

# What an effect may set a name to: the text, whole number or yes/no an answer would give.
FactValue = str | int | bool


class Effects(_Model):
    """What an inject changes: every key optional, applied when the inject fires."""

    # Raise the severity to at least this level (an incident already higher stays where it is).
    severity: UnicodeName | None = None
    # Set inputs or saved answers (`save_as` names) of the playbook, as if answered so.
    set: dict[Variable, FactValue] = Field(default_factory=dict)
    # Roles that cannot be reached for a while, by role name: `{manager: 30m}`.
    unreachable: dict[UnicodeName, Duration] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.severity is None and not self.set and not self.unreachable


class Inject(_Model):
    """Something that happens during the drill: due `at` a scenario time, or `after_step` is answered."""

    id: Name | None = None  # filled in as `i1`, `i2`, … by position when not written
    at: Duration | None = None
    after_step: Id | None = None
    text: Text
    effects: Effects = Field(default_factory=Effects)
    # The steps whose answer counts as the team's response (default: the next step answered).
    answered_by: list[Id] = Field(default_factory=list)
    # How soon the response is expected, for the scorecard (scenario time).
    within: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_answered_by(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("answered_by"), str):
            return {**data, "answered_by": [data["answered_by"]]}
        return data

    @model_validator(mode="after")
    def _exactly_one_trigger(self) -> Inject:
        if (self.at is None) == (self.after_step is None):
            raise PydanticCustomError(
                "CP702",
                _("an inject is due either `at:` a scenario time (like 10m) or `after_step:` a step id, and not both"),
            )
        return self

    @property
    def at_ms(self) -> int | None:
        return parse_duration(self.at) if self.at is not None else None

    @property
    def within_ms(self) -> int | None:
        return parse_duration(self.within) if self.within is not None else None


class Scenario(_Model):
    """A drill scenario: which playbook it rehearses, and its injects in the order written."""

    crisisplay_drill: Annotated[Literal[1], Field(alias=FORMAT_KEY)]
    id: PlaybookId
    playbook: Text  # an id or a path, looked up like any playbook
    title: Text
    summary: str | None = None
    locale: str | None = None
    duration: Duration | None = None  # the planned length: an inject may not be due after it
    injects: Annotated[list[Inject], Field(min_length=1)]

    @model_validator(mode="after")
    def _inject_ids(self) -> Scenario:
        for number, inject in enumerate(self.injects, start=1):
            if inject.id is None:
                object.__setattr__(inject, "id", f"i{number}")
        return self

    @cached_property
    def inject_index(self) -> dict[str, Inject]:
        """Each inject by its id (`i1`, … when the file gives none)."""
        return {str(inject.id): inject for inject in self.injects}

    @property
    def duration_ms(self) -> int | None:
        return parse_duration(self.duration) if self.duration is not None else None

    def normalised(self) -> dict[str, Any]:
        """The scenario as plain JSON data, ids filled in: what `incident.started` snapshots."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
