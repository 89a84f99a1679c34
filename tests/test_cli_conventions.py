"""The conventions of a careful command-line tool: shell completion, -V, -f, examples in every
--help without type labels, one style for every usage error, --format json where a script
needs it, and "did you mean" for the usual first guesses."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = [
    "list",
    "show",
    "schema",
    "start",
    "resume",
    "note",
    "close",
    "incidents",
    "verify",
    "export",
    "lint",
    "new",
]
FORMATTED = {"list": [], "show": ["pricing-error"], "incidents": [], "lint": ["-"]}
BOX = re.compile("[╭╮╰╯│─]")
ANSWERS = Path(__file__).resolve().parents[1] / "examples" / "pricing-error.answers.yaml"


@pytest.fixture
def incident(run_cli) -> str:
    code, out, err = run_cli("start", "pricing-error", "--drill", "--answers", str(ANSWERS), "--responder", "Ana")
    assert code == 0, err
    return out.splitlines()[0]


@pytest.fixture
def paused(run_cli, cli_cwd) -> str:
    (cli_cwd / "none.yaml").write_text("steps: {}\n", encoding="utf-8")
    code, out, err = run_cli(
        "start",
        "pricing-error",
        "--drill",
        "--answers",
        "none.yaml",
        "--responder",
        "Ana",
        *[
            f"--var={v}"
            for v in (
                "brand=B",
                "product=P",
                "price_shown=0",
                "correct_price=9",
                "order_ref=1",
                "customer_name=C",
                "customer_handle=@c",
                "platform=x",
            )
        ],
    )
    assert code == 3, err
    return out.splitlines()[0]


# ----------------------------------------------------------------------------- completion, -V


def test_shell_completion_is_offered_and_completes_commands_playbooks_and_incidents(run_cli, incident):
    code, out, _err = run_cli("--help")
    assert code == 0
    assert "--install-completion" in out and "--show-completion" in out
    # typer finds the shell among the command's parents: run it from bash, as a user would (a test
    # runner started by a process that has since gone has no shell above it).
    command = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "crisisplay", "--show-completion"))
    shown = subprocess.run(["bash", "-c", command + "; exit $?"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "_CRISISPLAY_COMPLETE" in shown.stdout

    def complete(words: str) -> list[str]:
        env = {"_CRISISPLAY_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        code, out, err = run_cli(env=env)
        assert code == 0, err
        return out.split()

    assert complete("crisisplay sh") == ["show"]
    assert complete("crisisplay show pricing") == ["pricing-error"]
    assert complete("crisisplay export l") == ["last"]
    assert complete(f"crisisplay verify {incident[:9]}") == [incident]


def test_dash_capital_v_is_the_version(run_cli):
    assert run_cli("-V")[:2] == run_cli("--version")[:2]
    assert run_cli("-V")[1].startswith("crisisplay ")


# ----------------------------------------------------------------------------- -f everywhere


@pytest.mark.parametrize("command", sorted(FORMATTED))
def test_dash_f_is_format_for_every_command_that_has_one(run_cli, command):
    code, out, err = run_cli(command, *FORMATTED[command], "-f", "json", input="crisisplay: 1\n")
    assert code in (0, 1), err
    json.loads(out)


def test_dash_f_json_for_verify_note_close_and_export(run_cli, incident, paused):
    code, out, err = run_cli("verify", incident, "-f", "json")
    assert code == 0, err
    verified = json.loads(out)
    assert verified["incident"] == incident and verified["ok"] is True and verified["events"] > 10
    assert re.fullmatch(r"[0-9a-f]{64}", verified["head"]) and verified["problem"] is None

    code, out, err = run_cli("note", incident, "Called back", "-f", "json", "--responder", "Bo")
    assert code == 0 and err == "", err
    noted = json.loads(out)
    assert noted == {"incident": incident, "event": "note.added", "actor": "Bo", "head": noted["head"]}
    assert json.loads(run_cli("verify", incident, "--format", "json")[1])["head"] == noted["head"]

    code, out, err = run_cli("close", paused, "--reason", "false alarm", "-f", "json")
    assert code == 0 and err == "", err
    closed = json.loads(out)
    assert closed["incident"] == paused and closed["event"] == "incident.closed"
    assert closed["reason"] == "false alarm" and re.fullmatch(r"[0-9a-f]{64}", closed["head"])

    code, out, err = run_cli("export", incident, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["events"]


def test_verify_json_of_a_broken_log_names_the_line_and_exits_1(run_cli, incident, cli_home):
    log = cli_home / "incidents" / f"{incident}.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace('"seq":3', '"seq":33')
    log.write_text("".join(lines), encoding="utf-8")
    code, out, _err = run_cli("verify", incident, "-f", "json")
    assert code == 1
    broken = json.loads(out)
    assert broken["ok"] is False and broken["line"] == 4 and broken["events"] == 3
    assert broken["problem"] and broken["message"]


# ----------------------------------------------------------------------------- --help


@pytest.mark.parametrize("rich", ["1", "0"])
@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_has_examples_and_no_type_labels(run_cli, command, rich):
    code, out, err = run_cli(*([command] if command else []), "--help", env={"TYPER_USE_RICH": rich})
    assert code == 0, err
    assert "Examples:" in out
    examples = [line.strip(" │") for line in out.splitlines() if line.strip(" │").startswith("crisisplay ")]
    assert examples, out
    assert all(e.startswith(f"crisisplay {command}") for e in examples if command and "$(" not in e)
    for label in ("<bool>", "<str>", "<list[str]>", "<int>", "<path>", "{PLAYBOOK}", "{INCIDENT}"):
        assert label not in out, (label, out)


def test_crisisplay_alone_shows_the_overview(run_cli):
    code, out, err = run_cli()
    assert code == 0, err
    assert "Usage: crisisplay" in out and "start" in out


# ----------------------------------------------------------------------------- one error style


@pytest.mark.parametrize(
    "args, first",
    [
        (["list", "--bogus"], "crisisplay: error: no such option: --bogus"),
        (["show"], "crisisplay: error: missing argument 'PLAYBOOK'"),
        (
            ["show", "pricing-error", "--format", "pdf"],
            "crisisplay: error: invalid value for '-f' / '--format': 'pdf' is not one of 'text', 'mermaid', 'json'",
        ),
        (["lsit"], "crisisplay: error: no such command 'lsit'; did you mean 'list'?"),
        (["close", "last"], "crisisplay: error: missing option '--reason'"),
    ],
)
def test_every_usage_error_is_one_plain_line_and_a_hint_with_exit_2(run_cli, args, first):
    code, out, err = run_cli(*args)
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == first
    assert len(lines) == 2 and lines[1].startswith("Try 'crisisplay") and lines[1].endswith("--help' for help.")
    assert not BOX.search(err) and "Value error" not in err and "Traceback" not in err
    assert out == ""


def test_a_typed_error_uses_the_same_prefix(run_cli):
    code, _out, err = run_cli("show", "no-such-playbook")
    assert code == 2
    assert err.startswith("crisisplay: error: ") and not BOX.search(err)


# ----------------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(
    "args, suggestion",
    [
        (["version"], "did you mean `crisisplay --version`?"),
        (["help"], "did you mean `crisisplay --help`?"),
        (["incidents", "--json"], "did you mean `-f json` (--format json)?"),
        (["export", "last", "--html"], "did you mean `-f html` (--format html)?"),
        (["lint", "--sarif"], "did you mean `-f sarif` (--format sarif)?"),
        (["list", "--version"], "did you mean `crisisplay --version`?"),
        (["-v"], "did you mean `crisisplay -V`?"),
    ],
)
def test_usual_first_guesses_are_answered_with_what_exists(run_cli, args, suggestion):
    code, _out, err = run_cli(*args)
    assert code == 2
    assert err.startswith("crisisplay: error: ")
    assert suggestion in err.splitlines()[0]


def test_a_format_the_command_lacks_is_not_suggested(run_cli):
    code, _out, err = run_cli("incidents", "--html")
    assert code == 2
    assert "did you mean" not in err


def test_no_pydantic_wording_reaches_a_finding(run_cli, cli_cwd):
    # `default:` is text or a number: pydantic names the union's members ('str', 'int')
    # where the reader wrote `default`.
    (cli_cwd / "union.yaml").write_text(
        "crisisplay: 1\nid: union\ntitle: Union\ninputs:\n  orders:\n    prompt: How many?\n    default: [1]\n"
        "phases:\n  - id: p\n    title: P\n    steps:\n      - id: s\n        type: info\n        prompt: Hi\n",
        encoding="utf-8",
    )
    code, out, _err = run_cli("lint", "union.yaml")
    assert code == 1
    assert "union.yaml:7:14: CP103 [error] 'default' should be text, not a list" in out
    assert "'str'" not in out and "'int'" not in out and "Value error" not in out
