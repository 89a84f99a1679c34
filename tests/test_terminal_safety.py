"""Nothing a user or a playbook supplies can drive the terminal: answers, `--var` values, the
responder's name, paths and error messages are shown with their control characters as
visible pictures, never sent raw (clear the screen, retitle the window, ring the bell)."""

from __future__ import annotations

import json

import pytest

from crisisplay.display import aligned, json_safe, visible, width

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"
CSI = "\x9b31m"
HOSTILE = CLEAR + TITLE + CSI
# The same, as a YAML double-quoted string writes it (YAML allows no raw controls in a file).
HOSTILE_YAML = r"\e[2J\e]0;pwned\a\x9b31m"
RAW = ("\x1b", "\x07", "\x9b")


def assert_no_raw_controls(*texts: str) -> None:
    for text in texts:
        for char in RAW:
            assert char not in text, f"raw {char!r} in: {text[-600:]!r}"


ANSWERS = f"""\
inputs:
  product: "Kettle {HOSTILE_YAML}"
steps:
  assess-reach: contained
  fix-price: yes
  holding-statement: send
  what-happened: "It was {HOSTILE_YAML} the import"
"""


@pytest.fixture
def playbook(cli_cwd, minimal_playbook):
    (cli_cwd / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    (cli_cwd / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    return cli_cwd / "minimal.yaml"


def test_a_scripted_run_shows_answers_vars_and_responder_without_raw_controls(run_cli, playbook):
    code, out, err = run_cli(
        "start",
        "minimal.yaml",
        "--answers",
        "answers.yaml",
        "--responder",
        f"Ann {HOSTILE}",
        "--var",
        f"product=Lamp {HOSTILE}",
    )
    assert code == 0, err
    assert_no_raw_controls(out, err)
    assert f"by Ann {visible(HOSTILE)}" in err
    assert f"product: Lamp {visible(HOSTILE)}" in err
    assert f"what-happened: It was {visible(HOSTILE)} the import" in err


def test_a_scripted_resume_shows_the_new_responder_without_raw_controls(run_cli, cli_cwd, playbook):
    (cli_cwd / "none.yaml").write_text("inputs:\n  product: Kettle\n", encoding="utf-8")
    code, out, _ = run_cli("start", "minimal.yaml", "--answers", "none.yaml")
    assert code == 3
    code, out2, err = run_cli("resume", out.strip(), "--answers", "answers.yaml", "--responder", f"Bo {HOSTILE}")
    assert code == 0, err
    assert_no_raw_controls(out2, err)
    assert f"resumed by Bo {visible(HOSTILE)}" in err


def test_an_answer_with_a_carriage_return_stays_on_one_progress_line(run_cli, cli_cwd, playbook):
    (cli_cwd / "cr.yaml").write_text(ANSWERS.replace("It was", r"Fixed\rIt was"), encoding="utf-8")
    code, _, err = run_cli("start", "minimal.yaml", "--answers", "cr.yaml")
    assert code == 0, err
    assert "what-happened: Fixed…" in err
    assert not any(line.startswith("It was") for line in err.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        ("start", "minimal.yaml", "--answers", "answers.yaml", "--var", f"prod{HOSTILE}=x"),
        ("start", "minimal.yaml", "--answers", "answers.yaml", "--var", f"product{HOSTILE}"),
        ("show", f"missing{HOSTILE}.yaml"),
        ("lint", f"missing{HOSTILE}.yaml"),
        ("export", f"2026{HOSTILE}"),
        ("note", f"last{HOSTILE}", "text"),
    ],
    ids=[
        "unknown var",
        "var without value",
        "show a missing file",
        "lint a missing file",
        "unknown incident",
        "unknown incident for a note",
    ],
)
def test_an_error_quoting_user_text_carries_no_raw_controls(run_cli, playbook, args):
    code, out, err = run_cli(*args)
    assert code == 2, err
    assert_no_raw_controls(out, err)
    assert visible(HOSTILE) in err


def test_an_unknown_step_id_in_an_answers_file_is_quoted_safely(run_cli, cli_cwd, playbook):
    (cli_cwd / "typo.yaml").write_text(f'steps:\n  "asses{HOSTILE_YAML}": viral\n', encoding="utf-8")
    code, out, err = run_cli("start", "minimal.yaml", "--answers", "typo.yaml")
    assert code == 2
    assert_no_raw_controls(out, err)
    assert "unknown step 'asses" in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "text", "github"])
def test_lint_reports_carry_no_raw_controls_in_any_format(run_cli, cli_cwd, minimal_playbook, fmt):
    (cli_cwd / "typo.yaml").write_text(
        minimal_playbook.replace(
            "title: A minimal playbook\n", f'title: A minimal playbook\n"titel{HOSTILE_YAML}": x\n'
        ),
        encoding="utf-8",
    )
    code, out, err = run_cli("lint", "--format", fmt, "typo.yaml")
    assert code == 1, err
    assert_no_raw_controls(out, err)
    if fmt in ("json", "sarif"):
        assert f"titel{HOSTILE}" in "".join(_strings(json.loads(out)))  # escaped, yet the same data


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_json_safe_escapes_del_and_c1_and_keeps_the_data():
    text = json.dumps({"k": f"a{HOSTILE}\x7fé"}, ensure_ascii=False)
    safe = json_safe(text)
    assert_no_raw_controls(safe)
    assert "\x7f" not in safe and "é" in safe
    assert json.loads(safe) == json.loads(text)


def test_one_line_shows_newline_cr_and_tab_as_pictures_too():
    from crisisplay.display import one_line

    assert one_line("a\nb\r\nc\td" + HOSTILE) == "a␊b␍␊c␉d" + visible(HOSTILE)
    assert one_line("plain, é, ✓") == "plain, é, ✓"


def test_width_counts_terminal_cells():
    assert width("abc") == 3
    assert width("Suplantación") == 12
    assert width("Suplantacio\u0301n") == 12  # a combining accent takes no cell
    assert width("日本語") == 6  # wide characters take two


def test_aligned_lines_up_columns_by_their_cells_and_leaves_no_trailing_blanks():
    lines = aligned([("id", "title", "notes"), ("日本", "x", ""), ("a", "long title", "")])
    assert lines == ["id    title       notes", "日本  x", "a     long title"]
    assert aligned([]) == []
