"""Every message of every bundled playbook, and each of its variants, rendered for real with the
longest plausible values of its inputs (each input's `max_length`, else lint's estimate; each
choice at every one of its values in turn), fits the length limit of the platform it goes out on."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisisplay.lint import suppress
from crisisplay.lint.channels import BYTES, PLATFORM_TABLE, pieces
from crisisplay.lint.rules_content import choice_values, platform_for, realistic_lengths
from crisisplay.playbook.checks import step_paths
from crisisplay.playbook.loader import load_playbook
from crisisplay.playbook.model import MessageStep, Playbook, saved_as
from crisisplay.templates import SeverityLevel, render_with_placeholders

BUNDLED = sorted((Path(__file__).parent.parent / "playbooks").glob("*.yaml"))


def longest_values(pb: Playbook) -> dict[str, object]:
    """Each name at its longest plausible value: a choice's longest option, text as long as it may be."""
    lengths = realistic_lengths(pb)
    choices = choice_values(pb)
    names: dict[str, object] = {}
    for name in pb.variable_names:
        if name in choices:
            names[name] = max(choices[name], key=len)
        elif (spec := pb.inputs.get(name)) is not None and spec.type == "number":
            names[name] = 999
        elif any(saved_as(s) == name and s.type == "confirm" for s in pb.steps):
            names[name] = False  # "False" is the longer of the two
        elif any(saved_as(s) == name and s.type == "number" for s in pb.steps):
            names[name] = 999
        else:
            names[name] = "W" * lengths.get(name, 15)  # W: among the widest letters, one character each
    levels = tuple(str(level) for level in pb.severity.levels)
    names.update(
        severity=SeverityLevel(max(levels, key=len), levels),
        incident_id="20260101-000000-" + pb.id + "-abcd",
        playbook=pb.id,
        responder="W" * 30,
        organisation="W" * 30,
        drill=False,
        elapsed_minutes=999,
    )
    return names


def renders(pb: Playbook, source: str, base: dict[str, object], fixed: dict[str, object]) -> list[str]:
    """The text for the longest values, and for each choice at each of its values in turn."""
    out = []
    tries = [{}] + [{name: value} for name, values in choice_values(pb).items() for value in values]
    for change in tries:
        names = {**base, **change, **fixed}
        text, _unset = render_with_placeholders(source, names)
        out.append(text.strip())
    return out


def _ids(path: Path) -> str:
    return path.stem


@pytest.mark.parametrize("path", BUNDLED, ids=_ids)
def test_every_message_fits_its_platform(path: Path):
    pb, checked = load_playbook(path)
    base = longest_values(pb)
    values = choice_values(pb)
    directives = suppress.read(path.read_text(encoding="utf-8"))
    # A message the author exempted with `# crisisplay: noqa CP405 -- why` (a thread, say) is theirs to answer for.
    exempt = {n.covers for n in directives.noqas if n.codes is None or "CP405" in n.codes}
    too_long = []
    for step_path, step in step_paths(pb):
        if not isinstance(step, MessageStep):
            continue
        for piece in pieces(step, step_path):
            platform = PLATFORM_TABLE.get(platform_for(piece, values) or "")
            if platform is None or platform.limit is None or directives.disabled:
                continue
            if checked.doc.position(piece.path)[0] in exempt:
                continue
            fixed = {step.variant_by: piece.key} if piece.key is not None and step.variant_by else {}
            for text in renders(pb, piece.template, base, fixed):
                size = len(text.encode("utf-8")) if platform.unit == BYTES else len(text)
                if size > platform.limit:
                    too_long.append(f"{step.id} {piece.key or ''} on {platform.id}: {size} > {platform.limit}")
                    break
    assert too_long == []


def test_the_check_finds_a_message_that_breaks_its_limit(tmp_path: Path):
    # The same check, on a playbook made to break it: the test above cannot pass by checking nothing.
    playbook = tmp_path / "long.yaml"
    playbook.write_text(
        "crisisplay: 1\nid: long\ntitle: Long\ninputs:\n  name:\n    prompt: Name?\n    max_length: 200\n"
        "phases:\n  - id: a\n    title: A\n    steps:\n      - id: m\n        type: message\n"
        "        channel: Reply\n        platform: x\n        template: 'Sorry, {{ name }}. " + "x" * 100 + "'\n",
        encoding="utf-8",
    )
    pb, _checked = load_playbook(playbook)
    [text] = set(renders(pb, pb.steps[0].template or "", longest_values(pb), {}))
    assert len(text) == len("Sorry, . ") + 200 + 100 > PLATFORM_TABLE["x"].limit
