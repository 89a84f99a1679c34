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
from test_interactive_e2e import CTRL_C, ENTER, ID, Terminal, answers_in, log_of, loose

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


# The bundled Spanish playbooks no longer have a yes/no step (issue 12 turned error-precio's
# `save-evidence` into an item of its first checklist), so `sí` is checked on this one.
CONFIRM_BOOK = """\
crisisplay: 1
id: pruebas
title: Pruebas
locale: es
phases:
  - id: p
    title: P
    steps:
      - id: save-evidence
        type: confirm
        prompt: ¿Has guardado las capturas?
      - id: tell
        type: escalate
        to: [responsable]
        template: Capturas guardadas.
roles:
  responsable: Tu responsable
"""


def test_a_spanish_answers_file_with_si_and_a_spanish_number_runs_to_the_end(tmp_path):
    answers = REPO / "tests" / "data" / "answers" / "error-precio.viral.answers.yaml"
    done, events = started(tmp_path, "error-precio", "--drill", "--answers", str(answers))
    assert done.returncode == 0, done.stderr
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    answered = answers_in(events)
    assert answered["count-orders"] == 1234  # `"1.234"`: the log stores the normalised value
    notified = next(e for e in events if e["type"] == "escalation.notified" and e["step"] == "escalate-manager")
    assert "1234 pedido(s)" in notified["data"]["message"]
    book = tmp_path / "pruebas.yaml"
    book.write_text(CONFIRM_BOOK, encoding="utf-8")
    si = tmp_path / "si.answers.yaml"
    si.write_text("steps:\n  save-evidence: Sí\n  tell: notified\n", encoding="utf-8")
    done, events = started(tmp_path, str(book), "--drill", "--answers", str(si))
    assert done.returncode == 0, done.stderr
    assert answers_in(events)["save-evidence"] is True  # `Sí`


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
        ("¿Dónde se está quejando el cliente", ""),  # the first option
    ):
        term.expect(prompt)
        term.send(typed + ENTER)
    term.expect("Corta los pedidos al precio erróneo")  # minute one: the checklist comes first
    term.child.expect(loose("(espacio marca, Intro al terminar)"))
    term.send(ENTER)
    term.child.expect(loose("¿Por qué"))
    term.send(ENTER)
    term.expect("¿Se puede seguir comprando al precio erróneo?")
    term.child.expect(loose("Sí: no puedo"))
    term.send(ENTER)
    term.expect("¿Cuántos pedidos")
    term.expect(":note :severity :skip :pause")
    term.send("3.5" + ENTER)  # fits neither Spanish reading: refused at the prompt, both shown
    term.expect("3,5")
    term.send("\x15" + "1.234" + ENTER)  # Ctrl-U clears the line; 1.234 is a thousand and more
    term.expect("(flechas, Intro)")
    term.expect("✎ Añadir una nota")
    term.send(ENTER)  # the other orders: on hold
    term.expect("¿Hasta dónde ha llegado?")
    term.expect("(flechas, Intro)")
    term.send(ENTER)
    term.expect("Sí, ya lo sabe")
    term.expect("No he podido contactar")
    term.send(CTRL_C)
    assert term.finish() == 130
    screen = term.screen
    for spanish in ("Gravedad", "desde la detección", "Fase 1/", "Sí", "⏸ Pausar (reanudar después)"):
        assert spanish in screen, spanish
    shown = [word for word in ENGLISH_UI if word in screen]
    assert shown == [], shown
    answered = answers_in(log_of(home, ID.search(screen).group(0)))
    assert answered["count-orders"] == 1234
    assert answered["other-orders"]["value"] == "on-hold"


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


# ----------------------------------------------------------------------------- --var numbers

ORDERS_BOOK = """\
crisisplay: 1
id: pedidos
title: Pedidos
{locale}inputs:
  orders:
    prompt: ¿Cuántos pedidos?
    type: number
phases:
  - id: p
    title: P
    steps:
      - id: done
        type: message
        prompt: Avisa al equipo
        channel: interno
        template: "{{{{ orders }}}} pedidos"
"""


@pytest.mark.parametrize(
    ("locale", "typed", "logged"),
    [("locale: es\n", "1.234", 1234), ("locale: es\n", "1.234,5", "1234.5"), ("", "1,234", 1234), ("", "1.5", "1.5")],
)
def test_a_var_number_is_read_in_the_runs_language(tmp_path, locale, typed, logged):
    book = tmp_path / "pedidos.yaml"
    book.write_text(ORDERS_BOOK.format(locale=locale), encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text("steps:\n  done: send\n", encoding="utf-8")
    done, events = started(tmp_path, str(book), "--answers", str(answers), "--var", f"orders={typed}")
    assert done.returncode == 0, done.stderr
    value = next(e["data"]["value"] for e in events if e["type"] == "input.set")
    assert value == logged


def test_a_var_number_that_fits_neither_reading_is_refused_before_anything_is_logged(tmp_path):
    book = tmp_path / "pedidos.yaml"
    book.write_text(ORDERS_BOOK.format(locale="locale: es\n"), encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text("steps:\n  done: send\n", encoding="utf-8")
    done = run_crisisplay(
        tmp_path, "start", str(book), "--answers", str(answers), "--var", "orders=3.5", "--responder", "Lucía"
    )
    assert done.returncode == 2, done.stderr
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("crisisplay: error: --var orders"), done.stderr
    assert "3,5" in error and "35" in error
    assert not list(tmp_path.glob("incidents/*.jsonl"))


def test_start_words_a_spanish_playbooks_warnings_in_spanish(tmp_path):
    book = tmp_path / "pedidos.yaml"
    book.write_text(ORDERS_BOOK.format(locale="locale: es\n"), encoding="utf-8")
    answers = tmp_path / "a.yaml"
    answers.write_text("inputs:\n  orders: 3\nsteps:\n  done: send\n", encoding="utf-8")
    done = run_crisisplay(tmp_path, "start", str(book), "--answers", str(answers), "--responder", "Lucía")
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if "CP401" in line)
    assert "[aviso]" in warning or "ningún paso" in warning, warning
    assert "no step escalates" not in done.stderr


# ----------------------------------------------------------------------------- the whole run, in Spanish


def english_interface_words() -> list[str]:
    """The English messages of the interface that read differently in Spanish, from the catalogue
    itself: whole phrases (two words or more, no placeholder), so a Spanish screen can be checked
    for any of them, not only for a list written by hand."""
    from babel.messages.pofile import read_po

    po = REPO / "crisisplay" / "locale" / "es" / "LC_MESSAGES" / "crisisplay.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    words = []
    for message in catalogue:
        english, spanish = message.id, message.string
        if not isinstance(english, str) or not english or english == spanish or "{" in english:
            continue
        if len(english.split()) >= 2 and len(english) >= 8:
            words.append(english.strip())
    return words


def spanish(text: str) -> str:
    with i18n.speaking("es"):
        return i18n._(text)


@pytest.mark.timeout(240)
def test_error_precio_runs_to_the_end_in_a_spanish_terminal_with_no_english_on_screen(home):
    from test_interactive_e2e import DOWN, ESC_ENTER, loose, steps_to_the_end

    from crisisplay.playbook.loader import load_playbook

    pb, _checked = load_playbook(REPO / "playbooks" / "error-precio.yaml")
    check_mentions = next(step for step in pb.steps if step.id == "check-mentions")
    choices = {check_mentions.title: DOWN * 3 + ENTER}  # "se está calmando": on to close-out
    with i18n.speaking("es"):
        yes, no = i18n._("yes|y|true").split("|")[1], i18n._("no|n|false").split("|")[1]
        kinds = {
            "confirm": i18n._("({yes} / {no}, or arrow keys and Enter)").format(yes=yes, no=no),
            "select": i18n._("(arrow keys, Enter)"),
            "info": i18n._("(Enter)"),
            "checklist": i18n._("(space ticks, Enter when done)"),
            "multiline": i18n._("Esc then Enter finishes · or :note :severity :skip :pause"),
            "text": i18n._("Enter · or :note :severity :skip :pause"),
        }
        why_not_done = i18n._("Why are some items not done? (optional, Enter to skip)")
        # The header's phase line, up to the phase's title: a long title wraps the rest of it.
        header = re.escape(i18n._("Phase {phase}/{phases} · {title} · step {step} of {steps}").split("{title}")[0])
        header = header.replace(re.escape("{phase}"), r"(\d)").replace(re.escape("{phases}"), "8")
        reach = re.escape(i18n._("Did you reach {person}?")).replace(re.escape("{person}"), r"[^?]+?")
        closing = i18n._("Post-mortem: {command}").split("{")[0]
    prompts = re.compile("|".join(f"(?P<{kind}>{loose(text)})" for kind, text in kinds.items()))
    another_role = reach + r"(?:\x1b\[[0-9;]*m|\s)*" + loose(kinds["select"][:8])

    args = ["start", "error-precio", "--drill"]
    # The inputs, typed in Spanish; `count-orders` is typed at its prompt as Spain writes it.
    for name, value in {
        "brand": "Muebles Norte",
        "product": "Escritorio Nordic",
        "price_shown": "0 €",
        "correct_price": "449 €",
        "order_ref": "MN-1",
        "customer_name": "Laura",
        "customer_handle": "@laura",
        "platform": "x",
    }.items():
        args += ["--var", f"{name}={value}"]
    term = Terminal(home, *args, CRISISPLAY_LANG="es")
    child = term.child

    def answer(title: str, kind: str) -> None:
        if title in choices:
            child.send(choices[title])
        elif kind == "confirm":
            child.send("s")  # sí, the Spanish key
        elif kind in ("select", "info"):
            child.send(ENTER)
        elif kind == "checklist":
            child.send(ENTER)
            child.expect(loose(why_not_done))
            child.send(ENTER)
        elif kind == "multiline":
            child.send("Escrito en el simulacro" + ESC_ENTER)
        elif title.startswith("Pedidos"):
            child.send("1.234" + ENTER)  # a thousand two hundred and thirty-four, in Spain
        else:
            child.send("mañana a las 12:00" + ENTER)

    titles = steps_to_the_end(
        child, header=header, another_role=another_role, end=loose(closing), prompts=prompts, answer=answer
    )
    assert term.finish() == 0
    screen = term.screen
    events = log_of(home, ID.search(screen).group(0))
    assert events[-1]["type"] == "incident.closed" and events[-1]["data"]["outcome"] == "completed"
    answered = answers_in(events)
    assert answered["count-orders"] == 1234
    assert answered["quiet-check"]["value"] == "quiet"
    assert "Revisa la conversación" in titles and len(titles) == 24, titles  # every step on the calm path
    for shown in ("Gravedad", "desde la detección", "Fase 1/", spanish("Send as is")):
        assert shown in screen, shown
    english = [words for words in english_interface_words() if words in screen]
    assert english == [], english
