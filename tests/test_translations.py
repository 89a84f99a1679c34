"""`translation_of:`: a translation keeps its original's ids and behaviour, and `crisisplay lint`
reports every drift (CP601) at the translation's node; the bundled translations are drift-free."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lint_helpers import line_of, only

from crisisplay.lint.policy import Policy
from crisisplay.lint.runner import lint_file
from crisisplay.playbook.loader import check_file

REPO = Path(__file__).resolve().parents[1]
PLAYBOOKS = REPO / "playbooks"
TRANSLATIONS = {"error-precio": "pricing-error", "publicacion-ofensiva": "offensive-post"}


@pytest.mark.parametrize("translation, original", TRANSLATIONS.items())
def test_the_bundled_spanish_playbooks_translate_the_english_ones_without_drift(translation, original):
    path = PLAYBOOKS / f"{translation}.yaml"
    pb = check_file(path).playbook
    assert (pb.translation_of, pb.locale) == (original, "es")
    assert [str(f) for f in lint_file(path).findings if f.code == "CP601"] == []
    english = check_file(PLAYBOOKS / f"{original}.yaml").playbook
    assert list(pb.step_index) == list(english.step_index)
    # the words are Spanish: no prompt is left as the original wrote it
    assert not {s.prompt for s in pb.steps if s.prompt} & {s.prompt for s in english.steps if s.prompt}
    assert all(level.label for level in pb.severity.levels)
    assert all(role.label for role in pb.roles.values()) and all(t.label for t in pb.targets.values())


@pytest.fixture
def pair(tmp_path):
    """The English original and its Spanish translation side by side, the translation to edit."""
    shutil.copy(PLAYBOOKS / "pricing-error.yaml", tmp_path / "pricing-error.yaml")
    translation = tmp_path / "error-precio.yaml"
    text = (PLAYBOOKS / "error-precio.yaml").read_text(encoding="utf-8")
    translation.write_text(text, encoding="utf-8")

    def drift(old: str, new: str, count: int = 1) -> tuple[list, str]:
        assert text.count(old) >= count, old
        edited = text.replace(old, new, count)
        translation.write_text(edited, encoding="utf-8")
        return only(lint_file(translation).findings, "CP601"), edited

    return drift


def test_the_copied_pair_has_no_drift(pair):
    assert pair("crisisplay: 1", "crisisplay: 1")[0] == []


# (what is changed in the translation, what the finding says, where it points)
DRIFTS = [
    (
        "- id: next-update",
        "- id: proxima-actualizacion",
        "step 'proxima-actualizacion' is not in the original 'pricing-error'",
        "- id: proxima-actualizacion",
    ),
    (
        "        type: info\n",
        "        type: text\n",
        "step 'recheck-wait' is a text step here but an info step",
        ("- id: recheck-wait", 1),
    ),
    (
        "        next: price-status\n",
        "        next: fix-price\n",
        "`next` is 'fix-price' here but 'price-status'",
        "        next: fix-price",
    ),
    (
        "when: severity == 'critical'",
        "when: severity != 'low'",
        "`when` is `severity != 'low'` here but `severity == 'critical'`",
        "when: severity != 'low'",
    ),
    (
        "            value: viral\n",
        "            value: viralizado\n",
        "option values [contained, growing, viralizado, press] differ from the original 'pricing-error'",
        ("      - id: assess-reach", 7),
    ),
    (
        "            value: growing\n            severity: medium",
        "            value: growing\n            severity: high",
        "option 'growing' has `severity` 'high' here but 'medium'",
        "            severity: high",
    ),
    (
        "            value: fixed\n            next: count-orders",
        "            value: fixed\n            next: offer",
        "option 'fixed' has `next` 'offer' here but 'count-orders'",
        "            next: offer",
    ),
    (
        "    within: 1h\n    label: contacto",
        "    within: 2h\n    label: contacto",
        "target 'contacted' is 2h here but 1h in the original",
        "    within: 2h",
    ),
    (
        "  escalated:\n    within: 30m\n    label: aviso a tu responsable\n",
        "",
        "target 'escalated' of the original 'pricing-error' is missing",
        "targets:",
    ),
    ("  tech:\n", "  it:\n", "role 'it' is not in the original", "  it:"),
    (
        "    - id: critical\n      label: crítica",
        "    - id: crítica\n      label: crítica",
        "severity levels [low, medium, high, crítica] differ from the original",
        "  levels:",
    ),
    ("  initial: low", "  initial: medium", "severity starts at 'medium' here but at 'low'", "  initial: medium"),
    (
        "    prompt: Número del pedido anulado del cliente\n    type: text",
        "    prompt: Número del pedido anulado del cliente\n    type: number",
        "input 'order_ref' is a number input here but a text input",
        "    type: number",
    ),
    (
        "        value: elsewhere",
        "        value: otra-web",
        "input 'platform': option values [x, facebook, instagram, otra-web] differ",
        "    options:",
    ),
    (
        "    help: ¿En varias redes? Elige X; su texto corto vale para todas.\n",
        "    help: ¿En varias redes? Elige X; su texto corto vale para todas.\n    default: facebook\n",
        "input 'platform': `default` is 'facebook' here but not set in the original",
        "    default: facebook",
    ),
    (
        "        save_as: contact_method",
        "        save_as: metodo",
        "`save_as` is 'metodo' here but 'contact_method'",
        "        save_as: metodo",
    ),
    (
        "        milestone: contacted",
        "        milestone: acknowledged",
        "`milestone` is 'acknowledged' here but 'contacted'",
        "        milestone: acknowledged",
    ),
    (
        "        section: what-went-well",
        "        section: lo-que-salio-bien",
        "`section` is 'lo-que-salio-bien' here but 'what-went-well'",
        "section: lo-que-salio-bien",
    ),
    (
        "        to: [pr, legal]",
        "        to: [legal, pr]",
        "`to` is [legal, pr] here but [pr, legal]",
        "to: [legal, pr]",
    ),
    ("        min: 0\n", "        min: 1\n", "`min` is 1 here but 0 in", "        min: 1"),
    (
        "          - Corrige el precio en el catálogo de la tienda\n",
        "",
        "step 'fix-price' lists 6 item(s) here but 7 in the original",
        "        items:",
    ),
]


@pytest.mark.parametrize("old, new, message, at", DRIFTS, ids=[d[2][:40] for d in DRIFTS])
def test_each_kind_of_drift_is_reported_at_the_translations_node(pair, old, new, message, at):
    findings, edited = pair(old, new)
    matching = [f for f in findings if message in f.message]
    assert matching, [f.message for f in findings]
    assert matching[0].level == "warning"
    needle, below = at if isinstance(at, tuple) else (at.split("\n")[0], 0)
    assert matching[0].line == line_of(edited, needle) + below, (str(matching[0]), needle)


def test_a_renamed_step_is_reported_missing_and_added(pair):
    findings, _ = pair("- id: offer", "- id: oferta")
    messages = [f.message for f in findings]
    assert any("step 'offer' of the original 'pricing-error' (phase 'make-it-right') is missing" in m for m in messages)
    assert any("step 'oferta' is not in the original" in m for m in messages)


def test_a_step_moved_to_another_phase_or_out_of_order_is_reported(pair):
    text = (PLAYBOOKS / "error-precio.yaml").read_text(encoding="utf-8")
    block_start = text.index("      - id: next-update")
    block_end = text.index("      - id: private-message")
    block = text[block_start:block_end]
    moved = text[:block_start] + text[block_end:]
    # out of order: next-update after private-message, in the same phase
    at = moved.index("      - id: holding-statement")
    findings, _ = pair(text, moved[:at] + block + moved[at:])
    assert any(
        "step 'next-update' is out of the original 'pricing-error''s order: there it comes after "
        "'contact-customer'" in f.message
        for f in findings
    ), [f.message for f in findings]
    # another phase: next-update moved into the legal check
    at = moved.index("      - id: legal-decision")
    findings, _ = pair(text, moved[:at] + block + moved[at:])
    assert any("step 'next-update' is in phase 'legal-check' here but in 'respond'" in f.message for f in findings)


def test_phases_in_another_order_are_reported(pair):
    text = (PLAYBOOKS / "error-precio.yaml").read_text(encoding="utf-8")
    start, middle, _end = (text.index(f"  - id: {p}\n") for p in ("monitoring", "post-mortem", "post-mortem"))
    monitoring = text[start:middle]
    swapped = text[:start] + text[middle:] + "\n" + monitoring
    findings, _ = pair(text, swapped)
    assert any("phases come in another order" in f.message for f in findings), [f.message for f in findings]


@pytest.mark.parametrize(
    "old, new",
    [
        ("when: severity >= 'high'", 'when: severity>="high"'),  # the same expression, written otherwise
        ("    within: 1h\n    label: contacto", "    within: 60m\n    label: contacto"),  # the same time
        ("Pedidos con el precio erróneo\n", "Pedidos al precio equivocado\n"),  # words
        ("      label: crítica", "      label: muy grave"),  # a label
    ],
)
def test_words_and_equivalent_forms_are_not_drift(pair, old, new):
    assert pair(old, new)[0] == []


def test_an_original_that_cannot_be_found_is_reported_at_translation_of(pair):
    findings, edited = pair("translation_of: pricing-error", "translation_of: pricing-eror")
    [finding] = findings
    assert "the original 'pricing-eror' cannot be found" in finding.message
    assert finding.line == line_of(edited, "translation_of:")


def test_the_original_may_be_a_path_relative_to_the_translation(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "es").mkdir()
    shutil.copy(PLAYBOOKS / "pricing-error.yaml", tmp_path / "en" / "pricing-error.yaml")
    text = (PLAYBOOKS / "error-precio.yaml").read_text(encoding="utf-8")
    path = tmp_path / "es" / "error-precio.yaml"
    path.write_text(
        text.replace("translation_of: pricing-error", "translation_of: ../en/pricing-error.yaml"), encoding="utf-8"
    )
    assert only(lint_file(path).findings, "CP601") == []
    path.write_text(
        text.replace("translation_of: pricing-error", "translation_of: ../en/missing.yaml").replace(
            "  initial: low", "  initial: medium"
        ),
        encoding="utf-8",
    )
    [finding] = only(lint_file(path).findings, "CP601")
    assert "the original '../en/missing.yaml' cannot be found" in finding.message


def test_an_id_not_beside_the_translation_is_looked_up_like_any_playbook_id(tmp_path, run_cli, cli_cwd):
    # alone in a folder: the bundled pricing-error is the original it is compared with
    shutil.copy(PLAYBOOKS / "error-precio.yaml", cli_cwd / "error-precio.yaml")
    code, out, err = run_cli("lint", "--strict", "error-precio.yaml")
    assert (code, out) == (0, ""), err
    # a drift from the bundled original fails `lint --strict` (a warning: plain `lint` passes)
    text = (cli_cwd / "error-precio.yaml").read_text(encoding="utf-8")
    (cli_cwd / "error-precio.yaml").write_text(text.replace("  initial: low", "  initial: high"), encoding="utf-8")
    code, out, _ = run_cli("lint", "--strict", "error-precio.yaml")
    assert code == 1 and "CP601 [warning] severity starts at 'high' here but at 'low'" in out
    assert run_cli("lint", "error-precio.yaml")[0] == 0


def test_a_playbook_cannot_be_a_translation_of_itself(tmp_path):
    path = tmp_path / "pricing-error.yaml"
    path.write_text(
        (PLAYBOOKS / "pricing-error.yaml")
        .read_text(encoding="utf-8")
        .replace("locale: en\n", "locale: en\ntranslation_of: pricing-error\n"),
        encoding="utf-8",
    )
    [finding] = only(lint_file(path).findings, "CP601")
    assert "cannot be a translation of itself" in finding.message


def test_an_original_with_errors_is_reported_not_compared(pair, tmp_path):
    (tmp_path / "pricing-error.yaml").write_text("crisisplay: 1\nid: pricing-error\n", encoding="utf-8")
    [finding] = pair("crisisplay: 1", "crisisplay: 1")[0]
    assert "is not a usable playbook" in finding.message and "lint it first" in finding.message


def test_the_rule_can_be_switched_off_like_any_warning(pair, tmp_path):
    pair("  initial: low", "  initial: medium")
    path = tmp_path / "error-precio.yaml"
    assert only(lint_file(path, Policy(enabled=Policy().enabled - {"CP601"})).findings, "CP601") == []


def test_show_and_start_run_a_translation_on_its_own(run_cli, cli_cwd):
    # the original is nowhere to be found, and a noqa for CP601 is not reported as unused
    text = (PLAYBOOKS / "error-precio.yaml").read_text(encoding="utf-8")
    text = text.replace("translation_of: pricing-error", "translation_of: nowhere  # crisisplay: noqa CP601")
    (cli_cwd / "error-precio.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli("show", "error-precio.yaml")
    assert code == 0 and err == "", err
    assert (
        "gravedad: baja (low) < media (medium) < alta (high) < crítica (critical)" in out
    )  # the playbook's locale: Spanish
    code, out, err = run_cli("lint", "--strict", "error-precio.yaml")
    assert code == 0, out + err
