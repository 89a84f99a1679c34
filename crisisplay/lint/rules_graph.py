"""Graph rules beyond the checker: choices that are not choices, and phases a run can miss."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from crisisplay.findings import Finding
from crisisplay.i18n import _
from crisisplay.lint.flow import describe, reachable, shortest_path
from crisisplay.playbook.checks import step_paths
from crisisplay.playbook.model import END, InputOption, Playbook
from crisisplay.yamlsource import Document, Path_


def check(pb: Playbook, doc: Document) -> list[Finding]:
    """CP208 too-few-options, CP209 duplicate-option, CP210 skippable-phase."""
    findings: list[Finding] = []
    for path, step in step_paths(pb):
        if step.type == "choice":
            findings += _options(doc, path, step.options, _("step '{id}'").format(id=step.id))
    for name, item in pb.inputs.items():
        if item.type == "choice" and item.options:
            findings += _options(doc, ("inputs", name), item.options, _("input '{name}'").format(name=name))
    findings += _skippable_phases(pb, doc)
    return findings


def _options(doc: Document, path: Path_, options: Sequence[InputOption], owner: str) -> list[Finding]:
    findings: list[Finding] = []
    if len(options) < 2:
        findings.append(
            doc.finding(
                path + ("options",),
                "CP208",
                _(
                    "{owner} offers {count} option; a choice needs "
                    "at least two (use a confirm or info step for a single answer)"
                ).format(owner=owner, count=len(options)),
            )
        )
    for field in ("value", "label"):
        first: dict[str, int] = {}
        for i, option in enumerate(options):
            text = getattr(option, field)
            if text in first:
                line = doc.position(path + ("options", first[text]))[0]
                findings.append(
                    doc.finding(
                        path + ("options", i),
                        "CP209",
                        _(
                            "{owner}: option {field} '{text}' is already "
                            "used by the option at line {line}; each option needs its own {field}"
                        ).format(owner=owner, field=field, text=text, line=line),
                    )
                )
            else:
                first[text] = i
    return findings


def _outside(members: set[int]) -> Callable[[int], bool]:
    """Whether step `i` lies outside `members`."""
    return lambda i: i not in members


def _skippable_phases(pb: Playbook, doc: Document) -> list[Finding]:
    """A phase is skipped on a run that enters none of its steps: a `next` jumps over it.

    Steps the run enters and skips by their own `when` do not count: a condition on every
    step is the author saying, step by step, when the phase applies.
    """
    findings: list[Finding] = []
    live = reachable(pb)
    for p, phase in enumerate(pb.phases):
        members = {pb.step_index[s.id] for s in phase.steps if s.id in pb.step_index}
        # Duplicate ids (CP202) make the index ambiguous; the checker reports those.
        if not members & live or len(members) != len(phase.steps):
            continue
        path = shortest_path(pb, END, lambda i: True, enterable=_outside(members))
        if path is None:
            continue
        findings.append(
            doc.finding(
                ("phases", p, "id"),
                "CP210",
                _(
                    "phase '{id}' can be skipped entirely: the run {run} never enters it; expected every run "
                    "to go through it (give its steps a `when` if it only applies sometimes)"
                ).format(id=phase.id, run=describe(pb, path, "end")),
            )
        )
    return findings
