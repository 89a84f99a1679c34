"""The last English words in a Spanish interface: `show`'s tree, the lint rules' summaries and
their messages, the sandbox's refusals, `verify`'s reasons, how a run ends, and Click's own
messages. Each is Spanish under --lang es, the same in English as before, and what is data
(the log, `-f json`) stays English in every language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from incident_logs import without_scenario_time

from crisisplay import i18n
from crisisplay.errors import PlaybookError
from crisisplay.templates import evaluate_condition, render_template
from tests.conftest import MINIMAL_ANSWERS, MINIMAL_PLAYBOOK

# ----------------------------------------------------------------------------- show


# The words `show` writes around the playbook's own text, in English.
SHOW_WORDS = (
    "severity:",
    "starts at",
    "targets:",
    " within ",
    "inputs:",
    "Phase ",
    "saves ",
)  # "roles:" is Spanish too
SHOW_NOTES = ("milestone ", "only when ", "severity →", "then →", " on ")


def test_show_speaks_spanish_around_the_playbooks_words(run_cli):
    code, out, err = run_cli("--lang", "es", "show", "error-precio")
    assert code == 0, err
    assert "  gravedad: baja (low) < media (medium) < alta (high) < crítica (critical) (empieza en baja (low))" in out
    assert "  objetivos: aviso a tu responsable (escalated) en 30m como máximo · " in out
    assert "  roles: Responsable (manager): " in out and "  datos:\n" in out
    assert "Fase 1/8 · Corta los pedidos (el primer minuto) (containment)" in out
    assert "      guarda wrong_price_orders" in out
    assert "· gravedad → crítica (critical)" in out  # the level's label, as on the severity line
    assert "hito aviso a tu responsable (escalated) (en 30m como máximo)" in out
    assert "solo si severity >= 'high'" in out and "después → price-status" in out
    # Type keywords are the format's words (what `type:` takes), the same in every language.
    assert "[escalate → Responsable]" in out and "[number]" in out and "[message en " in out
    # A choice input lists its values: the playbook's ids, which an answers file gives.
    assert "platform (choice: x, facebook, instagram, elsewhere)" in out
    for word in SHOW_WORDS + SHOW_NOTES:
        assert word not in out, word


def test_show_in_english_keeps_its_words(run_cli):
    code, out, _err = run_cli("--lang", "en", "show", "pricing-error")
    assert code == 0
    assert re.search(r"^  severity: low < medium < high < critical \(starts at low\)$", out, re.M)
    assert "  targets: escalated within 30m · " in out and "  inputs:\n" in out
    assert "Phase 1/8 · " in out and "saves reach" in out and "· severity → critical" in out
    assert "milestone escalated (within 30m)" in out and "only when severity >= 'high'" in out


@pytest.mark.parametrize("playbook", ["error-precio", "pricing-error"])
def test_show_json_is_the_same_in_every_language(run_cli, playbook):
    english = run_cli("--lang", "en", "show", playbook, "-f", "json")
    spanish = run_cli("--lang", "es", "show", playbook, "-f", "json")
    assert english[0] == spanish[0] == 0
    assert english[1] == spanish[1]
    json.loads(english[1])


# ----------------------------------------------------------------------------- lint


def test_the_rules_are_listed_with_spanish_summaries_and_their_own_codes_and_names(run_cli):
    code_en, out_en, _ = run_cli("--lang", "en", "lint", "--list-rules")
    code_es, out_es, _ = run_cli("--lang", "es", "lint", "--list-rules")
    assert code_en == code_es == 0
    # columns as wide as the longest rule name
    assert re.search(r"^CP001  yaml-syntax +error    El archivo no es YAML válido\.$", out_es, re.M)
    assert re.search(r"^CP001  yaml-syntax +error    The file is not valid YAML\.$", out_en, re.M)
    assert [line.split()[:3] for line in out_es.splitlines()] == [line.split()[:3] for line in out_en.splitlines()]
    assert "The file is not valid YAML" not in out_es and "does not exist" not in out_es

    rules = json.loads(run_cli("--lang", "es", "lint", "--list-rules", "-f", "json")[1])["rules"]
    cp201 = next(r for r in rules if r["id"] == "CP201")
    assert cp201["name"] == "dangling-next" and cp201["level"] == "error"
    assert cp201["summary"] == "Un `next` nombra un paso que no existe."


def test_sarif_describes_the_rules_in_spanish(run_cli, cli_cwd):
    (cli_cwd / "ok.yaml").write_text(MINIMAL_PLAYBOOK.replace("id: minimal", "id: ok"), encoding="utf-8")
    code, out, _err = run_cli("--lang", "es", "lint", "ok.yaml", "-f", "sarif")
    assert code == 0
    rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
    cp201 = next(r for r in rules if r["id"] == "CP201")
    assert cp201["name"] == "dangling-next"
    assert cp201["shortDescription"]["text"] == "Un `next` nombra un paso que no existe."


def _translation(cli_cwd: Path, old: str, new: str) -> None:
    text = (Path(__file__).resolve().parents[1] / "playbooks" / "error-precio.yaml").read_text(encoding="utf-8")
    assert old in text
    (cli_cwd / "error-precio.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")


def test_translation_drift_is_reported_in_spanish(run_cli, cli_cwd):
    _translation(cli_cwd, "  initial: low", "  initial: medium")
    code, out, _err = run_cli("--lang", "es", "lint", "error-precio.yaml")
    assert code == 0  # a warning
    assert ("CP601 [warning] la gravedad empieza en 'medium' aquí pero en 'low' en el original 'pricing-error'") in out
    code, out, _err = run_cli("--lang", "en", "lint", "error-precio.yaml")
    assert "CP601 [warning] severity starts at 'medium' here but at 'low' in the original 'pricing-error'" in out


def test_a_changed_step_type_is_reported_in_spanish(run_cli, cli_cwd):
    _translation(
        cli_cwd,
        "    prompt: Número del pedido anulado del cliente\n    type: text",
        "    prompt: Número\n    type: number",
    )
    code, out, _err = run_cli("--lang", "es", "lint", "error-precio.yaml")
    assert code == 0  # a warning
    assert "el dato 'order_ref' es de tipo number aquí pero de tipo text en el original 'pricing-error'" in out
    assert " input " not in out and "the original" not in out


def test_an_unused_noqa_is_reported_in_spanish(run_cli, cli_cwd):
    text = MINIMAL_PLAYBOOK.replace("id: minimal", "id: noqa").replace(
        "title: Detection\n", "title: Detection  # crisisplay: noqa CP405\n"
    )
    (cli_cwd / "noqa.yaml").write_text(text, encoding="utf-8")
    code, out, _err = run_cli("--lang", "es", "lint", "noqa.yaml")
    assert code == 0  # a warning
    assert "CP501 [warning] noqa sin uso: CP405 no se notifica en la línea 18; quítalo" in out
    assert "unused noqa" not in out and "remove it" not in out


def test_a_lint_configuration_error_is_spanish(run_cli, cli_cwd):
    (cli_cwd / "crisisplay.toml").write_text('[lint]\nignore = ["CP999"]\n', encoding="utf-8")
    (cli_cwd / "ok.yaml").write_text(MINIMAL_PLAYBOOK.replace("id: minimal", "id: ok"), encoding="utf-8")
    code, _out, err = run_cli("--lang", "es", "lint", "ok.yaml")
    assert code == 2
    assert "'CP999' no nombra ninguna regla" in err and "se esperaba un código como CP305" in err
    assert "names no rule" not in err


def test_a_missing_path_is_reported_in_spanish(run_cli):
    code, out, err = run_cli("--lang", "es", "lint", "nowhere.yaml")
    assert code == 2
    assert "nowhere.yaml: no existe ese archivo ni esa carpeta" in out + err


# ----------------------------------------------------------------------------- the sandbox


@pytest.fixture
def spanish():
    i18n.configure("es")
    yield
    i18n.configure()


def test_the_sandbox_refuses_in_spanish(spanish):
    with pytest.raises(PlaybookError) as refused:
        render_template("{{ ''.__class__ }}", {})
    assert str(refused.value) == "el entorno aislado rechazó una plantilla: la plantilla usa __class__"
    with pytest.raises(PlaybookError) as refused:
        render_template("{{ 'x' * 100000000 }}", {})
    assert str(refused.value).startswith("el entorno aislado rechazó una plantilla: una repetición ocuparía unos ")
    assert "por encima del límite de" in str(refused.value)
    with pytest.raises(PlaybookError) as refused:
        evaluate_condition("2 ** 100000 > 1", {})
    assert str(refused.value) == (
        "el entorno aislado rechazó una condición: una potencia con exponente 100000 es demasiado grande"
    )


def test_the_sandbox_refuses_in_english_as_before():
    with pytest.raises(PlaybookError) as refused:
        render_template("{{ ''.__class__ }}", {})
    assert str(refused.value) == "the sandbox refused a template: the template uses __class__"
    with pytest.raises(PlaybookError) as refused:
        render_template("{{ 'x' * 100000000 }}", {})
    assert str(refused.value).startswith("the sandbox refused a template: a repetition would be about ")


# ----------------------------------------------------------------------------- a run, verify


@pytest.fixture
def finished(run_cli, cli_cwd, cli_home):
    """An incident of the minimal playbook run to its end in Spanish: (id, its log, stdout, stderr)."""
    (cli_cwd / "minimal.yaml").write_text(MINIMAL_PLAYBOOK, encoding="utf-8")
    (cli_cwd / "answers.yaml").write_text(MINIMAL_ANSWERS, encoding="utf-8")
    code, out, err = run_cli("--lang", "es", "start", "minimal.yaml", "--answers", "answers.yaml", "--drill")
    assert code == 0, err
    incident = out.strip().splitlines()[0]
    return incident, cli_home / "incidents" / f"{incident}.jsonl", out, err


def test_a_spanish_run_ends_in_spanish_and_its_log_stays_english(finished):
    incident, log, out, err = finished
    shown = out + err
    assert "cerrado: completado (el playbook llegó a su final)" in shown
    assert f"Incidente {incident} cerrado: completado." in shown
    assert "when: severity >= 'medium' es falso" in shown  # the engine's reason for a skipped step
    for english in ("completed", "the playbook reached its end", "is false"):
        assert english not in shown, english
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert without_scenario_time(events[-1]["data"]) == {
        "outcome": "completed",
        "reason": "the playbook reached its end",
    }
    assert any(e["data"].get("reason") == "when: severity >= 'medium' is false" for e in events)


def test_the_report_and_the_incidents_table_say_the_outcome_in_spanish(run_cli, finished):
    incident = finished[0]
    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "md")
    assert code == 0
    assert "cerrado (completado)" in out and "cerrado: completado (el playbook llegó a su final)" in out
    assert "completed" not in out and "reached its end" not in out
    code, out, _err = run_cli("--lang", "en", "export", incident, "-f", "md")
    assert "closed: completed (the playbook reached its end)" in out
    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "json")
    assert '"the playbook reached its end"' in out and '"completed"' in out  # data for other tools


def test_a_typed_close_reason_is_shown_as_typed(run_cli, cli_cwd):
    (cli_cwd / "minimal.yaml").write_text(MINIMAL_PLAYBOOK, encoding="utf-8")
    code, out, _err = run_cli("--lang", "es", "start", "minimal.yaml", "--answers", "/dev/null", "--drill")
    assert code == 3  # no answers: paused at once
    incident = out.strip().splitlines()[0]
    assert run_cli("close", incident, "--reason", "falsa alarma")[0] == 0
    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "md")
    assert "cerrado (cerrado: falsa alarma)" in out
    code, _out, err = run_cli("--lang", "es", "resume", incident)
    assert code == 2 and f"el incidente {incident} está cerrado (falsa alarma)" in err


def test_a_pause_reason_is_said_in_spanish(run_cli, cli_cwd):
    (cli_cwd / "minimal.yaml").write_text(MINIMAL_PLAYBOOK, encoding="utf-8")
    code, _out, err = run_cli("--lang", "es", "start", "minimal.yaml", "--answers", "/dev/null", "--drill")
    assert code == 3
    assert "en pausa (se acabaron las respuestas). Todo lo respondido" in err and "answers-ran-out" not in err


def _delete_line(log: Path, number: int) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    del lines[number - 1]
    log.write_bytes(b"".join(lines))


def test_verify_says_what_broke_in_spanish_and_its_json_stays_english(run_cli, finished):
    incident, log, _out, _err = finished
    _delete_line(log, 5)
    code, out, _err = run_cli("--lang", "es", "verify", incident)
    assert code == 1
    assert out.startswith("roto: ") and ":5: borrado: falta 1 evento (seq 4) antes de esta línea\n" in out
    assert "deleted" not in out and "missing before" not in out

    code, out, _err = run_cli("--lang", "es", "verify", incident, "-f", "json")
    assert code == 1
    body = json.loads(out)
    assert body["problem"] == "deleted"
    assert body["message"].endswith(":5: deleted: 1 event (seq 4) missing before this line")

    code, _out, err = run_cli("--lang", "es", "export", incident, "-f", "md")
    assert code != 0
    assert "borrado: falta 1 evento (seq 4) antes de esta línea; no se exporta" in err

    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "json", "--force")
    assert code == 0
    verification = json.loads(out)["verification"]
    assert verification["problem"]["reason"] == "deleted: 1 event (seq 4) missing before this line"


def test_a_misnamed_log_is_explained_in_spanish(run_cli, finished):
    incident, log, _out, _err = finished
    other = log.with_name("20200101-000000-minimal-abcd.jsonl")
    other.write_bytes(log.read_bytes())
    code, out, _err = run_cli("--lang", "es", "verify", "20200101-000000-minimal-abcd")
    assert code == 1
    assert f"el registro contiene el incidente '{incident}' pero su archivo se llama" in out


# ----------------------------------------------------------------------------- Click's own messages


@pytest.mark.parametrize(
    "args, spanish, english",
    [
        (["show"], "falta el argumento 'PLAYBOOK'", "missing argument 'PLAYBOOK'"),
        (["show", "a", "b"], "sobra(n) argumento(s) (b)", "got unexpected extra argument(s) (b)"),
        (["show", "--zzz", "x"], "no existe la opción --zzz", "no such option: --zzz"),
        (
            ["show", "-f", "foo", "x"],
            "valor no válido para '-f' / '--format': 'foo' no es ninguno de 'text', 'mermaid', 'json'",
            "invalid value for '-f' / '--format': 'foo' is not one of 'text', 'mermaid', 'json'",
        ),
        (["show", "-f"], "la opción '-f' necesita un argumento", "option '-f' requires an argument"),
        (["incidents", "--open=3"], "la opción '--open' no lleva valor", "option '--open' does not take a value"),
    ],
)
def test_clicks_messages_are_spanish(run_cli, args, spanish, english):
    code, _out, err = run_cli("--lang", "es", *args)
    assert code == 2
    first, hint = err.splitlines()[:2]
    assert first == f"crisisplay: error: {spanish}"
    assert hint.startswith("Prueba '") and hint.endswith("' para ver la ayuda.")
    code, _out, err = run_cli("--lang", "en", *args)
    # English is Click's own wording, which changed with its versions ("argument" became "argument(s)").
    assert err.splitlines()[0].replace("(s)", "") == f"crisisplay: error: {english}".replace("(s)", "")


def test_the_usage_line_and_the_defaults_in_help_are_spanish(run_cli):
    code, out, _err = run_cli("--lang", "es", "show", "--help")
    assert code == 0
    assert "Uso: crisisplay show [OPCIONES] PLAYBOOK" in out and "[por defecto: text]" in out
    assert "Usage:" not in out and "[OPTIONS]" not in out and "default:" not in out
    code, out, _err = run_cli("--lang", "es", "--help")
    assert "Uso: crisisplay [OPCIONES] COMANDO [ARGS]..." in out
    code, out, _err = run_cli("--lang", "en", "show", "--help")
    assert "Usage: crisisplay show [OPTIONS] PLAYBOOK" in out and "[default: text]" in out


def test_what_to_give_in_help_is_spanish_too(run_cli):
    code, out, _err = run_cli("--lang", "es", "start", "--help")
    assert code == 0
    for spanish in (
        ("--answers", "ARCHIVO"),
        ("--responder", "NOMBRE"),
        ("--var", "CLAVE=VALOR"),
        ("--detected-at", "HORA"),
    ):
        assert re.search(rf"{spanish[0]} +{spanish[1]} ", out), spanish
    assert not re.search(r"\b(FILE|NAME|KEY=VALUE|TIME)\b", out)
    code, out, _err = run_cli("--lang", "es", "note", "--help")
    assert "[OPCIONES] INCIDENTE TEXTO|-" in out
    code, out, _err = run_cli("--lang", "en", "start", "--help")
    assert re.search(r"--answers +FILE ", out) and re.search(r"--var +KEY=VALUE ", out)


# ----------------------------------------------------------------------------- an escalation's question


def test_the_escalation_question_is_spanish(spanish):
    from crisisplay.playbook.loader import check_file
    from crisisplay.playbook.roles import reach_question

    pb = check_file(Path(__file__).resolve().parents[1] / "playbooks" / "error-precio.yaml").playbook
    assert pb is not None
    assert reach_question(pb, "legal") == "¿Has podido contactar con Asesoría jurídica?"
    assert reach_question(pb, "legal", "Bufete Díaz") == "¿Has podido contactar con Bufete Díaz (Asesoría jurídica)?"


# Whom each question names, as the role's description says it in a sentence (bundled playbooks).
NAMED_IN_A_SENTENCE = {
    "error-precio manager": "tu responsable directo",
    "error-precio pr": "la persona experta en redes sociales o comunicación",
    "error-precio executive": "la persona de dirección de guardia",
    "brecha-datos dpo": "el delegado de protección de datos",
    "brecha-datos security": "quien lleva nuestra seguridad informática",
}


@pytest.mark.parametrize("where", NAMED_IN_A_SENTENCE)
def test_a_labelled_role_is_asked_about_as_its_description_names_it_in_a_sentence(spanish, where):
    """`Responsable` mid-sentence reads as a name; its description says "Tu responsable directo"."""
    from crisisplay.playbook.loader import check_file
    from crisisplay.playbook.roles import reach_question, role_label

    book, role = where.split()
    pb = check_file(Path(__file__).resolve().parents[1] / "playbooks" / f"{book}.yaml").playbook
    assert pb is not None
    assert reach_question(pb, role) == f"¿Has podido contactar con {NAMED_IN_A_SENTENCE[where]}?"
    assert role_label(pb, role)[0].isupper()  # menus and lists keep the label as written


def test_a_label_its_description_does_not_name_stays_as_written(spanish):
    from crisisplay.playbook.loader import check_text
    from crisisplay.playbook.roles import reach_question

    book = APPROVAL_BOOK.replace(
        "  legal: Asesoría jurídica\n",
        "  legal:\n    label: Bufete Díaz\n    description: El despacho que nos asesora\n",
    )
    pb = check_text(book).playbook
    assert pb is not None
    assert reach_question(pb, "legal") == "¿Has podido contactar con Bufete Díaz?"


def test_a_role_described_as_whoever_does_it_takes_no_article():
    from crisisplay.playbook.loader import check_file
    from crisisplay.playbook.roles import reach_question

    pb = check_file(Path(__file__).resolve().parents[1] / "playbooks" / "data-breach.yaml").playbook
    assert pb is not None
    assert reach_question(pb, "security") == "Did you reach whoever runs our IT security?"


def test_the_mermaid_flowchart_says_its_own_words_in_spanish(run_cli):
    code, out, _err = run_cli("--lang", "es", "show", "error-precio", "-f", "mermaid")
    assert code == 0
    assert "  start((inicio))\n  finish((fin))\n" in out and "-.->|se salta salvo si severity #gt;= 'high'|" in out
    code, out, _err = run_cli("--lang", "en", "show", "pricing-error", "-f", "mermaid")
    assert "  start((start))\n  finish((end))\n" in out and "-.->|skipped unless severity #gt;= 'high'|" in out


# ----------------------------------------------------------------------------- questionary's own hints

APPROVAL_BOOK = """\
crisisplay: 1
id: apology
title: Disculpa
severity:
  levels: [low, medium, high]
  initial: low
roles:
  manager: Tu responsable directo
  legal: Asesoría jurídica
phases:
  - id: respond
    title: Responde
    steps:
      - id: apology
        type: message
        channel: twitter
        template: Sentimos el error de precio.
        approval:
          by: [manager, legal]
          need: all
      - id: what-happened
        type: text
        prompt: ¿Qué pasó?
"""


def _terminal_run(tmp_path: Path, book: str, keys: str, edit: str | None = None) -> str:
    """Run `book` in the terminal front end in-process with `keys` (or only edit the text `edit`); what it printed."""
    import io

    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console

    from crisisplay.config import Config
    from crisisplay.playbook.loader import check_text
    from crisisplay.run.lifecycle import StartRequest, start_incident
    from crisisplay.run.terminal import Prompter, TerminalFrontend

    checked = check_text(book)
    assert checked.ok and checked.playbook is not None, [str(f) for f in checked.findings]
    path = tmp_path / "book.yaml"
    path.write_text(book, encoding="utf-8")
    printed = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        frontend = TerminalFrontend(
            Console(file=printed, width=100, color_system=None),
            Prompter(pipe, DummyOutput()),
            contacts={},
            clipboard=lambda text: False,
        )
        if edit is not None:
            return frontend._edit(edit)
        start_incident(
            StartRequest(checked.playbook, path, responder="Ana"),
            Config(),
            tmp_path / "home",
            lambda o: frontend,
            lambda incident: None,
        )
    return printed.getvalue()


@pytest.fixture
def hints(monkeypatch) -> list[tuple[str, str, str | None]]:
    """(kind, question, instruction) of every questionary prompt made: questionary writes its own
    English hint ("(Use arrow keys)", "(Finish with 'Alt+Enter' or 'Esc then Enter')") where it
    is given none of ours. Prompts answered at once from the keys sent are never drawn, so the
    screen cannot tell."""
    import questionary

    made: list[tuple[str, str, str | None]] = []
    for kind in ("select", "text", "checkbox"):
        original = getattr(questionary, kind)

        def making(message, *args, _kind=kind, _original=original, **kwargs):
            if _kind != "text" or kwargs.get("multiline"):
                made.append((_kind, message, kwargs.get("instruction")))
            return _original(message, *args, **kwargs)

        monkeypatch.setattr(questionary, kind, making)
    return made


@pytest.mark.timeout(20)
def test_the_phone_approval_menus_give_our_own_hint_not_questionarys(spanish, tmp_path, hints):
    enter = "\r"
    keys = (
        enter  # Enviar tal cual
        + enter  # Registrar una aprobación dada por teléfono
        + enter  # ¿Qué rol lo aprobó por teléfono? Tu responsable directo
        + "Marta Gil"
        + enter
        + enter  # the legal role's, by phone too: the only role left, no menu
        + "Luis Peña"
        + enter
        + "Nada"
        + enter
    )
    printed = " ".join(_terminal_run(tmp_path, APPROVAL_BOOK, keys).split())
    assert ("select", "¿Qué rol lo aprobó por teléfono?", "(flechas, Intro)") in hints
    assert [made for made in hints if made[2] is None] == []
    # Who approves, as a Spanish list; what to give `--as`, in Spanish words as `--help` says it.
    assert "Necesita la aprobación de tu responsable directo y asesoría jurídica antes de enviarse." in printed
    assert "esperando a tu responsable directo y asesoría jurídica" in printed
    assert " apology --as NOMBRE" in printed and "--as NAME" not in printed


@pytest.mark.timeout(20)
def test_the_editor_in_the_terminal_gives_our_own_hint_only(spanish, tmp_path, hints):
    edited = _terminal_run(tmp_path, APPROVAL_BOOK, " Y lo arreglamos.\x1b\r", edit="Sentimos el error.")
    assert edited == "Sentimos el error. Y lo arreglamos."
    (made,) = hints
    assert made[0] == "text" and made[1].startswith("Edita el mensaje:")
    assert made[2] is not None and "(Esc y luego Intro para terminar)" in made[2]


# ----------------------------------------------------------------------------- the config's mistakes


@pytest.mark.parametrize(
    "contacts, said",
    [
        ('[contacts.Jefe]\nname = "Ana"\n', "'Jefe' no es un nombre de rol"),
        ('[contacts.jefe]\nname = "Ana"\nbackup = "Big Boss"\n', "'Big Boss' no es un nombre de rol"),
    ],
)
def test_a_mistake_in_a_config_that_chooses_spanish_is_said_in_spanish(run_cli, cli_home, contacts, said):
    cli_home.mkdir(parents=True, exist_ok=True)
    (cli_home / "config.toml").write_text('language = "es"\n' + contacts, encoding="utf-8")
    code, _out, err = run_cli("incidents")
    assert code == 2
    assert said in err and "¿querías decir '" in err
    assert "is not a role name" not in err and "did you mean" not in err
    code, _out, err = run_cli("--lang", "es", "incidents")
    assert code == 2 and said in err


# ----------------------------------------------------------------------------- a drill's notices


@pytest.mark.parametrize(
    "lang, book, mark", [("es", "error-precio", "[SIMULACRO] "), ("en", "pricing-error", "[DRILL] ")]
)
def test_a_drills_notices_are_marked_in_the_runs_language(run_cli, cli_home, webhook, lang, book, mark):
    from incident_logs import REPO

    cli_home.mkdir(parents=True, exist_ok=True)
    (cli_home / "config.toml").write_text(
        # The manager's own address is never used in a drill: its notices go to the drill's channel.
        f'responder = "Ana"\n[contacts.manager]\nname = "Marta Ruiz"\nnotify = ["json://127.0.0.1:9/never"]\n'
        f'[drill]\nnotify = ["{webhook.url()}"]\n',
        encoding="utf-8",
    )
    answers = REPO / "examples" / f"{book}.answers.yaml"
    code, _out, err = run_cli("--lang", lang, "start", book, "--answers", answers, "--drill", "--notify", timeout=120)
    assert code == 0, err
    payloads = [request.json() for request in webhook.wait_for(1)]
    assert payloads and all(p["title"].startswith(mark) and p["message"].startswith(mark) for p in payloads)


# ----------------------------------------------------------------------------- roles in words


def test_the_header_and_the_approvals_name_roles_in_words_joined_as_spanish_lists(spanish):
    from test_team import T0, approval_asked, fold, started

    from crisisplay import engine, narrative
    from crisisplay.run.header import roles_line
    from crisisplay.run.team import approval_words

    state = started(by="[manager, legal]")
    fold(state, engine.assign(state, "manager", "Marta Gil", T0, "Ana"))
    assert roles_line(state) == "Ana (responsable del incidente) · Marta Gil (your line manager)"
    approval = approval_asked(state)
    assert approval_words(state, approval) == "esperando a Marta Gil (your line manager) y legal counsel"
    asked = engine.request_approval(started(by="[manager, legal]"), "apology", "Perdón.", T0, "Ana")[0]
    assert narrative.describe(asked, state.playbook) == "apology: aprobación pedida a your line manager y legal counsel"


def test_assign_and_the_report_name_the_role_by_its_label(run_cli, cli_cwd):
    code, out, err = run_cli(
        "--lang", "es", "start", "error-precio", "--answers", "/dev/null", "--drill", "--responder", "Ana Núñez"
    )
    assert code == 3, err
    incident = out.strip().splitlines()[0]
    code, _out, err = run_cli("--lang", "es", "assign", incident, "legal", "Marta Gil", "--responder", "Ana Núñez")
    assert code == 0 and f"Marta Gil es Asesoría jurídica de {incident}" in err
    code, _out, err = run_cli("--lang", "es", "assign", incident, "comms", "Leo", "--responder", "Ana Núñez")
    assert code == 0 and f"Leo es responsable de comunicación de {incident}" in err
    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "md")
    assert "Responsable del incidente: Ana Núñez" in out and "Asesoría jurídica: Marta Gil" in out
    assert "lead:" not in out and "legal:" not in out


def test_an_answers_files_stranger_approver_is_told_who_approve_in_a_spanish_list(spanish):
    from crisisplay.errors import AnswersError
    from crisisplay.playbook.loader import check_text
    from crisisplay.run.answers import parse_answers

    pb = check_text(APPROVAL_BOOK).playbook
    assert pb is not None
    with pytest.raises(AnswersError) as refused:
        parse_answers("steps:\n  apology: {answer: send, approved_by: [pr]}\n", "answers.yaml", pb)
    assert "approved_by: pr no puede aprobar este paso; lo aprueban manager y legal" in str(refused.value)


# ----------------------------------------------------------------------------- severity levels in words


def test_a_severity_is_typed_and_shown_by_its_label(run_cli, cli_cwd):
    code, out, err = run_cli("--lang", "es", "start", "error-precio", "--answers", "/dev/null", "--drill")
    assert code == 3, err
    incident = out.strip().splitlines()[0]
    for typed in ("crítica", "CRITICA", "critical"):
        code, _out, err = run_cli(
            "--lang", "es", "severity", incident, typed, "--reason", "prensa", "--responder", "Ana"
        )
        assert code == 0, err
        assert f"La gravedad de {incident} " in err and " crítica. Hash final" in err and "critical" not in err
    code, _out, err = run_cli("--lang", "es", "severity", incident, "urgente", "--reason", "x", "--responder", "Ana")
    assert code == 2 and "se esperaba 'baja', 'media', 'alta' o 'crítica'" in err


def test_a_scenarios_inject_says_the_level_by_its_label(run_cli):
    drill = Path(__file__).resolve().parents[1] / "crisisplay" / "drills" / "error-precio-fin-de-semana-viral.yaml"
    code, out, err = run_cli("--lang", "es", "show", drill)
    assert code == 0, err
    assert "efectos: gravedad al menos media" in out and "al menos medium" not in out


# ----------------------------------------------------------------------------- counts in Spanish


def test_counts_agree_with_their_number_in_spanish(run_cli, cli_cwd, finished):
    incident = finished[0]
    code, out, _err = run_cli("--lang", "es", "export", incident, "-f", "md")
    assert code == 0
    decisions = next(line for line in out.splitlines() if line.startswith("| Decisiones |"))
    assert re.fullmatch(r"\| Decisiones \| \d+ respondidas?, 1 saltada \|", decisions), decisions
    code, _out, err = run_cli("--lang", "es", "lint", "minimal.yaml")
    assert code == 0 and "ok: 1 archivo revisado, ningún problema" in err and "(s)" not in err
    code, _out, err = run_cli("--lang", "en", "lint", "minimal.yaml")
    assert "ok: 1 file linted, no problems" in err


# ----------------------------------------------------------------------------- Spanish grammar


def test_a_lease_held_elsewhere_says_until_when_in_local_time(spanish, monkeypatch):
    from datetime import UTC, datetime

    from crisisplay.store.base import Lease, busy_elsewhere

    monkeypatch.setenv("TZ", "Europe/Madrid")
    import time

    time.tzset()
    try:
        lease = Lease("Ana", None, "otra-maquina", datetime(2026, 11, 30, 20, 9, 14, 993000, tzinfo=UTC))
        said = busy_elsewhere("20261130-200000-x-abcd", lease)
    finally:
        monkeypatch.undo()  # TZ as it was before the test, set or not
        time.tzset()
    assert "(lo tiene hasta las 21:09)" in said and "2026-11-30T" not in said


def test_an_unknown_checklist_item_expects_items_in_the_plural(spanish):
    from crisisplay import engine
    from crisisplay.errors import AnswerError
    from crisisplay.playbook.loader import check_text

    book = APPROVAL_BOOK.replace(
        "      - id: what-happened",
        "      - id: checks\n        type: checklist\n        prompt: Comprueba\n        items: [precio, stock]\n"
        "      - id: what-happened",
    )
    pb = check_text(book).playbook
    assert pb is not None
    from test_team import T0

    state = engine.start("20261125-214000-apology-0a1b", pb, {"id": pb.id}, drill=True, responder="Ana",
                         organisation=None, detected_at=T0, now=T0, version="test")  # fmt: skip
    from crisisplay import events as ev

    state = ev.replay(state[:1])
    with pytest.raises(AnswerError) as refused:
        engine._answer(state, pb.step("checks"), engine.Checklist(done=["envío"]), T0, "Ana", {})
    assert "'envío' no encaja; se esperaban tareas de la lista: 'precio' o 'stock'" in str(refused.value)


def test_a_percentage_is_written_as_the_language_writes_it(spanish):
    from crisisplay.export.scoring import percent

    assert percent(100) == "100 %" and percent(72.5) == "72,5 %"
    i18n.configure("en")
    assert percent(100) == "100%"
