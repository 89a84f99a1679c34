"""Answers files a new user writes: every typo named at once, and an empty file is no answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from incident_logs import TWO_QUESTIONS as MINI


def test_every_unknown_step_and_input_is_named_at_once_and_nothing_is_written(run_cli, cli_cwd, cli_home):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("inputs:\n  prodct: Kettle\nsteps:\n  frist: one\n  secnd: yes\n")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 2 and out == ""
    assert "a.yaml:2:3: unknown input 'prodct'" in err and "did you mean 'product'?" in err
    assert "a.yaml:4:3: unknown step 'frist'" in err and "did you mean 'first'?" in err
    assert "a.yaml:5:3: unknown step 'secnd'" in err and "did you mean 'second'?" in err
    assert not (cli_home / "incidents").exists() or not list((cli_home / "incidents").glob("*.jsonl"))


def test_an_empty_answers_file_pauses_at_the_first_question(run_cli, cli_cwd, cli_home):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "empty.yaml").write_text("")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "empty.yaml")
    assert code == 3
    assert f"crisisplay resume {out.strip()}" in err and "Head hash:" in err


def test_an_answer_error_prints_the_head_hash_and_how_to_resume(run_cli, cli_cwd):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("inputs:\n  product: Kettle\nsteps:\n  first: one\n  second: maybe\n")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 2
    assert "paused (answer-error)" in err and "Head hash:" in err
    assert f"crisisplay resume {out.strip()}" in err and "yes or no" in err


@pytest.mark.parametrize(
    ("steps", "place"),
    [
        ("  second: maybe\n", "a.yaml:5:11:"),
        ("  second: {answer: maybe}\n", "a.yaml:5:20:"),
        ("  second:\n    visits: [maybe]\n", "a.yaml:6:14:"),
    ],
)
def test_an_answer_that_does_not_fit_is_named_at_its_place_in_the_file(run_cli, cli_cwd, steps, place):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text("inputs:\n  product: Kettle\nsteps:\n  first: one\n" + steps)
    code, _out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 2 and "paused (answer-error)" in err
    assert f"crisisplay: error: {place} step 'second' (confirm): 'maybe' does not fit" in err, err


@pytest.mark.parametrize("value", ["{colour: blue}", "[Kettle, Toaster]"])
def test_an_input_given_a_list_or_a_mapping_is_refused_before_anything_is_written(run_cli, cli_cwd, cli_home, value):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text(f"inputs:\n  product: {value}\n")
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 2 and out == ""
    assert "a.yaml:2:12: input 'product' takes one value" in err
    assert not (cli_home / "incidents").exists() or not list((cli_home / "incidents").glob("*.jsonl"))


CORPUS = Path(__file__).resolve().parent / "data" / "yaml-test-suite"
ANSWERS = "inputs:\n  product: Kettle\nsteps:\n  first: one\n"


def _error(err: str) -> str:
    """The one error line of a refused run (the playbook's own lint warnings come before it)."""
    lines = err.splitlines()
    assert lines and sum("error:" in line for line in lines) == 1 and err.endswith("\n"), err
    return lines[-1]


@pytest.mark.parametrize(
    "text",
    [
        f"---\n---\n{ANSWERS}",  # an empty first document must not hide the answers after it
        f"# nothing here yet\n---\n---\n{ANSWERS}",
        f"--- ~\n---\n{ANSWERS}",
        f"{ANSWERS}---\nsteps:\n  second: yes\n",
    ],
    ids=["empty-first", "comment-then-empty-first", "null-first", "answers-first"],
)
def test_an_answers_file_of_more_than_one_document_is_refused_before_anything_is_written(
    run_cli, cli_cwd, cli_home, text
):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text(text)
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert (code, out) == (2, "")
    assert re.fullmatch(r"crisisplay: error: a\.yaml:\d+:\d+: .*more than one YAML document.*", _error(err)), err
    assert not list(cli_home.glob("incidents/*.jsonl"))


@pytest.mark.parametrize("case", ["6XDY", "MUS6-00.error", "MUS6-01.error"])
def test_a_yaml_test_suite_case_that_is_no_answers_file_is_refused_in_one_line(run_cli, cli_cwd, cli_home, case):
    """Two empty documents, a directive with a comment glued to it, a directive per document."""
    (cli_cwd / "mini.yaml").write_text(MINI)
    path = CORPUS / f"{case}.yaml"
    code, out, err = run_cli("start", "mini.yaml", "--answers", str(path))
    assert (code, out) == (2, "")
    assert re.fullmatch(rf"crisisplay: error: {re.escape(str(path))}:\d+:\d+: .+", _error(err)), err
    assert not list(cli_home.glob("incidents/*.jsonl"))


@pytest.mark.parametrize("text", ["# only a comment\n", "---\n", "--- # an empty document\n...\n"])
def test_one_empty_document_or_only_comments_is_no_answers(run_cli, cli_cwd, text):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text(text)
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 3, err
    assert f"crisisplay resume {out.strip()}" in err


@pytest.mark.parametrize("text", ['""\n', "''\n", "--- |1-\n"])
def test_an_empty_string_is_written_so_is_not_a_mapping_and_not_no_answers(run_cli, cli_cwd, cli_home, text):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text(text)
    code, out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert (code, out) == (2, "")
    assert _error(err) == "crisisplay: error: a.yaml:1:1: an answers file is a mapping with `inputs:` and `steps:`"
    assert not list(cli_home.glob("incidents/*.jsonl"))


def test_unknown_ids_holding_a_newline_or_a_tab_are_named_one_per_line(run_cli, cli_cwd):
    (cli_cwd / "mini.yaml").write_text(MINI)
    (cli_cwd / "a.yaml").write_text('inputs:\n  "pro\\nduct": x\nsteps:\n  "a\\tb": y\n')
    code, _out, err = run_cli("start", "mini.yaml", "--answers", "a.yaml")
    assert code == 2
    named = [line for line in err.splitlines() if "a.yaml:" in line]
    assert named == [
        "crisisplay: error: a.yaml:2:3: unknown input 'pro␊duct' for playbook mini; did you mean 'product'?",
        "a.yaml:4:3: unknown step 'a␉b' for playbook mini",
    ]


EMPTY_MESSAGE = """\
crisisplay: 1
id: em
title: Em
inputs:
  x:
    prompt: X?
phases:
  - id: p
    title: P
    steps:
      - id: m
        type: message
        channel: web
        template: "{% if x == 'never' %}Hi{% endif %}"
"""


@pytest.mark.parametrize(
    ("answer", "said"),
    [("send", "its template renders no text, so there is nothing to send"), ('{text: ""}', "the message is empty")],
)
def test_a_message_with_no_text_to_send_says_so(run_cli, cli_cwd, answer, said):
    (cli_cwd / "em.yaml").write_text(EMPTY_MESSAGE)
    (cli_cwd / "a.yaml").write_text(f"inputs:\n  x: a\nsteps:\n  m: {answer}\n")
    code, _out, err = run_cli("start", "em.yaml", "--answers", "a.yaml")
    assert code == 2
    assert f"a.yaml:4:6: step 'm' (message): {said}" in err and "does not fit" not in err


def test_an_outcome_for_a_role_the_step_does_not_escalate_to_names_it(run_cli, cli_cwd):
    (cli_cwd / "esc.yaml").write_text(
        "crisisplay: 1\nid: esc\ntitle: Esc\nroles:\n  manager: Boss\n  legal: Counsel\nphases:\n  - id: p\n"
        "    title: P\n    steps:\n      - id: call\n        type: escalate\n        to: [manager]\n        template: Help\n"
    )
    (cli_cwd / "a.yaml").write_text("steps:\n  call: {manager: notified, legal: notified}\n")
    code, _out, err = run_cli("start", "esc.yaml", "--answers", "a.yaml")
    assert code == 2
    assert "step 'call' (escalate): 'legal' is not escalated to here; give outcomes for 'manager'" in err
