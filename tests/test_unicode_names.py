"""Names in the playbook's own language: Unicode severity levels, option values and role names,
compared in NFC wherever they meet (the checker, conditions, answers files, config contacts);
ids that stay ASCII; and the display labels of levels, roles and targets."""

from __future__ import annotations

import io
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml
from incident_logs import opened_events, without_scenario_time
from rich.console import Console

from crisisplay import engine
from crisisplay import events as ev
from crisisplay.config import load_config
from crisisplay.playbook.loader import check_text, from_snapshot
from crisisplay.playbook.render import as_text
from crisisplay.playbook.schema import SHIPPED
from crisisplay.run.header import header

NFD = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731 - `í` as `i` + a combining accent
CRITICA = "crítica"
JURIDICA = "asesoría-jurídica"
assert NFD(CRITICA) != CRITICA and NFD(JURIDICA) != JURIDICA

# A Spanish playbook written with its names in Spanish (no translation: the ids are the words).
SPANISH = f"""\
crisisplay: 1
id: aviso
title: Aviso de prueba
locale: es
severity:
  levels: [baja, media, {CRITICA}]
  initial: baja
targets:
  acknowledged:
    within: 1h
    label: primera respuesta
roles:
  {JURIDICA}: Abogada de consumo
  dirección:
    label: Dirección general
    description: La persona de dirección de guardia
phases:
  - id: deteccion
    title: Detección
    steps:
      - id: alcance
        type: choice
        prompt: ¿Hasta dónde ha llegado?
        options:
          - label: Poco
            value: poco
          - label: Muchísimo
            value: muchísimo
            severity: {CRITICA}
        save_as: alcance
      - id: avisar
        type: escalate
        when: "severity >= '{NFD(CRITICA)}'"
        to: [{JURIDICA}, dirección]
        template: "Gravedad {{{{ severity.label }}}} ({{{{ severity }}}}), alcance {{{{ alcance }}}}."
      - id: tareas
        type: checklist
        prompt: Marca lo hecho
        items:
          - Captura de pantalla guardada
          - Precio corregido en la tienda
      - id: respuesta
        type: text
        prompt: ¿Qué pasó?
        milestone: acknowledged
"""


def checked(text: str):
    return check_text(text, "aviso.yaml")


def codes(text: str) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in checked(text).findings]


# ----------------------------------------------------------------------------- what a name may hold


def test_severity_levels_option_values_and_role_names_may_be_spanish_words():
    result = checked(SPANISH)
    assert result.ok, [str(f) for f in result.findings]
    pb = result.playbook
    assert list(pb.severity.levels) == ["baja", "media", CRITICA]
    assert list(pb.roles) == [JURIDICA, "dirección"]
    assert [o.value for o in pb.step("alcance").options] == ["poco", "muchísimo"]


@pytest.mark.parametrize("level", ["紧急", "גבוה", "गंभीर", "ٹھیک", "nivel_2", "2-alto"])
def test_a_level_in_any_script_without_case_or_with_combining_marks_is_a_name(level):
    result = checked(SPANISH.replace(f"levels: [baja, media, {CRITICA}]", f"levels: [baja, media, {CRITICA}, {level}]"))
    assert result.ok, [str(f) for f in result.findings]


@pytest.mark.parametrize(
    "written, suggestion", [("Crítica", "crítica"), ("asesoría jurídica", "asesoría-jurídica"), ("ÉXITO", "éxito")]
)
def test_a_name_with_capitals_or_spaces_is_refused_with_the_name_it_could_be(written, suggestion):
    found = codes(
        SPANISH.replace(f"  {JURIDICA}: Abogada", f"  {written}: Abogada").replace(
            f"to: [{JURIDICA}, dirección]", "to: [dirección]"
        )
    )
    assert [c for c, _ in found] == ["CP106"], found
    assert f"did you mean '{suggestion}'?" in found[0][1]


def test_a_non_ascii_step_id_is_refused_saying_ids_are_ascii_and_what_may_use_any_letters():
    result = checked(SPANISH.replace("- id: alcance", "- id: evaluación"))
    [finding] = result.findings
    assert (finding.code, finding.line, finding.column) == ("CP106", 21, 13)  # at the id itself
    assert "ids must be ASCII: [a-z0-9-]" in finding.message
    assert "severity levels, option values and role names may use any lowercase letters" in finding.message


def test_a_non_ascii_milestone_or_variable_name_is_refused_as_ascii_only():
    milestone = codes(
        SPANISH.replace("  acknowledged:\n", "  reconocimiento-público:\n").replace(
            "milestone: acknowledged", "milestone: reconocimiento-público"
        )
    )
    assert {c for c, _ in milestone} == {"CP106"}
    assert all("milestone and section names must be ASCII" in m for _, m in milestone)
    variable = codes(
        SPANISH.replace("save_as: alcance", "save_as: alcance_público").replace(
            "alcance {{ alcance }}", "alcance {{ alcance_público }}"
        )
    )
    assert [c for c, _ in variable] == ["CP107"]
    assert "input and save_as names must be ASCII identifiers" in variable[0][1]


def test_the_schema_accepts_unicode_names_and_labels_and_refuses_capitals_and_spaces():
    validator = jsonschema.Draft7Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))
    data = yaml.safe_load(SPANISH)
    assert [e.message for e in validator.iter_errors(data)] == []
    data["severity"]["levels"] = ["baja", {"id": "alta", "label": "Alta"}, "紧急"]
    assert validator.is_valid(data)
    for bad in ("Crítica", "asesoría jurídica", "-baja"):
        assert not validator.is_valid({**data, "severity": {"levels": [bad]}}), bad


# ----------------------------------------------------------------------------- NFC wherever names meet


def test_a_condition_with_a_decomposed_accent_names_the_declared_level():
    # the `when` literal above is written with a combining accent, the level without
    result = checked(SPANISH)
    assert result.ok, [str(f) for f in result.findings]
    assert result.playbook.step("avisar").when == f"severity >= '{CRITICA}'"


def test_two_keys_that_are_the_same_name_once_normalised_are_a_duplicate_key():
    text = SPANISH.replace(
        f"  {JURIDICA}: Abogada de consumo\n", f"  {JURIDICA}: Abogada de consumo\n  {NFD(JURIDICA)}: Otra abogada\n"
    )
    found = [f for f in checked(text).findings if f.code == "CP002"]
    assert len(found) == 1 and found[0].line == 14, [str(f) for f in found]


def _start(tmp_path: Path, answers: str, config: str | None = None, playbook: str = SPANISH):
    """Run the playbook from an answers file with the real CLI; the events of its log."""
    from incident_logs import run_crisisplay

    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    (cwd / "aviso.yaml").write_text(playbook, encoding="utf-8")
    (cwd / "respuestas.yaml").write_text(answers, encoding="utf-8")
    if config is not None:
        (home / "config.toml").write_text(config, encoding="utf-8")
    done = run_crisisplay(home, "start", cwd / "aviso.yaml", "--drill", "--answers", cwd / "respuestas.yaml", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return opened_events(home / "incidents" / f"{done.stdout.strip()}.jsonl"), done


def test_answers_and_config_keys_typed_with_combining_accents_match_the_playbook(tmp_path):
    answers = (
        f"steps:\n  alcance: {NFD('Muchísimo')}\n"
        f"  avisar: {{{NFD(JURIDICA)}: notified, {NFD('dirección')}: unreachable}}\n"
        f"  tareas: [{NFD('Precio corregido en la tienda')}]\n"
        f"  respuesta: {NFD('Se publicó con un precio erróneo')}\n"
    )
    config = f'[contacts."{NFD(JURIDICA)}"]\nname = "Bufete Díaz"\nphone = "+34 600 000 002"\n'
    events, _ = _start(tmp_path, answers, config)
    by_type = lambda kind: [e for e in events if e["type"] == kind]  # noqa: E731
    answered = {e["step"]: e["data"]["answer"] for e in by_type("step.answered")}
    assert answered["alcance"] == {"value": "muchísimo", "label": "Muchísimo"}
    assert by_type("severity.changed")[0]["data"]["to"] == CRITICA
    # the condition (written decomposed) compared the NFC level: the escalation ran
    assert answered["avisar"] == {JURIDICA: "notified", "dirección": "unreachable"}
    notified = by_type("escalation.notified")[0]["data"]
    assert notified["role"] == JURIDICA and notified["contact"]["name"] == "Bufete Díaz"
    assert notified["message"] == f"Gravedad {CRITICA} ({CRITICA}), alcance muchísimo."
    assert answered["tareas"]["done"] == ["Precio corregido en la tienda"]
    # free text is kept exactly as written, combining accents and all
    assert answered["respuesta"] == NFD("Se publicó con un precio erróneo")


def test_config_contact_keys_are_read_in_nfc(tmp_path):
    (tmp_path / "config.toml").write_text(f'[contacts."{NFD(JURIDICA)}"]\nname = "Bufete Díaz"\n', encoding="utf-8")
    config = load_config(tmp_path, cwd=tmp_path)
    assert list(config.contacts) == [JURIDICA]


def test_severity_changed_by_the_responder_matches_a_decomposed_name():
    pb = checked(SPANISH).playbook
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    state = ev.replay(
        engine.start(
            "20260301-090000-aviso-beef",
            pb,
            {},
            drill=True,
            responder="ana",
            organisation=None,
            detected_at=now,
            now=now,
            version="test",
        )
    )
    [change] = engine.change_severity(state, NFD(CRITICA), "la prensa pregunta", now, "ana")
    assert change["data"]["to"] == CRITICA


# ----------------------------------------------------------------------------- labels


LABELLED = """\
crisisplay: 1
id: labelled
title: Labelled
severity:
  levels:
    - id: low
      label: baja
    - high
    - id: critical
      label: crítica
targets:
  acknowledged:
    within: 1h
    label: primera respuesta pública
  resolved: 2d
roles:
  manager: Your line manager
  legal:
    label: Asesoría jurídica
    description: Abogada de consumo
phases:
  - id: only
    title: Only
    steps:
      - id: reach
        type: choice
        prompt: How far?
        options:
          - label: Press
            value: press
            severity: critical
          - label: Calm
            value: calm
      - id: call
        type: escalate
        to: [manager, legal]
        template: "{{ severity.label }} / {{ severity }}"
        milestone: acknowledged
      - id: done
        type: text
        prompt: What happened?
        milestone: resolved
"""


def test_a_label_is_optional_and_without_one_every_form_dumps_as_it_was_written():
    pb = checked(LABELLED).playbook
    data = pb.normalised()
    assert data["severity"]["levels"] == [
        {"id": "low", "label": "baja"},
        "high",
        {"id": "critical", "label": "crítica"},
    ]
    assert data["targets"] == {"acknowledged": {"within": "1h", "label": "primera respuesta pública"}, "resolved": "2d"}
    assert data["roles"] == {
        "manager": "Your line manager",
        "legal": {"label": "Asesoría jurídica", "description": "Abogada de consumo"},
    }
    assert from_snapshot(data).normalised() == data  # the log's snapshot reads back the same
    assert pb.severity.label("critical") == "crítica" and pb.severity.label("high") == "high"
    assert (
        pb.milestone_label("acknowledged") == "primera respuesta pública"
        and pb.milestone_label("resolved") == "resolved"
    )
    assert pb.role_label("legal") == "Asesoría jurídica" and pb.role_label("manager") == "manager"
    assert pb.role_description("legal") == "Abogada de consumo"


@pytest.mark.parametrize(
    "old, new, code, message",
    [
        (
            "  manager: Your line manager",
            "  manager: [a, b]",
            "CP103",
            "expected text (its description) or a mapping with `description:`, not a list",
        ),
        (
            "  acknowledged: 1h",
            "  acknowledged:",
            "CP103",
            "expected text (its duration) or a mapping with `within:`, not an empty value",
        ),
        ("  acknowledged: 1h", "  acknowledged: yes", "CP008", "YAML reads yes as true; quote it"),
        (
            "  acknowledged: 1h",
            "  acknowledged: {label: Primera}",
            "CP102",
            "missing required key 'within' of a target",
        ),
        (
            "  manager: Your line manager",
            "  manager: {lable: Jefe}",
            "CP101",
            "unknown key 'lable' of a role; did you mean 'label'?",
        ),
        (
            "levels: [low, medium, high]",
            "levels: [low, {idd: medium}, high]",
            "CP101",
            "of a severity level; did you mean 'id'?",
        ),
    ],
)
def test_a_mis_written_level_role_or_target_says_which_forms_it_takes(minimal_playbook, old, new, code, message):
    found = [(f.code, f.message) for f in checked(minimal_playbook.replace(old, new)).findings]
    assert any(c == code and message in m for c, m in found), found


def test_an_old_playbook_without_labels_normalises_exactly_as_before(minimal_playbook):
    data = checked(minimal_playbook).playbook.normalised()
    assert data["severity"] == {"levels": ["low", "medium", "high"], "initial": "low"}
    assert data["targets"] == {"acknowledged": "1h", "resolved": "2d"}
    assert data["roles"] == {"manager": "Your line manager"}


def test_conditions_compare_ids_and_a_label_used_as_a_level_is_pointed_at_its_id():
    found = codes(LABELLED.replace("severity: critical", "severity: crítica"))
    assert [c for c, _ in found] == ["CP205"]
    assert "'crítica' is the label of level 'critical'" in found[0][1]


def test_show_header_progress_lines_and_templates_use_the_labels():
    pb = checked(LABELLED).playbook
    shown = as_text(pb)
    assert "severity: baja (low) < high < crítica (critical) (starts at baja (low))" in shown
    assert "primera respuesta pública (acknowledged) within 1h" in shown
    assert "Asesoría jurídica (legal): Abogada de consumo" in shown and "manager (Your line manager)" in shown
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    state = ev.replay(
        engine.start(
            "20260301-090000-labelled-beef",
            pb,
            {},
            drill=True,
            responder="ana",
            organisation=None,
            detected_at=now,
            now=now,
            version="test",
        )
    )
    events, _ = engine.advance(state, now, "ana")
    for event in events + engine.decide(state, "reach", "press", now, "ana"):
        ev.apply(state, event)
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(header(state, now, "call"))
    screen = console.file.getvalue()
    assert "Severity CRÍTICA" in screen and "primera respuesta pública: 1h left" in screen
    assert engine.render(state, "call", now).text == "crítica / critical"
    from crisisplay.narrative import describe

    decided = engine.decide(state, "call", {"manager": "notified", "legal": "unreachable"}, now, "ana")
    lines = [describe(e, pb) for e in decided]
    assert "call: your line manager notified, Asesoría jurídica unreachable" in lines  # people, not ids
    assert "Asesoría jurídica: unreachable" in lines
    assert any(line.startswith("milestone primera respuesta pública after") for line in lines)


def test_the_default_escalation_text_names_the_severity_by_its_label():
    pb = checked(LABELLED.replace('        template: "{{ severity.label }} / {{ severity }}"\n', "")).playbook
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    state = ev.replay(
        engine.start(
            "20260301-090000-labelled-beef",
            pb,
            {},
            drill=True,
            responder="ana",
            organisation=None,
            detected_at=now,
            now=now,
            version="test",
        )
    )
    assert engine.render(state, "call", now).text.endswith("severity baja.")


def test_the_markdown_and_html_reports_show_labels_and_the_json_export_keeps_ids(tmp_path):
    from incident_logs import run_crisisplay

    playbook = tmp_path / "labelled.yaml"
    playbook.write_text(LABELLED, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "steps:\n  reach: press\n  call: {manager: notified, legal: unreachable}\n  done: Fine.\n", encoding="utf-8"
    )
    home = tmp_path / "home"
    home.mkdir()
    done = run_crisisplay(home, "start", playbook, "--drill", "--answers", answers)
    assert done.returncode == 0, done.stderr
    incident = done.stdout.strip()
    md = run_crisisplay(home, "export", incident, "--format", "md").stdout
    assert "| Final severity | crítica (started baja, 1 change(s)) |" in md
    assert "| primera respuesta pública | 1h |" in md
    assert "| baja | crítica |" in md  # severity over time
    assert "Abogada de consumo (Asesoría jurídica)" in md
    html = run_crisisplay(home, "export", incident, "--format", "html").stdout
    assert "primera respuesta pública" in html and "Asesoría jurídica" in html
    data = json.loads(run_crisisplay(home, "export", incident, "--format", "json").stdout)
    assert data["metrics"]["severity"]["final"] == "critical"
    assert {t["name"] for t in data["metrics"]["targets"]} == {"acknowledged", "resolved"}


def test_the_terminal_names_a_labelled_role_by_its_label(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from crisisplay.config import Config
    from crisisplay.run.lifecycle import StartRequest, start_incident
    from crisisplay.run.terminal import Prompter, TerminalFrontend

    pb = checked(LABELLED).playbook
    book = tmp_path / "labelled.yaml"
    book.write_text(LABELLED, encoding="utf-8")
    screen = io.StringIO()
    down, enter = "\x1b[B", "\r"
    keys = enter + enter + down + enter + "All good\r"  # press; manager reached; legal not; text

    def frontend(pipe):
        console = Console(file=screen, width=80, color_system=None, highlight=False)
        return TerminalFrontend(console, Prompter(pipe, DummyOutput()), clipboard=lambda text: False)

    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        outcome = start_incident(
            StartRequest(pb, book, responder="Alice"),
            Config(),
            tmp_path / "home",
            lambda overrides: frontend(pipe),
            lambda incident_id: None,
        )
    assert outcome.finished
    text = screen.getvalue()
    assert "Asesoría jurídica: Abogada de consumo (no contact configured" in text
    assert "⚠ Asesoría jurídica unreachable" in text


# ----------------------------------------------------------------------------- any text survives


MIXED = "Ñandú, cafe\u0301 — مرحبا بالعالم — שלום עולם — 你好，世界 — Ελληνικά — 👩🏽‍💻🙏🇪🇸 — Zürich"


def test_mixed_scripts_combining_characters_rtl_and_emoji_in_answers_survive_the_log_and_every_export(tmp_path):
    from incident_logs import REPO, run_crisisplay

    answers = yaml.safe_load((REPO / "examples" / "error-precio.answers.yaml").read_text(encoding="utf-8"))
    answers["inputs"]["customer_name"] = "Zoë (李娜) e\u0301"
    answers["steps"]["private-message"] = {"text": MIXED}
    answers["steps"]["pm-summary"] = MIXED
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True, sort_keys=False), encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    done = run_crisisplay(home, "start", "error-precio", "--drill", "--answers", path)
    assert done.returncode == 0, done.stderr
    incident = done.stdout.strip()
    assert run_crisisplay(home, "note", incident, MIXED).returncode == 0
    events = opened_events(home / "incidents" / f"{incident}.jsonl")
    logged = [
        without_scenario_time(e["data"])
        for e in events
        if e["type"] in ("message.sent", "step.answered", "note.added", "input.set")
    ]
    assert {"name": "customer_name", "value": "Zoë (李娜) e\u0301"} in logged
    assert sum(MIXED in json.dumps(d, ensure_ascii=False) for d in logged) == 3  # message, answer, note
    assert (
        any(d.get("text") == MIXED for d in logged) and {"phase": "post-mortem", "visit": 1, "answer": MIXED} in logged
    )
    for fmt in ("md", "html", "json", "csv"):
        exported = run_crisisplay(home, "export", incident, "--format", fmt)
        assert exported.returncode == 0, exported.stderr
        text = exported.stdout if fmt != "json" else json.dumps(json.loads(exported.stdout), ensure_ascii=False)
        assert MIXED in text, fmt  # byte for byte: not normalised, not escaped, not reordered
        assert "Zoë (李娜) e\u0301" in text, fmt
