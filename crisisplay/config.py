"""Configuration: `<home>/config.toml`, overridden by `./crisisplay.toml` (TOML, standard library).

Keys: `responder`, `organisation`, `language`, `store`, `retention`, `[contacts.<role>]` with `name`, `phone`, `email`,
`notify` and `backup`, `[channels.<name>]` and `[drill]` with `notify` and `[drill.weights]`, and `[lint]` options (also
read from `[tool.crisisplay.lint]` in `./pyproject.toml`). Notification URLs are read as text here
(`${NAME}`s expanded, every one remembered with where it was written); Apprise checks them only
in the commands that may deliver (crisisplay/notify/check.py).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from crisisplay.errors import ConfigError
from crisisplay.findings import did_you_mean
from crisisplay.i18n import _
from crisisplay.reading import InputTooLarge, read_input

if TYPE_CHECKING:
    from crisisplay.notify.targets import Target

# tomllib, unicodedata and the notification targets are imported where a file is read: most
# commands run with no configuration file, and `show` / `list` pay for every import (issue 16).

TOP_KEYS = ("responder", "organisation", "language", "store", "retention", "contacts", "channels", "drill", "lint")
CONTACT_KEYS = ("name", "phone", "email", "notify", "backup")
CHANNEL_KEYS = ("notify",)
DRILL_KEYS = ("notify", "weights")
LINT_KEYS = ("select", "ignore", "per-file-ignores")


class Contact(NamedTuple):
    """Who answers for a role, and how to reach them.

    A NamedTuple, not a frozen dataclass: every command that reads the configuration imports
    this module, and a dataclass costs ~0.3 ms to create (issue 16)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    notify: tuple[Target, ...] = ()  # Apprise URLs, tried in order until one delivers
    backup: str | None = None  # the role to offer when this one cannot be reached


@dataclass
class Config:
    responder: str | None = None
    organisation: str | None = None
    language: str | None = None  # the interface's language (see crisisplay/i18n.py for the order of choice)
    store: str | None = None  # where incidents live: a postgresql:// address or a folder (store/base.py)
    # How long a closed incident keeps its personal data (`purge --due`, docs/privacy.md): as written, and in ms.
    retention: str | None = None
    retention_ms: int | None = None
    contacts: dict[str, Contact] = field(default_factory=dict)
    channels: dict[str, tuple[Target, ...]] = field(default_factory=dict)  # [channels.<name>] notify, by NFC name
    drill_notify: tuple[Target, ...] = ()  # [drill] notify: where a drill's deliveries go instead
    # [drill.weights]: what each scorecard category weighs (crisisplay/scorecard.py; the rest keep their defaults)
    drill_weights: dict[str, float] = field(default_factory=dict)
    lint: dict[str, Any] = field(default_factory=dict)  # [lint] options, checked by lint/policy.py
    lint_source: Path | None = None
    sources: list[Path] = field(default_factory=list)


def _read_toml(path: Path) -> dict[str, Any] | None:
    try:
        raw = read_input(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise ConfigError(_("{path}: cannot read: {reason}").format(path=path, reason=err.strerror or err)) from None
    except InputTooLarge as err:
        raise ConfigError(str(err)) from None
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(_("{path}: not UTF-8 text").format(path=path)) from None
    except tomllib.TOMLDecodeError as err:
        text = str(err)
        where = re.search(r"\(at line (\d+), column (\d+)\)", text)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", text)
        if where:
            raise ConfigError(f"{path}:{where[1]}:{where[2]}: {reason}") from None
        # "at end of document": point just past the last character.
        lines = raw.decode("utf-8", "replace").split("\n")
        raise ConfigError(f"{path}:{len(lines)}:{len(lines[-1]) + 1}: {reason}") from None


def _line_of(path: Path, key: str) -> str:
    """`path:line:col` of the first line that mentions `key`, for a readable error."""
    try:
        for number, line in enumerate(read_input(path).decode("utf-8").splitlines(), 1):
            if re.match(rf"\s*(\[.*\b{re.escape(key)}\b.*\]|{re.escape(key)}\s*=)", line):
                column = line.find(key) + 1
                return f"{path}:{number}:{column}"
    except (OSError, InputTooLarge, UnicodeDecodeError):
        pass
    return str(path)


def _text(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(_("{where}: '{key}' should be text in quotes").format(where=_line_of(path, key), key=key))
    return value


def _role_name(path: Path, name: str, key: str) -> str:
    """`name` if it can be a playbook role (lowercase letters in any script, digits, `-`, `_`); else
    ConfigError: a contact under `[contacts.Manager]` would never be found."""
    from crisisplay.playbook.names import is_unicode_name, suggested_name

    if is_unicode_name(name):
        return name
    guess = suggested_name(name)
    raise ConfigError(
        _(
            "{where}: '{name}' is not a role name (lowercase letters, digits, - and _, like the playbook's roles){suggestion}"
        ).format(
            where=_line_of(path, key) if key else str(path),
            name=name,
            suggestion=_("; did you mean '{name}'?").format(name=guess) if guess else "",
        )
    )


def _apply(config: Config, path: Path, data: dict[str, Any]) -> None:
    import unicodedata

    for key, value in data.items():
        if key not in TOP_KEYS:
            raise ConfigError(
                _("{where}: unknown key '{key}'{suggestion}; expected one of {keys}").format(
                    where=_line_of(path, key), key=key, suggestion=did_you_mean(key, TOP_KEYS), keys=", ".join(TOP_KEYS)
                )
            )
        if key in ("responder", "organisation"):
            setattr(config, key, _text(path, key, value))
        elif key == "store":
            location = _text(path, key, value).strip()
            if not location:
                raise ConfigError(
                    _("{where}: 'store' is empty; give a postgresql://… address or a folder").format(
                        where=_line_of(path, key)
                    )
                )
            if "://" not in location and not Path(location).expanduser().is_absolute():
                location = str(path.parent / Path(location).expanduser())  # a folder, relative to this file
            config.store = location
        elif key == "retention":
            config.retention, config.retention_ms = _retention(path, value)
        elif key == "language":
            from crisisplay import i18n

            try:
                config.language = i18n.checked(_text(path, key, value), _line_of(path, key))
            except i18n.UnknownLanguage as err:
                raise ConfigError(str(err)) from None
        elif key == "contacts":
            if not isinstance(value, dict):
                raise ConfigError(
                    _("{where}: 'contacts' should be tables like [contacts.manager]").format(where=_line_of(path, key))
                )
            places = _Places(path)
            for role, contact in value.items():
                if not isinstance(contact, dict):
                    raise ConfigError(
                        _("{where}: [contacts.{role}] should be a table with name, phone, email").format(
                            where=_line_of(path, role), role=role
                        )
                    )
                fields: dict[str, Any] = {}
                for ckey, cvalue in contact.items():
                    if ckey not in CONTACT_KEYS:
                        raise ConfigError(
                            _(
                                "{where}: unknown key '{key}' in [contacts.{role}]{suggestion}; expected name, phone, email, notify, backup"
                            ).format(
                                where=_line_of(path, ckey),
                                key=ckey,
                                role=role,
                                suggestion=did_you_mean(ckey, CONTACT_KEYS),
                            )
                        )
                    if ckey == "notify":
                        fields[ckey] = _targets(path, places, ("contacts", role), cvalue)
                    elif ckey == "backup":
                        fields[ckey] = unicodedata.normalize("NFC", _text(path, ckey, cvalue))
                    else:
                        fields[ckey] = _text(path, ckey, cvalue)
                # Roles compare in NFC (playbook/names.py): `asesoría-jurídica` matches however it was typed.
                name = _role_name(path, unicodedata.normalize("NFC", role), role)
                if fields.get("backup") is not None:
                    backup = _role_name(path, fields["backup"], "backup")
                    if backup == name:
                        raise ConfigError(
                            _("{where}: [contacts.{role}] names itself as its backup; name another role").format(
                                where=_line_of(path, "backup"), role=role
                            )
                        )
                config.contacts[name] = Contact(**fields)
        elif key == "channels":
            if not isinstance(value, dict):
                raise ConfigError(
                    _("{where}: 'channels' should be tables like [channels.slack]").format(where=_line_of(path, key))
                )
            places = _Places(path)
            for name, table in value.items():
                if not isinstance(table, dict):
                    raise ConfigError(
                        _("{where}: [channels.{name}] should be a table with notify").format(
                            where=_line_of(path, name), name=name
                        )
                    )
                _known_keys(path, table, CHANNEL_KEYS, f"channels.{name}")
                # Channel names compare like roles: `{{ channel }}` may be typed with either accent form.
                config.channels[unicodedata.normalize("NFC", name)] = _targets(
                    path, places, ("channels", name), table.get("notify", [])
                )
        elif key == "drill":
            if not isinstance(value, dict):
                raise ConfigError(_("{where}: [drill] should be a table with notify").format(where=_line_of(path, key)))
            _known_keys(path, value, DRILL_KEYS, "drill")
            config.drill_notify = _targets(path, _Places(path), ("drill",), value.get("notify", []))
            if "weights" in value:
                config.drill_weights = _weights(path, value["weights"])
        else:
            config.lint = _lint_options(path, value)
            config.lint_source = path
    config.sources.append(path)


def span_ms(text: str) -> int | None:
    """Milliseconds in a duration written as playbook deadlines write it (`180d`, `12h`, `90d12h`),
    without their one-year bound (a retention period may be years); None when it is not one."""
    from crisisplay.playbook.model import DURATION_RE, DurationTooLong, parse_duration

    try:
        return parse_duration(text)
    except DurationTooLong:
        match = DURATION_RE.fullmatch(text.strip())
        assert match is not None  # well written: only too long
        days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000
    except ValueError:
        return None


DAY_MS = 86_400_000


def _retention(path: Path, value: object) -> tuple[str, int]:
    """`retention = "180d"`: how long a closed incident keeps its personal data, a day or more."""
    text = _text(path, "retention", value).strip()
    ms = span_ms(text)
    if ms is None or ms < DAY_MS:
        raise ConfigError(
            _("{where}: retention '{text}' is not a duration of a day or more; write it like \"180d\"").format(
                where=_line_of(path, "retention"), text=text
            )
        )
    return text, ms


def _weights(path: Path, value: object) -> dict[str, float]:
    """`[drill.weights]`: a number from 0 to `MAX_WEIGHT` for any of the scorecard's categories."""
    from crisisplay.scorecard import CATEGORIES, MAX_WEIGHT, MIN_WEIGHT

    if not isinstance(value, dict):
        raise ConfigError(
            _("{where}: [drill.weights] should be a table like [drill.weights] with targets = 3").format(
                where=_line_of(path, "weights")
            )
        )
    _known_keys(path, value, CATEGORIES, "drill.weights")
    weights = {}
    for key, weight in value.items():
        # Compared, never converted: an integer too big for a float, nan and inf all fail here;
        # weights this small cannot overflow the weighted sum into inf or nan, and none so tiny
        # that a category's share of it vanishes (5e-324 × 0.5 is 0).
        number = not isinstance(weight, bool) and isinstance(weight, (int, float))
        if not number or not (weight == 0 or MIN_WEIGHT <= weight <= MAX_WEIGHT):
            raise ConfigError(
                _(
                    "{where}: [drill.weights] '{key}' should be 0 or a number from {least} to {most}, like {key} = 2"
                ).format(where=_line_of(path, key), key=key, least=MIN_WEIGHT, most=MAX_WEIGHT)
            )
        weights[key] = weight
    return weights


def _known_keys(path: Path, table: dict[str, Any], keys: tuple[str, ...], name: str) -> None:
    for key in table:
        if key not in keys:
            raise ConfigError(
                _("{where}: unknown key '{key}' in [{table}]{suggestion}; expected {keys}").format(
                    where=_line_of(path, key),
                    key=key,
                    table=name,
                    suggestion=did_you_mean(key, keys),
                    keys=", ".join(keys),
                )
            )


def _targets(path: Path, places: _Places, table: tuple[str, ...], value: object) -> tuple[Target, ...]:
    """The Targets of a `notify = [...]` list, each pointing at its own string in the file."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ConfigError(
            _("{where}: 'notify' should be a list of Apprise URLs in quotes, like {example}").format(
                where=_line_of(path, "notify"), example='notify = ["mailto://…"]'
            )
        )
    from crisisplay.notify.targets import make_target

    wheres = places.urls(table, value)
    return tuple(make_target(url, where) for url, where in zip(value, wheres, strict=True))


class _Places:
    """Where each string of a TOML file starts, to point an error at the URL itself.

    tomllib gives values without positions, so the file is read again and its string
    literals found: within the table's own section when it has a `[header]`, else the
    first unused literal with the same text."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.text = read_input(path).decode("utf-8")
        except (OSError, InputTooLarge, UnicodeDecodeError):
            self.text = ""
        self.literals = _string_literals(self.text)
        self.used: set[int] = set()

    def _where(self, offset: int) -> str:
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return f"{self.path}:{line}:{column}"

    def urls(self, table: tuple[str, ...], values: list[str]) -> list[str]:
        offsets = self._in_section(table, values)
        if offsets is not None:
            self.used.update(offsets)
            return [self._where(offset) for offset in offsets]
        found = []
        for value in values:
            offset = next((o for o, v in self.literals if v == value and o not in self.used), None)
            if offset is None:
                found.append(_line_of(self.path, "notify"))
                continue
            self.used.add(offset)
            found.append(self._where(offset))
        return found

    def _in_section(self, table: tuple[str, ...], values: list[str]) -> list[int] | None:
        headers = _headers(self.text)
        for number, (_start, end, keys) in enumerate(headers):
            if keys != table:
                continue
            stop = headers[number + 1][0] if number + 1 < len(headers) else len(self.text)
            key = re.compile(r"(?m)^[ \t]*(notify|\"notify\"|'notify')[ \t]*=").search(self.text, end, stop)
            if key is None:
                return None
            offsets = [o for o, _v in self.literals if key.end() <= o < stop][: len(values)]
            if [v for o, v in self.literals if o in offsets] != values:
                return None
            return offsets
        return None


def _string_literals(text: str) -> list[tuple[int, str]]:
    """(offset, value) of every TOML string in `text`, comments skipped."""
    import tomllib

    found: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if char not in "\"'":
            i += 1
            continue
        quote = text[i : i + 3] if text.startswith(char * 3, i) else char
        j = i + len(quote)
        while j < len(text) and not text.startswith(quote, j):
            if char == '"' and text[j] == "\\":
                j += 1
            elif len(quote) == 1 and text[j] == "\n":
                break
            j += 1
        end = min(j + len(quote), len(text))
        while len(quote) == 3 and end < len(text) and text[end] == char:  # `""""a""""`: quotes inside the end
            end += 1
        with contextlib.suppress(tomllib.TOMLDecodeError):
            found.append((i, tomllib.loads("v = " + text[i:end])["v"]))
        i = end
    return found


def _headers(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, key path) of every `[table]` header line."""
    import tomllib

    found = []
    for match in re.finditer(r"(?m)^[ \t]*\[(?!\[)(.+)\][ \t]*(?:#.*)?$", text):
        try:
            data: Any = tomllib.loads(f"[{match[1]}]")
        except tomllib.TOMLDecodeError:
            continue
        keys = []
        while isinstance(data, dict) and len(data) == 1:
            key = next(iter(data))
            keys.append(key)
            data = data[key]
        found.append((match.start(), match.end(), tuple(keys)))
    return found


def _lint_options(path: Path, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(_("{where}: [lint] should be a table").format(where=_line_of(path, "lint")))
    for key in value:
        if key not in LINT_KEYS:
            raise ConfigError(
                _("{where}: unknown lint option '{key}'{suggestion}; expected one of {keys}").format(
                    where=_line_of(path, key),
                    key=key,
                    suggestion=did_you_mean(key, LINT_KEYS),
                    keys=", ".join(LINT_KEYS),
                )
            )
    return dict(value)


def configured_language(home: Path, cwd: Path | None = None) -> str | None:
    """The `language` the config files set (./crisisplay.toml's beats the home's), read on its own:
    a mistake elsewhere in a file is then reported in that language, not in English."""
    from crisisplay import i18n

    cwd = cwd or Path.cwd()
    chosen = None
    for path in (home / "config.toml", cwd / "crisisplay.toml"):
        try:
            value = (_read_toml(path) or {}).get("language")
            if isinstance(value, str):
                chosen = i18n.checked(value, str(path))
        except (ConfigError, i18n.UnknownLanguage):
            continue  # reported, in the language chosen without it, when the command reads the config
    return chosen


def load_config(home: Path, cwd: Path | None = None) -> Config:
    """The merged configuration; ConfigError (exit 2) for a file that cannot be used."""
    cwd = cwd or Path.cwd()
    config = Config()
    for path in (home / "config.toml", cwd / "crisisplay.toml"):
        data = _read_toml(path)
        if data is not None:
            _apply(config, path, data)
    # The project's own lint settings beat the user's: ./crisisplay.toml, then
    # ./pyproject.toml, then <home>/config.toml.
    if config.lint_source in (None, home / "config.toml"):
        pyproject = cwd / "pyproject.toml"
        data = _read_toml(pyproject) if pyproject.is_file() else None
        lint = (data or {}).get("tool", {}).get("crisisplay", {}).get("lint")
        if lint is not None:
            config.lint = _lint_options(pyproject, lint)
            config.lint_source = pyproject
    return config
