"""The interface's language: how it is chosen, and how each language writes yes/no, numbers and durations."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from crisisplay import i18n


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "CRISISPLAY_LANG"):
        monkeypatch.delenv(variable, raising=False)
    i18n.configure()
    yield
    i18n.configure()


# ----------------------------------------------------------------------------- choosing


def test_english_when_nothing_chooses():
    assert i18n.language() == "en"
    assert i18n._("'{text}' is not a number; {hint}") == "'{text}' is not a number; {hint}"


def test_the_order_of_choice_is_flag_then_config_then_playbook_then_environment(monkeypatch):
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    i18n.configure()
    assert i18n.language() == "es"  # the environment, when nothing else chooses
    i18n.configure(config_language=lambda: "en")
    i18n.use_playbook_locale("es")
    assert i18n.language() == "en"  # the config beats the playbook and the environment
    i18n.configure(config_language=lambda: None)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    i18n.use_playbook_locale("es")
    assert i18n.language() == "es"  # the playbook beats the environment
    i18n.configure("en", config_language=lambda: "es")
    i18n.use_playbook_locale("es")
    assert i18n.language() == "en"  # --lang beats everything


def test_lc_all_beats_lang_and_c_or_an_unknown_language_does_not_choose(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "es_MX.UTF-8")
    i18n.configure()
    assert i18n.language() == "es"
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    i18n.configure()
    assert i18n.language() == "en"


def test_a_playbook_locale_with_no_catalogue_does_not_choose():
    i18n.use_playbook_locale("fr")
    assert i18n.language() == "en"


def test_an_unknown_language_names_the_ones_there_are():
    with pytest.raises(i18n.UnknownLanguage, match=r"no language 'fr'; available: en \(English\), es \(español\)"):
        i18n.checked("fr", "--lang")
    assert i18n.checked("es_ES", "--lang") == "es"


def test_messages_are_translated_when_shown_not_when_marked():
    marked = i18n.N_("'{text}' is not a number; {hint}")
    i18n.configure("es")
    assert i18n._(marked) == "'{text}' no es un número; {hint}"
    i18n.configure("en")
    assert i18n._(marked) == marked


def test_a_corrupt_catalogue_falls_back_to_english_with_one_warning(tmp_path, monkeypatch, capsys):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    (locale / "es" / "LC_MESSAGES" / "crisisplay.mo").write_bytes(b"\x00garbage, not a catalogue")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    i18n.configure("es")
    assert i18n._("'{text}' is not a number; {hint}") == "'{text}' is not a number; {hint}"
    assert i18n._("'{text}' is not a number; {hint}") == "'{text}' is not a number; {hint}"
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("crisisplay: warning: the es catalogue cannot be read")


def test_a_language_with_no_catalogue_folder_is_not_a_language():
    assert "es" in i18n.available()
    assert "fr" not in i18n.available()


def test_a_missing_compiled_catalogue_falls_back_to_english_with_one_warning(tmp_path, monkeypatch, capsys):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    (locale / "es" / "LC_MESSAGES" / "crisisplay.mo").unlink()
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    assert "es" in i18n.available()  # the language is there; its catalogue is not
    i18n.configure(i18n.checked("es", "--lang"))
    assert i18n._("Send as is") == "Send as is"
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("crisisplay: warning: the es catalogue cannot be read")


# ----------------------------------------------------------------------------- yes and no


@pytest.mark.parametrize("word", ["sí", "si", "SÍ", "Si", "s", "S", "si\u0301", "yes", "y", "true"])
def test_spanish_yes_words_and_the_english_ones_are_yes_in_spanish(word):
    assert i18n.yes_no(word, "es") is True


@pytest.mark.parametrize("word", ["no", "NO", "n", "false"])
def test_no_words_are_no_in_spanish(word):
    assert i18n.yes_no(word, "es") is False


def test_spanish_words_are_not_answers_in_english():
    assert i18n.yes_no("sí", "en") is None
    assert i18n.yes_no("s", "en") is None
    assert i18n.yes_no("yes", "en") is True
    assert i18n.yes_no("maybe", "es") is None


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "text, lang, plain",
    [
        ("1.234", "es", "1234"),
        ("1.234,5", "es", "1234.5"),
        ("1,5", "es", "1.5"),
        ("12.345.678", "es", "12345678"),
        ("1234", "es", "1234"),
        ("-3,25", "es", "-3.25"),
        ("1,234", "en", "1234"),
        ("1.5", "en", "1.5"),
        ("1,234.5", "en", "1234.5"),
        ("1.234", "en", "1.234"),
        ("1e3", "en", "1e3"),
        (".5", "en", ".5"),
    ],
)
def test_numbers_follow_the_language(text, lang, plain):
    assert i18n.normalise_number(text, lang) == plain


@pytest.mark.parametrize(
    "text, lang, readings",
    [
        ("3.5", "es", ["3,5", "35"]),
        ("1,5", "en", ["1.5", "15"]),
        ("1.2345", "es", ["1,2345", "12345"]),
    ],
)
def test_a_number_that_fits_neither_reading_is_refused_showing_both(text, lang, readings):
    with pytest.raises(i18n.NotANumber) as caught:
        i18n.normalise_number(text, lang)
    for reading in readings:
        assert reading in str(caught.value)


@pytest.mark.parametrize("text", ["abc", "1..2", "1.23.4", "", "1,,2"])
def test_words_and_broken_groupings_are_not_numbers(text):
    with pytest.raises(i18n.NotANumber):
        i18n.normalise_number(text, "es")


def test_numbers_are_shown_the_language_way_exactly():
    assert i18n.format_number(Decimal("1234.5"), "es") == "1.234,5"
    assert i18n.format_number(1234, "en") == "1,234"
    assert i18n.format_number("0.125", "es") == "0,125"


# ----------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    "text, lang, ms",
    [
        ("2 h", "es", 7_200_000),
        ("30 min", "es", 1_800_000),
        ("1 día", "es", 86_400_000),
        ("2 dias", "es", 172_800_000),
        ("1 hora 30 minutos", "es", 5_400_000),
        ("45m", "es", 2_700_000),
        ("2 hours", "en", 7_200_000),
        ("1h30m", "en", 5_400_000),
        ("90 s", "en", 90_000),
    ],
)
def test_durations_accept_the_language_words(text, lang, ms):
    assert i18n.duration_ms(text, lang) == ms


@pytest.mark.parametrize("text", ["", "2", "h", "2 lunas", "2 h extra"])
def test_what_is_not_a_duration_is_none(text):
    assert i18n.duration_ms(text, "es") is None


def test_spanish_duration_words_are_not_english():
    assert i18n.duration_ms("1 día", "en") is None


# ----------------------------------------------------------------------------- the command line


def test_an_unknown_lang_is_exit_2_naming_the_languages(run_cli):
    code, _out, err = run_cli("--lang", "fr", "list")
    assert code == 2
    assert err.strip() == "crisisplay: error: --lang: no language 'fr'; available: en (English), es (español)"
    code, _out, err = run_cli("list", "--lang=xx")
    assert code == 2 and "available: en (English), es (español)" in err


def test_lang_is_taken_after_the_command_and_from_the_environment(run_cli):
    assert run_cli("list", "--lang", "es")[0] == 0
    assert run_cli("list", env={"CRISISPLAY_LANG": "es"})[0] == 0
    code, _out, err = run_cli("list", env={"CRISISPLAY_LANG": "klingon"})
    assert code == 2 and "no language 'klingon'" in err


def test_an_unknown_language_in_the_config_is_a_config_error_at_its_line(run_cli, cli_home):
    (cli_home / "config.toml").write_text('responder = "Ana"\nlanguage = "de"\n', encoding="utf-8")
    code, _out, err = run_cli("start", "pricing-error", "--answers", "/nonexistent.yaml")
    assert code == 2
    assert f"{cli_home / 'config.toml'}:2:1: no language 'de'; available: en (English), es (español)" in err
