"""The README's commands are the ones CI and users run."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def _shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def test_readme_starts_with_an_install_and_run_command_then_the_test_command():
    blocks = _shell_blocks((REPO / "README.md").read_text("utf-8"))
    first, second = blocks[0], blocks[1]
    assert "pip install ." in first and "crisisplay start pricing-error --drill" in first
    assert "pip install '.[test]'" in second and "pytest" in second


def test_ci_runs_the_readme_test_command_verbatim():
    second = _shell_blocks((REPO / "README.md").read_text("utf-8"))[1].strip()
    test_part = second.split("&&", 1)[1].strip()  # after creating the virtual environment
    assert test_part in (REPO / ".ci" / "run").read_text("utf-8")


@pytest.mark.parametrize("readme", ["README.md", "README.es.md"])
def test_every_doc_the_readme_links_exists(readme):
    text = (REPO / readme).read_text("utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert links
    assert [link for link in links if not (REPO / link).is_file()] == []


# ----------------------------------------------------------------------------- in Spanish


def _commands(block: str) -> list[str]:
    """The command lines of a shell block: its comments are prose, in the reader's language."""
    return [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_spanish_readme_runs_the_spanish_playbook_with_the_same_install_and_test_commands():
    english = _shell_blocks((REPO / "README.md").read_text("utf-8"))
    spanish = _shell_blocks((REPO / "README.es.md").read_text("utf-8"))
    # the same commands, the Spanish playbook and its answers file in place of the English ones
    assert _commands(spanish[0]) == [line.replace("pricing-error", "error-precio") for line in _commands(english[0])]
    assert "crisisplay start error-precio --drill --answers examples/error-precio.answers.yaml" in spanish[0]
    assert (REPO / "playbooks" / "error-precio.yaml").is_file()
    assert (REPO / "examples" / "error-precio.answers.yaml").is_file()
    assert _commands(spanish[1]) == _commands(english[1])


@pytest.mark.parametrize(
    ("english", "spanish"),
    [("README.md", "README.es.md"), ("docs/answers-file.md", "docs/es/answers-file.md")],
)
def test_each_english_doc_links_its_spanish_version_near_the_top_and_back(english, spanish):
    english_path, spanish_path = REPO / english, REPO / spanish
    top = english_path.read_text("utf-8").splitlines()[:5]
    link = Path(os.path.relpath(spanish_path, english_path.parent)).as_posix()
    assert f"En español: [{link}]({link})" in top
    back = Path(os.path.relpath(english_path, spanish_path.parent)).as_posix()
    assert f"]({back})" in "\n".join(spanish_path.read_text("utf-8").splitlines()[:5])


FLOW_KEY = re.compile(r"[{,]\s*([^\W\d][\w-]*):\s")  # `{skip: …}`, `{done: [...], reason: …}`
CODE_KEY = re.compile(r"`([^\W\d][\w-]*):`")  # `visits:`, `default:`


def _answers_vocabulary(doc: str) -> tuple[set[str], set[str]]:
    """The answers-file keys and fixed answer words a doc documents, without its example's own ids.

    Keys: the example's top-level keys and the keys inside its answers, every `{key: …}` and
    every `key:` quoted as code. Words: the single-word alternatives its comments give
    (`# confirm: yes/no, …`, `# escalate: notified | unreachable | …`).
    """
    text = (REPO / doc).read_text("utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, flags=re.S).group(1)
    data = yaml.safe_load(example)
    roles = set()
    for playbook in (REPO / "playbooks").glob("*.yaml"):
        roles |= set(yaml.safe_load(playbook.read_text("utf-8")).get("roles", {}))
    ids = set(data["inputs"]) | set(data["steps"]) | roles
    keys = set(data) | {key for answer in data["steps"].values() if isinstance(answer, dict) for key in answer}
    keys |= set(FLOW_KEY.findall(text)) | set(CODE_KEY.findall(text))
    words = set()
    for comment in re.findall(r"#[^:\n]*:([^\n]*)", example):
        words |= {part.strip() for part in re.split(r"[|,/]", comment) if re.fullmatch(r"\s*[^\W\d_]+\s*", part)}
    return keys - ids, words


def test_the_spanish_answers_file_doc_documents_every_key_and_answer_word_the_english_one_does():
    english_keys, english_words = _answers_vocabulary("docs/answers-file.md")
    spanish_keys, spanish_words = _answers_vocabulary("docs/es/answers-file.md")
    assert {"inputs", "steps", "visits", "skip", "text", "done", "reason"} <= english_keys
    assert {"send", "notified", "unreachable", "all", "none", "yes", "no"} <= english_words
    assert english_keys - spanish_keys == set()
    assert english_words - spanish_words == set()


def test_the_spanish_docs_give_the_spanish_yes_and_no_words_of_the_catalogue():
    from babel.messages.pofile import read_po

    with (REPO / "crisisplay" / "locale" / "es" / "LC_MESSAGES" / "crisisplay.po").open("rb") as po:
        catalogue = read_po(po)
    words = {word for message in ("yes|y|true", "no|n|false") for word in catalogue[message].string.split("|")}
    assert "sí" in words
    for doc in ("README.es.md", "docs/es/answers-file.md"):
        text = (REPO / doc).read_text("utf-8")
        assert [word for word in words if f"`{word}`" not in text] == [], doc


def test_ci_runs_the_tests_again_with_the_lowest_direct_versions():
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    install = ci.index("--resolution lowest-direct '.[test]'")
    assert "-m pytest" in ci[install:]
    assert "pip install -q 'uv" in ci[:install]  # uv from PyPI: nothing installed by hand


def test_the_readme_gives_every_declared_floor_and_why():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    text = (REPO / "README.md").read_text("utf-8")
    rows = {}
    for name, floor in re.findall(r"^\| ([\w.-]+) \| ([^|]+?) \|", text.split("\n## Dependencies\n", 1)[1], flags=re.M):
        rows[name.lower()] = floor
    for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
        name, floor = re.match(
            r"([\w.-]+)(?:\[[\w,]+\])?>=([\w.]+)", requirement
        ).groups()  # extras, like psycopg[binary]
        assert name.lower() in rows, f"README's Dependencies table has no row for {name}"
        assert floor in rows[name.lower()], (name, floor, rows[name.lower()])


PLACEHOLDERS = {"ID": r"\d{8}-\d{6}-mini-[0-9a-f]{4}", "HASH": "[0-9a-f]{64}", "NAME": ".+", "TEXT": ".+"}


def _json_examples() -> dict[str, dict]:
    """The README's `-f json` examples (`verify: {…}`), placeholders (ID, HASH, NAME, TEXT) as text."""
    text = (REPO / "README.md").read_text("utf-8")
    block = text[text.index("print one JSON object on standard output") :]
    block = block[block.index("```\n") + 4 : block.index("\n```", block.index("```\n") + 4)]
    examples = {}
    for command, body in re.findall(r"^(\w+): +(\{.*?\})", block, flags=re.S | re.M):
        # Outside the strings only: a message may name ID and HASH too.
        parts = re.split(r'("(?:[^"\\]|\\.)*")', body)
        parts[::2] = [re.sub(r"\b(ID|HASH|NAME|TEXT)\b", r'"\1"', part) for part in parts[::2]]
        examples[command] = json.loads("".join(parts))
    return examples


def _matches(example: object, real: object) -> bool:
    """A README value fits the real one: the same literal, a number for a number, text that
    reads the same with its placeholders filled and `…` standing for anything."""
    if isinstance(example, bool) or example is None:
        return example is real
    if isinstance(example, int):
        return isinstance(real, int) and not isinstance(real, bool)
    if isinstance(example, str) and isinstance(real, str):
        pattern = re.escape(example).replace("…", ".*").replace("42", r"\d+")
        for word, shape in PLACEHOLDERS.items():
            pattern = pattern.replace(word, shape)
        return re.fullmatch(pattern, real) is not None
    return False


def test_the_readme_json_examples_are_what_the_commands_print(run_cli, cli_cwd):
    from incident_logs import PAUSING, TWO_QUESTIONS

    examples = _json_examples()
    assert set(examples) == {"verify", "note", "inject", "close"}
    (cli_cwd / "mini.yaml").write_text(TWO_QUESTIONS)
    (cli_cwd / "a.yaml").write_text(PAUSING)
    code, out, err = run_cli("start", "mini.yaml", "--drill", "--answers", "a.yaml")  # a drill takes injects
    assert code == 3, err
    incident = out.strip()
    runs = {
        "verify": ("verify", incident),
        "note": ("note", incident, "Call back at noon"),
        "inject": ("inject", incident, "A journalist calls"),
        "close": ("close", incident, "--reason", "Fixed"),
    }
    for command, args in runs.items():
        code, out, err = run_cli(*args, "-f", "json")
        assert (code, err) == (0, ""), (command, err)
        real = json.loads(out)
        assert list(real) == list(examples[command]), command
        for key, value in examples[command].items():
            assert _matches(value, real[key]), (command, key, value, real[key])
