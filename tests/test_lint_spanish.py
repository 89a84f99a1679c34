"""`lint` in Spanish: the same findings at the same places with the same codes, in the reader's
language, and a lint result cached in one language is never shown in the other."""

from __future__ import annotations

import re
from pathlib import Path

BROKEN = """\
crisisplay: 1
id: broken
title: Broken
phases:
  - id: detect
    title: Detect
    steps:
      - id: check
        type: confirm
        prompt: Is it fixed?
        next: notify-manger
      - id: notify-manager
        type: message
        channel: email
        template: "Hi {{ custmer }}"
"""

WHERE = re.compile(r"^(\S+:\d+:\d+): (CP\d{3}) \[(error|warning)\] ", re.M)


def _places(output: str) -> list[tuple[str, str, str]]:
    return WHERE.findall(output)


def test_lint_in_spanish_prints_spanish_messages_at_the_same_places_with_the_same_codes(run_cli, cli_cwd):
    (cli_cwd / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    code_en, out_en, err_en = run_cli("lint", "broken.yaml")
    code_es, out_es, err_es = run_cli("--lang", "es", "lint", "broken.yaml")
    assert code_en == code_es == 1
    assert _places(out_es) == _places(out_en) and ("broken.yaml:11:15", "CP201", "error") in _places(out_es)
    assert (
        "broken.yaml:11:15: CP201 [error] next: 'notify-manger' no nombra ningún paso; "
        "se esperaba el id de un paso o 'end'; ¿querías decir 'notify-manager'?"
    ) in out_es
    assert "CP206 [error] no se puede llegar al paso 'notify-manager' desde el primero" in out_es
    assert "CP302 [error] la plantilla usa 'custmer', que no define ningún dato" in out_es
    assert "broken.yaml:4:1: CP401 [warning] ningún paso escala: añade un paso `escalate`" in out_es
    assert "names no step" not in out_es and "names no step" in out_en
    assert err_es.startswith("5 problemas en 1 archivo: 3 errores, 2 avisos")
    assert err_en.startswith("5 problem(s) in 1 file: 3 error(s), 2 warning(s)")


def test_yaml_loader_messages_are_spanish_too(run_cli, cli_cwd):
    (cli_cwd / "dup.yaml").write_text("crisisplay: 1\nid: dup\nid: again\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "dup.yaml", env={"CRISISPLAY_LANG": "es"})
    assert code == 1
    assert "dup.yaml:3:1: CP002 [error] clave 'id' repetida (la primera en la línea 2)" in out


def _cached(home: Path) -> list[Path]:
    folder = home / "cache" / "lint"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_a_lint_result_cached_in_spanish_is_not_shown_in_english_nor_the_reverse(run_cli, cli_cwd, cli_home):
    (cli_cwd / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    first_es = run_cli("--lang", "es", "show", "broken.yaml")
    then_en = run_cli("--lang", "en", "show", "broken.yaml")
    again_es = run_cli("--lang", "es", "show", "broken.yaml")
    assert first_es[0] == then_en[0] == 2
    assert "no nombra ningún paso" in first_es[2]
    assert "names no step" in then_en[2] and "no nombra" not in then_en[2]
    assert again_es == first_es  # served from its own cache entry, in its own language
    assert len(_cached(cli_home)) == 2  # one entry per language
