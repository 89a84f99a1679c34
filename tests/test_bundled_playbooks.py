"""The bundled playbooks are product: clean, complete, and each with an example answers file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crisisplay.playbook.loader import check_file

REPO = Path(__file__).resolve().parents[1]
REPO_PLAYBOOKS = REPO / "playbooks"
PLAYBOOKS = sorted(REPO_PLAYBOOKS.glob("*.yaml"))


# The library: the ten crises a small online business is most likely to meet, each in English
# and in Spanish (the Spanish one declares `translation_of:` its English original).
LIBRARY = {
    "pricing-error": "error-precio",
    "offensive-post": "publicacion-ofensiva",
    "service-complaint": "queja-servicio",
    "review-bombing": "resenas-falsas",
    "account-hacked": "cuenta-hackeada",
    "impersonation": "suplantacion",
    "outage-delays": "caida-retrasos",
    "data-breach": "brecha-datos",
    "staff-conduct": "conducta-personal",
    "product-recall": "retirada-producto",
}


def test_the_bundled_playbooks_are_the_library_in_english_and_spanish():
    assert sorted(p.stem for p in PLAYBOOKS) == sorted([*LIBRARY, *LIBRARY.values()])
    for english, spanish in LIBRARY.items():
        original = check_file(REPO_PLAYBOOKS / f"{english}.yaml").playbook
        twin = check_file(REPO_PLAYBOOKS / f"{spanish}.yaml").playbook
        assert (original.locale, original.translation_of) == ("en", None), english
        assert (twin.locale, twin.translation_of) == ("es", english), spanish
        assert original.tags[0] == twin.tags[0], f"{spanish} is grouped apart from {english}"


@pytest.fixture(params=PLAYBOOKS, ids=lambda p: p.stem)
def bundled(request):
    path = request.param
    checked = check_file(path)
    return path, checked


def test_bundled_playbook_has_no_findings_at_any_level(bundled):
    path, checked = bundled
    assert [str(f) for f in checked.findings] == []
    assert checked.playbook.id == path.stem


def test_bundled_playbook_has_12_to_30_steps(bundled):
    _, checked = bundled
    assert 12 <= len(checked.playbook.steps) <= 30


def test_bundled_playbook_ends_with_a_post_mortem_phase(bundled):
    _, checked = bundled
    assert checked.playbook.phases[-1].id == "post-mortem"


def test_bundled_playbook_escalates_and_sends_a_message(bundled):
    _, checked = bundled
    types = [step.type for step in checked.playbook.steps]
    assert types.count("escalate") >= 1
    assert types.count("message") >= 1


def test_bundled_playbook_has_a_post_mortem_text_step_with_a_section(bundled):
    _, checked = bundled
    sections = [s for s in checked.playbook.steps if s.type == "text" and getattr(s, "section", None)]
    assert sections
    post_mortem = {s.id for s in checked.playbook.phases[-1].steps}
    assert any(s.id in post_mortem for s in sections)


def test_bundled_playbook_declares_targets_and_reaches_them(bundled):
    _, checked = bundled
    pb = checked.playbook
    assert pb.targets
    milestones = {s.milestone for s in pb.steps if s.milestone}
    assert milestones == set(pb.targets)


def test_bundled_playbook_escalates_only_to_declared_roles(bundled):
    _, checked = bundled
    pb = checked.playbook
    assert pb.roles
    for step in pb.steps:
        if step.type == "escalate":
            assert set(step.to) <= set(pb.roles)


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.stem)
def test_bundled_playbook_has_an_example_answers_file(path: Path):
    answers = REPO / "examples" / f"{path.stem}.answers.yaml"
    assert answers.is_file(), f"missing {answers.relative_to(REPO)}"
    data = yaml.safe_load(answers.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("steps"), dict)
    pb = check_file(path).playbook
    assert set(data["steps"]) <= set(pb.step_index), "the answers file names steps the playbook lacks"
    assert set(data.get("inputs") or {}) <= set(pb.inputs)
