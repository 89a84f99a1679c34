"""Exports in Spanish and in English: the md and html reports are translated, the data is not.

One incident of the Spanish `error-precio` playbook, run by the real CLI from its example
answers, exported in both languages: the headings differ, every message, answer, note and
the head hash are in both, and json and csv (formats for other tools) are the same bytes
whatever the language.
"""

from __future__ import annotations

import html
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANSWERS = REPO / "examples" / "error-precio.answers.yaml"


@pytest.fixture(scope="module")
def incident(tmp_path_factory) -> dict:
    """`error-precio` run to its end from its answers file, in a home of its own; its id and events."""
    import subprocess
    import sys

    home = tmp_path_factory.mktemp("home")
    done = subprocess.run(
        [sys.executable, "-m", "crisisplay", "--home", str(home), "start", "error-precio", "--answers", str(ANSWERS)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=_environment(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    incident_id = done.stdout.strip()
    path = home / "incidents" / f"{incident_id}.jsonl"
    from incident_logs import opened

    events = opened(path, [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()])
    return {"home": home, "id": incident_id, "events": events}


def _environment(**extra: str) -> dict[str, str]:
    import os

    from conftest import LANGUAGE_VARIABLES

    environment = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    environment.update(extra)
    return environment


def export(incident: dict, fmt: str, tmp_path: Path, *lang: str, env: dict[str, str] | None = None) -> bytes:
    """The export of the incident in `fmt`, with `--lang` when given, read back as bytes."""
    import subprocess
    import sys

    out = tmp_path / f"report-{'-'.join(lang) or 'auto'}.{fmt}"
    args = ["--home", str(incident["home"]), *(("--lang", *lang) if lang else ()), "export", incident["id"]]
    done = subprocess.run(
        [sys.executable, "-m", "crisisplay", *args, "--format", fmt, "-o", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        env=_environment(**(env or {})),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def data_of(events: list[dict]) -> dict[str, list[str]]:
    """What the responders wrote and sent: message texts, text answers, notes."""
    found: dict[str, list[str]] = {"messages": [], "answers": [], "notes": []}
    for event in events:
        data = event["data"]
        if event["type"] == "message.sent":
            found["messages"].append(data["text"])
        elif event["type"] == "step.answered" and isinstance(data.get("answer"), str):
            found["answers"].append(data["answer"])
        elif event["type"] == "note.added":
            found["notes"].append(data["text"])
    return found


def test_an_incident_of_a_spanish_playbook_exports_in_spanish_without_lang(incident, tmp_path):
    md = export(incident, "md", tmp_path).decode("utf-8")
    page = export(incident, "html", tmp_path).decode("utf-8")
    assert md.startswith("# Post-mortem: Producto publicado con un precio erróneo\n")
    for heading in ("## Tiempos de respuesta", "## Qué pasó", "## Cronología", "## Mensajes enviados", "## Escalados"):
        assert f"\n{heading}\n" in md
    assert "| Resumen |  |" in md and "| Hito | Plazo | Alcanzado el | Tras | Resultado |" in md
    assert "Response times" not in md and "Summary" not in md
    assert '<html lang="es">' in page
    assert "<h2>Tiempos de respuesta</h2>" in page and "cadena verificada" in page
    assert "Generado por crisisplay solo a partir del registro del incidente" in page
    # Dates in Babel's Spanish format: the month's Spanish abbreviation, no ISO date.
    started = datetime.fromisoformat(incident["events"][0]["data"]["detected_at"].replace("Z", "+00:00"))
    from babel.dates import format_date

    assert format_date(started.astimezone(), "medium", locale="es") in md


def test_the_same_incident_in_spanish_and_in_english_differs_in_words_not_in_data(incident, tmp_path):
    es_md, en_md = (export(incident, "md", tmp_path, *lang).decode("utf-8") for lang in ((), ("en",)))
    es_page, en_page = (export(incident, "html", tmp_path, *lang).decode("utf-8") for lang in (("es",), ("en",)))
    assert "\n## Tiempos de respuesta\n" in es_md and "\n## Response times\n" in en_md
    assert "\n## Response times\n" not in es_md and "\n## Tiempos de respuesta\n" not in en_md
    assert '<html lang="es">' in es_page and '<html lang="en">' in en_page
    assert "<h2>Escalados</h2>" in es_page and "<h2>Escalations</h2>" in en_page

    data = data_of(incident["events"])
    assert data["messages"] and data["answers"]
    head = incident["events"][-1]["hash"]
    for report in (es_md, en_md, es_page, en_page):
        assert head in report
    for text in data["messages"]:
        assert text in es_md and text in en_md  # fenced exactly as sent
        assert html.escape(text) in es_page and html.escape(text) in en_page
    for text in data["answers"] + data["notes"]:
        # Text answers and notes are in full in the html (the post-mortem section, the notes);
        # whichever are shown, they are shown in both languages alike.
        assert (html.escape(text.strip()) in es_page) == (html.escape(text.strip()) in en_page), text
    post_mortem = [
        e["data"]["answer"]
        for e in incident["events"]
        if e["type"] == "step.answered" and (e["step"] or "").startswith("pm-") and isinstance(e["data"]["answer"], str)
    ]
    assert post_mortem
    for answer in post_mortem:  # line by line: the action items are listed one a line
        for line in filter(None, (line.strip().lstrip("-*•").strip() for line in answer.splitlines())):
            assert html.escape(line) in es_page and html.escape(line) in en_page, line


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_data_formats_are_the_same_bytes_in_every_language(incident, tmp_path, fmt):
    spanish = export(incident, fmt, tmp_path)
    assert export(incident, fmt, tmp_path, "en") == spanish
    assert export(incident, fmt, tmp_path, "es") == spanish
    assert export(incident, fmt, tmp_path, env={"CRISISPLAY_LANG": "en"}) == spanish
    text = spanish.decode("utf-8")
    if fmt == "json":
        document = json.loads(text)
        assert document["verification"]["summary"] == "chain verified"  # the data's words stay English
        assert document["metrics"]["start"].endswith("Z")  # RFC 3339, UTC
    else:
        assert text.startswith("seq,ts,elapsed,type,phase,step,actor,summary,data,hash,verification\r\n")


def test_spanish_times_are_worked_out_once_a_minute_yet_exact_to_the_second(monkeypatch):
    """The per-minute shortcut gives what `i18n.format_datetime` gives for every second, across a change to summer time."""
    from crisisplay import i18n
    from crisisplay.export.words import LocalTimes

    monkeypatch.setenv("TZ", "Europe/Madrid")
    time.tzset()
    try:
        i18n.configure("es")
        local = LocalTimes()
        start = datetime(2026, 3, 29, 0, 58, 30, tzinfo=UTC)  # 01:58:30 CET; at 01:00 UTC, 03:00 CEST
        for second in range(0, 240, 7):
            moment = start + timedelta(seconds=second, milliseconds=250)
            assert local(moment) == i18n.format_datetime(moment, "es")
        assert "mar 2026" in local(start)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_edited_message_is_marked_edited_in_the_spanish_report(run_cli, tmp_path):
    answers = tmp_path / "edited.answers.yaml"
    original = (Path(__file__).resolve().parents[1] / "examples" / "pricing-error.answers.yaml").read_text("utf-8")
    assert "  holding-statement: send\n" in original
    answers.write_text(
        original.replace("  holding-statement: send\n", '  holding-statement: {text: "Estamos en ello."}\n'),
        encoding="utf-8",
    )
    code, incident_id, err = run_cli("start", "pricing-error", "--answers", answers)
    assert code == 0, err
    for lang, marker in (("es", "(editado antes de enviar)"), ("en", "(edited before sending)")):
        code, report, err = run_cli("--lang", lang, "export", incident_id.strip(), "--format", "md")
        assert code == 0, err
        assert marker in report


def test_seconds_of_a_brief_incident_use_the_languages_decimal_mark():
    from crisisplay import i18n
    from crisisplay.export import words

    with i18n.speaking("es"):
        assert [words.since_start(ms, fine=True) for ms in (250, 1500, -33)] == ["+0,25s", "+1,5s", "-0,033s"]
    assert words.since_start(250, fine=True) == "+0.25s"


def test_a_severity_an_inject_raised_gives_its_reason_in_spanish_in_every_report(run_cli, cli_cwd):
    answers = Path(__file__).resolve().parents[1] / "examples" / "error-precio.answers.yaml"
    code, out, err = run_cli(
        "--lang", "es", "drill", "error-precio-fin-de-semana-viral", "--answers", str(answers), "--responder", "Ana"
    )
    assert code == 0, err
    incident = out.splitlines()[0]
    for fmt in ("md", "html"):
        code, report, err = run_cli("--lang", "es", "export", incident, "-f", fmt)
        assert code == 0, err
        assert "drill inject" not in report, fmt
        assert "inyección del simulacro thread-grows" in html.unescape(report), fmt


def test_incidents_shows_the_severity_as_the_playbook_words_it(run_cli, cli_cwd):
    answers = Path(__file__).resolve().parents[1] / "examples" / "error-precio.answers.yaml"
    code, out, err = run_cli("--lang", "es", "drill", "error-precio-fin-de-semana-viral", "--answers", str(answers))
    assert code == 0, err
    code, table, err = run_cli("--lang", "es", "incidents")
    assert code == 0, err
    row = next(line for line in table.splitlines() if line.startswith(out.splitlines()[0]))
    assert " media " in row and "medium" not in row
    code, listed, err = run_cli("incidents", "-f", "json")
    assert [(r["severity"], r["severity_label"]) for r in json.loads(listed)["incidents"]] == [("medium", "media")]
