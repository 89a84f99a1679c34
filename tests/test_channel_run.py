"""Channel-aware messages at run time: the variant for the `variant_by` value is shown and sent
(with its channel and platform in `message.sent`), the `template:` covers the other values, and
an answer longer than an input's `max_length` does not fit (exit 2; the terminal asks again)."""

from __future__ import annotations

from pathlib import Path

from incident_logs import of_type, only_log, opened_events

from crisisplay.playbook.model import Input
from crisisplay.run.terminal import _input_fits

PLAYBOOK = """\
crisisplay: 1
id: channels
title: Channels
roles:
  manager: Your line manager
inputs:
  platform:
    prompt: Where is it?
    type: choice
    options: [x, facebook, google-reviews, forum]
  customer_name:
    prompt: The customer's first name
    personal: customer
    max_length: 10
phases:
  - id: response
    title: Response
    steps:
      - id: notify-manager
        type: escalate
        to: [manager]
      - id: public-reply
        type: message
        channel: Public reply
        template: "Generic reply."
        variant_by: platform
        variants:
          x:
            template: "Short reply on X."
          facebook:
            channel: "Facebook page"
            template: "Longer reply on Facebook."
          forum:
            platform: website
            template: "Reply on the forum."
      - id: private-note
        type: message
        channel: "E-mail to {{ customer_name }}"
        platform: email
        template: "Dear {{ customer_name }}, we are sorry."
      - id: name-again
        type: text
        prompt: Their name, as they signed?
        save_as: customer_name
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: what-happened
        type: text
        prompt: What happened?
        section: summary
"""


def answers(platform: str, name: str = "Ann", again: str = "Ann B.") -> str:
    return (
        f"inputs:\n  platform: {platform}\n  customer_name: {name}\nsteps:\n  notify-manager: notified\n"
        f"  public-reply: send\n  private-note: send\n  name-again: {again}\n  what-happened: The import.\n"
    )


def start(run_cli, cwd: Path, answers_text: str, *extra: str) -> tuple[int, str, str]:
    (cwd / "channels.yaml").write_text(PLAYBOOK, encoding="utf-8")
    (cwd / "answers.yaml").write_text(answers_text, encoding="utf-8")
    return run_cli("start", "channels.yaml", "--answers", "answers.yaml", *extra)


def sent(home: Path) -> list[dict]:
    log = only_log(home)
    assert log is not None
    return [e["data"] for e in of_type(opened_events(log), "message.sent")]


def test_the_variant_for_the_value_is_sent_with_its_channel_and_platform(run_cli, cli_cwd, cli_home):
    code, _out, err = start(run_cli, cli_cwd, answers("facebook"))
    assert code == 0, err
    public, private = sent(cli_home)
    assert public == {"channel": "Facebook page", "platform": "facebook", "text": "Longer reply on Facebook."}
    assert private == {"channel": "E-mail to Ann", "platform": "email", "text": "Dear Ann, we are sorry."}


def test_a_key_that_is_not_a_platform_takes_the_variant_s_platform(run_cli, cli_cwd, cli_home):
    code, _out, err = start(run_cli, cli_cwd, answers("forum"))
    assert code == 0, err
    assert sent(cli_home)[0] == {"channel": "Public reply", "platform": "website", "text": "Reply on the forum."}


def test_a_value_without_a_variant_falls_back_on_the_template_with_no_platform(run_cli, cli_cwd, cli_home):
    code, _out, err = start(run_cli, cli_cwd, answers("google-reviews"))
    assert code == 0, err
    assert sent(cli_home)[0] == {"channel": "Public reply", "text": "Generic reply."}


def test_no_variant_and_no_template_is_a_checker_error_for_a_choice(run_cli, cli_cwd):
    text = PLAYBOOK.replace('        template: "Generic reply."\n', "")
    (cli_cwd / "channels.yaml").write_text(text, encoding="utf-8")
    code, out, _err = run_cli("lint", "channels.yaml")
    assert code == 1 and "CP217" in out and "'google-reviews'" in out
    code, _out, err = run_cli("show", "channels.yaml")
    assert code == 2 and "CP217" in err


def test_free_text_with_no_variant_shows_a_placeholder_that_a_script_cannot_send(run_cli, cli_cwd, cli_home):
    text = PLAYBOOK.replace('        template: "Generic reply."\n', "").replace(
        "    options: [x, facebook, google-reviews, forum]\n", ""
    )
    text = text.replace("    type: choice\n", "")
    (cli_cwd / "channels.yaml").write_text(text, encoding="utf-8")
    code, out, _err = run_cli("lint", "channels.yaml")
    assert code == 0 and "CP219" in out  # a warning: the playbook still runs
    (cli_cwd / "answers.yaml").write_text(answers("mastodon"), encoding="utf-8")
    code, _out, err = run_cli("start", "channels.yaml", "--answers", "answers.yaml")
    assert code == 2
    assert "step 'public-reply' (message): no variant for platform 'mastodon' and no `template:` to fall back on" in err


def test_an_input_longer_than_max_length_is_exit_2_from_var_and_from_the_file(run_cli, cli_cwd, cli_home):
    code, out, err = start(run_cli, cli_cwd, answers("x"), "--var", "customer_name=Bartholomew")
    assert code == 2 and out == ""
    assert "input 'customer_name': the answer is 11 characters long; expected at most 10" in err
    assert only_log(cli_home) is None  # refused before anything is written
    code, out, err = start(run_cli, cli_cwd, answers("x", name="Bartholomew"))
    assert code == 2
    assert "input 'customer_name': the answer is 11 characters long; expected at most 10" in err
    assert "paused (answer-error)" in err


def test_a_text_answer_saved_into_an_input_obeys_its_max_length(run_cli, cli_cwd, cli_home):
    code, _out, err = start(run_cli, cli_cwd, answers("x", again="Annabel Longname"))
    assert code == 2
    assert "step 'name-again' (text): the answer is 16 characters long; expected at most 10" in err


def test_the_terminal_check_refuses_a_long_input_with_a_clear_message():
    check = _input_fits(Input(prompt="Name?", max_length=5))
    assert check("Ann") is True
    assert check("Annabel") == "the answer is 7 characters long; expected at most 5 (the playbook's `max_length`)"
    assert check("   ") == "Please answer"


def test_show_lists_a_message_s_variants(run_cli, cli_cwd):
    (cli_cwd / "channels.yaml").write_text(PLAYBOOK, encoding="utf-8")
    code, out, err = run_cli("show", "channels.yaml")
    assert code == 0, err
    assert "variants by platform:" in out
    assert "= facebook (Facebook page): Longer reply on Facebook." in out
    assert "= forum (website): Reply on the forum." in out
