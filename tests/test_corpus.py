"""Hostile input: every yaml-test-suite case through the checker never raises or hangs.

The cases are a copy of /work/shared/corpus/yaml-test-suite (MIT, see its LICENSE) kept in
tests/data so that a clean clone runs them too; a test checks the copy against a manifest of
the shared corpus's hashes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from crisisplay.findings import RULES
from crisisplay.playbook.loader import check_text
from crisisplay.playbook.model import Playbook

CORPUS = Path(__file__).resolve().parent / "data" / "yaml-test-suite"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "yaml-test-suite"
MANIFEST = CORPUS.parent / "yaml-test-suite.sha256"  # `sha256sum` of the shared corpus's files
CASES = sorted(CORPUS.glob("*.yaml"))


def test_corpus_copy_is_present_with_its_licence():
    assert (CORPUS / "LICENSE").is_file()
    assert (CORPUS / "README.md").is_file()
    assert len(CASES) >= 350
    assert any(p.name.endswith(".error.yaml") for p in CASES)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def test_corpus_copy_is_byte_for_byte_the_shared_corpus():
    """The manifest was taken from the shared corpus; the copy must match it file for file.
    Where the shared corpus sits beside the clone (a development checkout), it must match too."""
    manifest = dict(reversed(line.split("  ", 1)) for line in MANIFEST.read_text().splitlines())
    assert _digests(CORPUS) == manifest
    if SHARED.is_dir():
        assert _digests(SHARED) == manifest


@pytest.mark.timeout(10)
@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_corpus_case_gives_a_playbook_or_positioned_findings(case: Path):
    raw = case.read_bytes()
    checked = check_text(raw, str(case), stem=case.stem)
    lines = raw.decode("utf-8-sig", "replace").split("\n")
    for finding in checked.findings:
        assert finding.code in RULES, str(finding)
        assert finding.line >= 1 and finding.column >= 1, str(finding)
        # The position is inside the file (or just past the end of a line).
        assert finding.line <= len(lines) and finding.column <= len(lines[finding.line - 1]) + 1, str(finding)
        assert finding.path == str(case)
        assert finding.message
    if checked.playbook is not None:
        assert isinstance(checked.playbook, Playbook)
    else:
        assert checked.errors, "no playbook and no error to say why"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("case", [p for p in CASES if p.name.endswith(".error.yaml")], ids=lambda p: p.name)
def test_corpus_case_a_parser_must_reject_is_never_a_playbook(case: Path):
    checked = check_text(case.read_bytes(), str(case))
    assert checked.playbook is None
    assert checked.errors


def test_every_syntax_error_libyaml_gives_on_the_corpus_is_said_in_spanish():
    """The parser's own English words are translated: none of the corpus's errors reaches a Spanish reader as is."""
    import yaml

    from crisisplay import i18n
    from crisisplay.yamlsource import _PARSER_WORDS, Loader

    said: set[str] = set()
    for case in sorted(CORPUS.glob("*.yaml")):
        try:
            list(yaml.compose_all(case.read_text(encoding="utf-8", errors="replace"), Loader=Loader))
        except yaml.MarkedYAMLError as err:
            said |= {words for words in (err.problem, err.context) if words}
        except yaml.YAMLError:
            pass
    assert said and said <= _PARSER_WORDS, sorted(said - _PARSER_WORDS)
    with i18n.speaking("es"):
        broken = check_text("title: x\nid: [\n", "b.yaml")
    assert [f.message for f in broken.findings] == [
        "sintaxis YAML: no se encontró el contenido esperado al leer un valor en línea"
    ]
