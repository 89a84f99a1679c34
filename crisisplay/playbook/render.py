"""Views of a playbook for `show`: a readable text tree and a Mermaid flowchart."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crisisplay.i18n import _
from crisisplay.playbook.model import END, AnyStep, MessageStep, Playbook, TextStep, platform_of, saved_as
from crisisplay.playbook.roles import person


def _one_line(text: str | None, width: int = 90) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _named(name: str, label_of: Callable[[str], str] | None = None) -> str:
    """A name with its label first, when it has one: `Crítica (critical)`; the id is what conditions use."""
    label = label_of(name) if label_of else getattr(name, "label", None)
    return f"{label} ({name})" if label and label != name else str(name)


def _role(pb: Playbook, name: str) -> str:
    role = pb.roles[name]
    if role.label is None:  # the form written before labels: `manager (Your line manager)`
        return f"{name} ({role.description})" if role.description else name
    return _named(name, pb.role_label) + (f": {role.description}" if role.description else "")


def _kind(pb: Playbook, step: AnyStep, names: Mapping[str, str]) -> str:
    """A step's type keyword (the format's word, in every language) with who or where it goes."""
    if step.type == "escalate":  # people, not role ids: "escalate → Ann Example (your line manager)"
        people = ", ".join(person(pb, role, names.get(role)) for role in step.to)
        return _("{type} → {people}").format(type=step.type, people=people)
    if step.type == "message":
        return _("{type} on {channel}").format(type=step.type, channel=step.channel)
    return step.type


def _variants(step: MessageStep) -> list[str]:
    """A message's variants, one line each: the value that picks it, where it goes, how it starts."""
    lines = ["      " + _("variants by {name}:").format(name=step.variant_by)]
    for key, variant in (step.variants or {}).items():
        platform = platform_of(key, variant)
        where = [platform] if platform and platform != key else []
        if variant.channel:
            where.append(_one_line(variant.channel, 40))
        shown = f"{key} ({', '.join(where)})" if where else key
        lines.append(f"      = {shown}: {_one_line(variant.template, 60)}")
    return lines


def as_text(pb: Playbook, names: Mapping[str, str] | None = None) -> str:
    """A tree of phases and steps with their branches, conditions and milestones.

    `names` maps role ids to the people configured for them (`[contacts.<role>] name`).
    """
    names = names or {}
    out = [f"{pb.id} — {pb.title}"]
    if pb.summary:
        out.append(f"  {_one_line(pb.summary, 200)}")
    levels = pb.severity.levels
    out.append(
        "  "
        + _("severity: {levels} (starts at {start})").format(
            levels=" < ".join(map(_named, levels)), start=_named(pb.severity.start, pb.severity.label)
        )
    )
    if pb.targets:
        within = [
            _("{milestone} within {duration}").format(milestone=_named(name, pb.milestone_label), duration=t.within)
            for name, t in pb.targets.items()
        ]
        out.append("  " + _("targets: {targets}").format(targets=" · ".join(within)))
    if pb.roles:
        out.append("  " + _("roles: {roles}").format(roles=" · ".join(_role(pb, name) for name in pb.roles)))
    if pb.inputs:
        out.append("  " + _("inputs:"))
        for name, spec in pb.inputs.items():
            kind: str = spec.type
            if spec.options:  # the values an answer gives (ids of the playbook, the same in a translation)
                kind += ": " + ", ".join(o.value or o.label for o in spec.options)
            out.append(f"    {name} ({kind}) {_one_line(spec.prompt)}")
    number = 0
    for p, phase in enumerate(pb.phases, 1):
        out.append("")
        out.append(
            _("Phase {phase}/{phases} · {title} ({id})").format(
                phase=p, phases=len(pb.phases), title=phase.title, id=phase.id
            )
        )
        for step in phase.steps:
            number += 1
            kind = _kind(pb, step, names)
            text = step.title or step.prompt or ""
            out.append(f"  {number:>2}. {step.id} [{kind}] {_one_line(text)}")
            notes = []
            if step.when:
                notes.append(_("only when {condition}").format(condition=step.when))
            if saved := saved_as(step):
                notes.append(_("saves {name}").format(name=saved))
            if step.milestone:
                target = pb.targets.get(step.milestone)
                milestone = _named(step.milestone, pb.milestone_label)
                notes.append(
                    _("milestone {milestone} (within {duration})").format(milestone=milestone, duration=target.within)
                    if target
                    else _("milestone {milestone}").format(milestone=milestone)
                )
            if isinstance(step, TextStep) and step.section:
                notes.append(_("post-mortem section {section}").format(section=step.section))
            if step.next:
                notes.append(_("then → {step}").format(step=step.next))
            if notes:
                out.append("      " + " · ".join(notes))
            for option in getattr(step, "options", None) or []:
                extra = []
                if option.severity:
                    level = _named(option.severity, pb.severity.label)
                    extra.append(_("severity → {level}").format(level=level))
                if option.next:
                    extra.append(f"→ {option.next}")
                value = f" ({option.value})" if option.value != option.label else ""
                out.append(
                    f"      - {_one_line(option.label, 70)}{value}" + (f" · {' · '.join(extra)}" if extra else "")
                )
            for item in getattr(step, "items", None) or []:
                out.append(f"      [ ] {_one_line(item, 80)}")
            if isinstance(step, MessageStep) and step.variants:
                out += _variants(step)
    return "\n".join(out) + "\n"


def _escape(text: str) -> str:
    text = _one_line(text, 60)
    return (
        text.replace("#", "#35;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
        .replace("[", "#91;")
        .replace("]", "#93;")
        .replace("{", "#123;")
        .replace("}", "#125;")
    )


def as_mermaid(pb: Playbook) -> str:
    """A Mermaid flowchart of the step graph, one subgraph per phase."""
    node = {step.id: f"s{i}" for i, step in enumerate(pb.steps)}
    # The diagram's words (its start and end, a skipped step) are for people: in their language.
    start, finish = _escape(_("start")), _escape(_("end"))
    out = ["flowchart TD", f"  start(({start}))", f"  finish(({finish}))"]
    for p, phase in enumerate(pb.phases):
        out.append(f'  subgraph p{p}["{_escape(phase.title)}"]')
        for step in phase.steps:
            out.append(f'    {node[step.id]}["{_escape(step.id)}: {_escape(step.title or step.prompt or step.type)}"]')
        out.append("  end")
    if pb.steps:
        out.append(f"  start --> {node[pb.steps[0].id]}")

    def ref(target: int | str) -> str:
        return node[pb.steps[target].id] if isinstance(target, int) else "finish"  # else END

    for i, step in enumerate(pb.steps):
        following = i + 1 if i + 1 < len(pb.steps) else END
        edges: dict[str, list[str]] = {}

        def answered(name: str | None, following: int | str = following) -> int | str:
            return END if name == END else (pb.step_index.get(name, following) if name else following)

        if step.type == "choice":
            for option in step.options:
                edges.setdefault(ref(answered(option.next or step.next)), []).append(
                    _escape(option.value or option.label)
                )
        else:
            edges[ref(answered(step.next))] = []
        for target, labels in edges.items():
            arrow = f"-->|{' / '.join(labels)}|" if labels else "-->"
            out.append(f"  {node[step.id]} {arrow} {target}")
        if step.when:
            skipped = _("skipped unless {condition}").format(condition=_escape(step.when))
            out.append(f"  {node[step.id]} -.->|{skipped}| {ref(following)}")
    return "\n".join(out) + "\n"
