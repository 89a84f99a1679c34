"""The playbook format, version 1, as typed models: what a valid playbook is made of.

The models are strict (YAML's numbers and booleans are never coerced into text) and forbid
unknown keys; the same models give the JSON Schema that editors use.

Severity levels, option values and role names may be written in any script (`crítica`);
ids stay ASCII (see `names`). Levels, roles and targets (milestones) may carry a display
`label`, shown instead of the id; written without one, each keeps its shorter form (a plain
string), so existing playbooks and the logs' snapshots read and dump exactly as before.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crisisplay.i18n import N_, _
from crisisplay.personal import GENERIC, TEXT
from crisisplay.playbook.names import UNICODE_NAME_PATTERN, is_unicode_name, nfc, suggested_name
from crisisplay.playbook.platforms import PLATFORMS as PLATFORMS
from crisisplay.playbook.platforms import PUBLIC_PLATFORMS as PUBLIC_PLATFORMS
from crisisplay.playbook.platforms import Platform as Platform

FORMAT_VERSION = 1
STEP_TYPES = ("confirm", "choice", "checklist", "text", "number", "message", "escalate", "info")
BUILTINS = ("severity", "incident_id", "playbook", "responder", "organisation", "drill", "elapsed_minutes")
END = "end"

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
VAR_RE = re.compile(r"[a-z_][a-z0-9_]*")
DURATION_RE = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")

# An incident id is `YYYYMMDD-HHMMSS-<playbook id>-<4 hex>`, and the longest file named after
# it is the temporary file its log is first written to, `.<incident id>.jsonl.<8 hex>.tmp`
# (journal.py; `<id>.lock` and `<id>.torn` are shorter): every one must fit the 255 bytes
# most file systems allow in a name.
MAX_FILE_NAME = 255
_AROUND_INCIDENT_ID = len("YYYYMMDD-HHMMSS-") + len("-0000")
_AROUND_LONGEST_NAME = len(".") + len(".jsonl") + len(".01234567.tmp")
MAX_PLAYBOOK_ID = MAX_FILE_NAME - _AROUND_INCIDENT_ID - _AROUND_LONGEST_NAME  # in bytes: 214
_UNIT_MS = (86_400_000, 3_600_000, 60_000, 1_000)


# Targets, deadlines and scenario times are minutes, hours and days: a duration over a year is a
# typo, and far longer ones would overflow the date arithmetic of every clock.
MAX_DURATION_MS = 366 * 86_400_000
MAX_DURATION = "366d"


class DurationTooLong(ValueError):
    """A well-written duration longer than MAX_DURATION."""


def parse_duration(text: str) -> int:
    """Milliseconds in a duration like `90s`, `30m`, `1h30m` or `2d`; ValueError if it is not one
    (DurationTooLong when it is longer than a year)."""
    match = DURATION_RE.fullmatch(text.strip()) if text else None
    if not match or not any(match.groups()):
        raise ValueError(text)
    ms = sum(int(g) * unit for g, unit in zip(match.groups(), _UNIT_MS, strict=False) if g)
    if ms > MAX_DURATION_MS:
        raise DurationTooLong(text)
    return ms


def format_duration(ms: int) -> str:
    """A duration in the format's own words: `1h30m`, `45s`, `2d`."""
    if ms <= 0:
        return "0s"
    parts = []
    for unit, size in zip("dhms", _UNIT_MS, strict=False):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


# Said wherever an ASCII-only name holds other letters: what may be written in any script.
_ANY_SCRIPT = N_("severity levels, option values and role names may use any lowercase letters")


def _step_id(value: str) -> str:
    if value == END:
        raise PydanticCustomError("CP105", _("'end' is reserved for `next: end`; choose another id"))
    if not ID_RE.fullmatch(value):
        if not value.isascii():
            raise PydanticCustomError(
                "CP106",
                _(
                    "id '{value}' is not valid: ids must be ASCII: [a-z0-9-], like 'assess-reach'; "
                    "{any}, and titles, prompts and labels any text"
                ),
                {"value": value, "any": _(_ANY_SCRIPT)},
            )
        raise PydanticCustomError(
            "CP106",
            _("id '{value}' is not valid; use lowercase letters, digits and dashes, like 'assess-reach'"),
            {"value": value},
        )
    return value


def playbook_id_too_long(value: str) -> str | None:
    """Why `value` is too long to be a playbook id, or None when it fits in file names."""
    size = len(value.encode("utf-8"))
    if size <= MAX_PLAYBOOK_ID:
        return None
    return _(
        "the id is {size} bytes long; incident ids and their file names are built from it and must fit "
        "{limit} bytes, so a playbook id may have at most {most}"
    ).format(size=size, limit=MAX_FILE_NAME, most=MAX_PLAYBOOK_ID)


def _playbook_id(value: str) -> str:
    problem = playbook_id_too_long(value)
    if problem:
        raise PydanticCustomError("CP112", problem)
    return value


def _name(value: str) -> str:
    if not NAME_RE.fullmatch(value):
        if not value.isascii():
            raise PydanticCustomError(
                "CP106",
                _(
                    "name '{value}' is not valid: milestone and section names must be ASCII: [a-z0-9_-], like "
                    "'acknowledged' (a target may carry a `label:` in any language); {any}"
                ),
                {"value": value, "any": _(_ANY_SCRIPT)},
            )
        raise PydanticCustomError(
            "CP106",
            _("name '{value}' is not valid; use lowercase letters, digits, dashes and underscores"),
            {"value": value},
        )
    return value


def _unicode_name(value: str) -> str:
    if not is_unicode_name(value):
        guess = suggested_name(value)
        hint = _("; did you mean '{name}'?").format(name=guess) if guess else ""
        raise PydanticCustomError(
            "CP106",
            _(
                "name '{value}' is not valid; severity levels and role names are lowercase letters (in any "
                "script), digits, dashes and underscores, like 'critical' or 'asesoría-jurídica'{hint}"
            ),
            {"value": value, "hint": hint},
        )
    return value


def _variable(value: str) -> str:
    if not VAR_RE.fullmatch(value):
        if not value.isascii():
            raise PydanticCustomError(
                "CP107",
                _(
                    "variable name '{value}' is not valid: input and save_as names must be ASCII identifiers: "
                    "[a-z_][a-z0-9_]*, like 'reach'; {any}"
                ),
                {"value": value, "any": _(_ANY_SCRIPT)},
            )
        raise PydanticCustomError(
            "CP107",
            _("variable name '{value}' is not an identifier; use [a-z_][a-z0-9_]*, like 'reach'"),
            {"value": value},
        )
    if value in BUILTINS:
        raise PydanticCustomError(
            "CP107", _("variable name '{value}' is a built-in name; choose another"), {"value": value}
        )
    return value


def authoring(info: ValidationInfo) -> bool:
    """Whether a playbook is checked as written, not read back from an incident log: a log keeps
    the playbook as it was checked when the incident started, by the rules of the crisisplay that
    started it, and must still read when later rules would refuse it (`from_snapshot`)."""
    return not (info.context or {}).get("snapshot")


def _duration(value: str) -> str:
    try:
        parse_duration(value)
    except DurationTooLong:
        raise PydanticCustomError(
            "CP108",
            _("'{value}' is longer than {longest}, the longest duration crisisplay takes"),
            {"value": value, "longest": MAX_DURATION},
        ) from None
    except ValueError:
        raise PydanticCustomError(
            "CP108",
            _("'{value}' is not a duration; write a number and a unit: 90s, 30m, 1h, 2d"),
            {"value": value},
        ) from None
    return value


def _some_time(value: str, info: ValidationInfo) -> str:
    if (
        authoring(info) and parse_duration(value) == 0
    ):  # a target already missed at detection, an update due all the time
        raise PydanticCustomError(
            "CP108", _("'{value}' is no time at all; a duration is at least 1s"), {"value": value}
        )
    return value


# The schema's patterns mirror the validators, which give the friendlier messages.
Id = Annotated[
    str, AfterValidator(_step_id), Field(json_schema_extra={"pattern": f"^{ID_RE.pattern}$", "not": {"const": END}})
]
PlaybookId = Annotated[Id, AfterValidator(_playbook_id), Field(json_schema_extra={"maxLength": MAX_PLAYBOOK_ID})]
Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"pattern": f"^{NAME_RE.pattern}$"})]
UnicodeName = Annotated[str, AfterValidator(_unicode_name), Field(json_schema_extra={"pattern": UNICODE_NAME_PATTERN})]
# An answers file wraps any answer as `{answer: …, notify: …, approved_by: …, reason: …}` (and drills add
# `at` / `after`):
# an escalation's answer is a mapping by role, so no role may take those names.
# `reason` carries why a `monitor-only` outcome was chosen.
RESERVED_ROLES = ("answer", "notify", "approved_by", "at", "after", "reason")


def _role_name(value: str) -> str:
    if value in RESERVED_ROLES:
        raise PydanticCustomError(
            "CP105",
            _("'{value}' is reserved for the answers file ({reserved}); choose another role name"),
            {"value": value, "reserved": ", ".join(RESERVED_ROLES)},
        )
    return value


RoleName = Annotated[UnicodeName, AfterValidator(_role_name)]
Variable = Annotated[
    str,
    AfterValidator(_variable),
    Field(json_schema_extra={"pattern": f"^{VAR_RE.pattern}$", "not": {"enum": list(BUILTINS)}}),
]
Duration = Annotated[
    str, AfterValidator(_duration), Field(json_schema_extra={"pattern": r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"})
]
# How long a target, a deadline, a promise or an update cadence allows: never zero. (A drill's
# inject may be due `at: 0m`, at detection: it is a plain Duration.)
Span = Annotated[Duration, AfterValidator(_some_time)]
Text = Annotated[str, Field(min_length=1)]


def _one_line(value: str, info: ValidationInfo) -> str:
    if authoring(info) and ("\n" in value or "\r" in value):
        raise PydanticCustomError("CP109", _("a title is one line; this one holds a line break"))
    return value


# A title: shown in headers, tables and reports, one line each.
OneLine = Annotated[str, Field(json_schema_extra={"pattern": "^[^\\n\\r]*$"}), AfterValidator(_one_line)]
Title = Annotated[OneLine, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


_SHORT_FORMS = {
    "label": N_("its label"),
    "id": N_("its name"),
    "description": N_("its description"),
    "within": N_("its duration"),
    "title": N_("its title"),
}


def _shorthand(field: str) -> Any:  # pydantic's validator descriptor, collected by the model
    """A before-validator reading a plain string as `{field: it}`: the form written before labels."""

    def read(cls: type[BaseModel], data: Any) -> Any:
        if isinstance(data, (str, bool)):  # a boolean goes on to be reported as YAML's yes/no trap (CP008)
            return {field: data}
        if data is None or isinstance(data, list):
            kind = _("a list") if isinstance(data, list) else _("an empty value")
            raise PydanticCustomError(
                "CP103",
                _("expected text ({short}) or a mapping with `{field}:`, not {kind}"),
                {"short": _(_SHORT_FORMS[field]), "field": field, "kind": kind},
            )
        return data  # a mapping, or a number the loader asks to quote (CP005)

    # pydantic makes `read` a classmethod itself: its first parameter is named `cls`.
    return model_validator(mode="before")(read)


class InputOption(_Model):
    """An answer offered by a choice input; a plain string is a label that is its own value."""

    label: Text
    value: Text | None = None
    help: str | None = None

    _from_string = _shorthand("label")

    @model_validator(mode="after")
    def _value_defaults_to_label(self) -> InputOption:
        if self.value is None:
            object.__setattr__(self, "value", self.label)
        return self


# What an option may decide beyond its answer: `monitor-only` ends the public part of the response
# (every later public message is skipped), recorded with the responder's reason.
Outcome = Literal["monitor-only"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


class Option(InputOption):
    """An option of a choice step: may change the severity (set it, or only raise it), jump
    elsewhere, leave a decision open (`interim`), start a promised deadline (`within`) or decide
    an outcome."""

    severity: UnicodeName | None = None  # sets the level, up or down
    raise_severity: UnicodeName | None = None  # raises the level to this one when it is lower; never lowers it
    next: str | None = None
    interim: bool | None = None  # true: the answer leaves the decision open
    within: Span | None = None
    outcome: Outcome | None = None

    @model_validator(mode="after")
    def _one_severity(self) -> Option:
        if self.severity is not None and self.raise_severity is not None:
            raise PydanticCustomError(
                "CP109",
                _("an option has `severity:` (sets the level) or `raise_severity:` (only raises it), not both"),
            )
        return self


# What kind of personal data an input holds (issue: privacy): `handle` is a public handle the
# person posted under, which a public reply may address; the others never appear in public.
PersonalKind = Literal["customer", "person", "handle", "order", "email", "phone"]
PERSONAL_KINDS: tuple[str, ...] = get_args(PersonalKind)


def input_kind(declared: bool | str | None) -> str | None:
    """The kind an input's value is logged as, from its `personal:` (None: not personal)."""
    if declared is None or declared is False:
        return None
    return GENERIC if declared is True else declared


def answer_kind(declared: bool | str | None) -> str | None:
    """The kind a text step's answer is logged as, from its `personal:`: free text unless it says
    `personal: false`."""
    return TEXT if declared is None else input_kind(declared)


# A number as answers give it (`parse_number` in the engine): plain digits and a point, at most
# MAX_NUMBER_DIGITS digits before the point.
MAX_NUMBER_DIGITS = 100
NUMBER_RE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class Input(_Model):
    """A fact asked first, like a form field, and available to templates by its name."""

    prompt: Text
    type: Literal["text", "choice", "number"] = "text"
    help: str | None = None
    options: list[InputOption] | None = None
    default: str | int | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    personal: bool | PersonalKind | None = None

    @model_validator(mode="after")
    def _options_match_type(self, info: ValidationInfo) -> Input:
        if self.type == "choice" and not self.options:
            raise PydanticCustomError("CP102", _("a choice input needs `options:`"))
        if self.type != "choice" and self.options:
            raise PydanticCustomError(
                "CP109", _("`options:` belongs to choice inputs; set `type: choice` or remove it")
            )
        if self.default is not None and authoring(info):
            self._default_fits(str(self.default))
        return self

    def _default_fits(self, written: str) -> None:
        """A default the run would refuse as an answer stops the run at its first question: read
        as the engine reads an answer (`engine.input_value`: stripped, in NFC, digits and a point)."""
        text = written.strip()
        if self.type == "choice":
            offered = [o.value or o.label for o in self.options or []]
            typed = nfc(text)
            if not any(typed in (o.value, o.label) for o in self.options or []):
                raise PydanticCustomError(
                    "CP109",
                    _("`default: {value}` is not one of the options; expected {expected}"),
                    {"value": written, "expected": ", ".join(offered)},
                )
        elif self.type == "number":
            if type(self.default) is bool or not NUMBER_RE.fullmatch(text):
                raise PydanticCustomError("CP109", _("`default: {value}` is not a number"), {"value": written})
            if Decimal(text).adjusted() >= MAX_NUMBER_DIGITS:
                raise PydanticCustomError(
                    "CP109",
                    _("`default: {value}` is too large; a number has at most {digits} digits"),
                    {"value": written, "digits": MAX_NUMBER_DIGITS},
                )
        elif self.max_length is not None and len(text) > self.max_length:
            raise PydanticCustomError(
                "CP109",
                _("`default:` is {length} characters long, over `max_length: {limit}`"),
                {"length": len(text), "limit": self.max_length},
            )


class LevelName(str):
    """A severity level as the rest of crisisplay sees it: its name, compared and logged as text,
    carrying the `label` shown for it (None when the name is shown as it is)."""

    label: str | None

    def __new__(cls, name: str, label: str | None = None) -> LevelName:
        obj = super().__new__(cls, name)
        obj.label = label
        return obj

    def __reduce__(self) -> tuple[type[LevelName], tuple[str, str | None]]:
        return LevelName, (str(self), self.label)


class Level(_Model):
    """A severity level: a name, or `{id: name, label: words shown}`."""

    id: UnicodeName
    label: Text | None = None

    _from_string = _shorthand("id")


def _level_name(level: Level) -> LevelName:
    return LevelName(level.id, level.label)


def _level_data(level: str) -> str | dict[str, str]:
    label = getattr(level, "label", None)
    return {"id": str(level), "label": label} if label else str(level)


# Validated as a `Level`, kept as a `LevelName`: every comparison, index and log line keeps
# treating levels as the strings they always were.
if TYPE_CHECKING:
    LevelEntry = LevelName  # what the model holds, once validated
else:
    LevelEntry = Annotated[Level, AfterValidator(_level_name), PlainSerializer(_level_data)]


class Severity(_Model):
    """The severity levels, ordered lowest first, and where an incident starts."""

    levels: Annotated[list[LevelEntry], Field(min_length=1)] = [
        LevelName("low"),
        LevelName("medium"),
        LevelName("high"),
        LevelName("critical"),
    ]
    initial: UnicodeName | None = None

    @property
    def start(self) -> str:
        return self.initial or self.levels[0]

    def label(self, level: str) -> str:
        """The words shown for `level`: its label, or the name itself."""
        level = nfc(level)
        found = next((lv for lv in self.levels if lv == level), None)
        return getattr(found, "label", None) or level


class Role(_Model):
    """Someone an escalation can reach: a description (the plain form), or `{label, description}`."""

    label: Text | None = None
    description: str | None = None

    _from_string = _shorthand("description")

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return self.description if self.label is None and self.description is not None else data


class Target(_Model):
    """A response-time goal: a duration (the plain form), or `{within: duration, label: words shown}`."""

    within: Span
    label: Text | None = None

    _from_string = _shorthand("within")

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return self.within if self.label is None else data


class _Step(_Model):
    id: Id
    title: OneLine | None = None  # an empty one shows the prompt instead, as before
    prompt: str | None = None
    help: str | None = None
    when: str | None = None
    next: str | None = None
    milestone: Name | None = None


class ConfirmStep(_Step):
    type: Literal["confirm"]
    prompt: Text
    save_as: Variable | None = None


class ChoiceStep(_Step):
    type: Literal["choice"]
    prompt: Text
    options: Annotated[list[Option], Field(min_length=1)]
    save_as: Variable | None = None


class ChecklistStep(_Step):
    type: Literal["checklist"]
    prompt: Text
    items: Annotated[list[Text], Field(min_length=1)]


class TextStep(_Step):
    type: Literal["text"]
    prompt: Text
    multiline: bool = False
    section: Name | None = None
    save_as: Variable | None = None
    # Anything can be typed here, so an answer is personal free text unless the step says
    # `personal: false` (a lessons-learned section); `true` or a kind names what it holds.
    personal: bool | PersonalKind | None = None

    @property
    def personal_kind(self) -> str | None:
        """The kind its answers are logged as (None: not personal)."""
        return answer_kind(self.personal)


class NumberStep(_Step):
    type: Literal["number"]
    prompt: Text
    min: int | None = None
    max: int | None = None
    save_as: Variable | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self, info: ValidationInfo) -> NumberStep:
        if authoring(info) and self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "CP109",
                _("`min: {min}` is above `max: {max}`: no number could be answered"),
                {"min": self.min, "max": self.max},
            )
        return self


# Roles every incident has, whatever the playbook declares: who drives (the person who starts
# it, until `crisisplay assign`), who speaks for the organisation, who keeps the record.
BUILTIN_ROLES = ("lead", "comms", "scribe")


def _each_once(roles: list[str]) -> list[str]:
    twice = next((role for i, role in enumerate(roles) if role in roles[:i]), None)
    if twice is not None:
        raise PydanticCustomError("CP109", _("'{role}' is listed twice; name each role once"), {"role": twice})
    return roles


class Approval(_Model):
    """Who must approve a message before it is sent: the roles, and whether all of them or any one."""

    by: Annotated[list[UnicodeName], Field(min_length=1), AfterValidator(_each_once)]
    need: Literal["all", "any"] = "all"


# The platforms a message can name (`Platform`, `PLATFORMS`, `PUBLIC_PLATFORMS`) are in platforms.py,
# which `show` reads without building these models.


def platform_of(key: str, variant: Variant) -> str | None:
    """The platform a variant goes out on: its own `platform:`, else its key when that names one."""
    return variant.platform or (key if key in PLATFORMS else None)


def audience_of(step: MessageStep) -> str | None:
    """`public` or `private` for a message step: as it says, else as its platform(s) say, else None."""
    if step.audience:
        return step.audience
    platforms: list[str | None] = [step.platform] if step.platform else []
    platforms += [platform_of(key, v) for key, v in (step.variants or {}).items()]
    if not platforms or None in platforms:
        return None
    public = {p in PUBLIC_PLATFORMS for p in platforms}
    return ("public" if public == {True} else "private") if len(public) == 1 else None


class Variant(_Model):
    """One channel's version of a message: its own text, and where it goes if not its key's platform."""

    template: Text
    channel: Text | None = None
    platform: Platform | None = None


class MessageStep(_Step):
    type: Literal["message"]
    channel: Text
    template: Text | None = None  # the text for any value without a variant; required without variants
    approval: Approval | None = None
    audience: Literal["public", "private"] | None = None  # None: the platform's, else not said
    platform: Platform | None = None
    variant_by: Variable | None = None
    variants: dict[Text, Variant] | None = None

    @model_validator(mode="after")
    def _text_for_every_value(self) -> MessageStep:
        if self.template is None and not self.variants:
            raise PydanticCustomError("CP102", _("a message needs `template:` (or `variants:` with `variant_by:`)"))
        if (self.variants is not None) != (self.variant_by is not None):
            raise PydanticCustomError("CP109", _("`variants:` and `variant_by:` go together; write both or neither"))
        return self


class EscalateStep(_Step):
    type: Literal["escalate"]
    to: Annotated[list[UnicodeName], Field(min_length=1)]
    template: str | None = None


class InfoStep(_Step):
    type: Literal["info"]
    prompt: Text


# Any one step; `step.type` tells which (type checkers narrow on it).
AnyStep = ConfirmStep | ChoiceStep | ChecklistStep | TextStep | NumberStep | MessageStep | EscalateStep | InfoStep
Step = Annotated[AnyStep, Field(discriminator="type")]
SavingStep = ConfirmStep | ChoiceStep | TextStep | NumberStep  # the kinds with `save_as:`


def field_of(model: BaseModel, name: str) -> Any:
    """A field that `model`'s kind may not have (`options` of any step), or None.

    The same answer as `getattr(model, name, None)`, read from the instance's fields: on a
    miss, pydantic's `__getattr__` first looks for private attributes and then raises, a cost
    lint paid some 60 times per playbook."""
    return model.__dict__.get(name)


def saved_as(step: AnyStep) -> str | None:
    """The variable a step's answer is saved as, if it has one."""
    return step.save_as if isinstance(step, SavingStep) else None


STEP_MODELS: dict[str, type[_Step]] = {
    "confirm": ConfirmStep,
    "choice": ChoiceStep,
    "checklist": ChecklistStep,
    "text": TextStep,
    "number": NumberStep,
    "message": MessageStep,
    "escalate": EscalateStep,
    "info": InfoStep,
}


class Reference(_Model):
    """A source a playbook's advice rests on: a title (the plain form), or `{title, url, note}`."""

    title: Text
    url: str | None = None
    note: str | None = None

    _from_string = _shorthand("title")

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        return self.title if self.url is None and self.note is None else data


# A deadline's clock starts at detection or when a step is answered.
DETECTION = "detection"


class Deadline(_Model):
    """A clock that is not a target: it starts at detection or when `start` (a step) is answered,
    and runs `within` (else the chosen option's `within:`) until one of `met_by` is answered."""

    label: Text | None = None
    start: str = DETECTION
    within: Span | None = None
    met_by: Annotated[list[Id], Field(min_length=1)]


class Cadence(_Model):
    """How often a public update is due, by severity level: the clock starts when one of `updates`
    (message steps) is sent and restarts at each."""

    every: Annotated[dict[UnicodeName, Span], Field(min_length=1)]
    updates: Annotated[list[Id], Field(min_length=1)]
    label: Text | None = None


class Phase(_Model):
    """A named stage of the response (detection, containment, ...) holding its steps in order."""

    id: Id
    title: Title
    summary: str | None = None
    steps: Annotated[list[Step], Field(min_length=1)]


class Playbook(_Model):
    """A crisis playbook: metadata, severity, targets, roles, inputs and phases of steps."""

    crisisplay: Literal[1]
    id: PlaybookId
    title: Title
    summary: str | None = None
    locale: str | None = None  # None: the playbook does not choose the language (English for answers files)
    translation_of: Text | None = None
    tags: list[str] = []
    severity: Severity = Severity()
    targets: dict[Name, Target] = {}
    roles: dict[RoleName, Role] = {}
    inputs: dict[Variable, Input] = {}
    deadlines: dict[Name, Deadline] = {}
    cadence: Cadence | None = None
    references: list[Reference] = []
    phases: Annotated[list[Phase], Field(min_length=1)]

    @cached_property
    def steps(self) -> list[AnyStep]:
        """Every step, in run order."""
        return [step for phase in self.phases for step in phase.steps]

    @cached_property
    def step_index(self) -> dict[str, int]:
        return {step.id: i for i, step in enumerate(self.steps)}

    @cached_property
    def phase_of(self) -> dict[str, Phase]:
        return {step.id: phase for phase in self.phases for step in phase.steps}

    @cached_property
    def variable_names(self) -> tuple[str, ...]:
        """The inputs and every `save_as` name: what conditions may see, set or not."""
        saved = [name for s in self.steps if (name := saved_as(s))]
        return tuple(dict.fromkeys([*self.inputs, *saved]))

    @cached_property
    def personal_variables(self) -> dict[str, str]:
        """Every name whose value is personal, with its kind: inputs marked `personal:` and the
        `save_as` of text steps not marked `personal: false`. Computed once per playbook: the
        engine asks at every message it renders."""
        found = {name: kind for name, spec in self.inputs.items() if (kind := input_kind(spec.personal))}
        for step in self.steps:
            if isinstance(step, TextStep) and step.save_as and (kind := step.personal_kind):
                found.setdefault(step.save_as, kind)
        return found

    def step(self, step_id: str) -> AnyStep:
        return self.steps[self.step_index[step_id]]

    def target_ms(self, milestone: str) -> int | None:
        target = self.targets.get(milestone)
        return parse_duration(target.within) if target else None

    def milestone_label(self, milestone: str) -> str:
        """The words shown for a milestone: its target's label, or its name."""
        target = self.targets.get(milestone)
        return (target.label if target else None) or milestone

    @cached_property
    def assignable_roles(self) -> tuple[str, ...]:
        """The roles a person can hold in an incident: the built-ins, then those `roles:` declares."""
        return tuple(dict.fromkeys([*BUILTIN_ROLES, *self.roles]))

    def role_label(self, role: str) -> str:
        """The words shown for a role: its label, or its name."""
        found = self.roles.get(nfc(role))
        return (found.label if found else None) or role

    def role_description(self, role: str) -> str:
        """Who the role is, in the playbook's words: its description, else its label, else its name."""
        found = self.roles.get(nfc(role))
        return (found.description or found.label or role) if found else role

    def normalised(self) -> dict[str, Any]:
        """The playbook as plain JSON data, defaults filled in: `show --format json` and the log's snapshot."""
        return self.model_dump(mode="json", exclude_none=True)
