"""The command line in Spanish: --help, errors, tables and the lines commands print, in the
language chosen by --lang, the playbook's (or the incident's) locale, or LANG."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisplay import cli, i18n

SPANISH_ANSWERS = Path(__file__).resolve().parents[1] / "examples" / "error-precio.answers.yaml"


def test_help_is_spanish_with_lang_es_and_english_with_lang_en(run_cli):
    code, out, _err = run_cli("--lang", "es", "start", "--help")
    assert code == 0
    assert "Inicia un incidente a partir de un playbook" in out  # the command's help
    assert "Responde desde este archivo en lugar de la terminal." in out  # an option's help
    assert "Opciones" in out and "Ejemplos:" in out  # typer's panel and our examples heading
    assert "Start an incident" not in out and "Examples:" not in out

    code, out, _err = run_cli("--lang", "en", "start", "--help")
    assert code == 0
    assert "Start an incident from a playbook" in out
    assert "Answer from this file instead of the terminal." in out
    assert "Options" in out and "Examples:" in out
    assert "Inicia un incidente" not in out


def test_the_overview_is_spanish_too(run_cli):
    code, out, _err = run_cli("--help", env={"CRISISPLAY_LANG": "es"})
    assert code == 0
    assert "Guía a quien responde en una crisis" in out
    assert "Comandos" in out and "Muestra este mensaje y sale." in out


def test_an_unknown_incident_is_reported_in_spanish(run_cli):
    code, _out, err = run_cli("--lang", "es", "verify", "nope")
    assert code == 2
    assert err.startswith("crisisplay: error: no hay ningún incidente 'nope' en ")
    assert "(`crisisplay incidents` los lista)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.fixture
def in_process(monkeypatch, tmp_path):
    """Run `main()` in this process (to see which language it chose), with an empty home and folder."""
    monkeypatch.setenv("CRISISPLAY_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    cli._config.cache_clear()

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as exited:
            cli.main(list(args))
        return exited.value.code

    yield run
    cli._config.cache_clear()
    i18n.configure()


def test_show_takes_spanish_from_the_playbooks_locale(in_process, capsys):
    assert in_process("show", "error-precio") == 0
    assert i18n.language() == "es"  # no --lang, no LANG: the playbook's `locale: es` chose
    assert "error-precio" in capsys.readouterr().out


def test_lang_en_beats_the_playbooks_locale(in_process, monkeypatch):
    assert in_process("--lang", "en", "show", "error-precio") == 0
    assert i18n.language() == "en"


def test_an_english_playbook_stays_english(in_process):
    assert in_process("show", "pricing-error") == 0
    assert i18n.language() == "en"


def test_lang_from_the_environment_chooses_spanish_for_list(run_cli):
    code, out, _err = run_cli("list", env={"LANG": "es_ES.UTF-8"})
    assert code == 0
    assert "título" in out and "origen" in out and "pasos" in out
    assert "incluido" in out  # where error-precio comes from, as the table shows it
    code, out, _err = run_cli("list", "-f", "json", env={"LANG": "es_ES.UTF-8"})
    assert '"source": "bundled"' in out  # JSON is for other tools: it stays as it was


def test_an_incident_speaks_the_language_of_its_playbook(run_cli):
    code, out, err = run_cli("start", "error-precio", "--drill", "--answers", SPANISH_ANSWERS, "--responder", "Ana")
    assert code == 0, err
    assert "Las decisiones se registran a nombre de Ana (--responder)." in err
    assert "Post-mortem: crisisplay export" in err
    incident = out.strip().splitlines()[0]

    code, out, _err = run_cli("verify", incident)  # no --lang: the snapshot's locale in the log
    assert code == 0
    assert out.startswith("ok: ") and "cadena íntegra. Hash final: " in out

    code, out, _err = run_cli("--lang", "en", "verify", incident)
    assert code == 0
    assert "chain intact. Head hash: " in out

    code, _out, err = run_cli("export", incident, "-f", "json", "-o", "report.json")
    assert code == 0
    assert err.startswith(f"Exportado {incident} (")

    code, _out, err = run_cli("resume", incident, "--answers", SPANISH_ANSWERS)
    assert code == 2
    assert f"el incidente {incident} está cerrado" in err


def test_the_incidents_table_is_spanish_but_its_json_is_not(run_cli):
    code, out, err = run_cli("start", "error-precio", "--drill", "--answers", SPANISH_ANSWERS, "--responder", "Ana")
    assert code == 0, err
    code, out, _err = run_cli("--lang", "es", "incidents")
    assert code == 0
    assert "estado" in out and "cerrado" in out and "(simulacro)" in out
    code, out, _err = run_cli("--lang", "es", "incidents", "-f", "json")
    assert '"status": "closed"' in out
