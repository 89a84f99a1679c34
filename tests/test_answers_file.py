"""Answers files a new user writes: every typo named at once, and an empty file is no answers."""

from __future__ import annotations

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
