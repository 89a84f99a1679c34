"""The message catalogues: every message the code shows has a translation in every language,
with the same placeholders, and the compiled catalogue that ships says what the .po says."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from crisisplay import i18n

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "crisisplay"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
LANGUAGES = sorted(p.parent.parent.name for p in (PACKAGE / "locale").glob("*/LC_MESSAGES/crisisplay.po"))


def _messages_in_code() -> dict[str, str]:
    """Every msgid the code marks, with one place it comes from."""
    found: dict[str, str] = {}
    method_map = [("**.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE),
        method_map=method_map,
        keywords=KEYWORDS,
    ):
        # A plural message is catalogued under its singular form.
        text = message[0] if isinstance(message, tuple) else message
        if text:
            found.setdefault(text, f"crisisplay/{filename}:{lineno}")
    return found


def _forms(value) -> tuple[str, ...]:
    """A message's id or translation as a tuple of forms (one, or one per plural form)."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _translated(entry) -> bool:
    return all(_forms(entry.string))


def _placeholders(text: str) -> set[str]:
    try:
        fields = {f"{{{name}}}" for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}
    except ValueError:  # a lone brace: a literal text, never formatted (libyaml's "did not find expected ',' or '}'")
        fields = {"<not a format string>"}
    return fields | set(re.findall(r"%(?:\([a-z_]+\))?[sdr]", text))


def _catalogue(lang: str):
    with open(PACKAGE / "locale" / lang / "LC_MESSAGES" / "crisisplay.po", "rb") as handle:
        return read_po(handle, locale=lang)


def test_there_is_a_spanish_catalogue_and_the_languages_are_the_catalogues_found():
    assert "es" in LANGUAGES
    assert i18n.available() == tuple(sorted({"en", *LANGUAGES}))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_in_the_code_has_a_translation(lang):
    catalogue = _catalogue(lang)
    missing = []
    for msgid, where in sorted(_messages_in_code().items()):
        entry = catalogue.get(msgid)
        if entry is None or entry.fuzzy or not _translated(entry):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} message(s) without a {lang} translation (run tools/catalogue.sh):\n" + "\n".join(missing[:40])
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_of_the_original(lang):
    wrong = []
    for entry in _catalogue(lang):
        if not entry.id:
            continue
        originals, translations = _forms(entry.id), _forms(entry.string)
        expected = set().union(*(_placeholders(o) for o in originals))
        for text in translations:
            # A plural form may leave out the count ("un mensaje"), never add a name the code does not pass.
            if (text and not _placeholders(text) <= expected) or (
                len(originals) == 1 and text and _placeholders(text) != expected
            ):
                wrong.append(f"{originals[0]!r}: {sorted(expected)} vs {text!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_shipped_compiled_catalogue_says_what_the_po_says(lang):
    po = {_forms(e.id): _forms(e.string) for e in _catalogue(lang) if e.id and _translated(e)}
    with open(PACKAGE / "locale" / lang / "LC_MESSAGES" / "crisisplay.mo", "rb") as handle:
        mo = {_forms(e.id): _forms(e.string) for e in read_mo(handle) if e.id}
    assert mo == po, "the .mo is stale: run tools/catalogue.sh"
