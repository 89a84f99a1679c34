"""The checks of a scenario against the playbook it rehearses (rules CP703–CP716).

Each finding points at the value (or key) of the scenario that is wrong: the playbook is
only read. What the playbook lookup itself finds (CP704), the file name (CP713) and the
structure (CP101–CP110, CP701, CP702) are the loader's.
"""

from __future__ import annotations

from collections import deque

from crisisplay.findings import Finding, did_you_mean
from crisisplay.i18n import _
from crisisplay.playbook.checks import level_hint, successors
from crisisplay.playbook.model import (
    ChoiceStep,
    ConfirmStep,
    EscalateStep,
    Input,
    NumberStep,
    Playbook,
    TextStep,
    saved_as,
)
from crisisplay.scenario.model import FactValue, Scenario
from crisisplay.yamlsource import Document


def against_playbook(scenario: Scenario, playbook: Playbook, doc: Document) -> list[Finding]:
    """Findings for what `scenario` names that `playbook` does not have, or cannot take."""
    findings: list[Finding] = []
    findings += _steps(scenario, playbook, doc)
    findings += _effects(scenario, playbook, doc)
    findings += _belongs(scenario, playbook, doc)
    return findings


def own_findings(scenario: Scenario, doc: Document) -> list[Finding]:
    """What the scenario gets wrong on its own, without its playbook: injects due after the end
    (CP705) and inject ids given twice (CP712)."""
    findings: list[Finding] = []
    end = scenario.duration_ms
    for number, inject in enumerate(scenario.injects):
        at = inject.at_ms
        if end is not None and at is not None and at > end:
            findings.append(
                doc.finding(
                    ("injects", number, "at"),
                    "CP705",
                    _("inject after the end: it is due at {at}, and the scenario lasts {duration}").format(
                        at=inject.at, duration=scenario.duration
                    ),
                )
            )
    seen: dict[str, int] = {}
    for number, inject in enumerate(scenario.injects):
        name = str(inject.id)
        if name in seen:
            findings.append(
                doc.finding(
                    ("injects", number, "id"),
                    "CP712",
                    _("inject id '{id}' is used twice (first by inject {first}); give each inject its own id").format(
                        id=name, first=seen[name] + 1
                    ),
                )
            )
        else:
            seen[name] = number
    return findings


def _steps(scenario: Scenario, pb: Playbook, doc: Document) -> list[Finding]:
    """CP703 unknown steps; CP706 an inject after a step that ends the run; CP716 an `answered_by`
    step no run reaches after the inject's step."""
    findings: list[Finding] = []
    for number, inject in enumerate(scenario.injects):
        where = ("injects", number)
        step = inject.after_step
        if step is not None and step not in pb.step_index:
            findings.append(_unknown_step(doc, (*where, "after_step"), step, pb))
            step = None
        after = after_answering(pb, pb.step_index[step]) if step is not None else None
        if step is not None and after is not None and not after:
            findings.append(
                doc.finding(
                    (*where, "after_step"),
                    "CP706",
                    _(
                        "answering '{step}' ends the run, so this inject comes when nothing is left to answer; "
                        "attach it to an earlier step or give it a time with `at:`"
                    ).format(step=step),
                )
            )
        for k, answer in enumerate(inject.answered_by):
            path = (*where, "answered_by", k)
            if answer not in pb.step_index:
                findings.append(_unknown_step(doc, path, answer, pb))
            elif after is not None and pb.step_index[answer] not in after:
                findings.append(
                    doc.finding(
                        path,
                        "CP716",
                        _(
                            "no run answers '{answer}' after '{step}', so it can never answer this inject; "
                            "name a step that comes after it"
                        ).format(answer=answer, step=step),
                    )
                )
    return findings


def _unknown_step(doc: Document, path: tuple[str | int, ...], step: str, pb: Playbook) -> Finding:
    return doc.finding(
        path,
        "CP703",
        _("no step '{step}' in playbook {playbook}").format(step=step, playbook=pb.id)
        + did_you_mean(step, pb.step_index),
    )


def after_answering(pb: Playbook, index: int) -> set[int]:
    """The steps a run can reach once step `index` is answered."""
    seen: set[int] = set()
    queue = deque(n for n in successors(pb, index) if isinstance(n, int))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(n for n in successors(pb, node) if isinstance(n, int) and n not in seen)
    return seen


def escalation_roles(pb: Playbook) -> list[str]:
    """The roles an escalation can try to reach: `roles:` and every escalate step's `to:`."""
    named = [role for step in pb.steps if isinstance(step, EscalateStep) for role in step.to]
    return list(dict.fromkeys([*pb.roles, *named]))


def _effects(scenario: Scenario, pb: Playbook, doc: Document) -> list[Finding]:
    """CP707 a severity level the playbook has not; CP708/CP709 a `set:` name or value it cannot take;
    CP710 a personal input set; CP711 an unreachable role it has not."""
    findings: list[Finding] = []
    roles = escalation_roles(pb)
    for number, inject in enumerate(scenario.injects):
        where = ("injects", number, "effects")
        level = inject.effects.severity
        if level is not None and level not in pb.severity.levels:
            findings.append(
                doc.finding(
                    (*where, "severity"),
                    "CP707",
                    _("no severity level '{level}' in playbook {playbook}; its levels are {levels}").format(
                        level=level, playbook=pb.id, levels=", ".join(pb.severity.levels)
                    )
                    + level_hint(level, pb.severity.levels),
                )
            )
        for name, value in inject.effects.set.items():
            path = (*where, "set", name)
            if name not in pb.variable_names:
                findings.append(
                    doc.finding(
                        path,
                        "CP708",
                        _("'{name}' is neither an input nor a `save_as` of playbook {playbook}").format(
                            name=name, playbook=pb.id
                        )
                        + did_you_mean(name, pb.variable_names),
                        key=True,
                    )
                )
                continue
            problem = _cannot_take(pb, name, value)
            if problem:
                findings.append(doc.finding(path, "CP709", problem))
            spec = pb.inputs.get(name)
            if spec is not None and spec.personal not in (None, False):
                findings.append(
                    doc.finding(
                        path,
                        "CP710",
                        _(
                            "'{name}' is a personal input: a scenario is shared and logged as written, so give it "
                            "no real person's data (leave it out, or use a made-up value)"
                        ).format(name=name),
                        key=True,
                    )
                )
        for role in inject.effects.unreachable:
            if role not in roles:
                findings.append(
                    doc.finding(
                        (*where, "unreachable", role),
                        "CP711",
                        _("no role '{role}' in playbook {playbook} (its roles: {roles})").format(
                            role=role, playbook=pb.id, roles=", ".join(roles) or _("none")
                        )
                        + did_you_mean(role, roles),
                        key=True,
                    )
                )
    return findings


def _cannot_take(pb: Playbook, name: str, value: FactValue) -> str:
    """Why `name` cannot hold `value` (empty when an input or a step saving as `name` can)."""
    problems: list[str] = []
    spec = pb.inputs.get(name)
    if spec is not None:
        problems.append(_input_problem(spec, name, value))
    for step in pb.steps:
        if saved_as(step) == name:
            problems.append(_step_problem(step, name, value))
    if not problems or any(not p for p in problems):
        return ""
    return problems[0]


def _shown(value: FactValue) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, str) else str(value)


def _input_problem(spec: Input, name: str, value: FactValue) -> str:
    if spec.type == "choice":
        values = [str(o.value) for o in spec.options or []]
        if isinstance(value, str) and value in values:
            return ""
        return _("'{name}' is a choice; {value} is not one of its values ({values})").format(
            name=name, value=_shown(value), values=", ".join(values)
        ) + did_you_mean(str(value), values)
    if spec.type == "number":
        if isinstance(value, int) and not isinstance(value, bool):
            return ""
        return _("'{name}' is a number input; write a whole number, not {value}").format(name=name, value=_shown(value))
    if not isinstance(value, str):
        return _("'{name}' is a text input; quote the value: '{value}'").format(name=name, value=_shown(value))
    if spec.max_length is not None and len(value) > spec.max_length:
        return _("'{name}' takes at most {limit} characters; this value has {count}").format(
            name=name, limit=spec.max_length, count=len(value)
        )
    return ""


def _step_problem(step: object, name: str, value: FactValue) -> str:
    if isinstance(step, ChoiceStep):
        values = [str(o.value) for o in step.options]
        if isinstance(value, str) and value in values:
            return ""
        return _("'{name}' is saved by the choice step '{step}'; {value} is not one of its values ({values})").format(
            name=name, step=step.id, value=_shown(value), values=", ".join(values)
        ) + did_you_mean(str(value), values)
    if isinstance(step, ConfirmStep):
        if isinstance(value, bool):
            return ""
        return _("'{name}' is saved by the confirm step '{step}'; write true or false, not {value}").format(
            name=name, step=step.id, value=_shown(value)
        )
    if isinstance(step, NumberStep):
        if not isinstance(value, int) or isinstance(value, bool):
            return _("'{name}' is saved by the number step '{step}'; write a whole number, not {value}").format(
                name=name, step=step.id, value=_shown(value)
            )
        if (step.min is not None and value < step.min) or (step.max is not None and value > step.max):
            low = step.min if step.min is not None else "…"
            high = step.max if step.max is not None else "…"
            return _("'{name}' is saved by the number step '{step}', which takes {low} to {high}, not {value}").format(
                name=name, step=step.id, low=low, high=high, value=value
            )
        return ""
    if isinstance(step, TextStep) and not isinstance(value, str):
        return _("'{name}' is saved by the text step '{step}'; quote the value: '{value}'").format(
            name=name, step=step.id, value=_shown(value)
        )
    return ""


def _belongs(scenario: Scenario, pb: Playbook, doc: Document) -> list[Finding]:
    """CP714 a locale other than the playbook's; CP715 an id that does not start with the playbook's."""
    findings: list[Finding] = []
    if scenario.locale is not None and scenario.locale != (pb.locale or "en"):
        findings.append(
            doc.finding(
                ("locale",),
                "CP714",
                _(
                    "the scenario's locale '{locale}' differs from its playbook's ('{theirs}'); "
                    "the team would read injects in one language and the steps in another"
                ).format(locale=scenario.locale, theirs=pb.locale or "en"),
            )
        )
    if scenario.id != pb.id and not scenario.id.startswith(pb.id + "-"):
        findings.append(
            doc.finding(
                ("id",),
                "CP715",
                _(
                    "the id '{id}' does not start with its playbook's id; name it '{playbook}-…' "
                    "so its drills sort beside it, like '{example}'"
                ).format(id=scenario.id, playbook=pb.id, example=f"{pb.id}-{scenario.id}"),
            )
        )
    return findings
