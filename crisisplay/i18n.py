"""The interface's language: which one is chosen, its messages, and how it writes numbers, durations and dates.

This is the one module that decides the language. The choice, first that applies:
`--lang` / `CRISISPLAY_LANG`, then `language` in config.toml, then the playbook's `locale`
(for an incident: the locale of the playbook snapshot in its log), then
`LC_ALL` / `LC_MESSAGES` / `LANG`, then English. A source that names a language with no
catalogue is passed over, except `--lang` (exit 2 naming the languages there are) and the
config's `language` (a configuration error).

Messages are looked up when shown (`_()` at the point of use), never at import, so a
module-level text is marked with `N_()` and translated where it is printed. The catalogue
is read on the first message shown in a language other than English, so commands that
print nothing translated never pay for it. The log stays language-neutral: only what is
shown and exported goes through here.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # gettext is imported only when a catalogue is read
    from datetime import datetime
    from gettext import NullTranslations

DOMAIN = "crisisplay"
ENGLISH = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_explicit: str | None = None  # --lang or CRISISPLAY_LANG, checked
_config_language: Callable[[], str | None] | None = None  # read only when needed
_playbook_locale: str | None = None
_chosen: str | None = None
_translation: NullTranslations | None = None  # gettext.GNUTranslations of the chosen language, or None for English
_consulting = False  # reading the config's `language`: a message made meanwhile is English, and nothing is chosen


class UnknownLanguage(ValueError):
    """A language with no catalogue; the message names the ones there are."""


def available() -> tuple[str, ...]:
    """The languages there are: English and every catalogue folder under `locale/` (`locale/es/LC_MESSAGES`).

    A folder whose compiled catalogue is missing or corrupt still names a language: choosing it
    falls back to English with one warning (`_catalogue`), rather than calling the language unknown."""
    found = {ENGLISH}
    try:
        for folder in LOCALE_DIR.iterdir():
            if (folder / "LC_MESSAGES").is_dir():
                found.add(folder.name)
    except OSError:
        pass
    return tuple(sorted(found))


def _code(tag: str | None) -> str | None:
    """`es_ES.UTF-8`, `es-ES` or `ES` -> `es`; None for nothing, `C` or `POSIX`."""
    if not tag:
        return None
    tag = tag.strip().split(".")[0].split("@")[0]
    if not tag or tag.upper() in ("C", "POSIX"):
        return None
    return re.split(r"[_-]", tag)[0].lower() or None


def checked(tag: str, source: str) -> str:
    """The language code of `tag` if it has a catalogue; UnknownLanguage naming `source` otherwise."""
    code = _code(tag)
    there = available()
    if code not in there:
        listed = ", ".join(f"{c} ({own_name(c)})" for c in there)
        raise UnknownLanguage(f"{source}: no language {tag!r}; available: {listed}")
    return code


def own_name(code: str) -> str:
    """A language's name in its own words (`español`), from Babel's locale data."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code


def configure(explicit: str | None = None, config_language: Callable[[], str | None] | None = None) -> None:
    """Set where the choice comes from: `--lang` (or CRISISPLAY_LANG) and a reader of the config's `language`.

    `explicit` and what `config_language` returns must have passed `checked`. Resets the playbook's locale and the choice made so far.
    """
    global _explicit, _config_language, _playbook_locale, _chosen, _translation
    _explicit, _config_language, _playbook_locale = explicit, config_language, None
    _chosen, _translation = None, None


def use_playbook_locale(locale: str | None) -> None:
    """The playbook (or incident) at hand: its `locale` takes part in the choice from now on."""
    global _playbook_locale, _chosen, _translation
    if locale != _playbook_locale:
        _playbook_locale = locale
        _chosen, _translation = None, None


def language() -> str:
    """The language chosen for what is shown now (see the module's docstring for the order)."""
    global _chosen
    if _consulting:
        return ENGLISH
    if _chosen is None:
        _chosen = _choose()
    return _chosen


def _choose() -> str:
    global _consulting
    if _explicit:
        return _explicit
    there = available()
    if _config_language is not None:
        # A message made while the config is read (a mistake in it) asks for the language again:
        # it is English, and discarded; the command that reads the config reports it in the language chosen.
        _consulting = True
        try:
            configured = _config_language()
        except Exception:  # a config that cannot be read is reported by the command that reads it
            configured = None
        finally:
            _consulting = False
        if configured:
            return configured
    for candidate in (_playbook_locale, *(os.environ.get(v) for v in ("LC_ALL", "LC_MESSAGES", "LANG"))):
        code = _code(candidate)
        if code in there:
            return code
    return ENGLISH


def _catalogue() -> NullTranslations | None:
    """The chosen language's translations (None for English); a broken catalogue warns once and is English."""
    global _translation, _chosen
    code = language()
    if code == ENGLISH:
        return None
    if _translation is None:
        import gettext

        try:
            _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
        except Exception as err:  # a missing or corrupt .mo: English, one line, never a traceback
            reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
            print(
                f"crisisplay: warning: the {code} catalogue cannot be read ({reason}); using English", file=sys.stderr
            )
            _chosen, _translation = ENGLISH, None
            return None
    return _translation


def _(message: str) -> str:
    """`message` in the chosen language (the English text when it has no translation)."""
    catalogue = _catalogue()
    return message if catalogue is None else catalogue.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form of a message for `count`, in the chosen language."""
    catalogue = _catalogue()
    if catalogue is None:
        return singular if count == 1 else plural
    return catalogue.ngettext(singular, plural, count)


def joined(items: Iterable[str], style: Literal["standard", "or"] = "standard") -> str:
    """A list as the chosen language writes it, from Babel's locale data: `A, B and C` in English,
    `A, B y C` in Spanish; `style="or"` for alternatives (`A, B o C`)."""
    from babel.lists import format_list

    return format_list(list(items), style=style, locale=language())


def N_(message: str) -> str:
    """Mark a text for the catalogue without translating it here (it is translated where shown)."""
    return message


# ----------------------------------------------------------------------------- yes and no

# The words each language takes, as messages of the catalogue (`|` between words), so a
# language's answers come with its catalogue. English words are valid in every language;
# words are compared without case or accents, so `SI`, `si` and `sí` are the same answer.
YES_WORDS = N_("yes|y|true")
NO_WORDS = N_("no|n|false")


def folded(text: str) -> str:
    """`text` compared as a reader means it: no case, no accents, no spaces around (`Crítica` -> `critica`)."""
    decomposed = unicodedata.normalize("NFD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_folded = folded


def _words(message: str, lang: str | None) -> set[str]:
    """The `|`-separated words of `message` in English and in `lang`, folded."""
    words = message.split("|") + _in(lang, message).split("|")
    return {_folded(word) for word in words if word.strip()}


def _in(lang: str | None, message: str) -> str:
    """`message` in `lang` (the chosen language when None), whatever language is chosen."""
    if lang is None or lang == language():
        return _(message)
    with speaking(lang):
        return _(message)


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Messages in `lang` inside the block, whatever language is chosen (data for other tools is English)."""
    global _chosen, _translation
    saved = _chosen, _translation
    _chosen, _translation = (lang if lang in available() else ENGLISH), None
    try:
        yield
    finally:
        _chosen, _translation = saved


def yes_no(text: str, lang: str | None = None) -> bool | None:
    """True for a yes, False for a no (in English or `lang`), None for anything else."""
    word = _folded(text)
    if word in _words(YES_WORDS, lang):
        return True
    if word in _words(NO_WORDS, lang):
        return False
    return None


# ----------------------------------------------------------------------------- numbers


def number_marks(lang: str | None = None) -> tuple[str, str]:
    """(decimal mark, thousands separator) of `lang` (default: the chosen language), from Babel's locale data."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    code = lang or language()
    return get_decimal_symbol(code), get_group_symbol(code)


class NotANumber(ValueError):
    """Text that is not a number in the language asked; the message shows how it could be read."""


def normalise_number(text: str, lang: str | None = None) -> str:
    """A number written in `lang`'s way as plain digits with a decimal point (`1.234,5` -> `1234.5` in Spanish).

    Thousands are grouped by three; a form that fits neither reading exactly (`3.5` in
    Spanish, `1,5` in English) raises NotANumber with both readings, rather than guessing.
    English also takes the plain forms a program writes (`.5`, `1e3`).
    """
    code = lang or language()
    decimal, group = number_marks(code)
    written = text.strip()
    if code == ENGLISH and _PLAIN.fullmatch(written):
        return written
    match = re.fullmatch(rf"([-+]?)({_whole(group)})(?:{re.escape(decimal)}([0-9]+))?", written)
    if match:
        sign = "-" if match[1] == "-" else ""
        return sign + match[2].replace(group, "") + (f".{match[3]}" if match[3] else "")
    raise NotANumber(_unreadable(written, decimal, group))


_PLAIN = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _whole(group: str) -> str:
    """Digits grouped by three with `group` (`1.234.567`), or ungrouped (`1234567`)."""
    return rf"[0-9]{{1,3}}(?:{re.escape(group)}[0-9]{{3}})+|[0-9]+"


def _unreadable(text: str, decimal: str, group: str) -> str:
    """Why `text` is not a number here, with each reading it could have had."""
    hint = _("write decimals with '{decimal}' and group thousands by three with '{group}'").format(
        decimal=decimal, group=group
    )
    other = group  # the mark this language uses for thousands, taken by the writer as a decimal
    if re.fullmatch(rf"[-+]?[0-9]+{re.escape(other)}[0-9]+", text):
        whole, _mark, fraction = text.partition(other)
        return _(
            "'{text}' fits neither reading: as a decimal write {decimal_form}, "
            "as a whole number write {whole_form}; {hint}"
        ).format(
            text=text,
            decimal_form=f"{whole}{decimal}{fraction}",
            whole_form=whole + fraction if len(fraction) != 3 else f"{whole}{group}{fraction}",
            hint=hint,
        )
    return _("'{text}' is not a number; {hint}").format(text=text, hint=hint)


def format_number(value: object, lang: str | None = None) -> str:
    """`value` written the language's way (`1234.5` -> `1234,5` in Spanish), exact: never rounded."""
    from babel.numbers import format_decimal

    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_decimal(exact, locale=lang or language(), decimal_quantization=False)


# ----------------------------------------------------------------------------- durations

# Unit words, as messages of the catalogue (`|` between words). English and the playbook
# format's own `90s 30m 1h 2d` are understood in every language.
_SECOND, _MINUTE, _HOUR, _DAY = 1000, 60_000, 3_600_000, 86_400_000
UNIT_WORDS = {
    N_("s|sec|secs|second|seconds"): _SECOND,
    N_("m|min|mins|minute|minutes"): _MINUTE,
    N_("h|hr|hrs|hour|hours"): _HOUR,
    N_("d|day|days"): _DAY,
}


def duration_ms(text: str, lang: str | None = None) -> int | None:
    """Milliseconds of a typed duration (`2 h`, `30 min`, `1 día`, `1h30m`); None when it is not one."""
    folded = _folded(text)
    if not folded:
        return None
    units = {word: ms for message, ms in UNIT_WORDS.items() for word in _words(message, lang)}
    total, position = 0, 0
    for part in re.finditer(r"\s*([0-9]+)\s*([^\W\d_]+)\s*", folded):
        if part.start() != position or part[2] not in units:
            return None
        total += int(part[1]) * units[part[2]]
        position = part.end()
    return total if position == len(folded) and position else None


# ----------------------------------------------------------------------------- dates


def format_datetime(moment: datetime, lang: str | None = None) -> str:
    """A local time in the language's medium format, with the UTC offset (Babel's locale data)."""
    from babel.dates import format_datetime as babel_format

    local = moment.astimezone()
    offset = local.strftime("%z")
    return f"{babel_format(local, 'medium', locale=lang or language())} {offset[:3]}:{offset[3:]}"
