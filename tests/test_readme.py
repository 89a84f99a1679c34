"""The README's commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_every_doc_the_readme_links_exists():
    text = (REPO / "README.md").read_text("utf-8")
    links = re.findall(r"\]\((docs/[^)#]+)", text)
    assert links
    assert [link for link in links if not (REPO / link).is_file()] == []


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
        name, floor = re.match(r"([\w.-]+)>=([\w.]+)", requirement).groups()
        assert name.lower() in rows, f"README's Dependencies table has no row for {name}"
        assert floor in rows[name.lower()], (name, floor, rows[name.lower()])
