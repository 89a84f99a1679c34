"""A run in Spanish: the responder's own words for yes/no and numbers, and a Spanish screen.

Answers files read yes/no and numbers in the playbook's `locale` only (a file means the same
on every machine); the terminal reads them in the run's language. English words stay valid
everywhere; YAML numbers in an answers file are read as YAML reads them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from incident_logs import REPO, run_crisisplay
from test_interactive_e2e import CTRL_C, ENTER, ID, Terminal, answers_in, log_of

from crisisplay import engine, i18n
from crisisplay.errors import AnswerError
from crisisplay.playbook.model import ConfirmStep, NumberStep
from crisisplay.run.answers import YamlNumber
from crisisplay.run.scripted import interpret

CONFIRM = ConfirmStep(id="saved", type="confirm", prompt="Saved?")
ORDERS = NumberStep(id="orders", type="number", prompt="How many?")


# ----------------------------------------------------------------------------- yes and no, no terminal


@pytest.mark.parametrize("word", ["sí", "si", "SÍ", "Si", "s", "S", "yes", "y", "true", "Sí"])
def test_a_spanish_playbook_takes_si_and_the_english_words_for_yes(word):
    assert interpret(CONFIRM, word, lang="es") is True


@pytest.mark.parametrize("word", ["no", "NO", "n", "false"])
def test_a_spanish_playbook_takes_no(word):
    assert interpret(CONFIRM, word, lang="es") is False


@pytest.mark.parametrize("word", ["sí", "si", "s"])
def test_an_english_playbook_refuses_si(word):
    with pytest.raises(AnswerError, match="expected yes or no"):
        interpret(CONFIRM, word, lang="en")


# ----------------------------------------------------------------------------- numbers, no terminal


@pytest.mark.parametrize(
    ("written", "lang", "value"),
    [
        ("1.234", "es", 1234),
        ("1.234,5", "es", Decimal("1234.5")),
        ("1,5", "es", Decimal("1.5")),
        ("12", "es", 12),
        ("1,234", "en", 1234),
        ("1.5", "en", Decimal("1.5")),
        ("1.234", "en", Decimal("1.234")),
    ],
)
def test_a_number_written_as_text_is_read_in_the_playbooks_language(written, lang, value):
    answer = interpret(ORDERS, written, lang=lang)
    assert answer == value and type(answer) is type(value)


@pytest.mark.parametrize(("written", "lang", "readings"), [("3.5", "es", ("3,5", "35")), ("1,5", "en", ("1.5", "15"))])
def test_a_number_that_fits_neither_reading_is_refused_with_both(written, lang, readings):
    with pytest.raises(AnswerError) as refused:
        interpret(ORDERS, written, lang=lang)
    message = str(refused.value)
    assert "step 'orders' (number)" in message
    assert all(reading in message for reading in readings), message


def test_a_yaml_number_is_read_as_yaml_reads_it_whatever_the_language():
    assert interpret(ORDERS, YamlNumber("1.234"), lang="es") == Decimal("1.234")
    assert interpret(ORDERS, YamlNumber("12"), lang="es") == 12


def test_the_engine_refuses_a_local_number_with_an_answer_error():
    assert engine.local_number("1.234,5", "orders", "es") == "1234.5"
    with pytest.raises(AnswerError, match=re.escape("orders: '3.5'")):
        engine.local_number("3.5", "orders", "es")


def test_answer_errors_are_in_the_interfaces_language():
    i18n.configure("es")
    try:
        with pytest.raises(AnswerError, match="no encaja; se esperaba sí o no"):
            interpret(CONFIRM, "quizá", lang="es")
    finally:
        i18n.configure(None)


# ----------------------------------------------------------------------------- answers files


def started(home: Path, *args: str):
    done = run_crisisplay(home, "start", *args)
    incident_id = done.stdout.strip()
    path = home / "incidents" / f"{incident_id}.jsonl"
    return done, (log_of(home, incident_id) if incident_id and path.exists() else [])


def test_a_spanish_answers_file_with_si_and_a_spanish_number_runs_to_the_end(tmp_path):
    answers = REPO / "tests" / "data" / "answers" / "error-precio.viral.answers.yaml"
    done, events = started(tmp_path, "error-precio", "--drill", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    answered = answers_in(events)
    assert answered["save-evidence"] is True  # `Sí`
    assert answered["count-orders"] == 1234  # `"1.234"`: the log stores the normalised value
    notified = next(e for e in events if e["type"] == "escalation.notified")
    assert "1234 pedido(s)" in notified["data"]["message"]


def test_a_number_that_fits_neither_reading_pauses_the_run_and_says_both(tmp_path):
    source = (REPO / "examples" / "error-precio.answers.yaml").read_text(encoding="utf-8")
    answers = tmp_path / "bad.answers.yaml"
    answers.write_text(source.replace("count-orders: 3", 'count-orders: "3.5"'), encoding="utf-8")
    done, events = started(tmp_path, "error-precio", "--drill", "--answers", str(answers))
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "3,5" in done.stderr and "35" in done.stderr, done.stderr
    assert "count-orders" in done.stderr
    assert events[-1]["type"] == "incident.paused"
    assert "count-orders" not in answers_in(events)


# ----------------------------------------------------------------------------- the terminal, in Spanish

# The English words of the menus and the header: none of them may reach a Spanish screen.
ENGLISH_UI = (
    "Send as is",
    "Edit the text",
    "Add a note",
    "Change the severity",
    "Skip this step",
    "Pause (resume later)",
    "Reached: they know",
    "Could not reach them",
    "arrow keys",
    "since detection",
    "Severity",
    "Phase ",
    "Yes",
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('responder = "Lucía"\n', encoding="utf-8")
    return home


@pytest.mark.timeout(90)
def test_error_precio_in_a_terminal_speaks_spanish_and_takes_si_and_1234(home):
    term = Terminal(home, "start", "error-precio", "--drill", CRISISPLAY_LANG="es")
    for prompt, typed in (
        ("Tu marca o tienda", "Muebles Norte"),
        ("¿Qué producto se publicó", "Escritorio Nordic"),
        ("¿Qué precio mostraba la tienda?", ""),  # the suggested answer
        ("¿Cuál es el precio correcto?", "449 €"),
        ("Número del pedido anulado", "MA-1"),
        ("Nombre de pila del cliente", "Laura"),
        ("Usuario público del cliente", "@laura"),
        ("¿Dónde se está quejando el cliente", ""),  # the default option
    ):
        term.expect(prompt)
        term.send(typed + ENTER)
    term.expect("¿Cuántos pedidos")
    term.expect(":note :severity :skip :pause")
    term.send("3.5" + ENTER)  # fits neither Spanish reading: refused at the prompt, both shown
    term.expect("3,5")
    term.send("\x15" + "1.234" + ENTER)  # Ctrl-U clears the line; 1.234 is a thousand and more
    term.expect("(flechas, Intro)")
    term.expect("✎ Añadir una nota")
    term.send(ENTER)
    term.expect("Guarda las pruebas")
    term.expect("(s / n, o flechas e Intro)")
    term.send("s")
    term.expect("Avisado: ya lo sabe")
    term.expect("No he podido localizarle")
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = term.screen
    for spanish in ("Gravedad", "desde la detección", "Fase 1/", "Sí", "⏸ Pausar (reanudar después)"):
        assert spanish in screen, spanish
    shown = [word for word in ENGLISH_UI if word in screen]
    assert shown == [], shown
    answered = answers_in(log_of(home, ID.search(screen).group(0)))
    assert answered["count-orders"] == 1234
    assert answered["save-evidence"] is True


# ----------------------------------------------------------------------------- --detected-at


@pytest.mark.parametrize(
    ("typed", "lang", "minutes"),
    [("-2 h", "en", 120), ("-30 min", "en", 30), ("-1 día", "es", 1440), ("-1h30m", "es", 90)],
)
def test_detected_at_takes_a_span_in_the_runs_language(typed, lang, minutes):
    from datetime import UTC, datetime, timedelta

    from crisisplay.run.lifecycle import parse_detected_at

    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    i18n.configure(lang if lang != "en" else None)
    try:
        assert parse_detected_at(typed, now) == now - timedelta(minutes=minutes)
    finally:
        i18n.configure(None)


def test_detected_at_refuses_a_span_in_a_language_not_chosen():
    from datetime import UTC, datetime

    from crisisplay.errors import UsageError
    from crisisplay.run.lifecycle import parse_detected_at

    with pytest.raises(UsageError, match="is not a time"):
        parse_detected_at("-1 día", datetime(2026, 11, 29, 12, 0, tzinfo=UTC))
