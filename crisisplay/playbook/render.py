"""Views of a playbook for `show`: a readable text tree and a Mermaid flowchart.

The text is drawn from the playbook's normalised form (`Playbook.normalised()`, which the lint
cache keeps), not from the model: a warm `show` then never builds the pydantic classes, whose
schemas cost more than the rest of the command (issue 16). The flowchart still takes the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from crisisplay.i18n import _
from crisisplay.playbook.names import nfc
from crisisplay.playbook.platforms import PLATFORMS
from crisisplay.playbook.roles import person

if TYPE_CHECKING:
    from crisisplay.playbook.model import Playbook

Data = Mapping[str, Any]  # a part of the normalised form: plain JSON data

DETECTION = "detection"  # where a deadline starts unless it names a step (model.DETECTION)


def _one_line(text: str | None, width: int = 90) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _named(name: str, label_of: Callable[[str], str]) -> str:
    """A name with its label first, when it has one: `Crítica (critical)`; the id is what conditions use."""
    label = label_of(name)
    return f"{label} ({name})" if label and label != name else str(name)


def normalised(pb: Playbook | Data) -> Data:
    """The normalised form of a playbook given as either its model or that form."""
    return pb if isinstance(pb, Mapping) else pb.normalised()


def _written(entry: Any, key: str) -> Data:
    """An entry the normalised form may hold in its short form (a plain string, for `key`) as a mapping."""
    return {key: entry} if isinstance(entry, str) else entry


class _Role(NamedTuple):
    label: str | None
    description: str | None


class _Lookups:
    """The lookups `show` needs from a playbook's normalised form: labels of levels, milestones and
    roles, steps by id (the same answers as the model's `Severity.label`, `Playbook.milestone_label`…)."""

    def __init__(self, book: Data) -> None:
        self.book = book
        severity = book["severity"]
        self.levels = [_written(level, "id") for level in severity["levels"]]
        self.start: str = severity.get("initial") or self.levels[0]["id"]
        self.targets = {name: _written(t, "within") for name, t in book.get("targets", {}).items()}
        roles = {name: _written(role, "description") for name, role in book.get("roles", {}).items()}
        self.roles = {name: _Role(r.get("label"), r.get("description")) for name, r in roles.items()}
        self.steps: list[Data] = [step for phase in book["phases"] for step in phase["steps"]]
        self.step_index = {step["id"]: i for i, step in enumerate(self.steps)}

    def level_label(self, level: str) -> str:
        level = nfc(level)
        found = next((lv for lv in self.levels if lv["id"] == level), None)
        return (found.get("label") if found else None) or level

    def milestone_label(self, milestone: str) -> str:
        target = self.targets.get(milestone)
        return (target.get("label") if target else None) or milestone

    def role_label(self, role: str) -> str:
        found = self.roles.get(nfc(role))
        return (found.label if found else None) or role

    def step(self, step_id: str) -> Data:
        return self.steps[self.step_index[step_id]]


def _role(pb: _Lookups, name: str) -> str:
    role = pb.roles[name]
    if role.label is None:  # the form written before labels: `manager (Your line manager)`
        return f"{name} ({role.description})" if role.description else name
    return _named(name, pb.role_label) + (f": {role.description}" if role.description else "")


def _kind(pb: _Lookups, step: Data, names: Mapping[str, str]) -> str:
    """A step's type keyword (the format's word, in every language) with who or where it goes."""
    if step["type"] == "escalate":  # people, not role ids: "escalate → Ann Example (your line manager)"
        people = ", ".join(person(pb, role, names.get(role)) for role in step["to"])
        return _("{type} → {people}").format(type=step["type"], people=people)
    if step["type"] == "message":
        return _("{type} on {channel}").format(type=step["type"], channel=step["channel"])
    return str(step["type"])


def _variants(step: Data) -> list[str]:
    """A message's variants, one line each: the value that picks it, where it goes, how it starts."""
    lines = ["      " + _("variants by {name}:").format(name=step.get("variant_by"))]
    for key, variant in (step.get("variants") or {}).items():
        platform = variant.get("platform") or (key if key in PLATFORMS else None)  # model.platform_of
        where = [platform] if platform and platform != key else []
        if variant.get("channel"):
            where.append(_one_line(variant["channel"], 40))
        shown = f"{key} ({', '.join(where)})" if where else key
        lines.append(f"      = {shown}: {_one_line(variant['template'], 60)}")
    return lines


def as_text(pb: Playbook | Data, names: Mapping[str, str] | None = None) -> str:
    """A tree of phases and steps with their branches, conditions and milestones.

    `pb` is the model or its normalised form; `names` maps role ids to the people configured
    for them (`[contacts.<role>] name`).
    """
    names = names or {}
    book = normalised(pb)
    view = _Lookups(book)
    out = [f"{book['id']} — {book['title']}"]
    if book.get("summary"):
        out.append(f"  {_one_line(book['summary'], 200)}")
    levels = [level["id"] for level in view.levels]
    out.append(
        "  "
        + _("severity: {levels} (starts at {start})").format(
            levels=" < ".join(_named(level, view.level_label) for level in levels),
            start=_named(view.start, view.level_label),
        )
    )
    if view.targets:
        within = [
            _("{milestone} within {duration}").format(
                milestone=_named(name, view.milestone_label), duration=t["within"]
            )
            for name, t in view.targets.items()
        ]
        out.append("  " + _("targets: {targets}").format(targets=" · ".join(within)))
    if view.roles:
        out.append("  " + _("roles: {roles}").format(roles=" · ".join(_role(view, name) for name in view.roles)))
    if book.get("inputs"):
        out.append("  " + _("inputs:"))
        for name, spec in book["inputs"].items():
            kind: str = spec["type"]
            if spec.get("options"):  # the values an answer gives (ids of the playbook, the same in a translation)
                kind += ": " + ", ".join(o.get("value") or o["label"] for o in spec["options"])
            out.append(f"    {name} ({kind}) {_one_line(spec['prompt'])}")
    number = 0
    phases = book["phases"]
    for p, phase in enumerate(phases, 1):
        out.append("")
        out.append(
            _("Phase {phase}/{phases} · {title} ({id})").format(
                phase=p, phases=len(phases), title=phase["title"], id=phase["id"]
            )
        )
        for step in phase["steps"]:
            number += 1
            kind = _kind(view, step, names)
            text = step.get("title") or step.get("prompt") or ""
            out.append(f"  {number:>2}. {step['id']} [{kind}] {_one_line(text)}".rstrip())
            notes = []
            if step.get("when"):
                notes.append(_("only when {condition}").format(condition=step["when"]))
            if saved := step.get("save_as"):  # only the kinds that save an answer have the key
                notes.append(_("saves {name}").format(name=saved))
            if milestone_id := step.get("milestone"):
                target = view.targets.get(milestone_id)
                milestone = _named(milestone_id, view.milestone_label)
                notes.append(
                    _("milestone {milestone} (within {duration})").format(
                        milestone=milestone, duration=target["within"]
                    )
                    if target
                    else _("milestone {milestone}").format(milestone=milestone)
                )
            if step["type"] == "text" and step.get("section"):
                notes.append(_("post-mortem section {section}").format(section=step["section"]))
            if step.get("next"):
                notes.append(_("then → {step}").format(step=step["next"]))
            if notes:
                out.append("      " + " · ".join(notes))
            for option in step.get("options") or []:
                extra = []
                if option.get("severity"):
                    level = _named(option["severity"], view.level_label)
                    extra.append(_("severity → {level}").format(level=level))
                if option.get("raise_severity"):
                    level = _named(option["raise_severity"], view.level_label)
                    extra.append(_("severity at least {level}").format(level=level))
                if option.get("next"):
                    extra.append(f"→ {option['next']}")
                value = f" ({option['value']})" if option.get("value") != option["label"] else ""
                out.append(
                    f"      - {_one_line(option['label'], 70)}{value}" + (f" · {' · '.join(extra)}" if extra else "")
                )
            for item in step.get("items") or []:
                out.append(f"      [ ] {_one_line(item, 80)}")
            if step["type"] == "message" and step.get("variants"):
                out += _variants(step)
    return "\n".join(out) + "\n"


def clocks_text(pb: Playbook | Data) -> str:
    """What `show` adds after the steps: the deadlines, the update cadence, the decided outcomes and
    the references (empty when the playbook has none of them)."""
    book = normalised(pb)
    view = _Lookups(book)
    out: list[str] = []
    if book.get("deadlines"):
        out += ["", _("Deadlines")]
        for name, deadline in book["deadlines"].items():
            start = deadline.get("start", DETECTION)
            begins = _("from detection") if start == DETECTION else _("from the answer to {step}").format(step=start)
            within = (
                _("within {duration}").format(duration=deadline["within"])
                if deadline.get("within")
                else _("within the chosen option's time")
            )
            out.append(f"  {deadline.get('label') or name} ({name}): {begins}, {within}")
            out.append("    " + _("met by {steps}").format(steps=", ".join(deadline["met_by"])))
            if deadline.get("within") or start not in view.step_index:
                continue  # the options' durations count only where the deadline takes them
            for option in view.step(start).get("options") or []:
                if option.get("within"):
                    out.append(
                        "    "
                        + _("{step}: {option} gives {duration}").format(
                            step=start, option=option["label"], duration=option["within"]
                        )
                    )
    cadence = book.get("cadence")
    if cadence is not None:
        every = " · ".join(
            _("{level} every {every}").format(level=view.level_label(name), every=duration)
            for name, duration in cadence["every"].items()
        )
        out += ["", cadence.get("label") or _("Update cadence"), f"  {every}"]
        out.append("  " + _("each of these restarts it: {steps}").format(steps=", ".join(cadence["updates"])))
    outcomes = [(s["id"], o) for s in view.steps for o in s.get("options") or [] if o.get("outcome")]
    if outcomes:
        out += ["", _("Outcomes")]
        out += [
            "  "
            + _("{step}: {option} decides monitor only (asks why; later public messages are skipped)").format(
                step=step, option=o["value"]
            )
            for step, o in outcomes
        ]
    if book.get("references"):
        out += ["", _("References")]
        for ref in book["references"]:
            ref = _written(ref, "title")
            out.append(f"  - {ref['title']}")
            if ref.get("url"):
                out.append(f"    {ref['url']}")
            if ref.get("note"):
                out.append(f"    {ref['note']}")
    return "\n".join(out) + ("\n" if out else "")


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
    from crisisplay.playbook.model import END

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
