"""The shared checker's part for clocks: deadlines (CP213, CP214) and the update cadence (CP215).

A deadline starts at `detection` or when a known step is answered, is met by known steps and has
a duration: its own `within`, or the `within:` of the options of its start step (a choice) that
promise a time (an option without one does not start the clock). An
option's `within:` on a step no deadline starts from would never be used. The cadence is by
severity level and restarts at each send of its `updates`, which are message steps.
"""

from __future__ import annotations

from crisisplay.findings import Finding, did_you_mean, one_of
from crisisplay.i18n import _
from crisisplay.playbook.model import DETECTION, ChoiceStep, Playbook
from crisisplay.yamlsource import Document


def check_clocks(pb: Playbook, doc: Document) -> list[Finding]:
    """CP213 unknown-clock-step, CP214 deadline-duration, CP215 bad-cadence."""
    return _deadlines(pb, doc) + _option_withins(pb, doc) + _cadence(pb, doc)


def _deadlines(pb: Playbook, doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    step_ids = list(pb.step_index)
    for name, deadline in pb.deadlines.items():
        path = ("deadlines", name)
        if deadline.start != DETECTION and deadline.start not in pb.step_index:
            findings.append(
                doc.finding(
                    (*path, "start"),
                    "CP213",
                    _("deadline '{name}': start '{start}' names no step; expected 'detection' or a step id").format(
                        name=name, start=deadline.start
                    )
                    + did_you_mean(deadline.start, [DETECTION, *step_ids]),
                )
            )
        for i, step_id in enumerate(deadline.met_by):
            if step_id not in pb.step_index:
                findings.append(
                    doc.finding(
                        (*path, "met_by", i),
                        "CP213",
                        _("deadline '{name}': met_by '{step}' names no step").format(name=name, step=step_id)
                        + did_you_mean(step_id, step_ids),
                    )
                )
        if deadline.within is None:
            findings += _duration_from_options(pb, doc, name)
    return findings


def _duration_from_options(pb: Playbook, doc: Document, name: str) -> list[Finding]:
    """A deadline without `within` takes it from its start step's chosen option: every option needs one."""
    deadline = pb.deadlines[name]
    step = pb.step(deadline.start) if deadline.start in pb.step_index else None
    if deadline.start != DETECTION and step is None:
        return []  # CP213 said it
    if not isinstance(step, ChoiceStep):
        return [
            doc.finding(
                ("deadlines", name),
                "CP214",
                _(
                    "deadline '{name}' has no `within:`; give it one, or start it at a choice step whose "
                    "options carry `within:`"
                ).format(name=name),
                key=True,
            )
        ]
    if any(o.within is not None for o in step.options):
        return []  # an option without `within:` promises nothing: the clock does not start
    return [
        doc.finding(
            ("deadlines", name),
            "CP214",
            _(
                "deadline '{name}' has no `within:` and takes it from step '{step}', but none of its options has "
                "`within:`; give the options that promise a time `within:`, or the deadline its own"
            ).format(name=name, step=step.id),
            key=True,
        )
    ]


def _option_withins(pb: Playbook, doc: Document) -> list[Finding]:
    """An option's `within:` starts a deadline only on a step some deadline starts from."""
    from crisisplay.playbook.checks import step_paths

    starts = {d.start for d in pb.deadlines.values()}
    findings: list[Finding] = []
    for path, step in step_paths(pb):
        if not isinstance(step, ChoiceStep) or step.id in starts:
            continue
        for i, option in enumerate(step.options):
            if option.within is not None:
                findings.append(
                    doc.finding(
                        (*path, "options", i, "within"),
                        "CP214",
                        _(
                            "option '{value}' has `within:` but no deadline starts at step '{step}'; "
                            "add a deadline with `start: {step}`, or remove it"
                        ).format(value=option.value, step=step.id),
                    )
                )
    return findings


def _cadence(pb: Playbook, doc: Document) -> list[Finding]:
    from crisisplay.playbook.checks import level_hint

    cadence = pb.cadence
    if cadence is None:
        return []
    findings: list[Finding] = []
    levels = pb.severity.levels
    for level in cadence.every:
        if level not in levels:
            findings.append(
                doc.finding(
                    ("cadence", "every", level),
                    "CP215",
                    _("cadence: '{level}' is not a severity level; expected {levels}").format(
                        level=level, levels=one_of(levels)
                    )
                    + level_hint(level, levels),
                    key=True,
                )
            )
    for i, step_id in enumerate(cadence.updates):
        if step_id not in pb.step_index:
            findings.append(
                doc.finding(
                    ("cadence", "updates", i),
                    "CP215",
                    _("cadence: update '{step}' names no step").format(step=step_id)
                    + did_you_mean(step_id, [s.id for s in pb.steps if s.type == "message"] or pb.step_index),
                )
            )
        elif pb.step(step_id).type != "message":
            findings.append(
                doc.finding(
                    ("cadence", "updates", i),
                    "CP215",
                    _("cadence: update '{step}' is a {type} step; updates are message steps").format(
                        step=step_id, type=pb.step(step_id).type
                    ),
                )
            )
    return findings
