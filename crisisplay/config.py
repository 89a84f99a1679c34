"""Configuration: `<home>/config.toml`, overridden by `./crisisplay.toml` (TOML, standard library).

Keys: `responder`, `organisation`, `language`, `[contacts.<role>]` with `name`, `phone`, `email`, and
`[lint]` options (also read from `[tool.crisisplay.lint]` in `./pyproject.toml`).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crisisplay.errors import ConfigError
from crisisplay.findings import did_you_mean
from crisisplay.i18n import _
from crisisplay.reading import InputTooLarge, read_input

TOP_KEYS = ("responder", "organisation", "language", "contacts", "lint")
CONTACT_KEYS = ("name", "phone", "email")
LINT_KEYS = ("select", "ignore", "per-file-ignores")


@dataclass(frozen=True)
class Contact:
    """Who answers for a role, and how to reach them."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass
class Config:
    responder: str | None = None
    organisation: str | None = None
    language: str | None = None  # the interface's language (see crisisplay/i18n.py for the order of choice)
    contacts: dict[str, Contact] = field(default_factory=dict)
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


def _apply(config: Config, path: Path, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key not in TOP_KEYS:
            raise ConfigError(
                _("{where}: unknown key '{key}'{suggestion}; expected one of {keys}").format(
                    where=_line_of(path, key), key=key, suggestion=did_you_mean(key, TOP_KEYS), keys=", ".join(TOP_KEYS)
                )
            )
        if key in ("responder", "organisation"):
            setattr(config, key, _text(path, key, value))
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
            for role, contact in value.items():
                if not isinstance(contact, dict):
                    raise ConfigError(
                        _("{where}: [contacts.{role}] should be a table with name, phone, email").format(
                            where=_line_of(path, role), role=role
                        )
                    )
                for ckey, cvalue in contact.items():
                    if ckey not in CONTACT_KEYS:
                        raise ConfigError(
                            _(
                                "{where}: unknown key '{key}' in [contacts.{role}]{suggestion}; expected name, phone, email"
                            ).format(
                                where=_line_of(path, ckey),
                                key=ckey,
                                role=role,
                                suggestion=did_you_mean(ckey, CONTACT_KEYS),
                            )
                        )
                    _text(path, ckey, cvalue)
                # Roles compare in NFC (playbook/names.py): `asesoría-jurídica` matches however it was typed.
                config.contacts[unicodedata.normalize("NFC", role)] = Contact(**contact)
        else:
            config.lint = _lint_options(path, value)
            config.lint_source = path
    config.sources.append(path)


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
