"""The shared checker, beyond structure: references, the step graph, templates and conditions.

`show`, `start`, `lint` and the editor schema all rely on it; a playbook it passes can be run
from its first step to its end without meeting a name it does not know.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from crisisplay.findings import Finding, did_you_mean, one_of
from crisisplay.i18n import _
from crisisplay.playbook.clock_checks import check_clocks
from crisisplay.playbook.model import BUILTINS, END, AnyStep, ChoiceStep, MessageStep, Playbook, field_of, saved_as
from crisisplay.playbook.where import locate, locate_line
from crisisplay.yamlsource import Document, Path_


def check_references(pb: Playbook, doc: Document) -> list[Finding]:
    """Every reference-, graph- and template-level finding for a structurally valid playbook."""
    findings: list[Finding] = []
    findings += _duplicate_ids(pb, doc)
    findings += _references(pb, doc)
    findings += _expressions(pb, doc)
    findings += _graph(pb, doc)
    findings += _variants(pb, doc)
    findings += _personal_defaults(pb, doc)
    findings += check_clocks(pb, doc)  # CP213–CP215: deadlines and the cadence
    return findings


def check_snapshot(pb: Playbook) -> list[str]:
    """The reference and graph errors of a playbook read back from a log (no source to point at)."""
    doc = Document("snapshot")
    found = _duplicate_ids(pb, doc) + _references(pb, doc) + _graph(pb, doc)
    return [f.message for f in found if f.level == "error"]


def step_paths(pb: Playbook) -> Iterator[tuple[Path_, AnyStep]]:
    """Each step with its path in the document: ('phases', p, 'steps', s)."""
    for p, phase in enumerate(pb.phases):
        for s, step in enumerate(phase.steps):
            yield ("phases", p, "steps", s), step


def _duplicate_ids(pb: Playbook, doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for path, step in step_paths(pb):
        line = doc.position(path + ("id",))[0]
        if step.id in seen:
            findings.append(
                doc.finding(
                    path + ("id",),
                    "CP202",
                    _("step id '{id}' is already used at line {line}; step ids are unique across all phases").format(
                        id=step.id, line=seen[step.id]
                    ),
                )
            )
        else:
            seen[step.id] = line
    phases: dict[str, int] = {}
    for p, phase in enumerate(pb.phases):
        path = ("phases", p, "id")
        if phase.id in phases:
            findings.append(
                doc.finding(
                    path,
                    "CP202",
                    _("phase id '{id}' is already used at line {line}").format(id=phase.id, line=phases[phase.id]),
                )
            )
        else:
            phases[phase.id] = doc.position(path)[0]
    levels = pb.severity.levels
    for i, level in enumerate(levels):
        if level in levels[:i]:
            findings.append(
                doc.finding(
                    ("severity", "levels", i),
                    "CP202",
                    _("severity level '{level}' is listed twice").format(level=level),
                )
            )
    return findings


def _references(pb: Playbook, doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    step_ids = list(pb.step_index)
    levels = pb.severity.levels

    def next_ok(target: str | None, path: Path_) -> None:
        if target is not None and target != END and target not in pb.step_index:
            findings.append(
                doc.finding(
                    path,
                    "CP201",
                    _("next: '{target}' names no step; expected a step id or 'end'").format(target=target)
                    + did_you_mean(target, step_ids + [END]),
                )
            )

    def level_ok(level: str | None, path: Path_) -> None:
        if level is not None and level not in levels:
            findings.append(
                doc.finding(
                    path,
                    "CP205",
                    _("severity '{level}' is not a declared level; expected {levels}").format(
                        level=level, levels=one_of(levels)
                    )
                    + level_hint(level, levels),
                )
            )

    level_ok(pb.severity.initial, ("severity", "initial"))
    for path, step in step_paths(pb):
        next_ok(step.next, path + ("next",))
        for i, option in enumerate(field_of(step, "options") or []):
            next_ok(option.next, path + ("options", i, "next"))
            level_ok(option.severity, path + ("options", i, "severity"))
            level_ok(option.raise_severity, path + ("options", i, "raise_severity"))
        for i, role in enumerate(field_of(step, "to") or []):
            if role not in pb.roles:
                declared = (
                    _("; declared roles: {roles}").format(roles=one_of(pb.roles))
                    if pb.roles
                    else _("; `roles:` declares none")
                )
                findings.append(
                    doc.finding(
                        path + ("to", i),
                        "CP203",
                        _("role '{role}' is not declared in `roles:`").format(role=role)
                        + (did_you_mean(role, pb.roles) or declared),
                    )
                )
        approval = field_of(step, "approval")
        for i, role in enumerate(approval.by if approval is not None else []):
            if role not in pb.assignable_roles:
                findings.append(
                    doc.finding(
                        path + ("approval", "by", i),
                        "CP211",
                        _("approval by '{role}': no such role; expected {roles}").format(
                            role=role, roles=one_of(pb.assignable_roles)
                        )
                        + did_you_mean(role, pb.assignable_roles),
                    )
                )
        if step.milestone is not None and step.milestone not in pb.targets:
            known = did_you_mean(step.milestone, pb.targets) or (
                _("; declared targets: {targets}").format(targets=one_of(pb.targets))
                if pb.targets
                else _("; `targets:` declares none")
            )
            findings.append(
                doc.finding(
                    path + ("milestone",),
                    "CP204",
                    _("milestone '{milestone}' has no target in `targets:`").format(milestone=step.milestone) + known,
                )
            )
    return findings


def variable_values(pb: Playbook, name: str) -> list[str] | None:
    """The values a choice input or choice `save_as` named `name` can take (every such step's), or
    None when some text, number or yes/no answer can set it too."""
    values: list[str] = []
    spec = pb.inputs.get(name)
    if spec is not None:
        if not spec.options:
            return None
        values += [o.value or o.label for o in spec.options]
    for step in pb.steps:
        if saved_as(step) != name:
            continue
        if not isinstance(step, ChoiceStep):
            return None
        values += [o.value or o.label for o in step.options]
    return list(dict.fromkeys(values))


def _variants(pb: Playbook, doc: Document) -> list[Finding]:
    """CP212 `variant_by` names no variable; CP217 a value with no text; CP218 a key no value has;
    CP219 a free-text `variant_by` with no `template:` for the values the variants leave out."""
    findings: list[Finding] = []
    names = pb.variable_names
    for path, step in step_paths(pb):
        if not isinstance(step, MessageStep) or step.variant_by is None or step.variants is None:
            continue
        by = step.variant_by
        if by not in names:
            findings.append(
                doc.finding(
                    path + ("variant_by",),
                    "CP212",
                    _("variant_by: '{name}' is no input or save_as variable; expected {names}").format(
                        name=by, names=one_of(names) if names else _("an input or a `save_as` name")
                    )
                    + did_you_mean(by, names),
                )
            )
            continue
        values = variable_values(pb, by)
        if values is None:
            if step.template is None:
                findings.append(
                    doc.finding(
                        path + ("variant_by",),
                        "CP219",
                        _(
                            "step '{id}': '{name}' is free text, so it can hold a value no variant has, and the "
                            "step has no `template:` for it; the message would show a placeholder. Add a `template:`"
                        ).format(id=step.id, name=by),
                    )
                )
            continue
        if step.template is None:
            missing = [v for v in values if v not in step.variants]
            if missing:
                findings.append(
                    doc.finding(
                        path + ("variants",),
                        "CP217",
                        _(
                            "step '{id}': '{name}' can be {values}, which no variant covers, and the step has no "
                            "`template:`; add a variant for each, or a `template:` for any value without one"
                        ).format(id=step.id, name=by, values=one_of(missing)),
                        key=True,
                    )
                )
        for key in step.variants:
            if key not in values:
                findings.append(
                    doc.finding(
                        path + ("variants", key),
                        "CP218",
                        _("step '{id}': variant '{key}' is not a value '{name}' can take; expected {values}").format(
                            id=step.id, key=key, name=by, values=one_of(values)
                        )
                        + did_you_mean(key, values),
                        key=True,
                    )
                )
    return findings


def _personal_defaults(pb: Playbook, doc: Document) -> list[Finding]:
    """CP216: a personal input may not have a default (one person's data would fill every incident)."""
    return [
        doc.finding(
            ("inputs", name, "default"),
            "CP216",
            _(
                "input '{name}' is personal data (`personal:`) and has a `default:`; remove the default, so "
                "every incident asks for its own person's data"
            ).format(name=name),
            key=True,
        )
        for name, spec in pb.inputs.items()
        if spec.personal not in (None, False) and spec.default is not None
    ]


def defined_names(pb: Playbook) -> set[str]:
    """Every name a template or condition may use: inputs, `save_as` names and built-ins."""
    names = set(BUILTINS) | set(pb.inputs)
    names |= {name for step in pb.steps if (name := saved_as(step))}
    return names


def expressions(pb: Playbook) -> Iterator[tuple[Path_, str, str]]:
    """Every (path, kind, source) of a condition ('condition') or template ('template')."""
    for path, step in step_paths(pb):
        if step.when is not None:
            yield path + ("when",), "condition", step.when
        for key in ("template", "channel"):
            source = field_of(step, key)
            if source is not None:
                yield path + (key,), "template", source
        for name, variant in (field_of(step, "variants") or {}).items():
            for key in ("template", "channel"):
                source = getattr(variant, key)
                if source is not None:
                    yield path + ("variants", name, key), "template", source


def _expressions(pb: Playbook, doc: Document) -> list[Finding]:
    from crisisplay.templates import analyse_condition, analyse_template, environment

    findings: list[Finding] = []
    known = defined_names(pb) | set(environment().globals)
    levels = pb.severity.levels
    for path, kind, source in expressions(pb):
        if kind == "condition" and ("{{" in source or "{%" in source):
            findings.append(
                doc.finding(
                    path,
                    "CP304",
                    _("a `when` is a bare expression: write `severity >= 'high'`, not `{{ severity >= 'high' }}`"),
                )
            )
            continue
        result = analyse_condition(source) if kind == "condition" else analyse_template(source)
        if result.syntax_error:
            message = _("{what} does not parse: {error}").format(what=the_expression(kind), error=result.syntax_error)
            at = locate_line(doc, path, source, result.syntax_line)
            if at is None:  # the file's lines do not hold the template's as they are: say which line
                at = doc.position(path)
                if result.syntax_line > 1:
                    message += " " + _("(line {line} of the template)").format(line=result.syntax_line)
            findings.append(Finding(doc.path, *at, "CP301", message))
            continue
        for name in sorted(result.names - known):
            line, col = locate(doc, path, source, name, bare=kind == "condition")  # at the name itself
            findings.append(
                Finding(
                    doc.path,
                    line,
                    col,
                    "CP302",
                    _("{what} uses '{name}', which no input, save_as or built-in defines").format(
                        what=the_expression(kind), name=name
                    )
                    + did_you_mean(name, known),
                )
            )
        for attr in sorted(set(result.unsafe)):
            line, col = locate(doc, path, source, attr, bare=kind == "condition", attribute=True)
            findings.append(
                Finding(
                    doc.path,
                    line,
                    col,
                    "CP303",
                    _(
                        "{what} uses '{name}', which the sandbox refuses; templates may only use the incident's values"
                    ).format(what=the_expression(kind), name=attr),
                )
            )
        for literal in result.severity_literals:
            if literal not in levels:
                findings.append(
                    doc.finding(
                        path,
                        "CP205",
                        _(
                            "{what} compares severity with '{literal}', which is not a declared level; expected {levels}"
                        ).format(what=the_expression(kind), literal=literal, levels=one_of(levels))
                        + level_hint(literal, levels),
                    )
                )
    return findings


def the_expression(kind: str) -> str:
    """`the condition` or `the template`, as a message names what it is about."""
    return _("the condition") if kind == "condition" else _("the template")


def level_hint(written: str, levels: Iterable[str]) -> str:
    """`; did you mean …?` for a level name, or, when a level is labelled with what was written, its id."""
    for level in levels:
        label = getattr(level, "label", None)
        if label and label.casefold() == written.casefold():
            return _("; '{written}' is the label of level '{level}': conditions and options use the id").format(
                written=written, level=level
            )
    return did_you_mean(written, levels)


def successors(pb: Playbook, index: int) -> set[int | str]:
    """Where a run may go from step `index` (step indices, or END), answered or skipped by its condition."""
    steps = pb.steps
    step = steps[index]
    following = index + 1 if index + 1 < len(steps) else END

    def target(name: str | None) -> int | str:
        if name is None:
            return following
        return END if name == END else pb.step_index.get(name, END)

    options = step.options if isinstance(step, ChoiceStep) else None
    out = {target(o.next or step.next) for o in options} if options else {target(step.next)}
    if step.when is not None:
        out.add(following)
    return out


def _graph(pb: Playbook, doc: Document) -> list[Finding]:
    findings: list[Finding] = []
    count = len(pb.steps)
    edges = {i: successors(pb, i) for i in range(count)}
    reachable, queue = {0}, deque([0])
    while queue:
        for nxt in edges[queue.popleft()]:
            if isinstance(nxt, int) and nxt not in reachable:  # not END
                reachable.add(nxt)
                queue.append(nxt)
    # Steps from which the end can be reached: walk the edges backwards from END.
    reverse: dict[int | str, set[int]] = {}
    for i, outs in edges.items():
        for o in outs:
            reverse.setdefault(o, set()).add(i)
    finishing: set[int] = set()
    back: deque[int | str] = deque([END])
    while back:
        for prev in reverse.get(back.popleft(), ()):
            if prev not in finishing:
                finishing.add(prev)
                back.append(prev)
    paths = dict((step.id, path) for path, step in step_paths(pb))
    for i, step in enumerate(pb.steps):
        if i not in reachable:
            findings.append(
                doc.finding(
                    paths[step.id] + ("id",),
                    "CP206",
                    _("step '{id}' cannot be reached from the first step; point a `next` at it or remove it").format(
                        id=step.id
                    ),
                )
            )
    trapped = reachable - finishing
    # Every path through trapped steps ends in a loop that nothing leaves; point at each such
    # loop (at its first step), not at where the run wanders into it.
    for loop in _closed_loops(trapped, edges):
        step = pb.steps[loop[0]]
        members = ", ".join(f"'{pb.steps[i].id}'" for i in loop)
        findings.append(
            doc.finding(
                paths[step.id] + ("id",),
                "CP207",
                _(
                    "from step '{id}' no path reaches the end (a loop with no way out: {members}); "
                    "add an option or `next` that leaves the loop"
                ).format(id=step.id, members=members),
            )
        )
    return findings


def _closed_loops(trapped: set[int], edges: dict[int, set[int | str]]) -> list[list[int]]:
    """The strongly connected parts of `trapped` that no edge leaves, each as sorted step indices."""

    def inside(i: int) -> Iterator[int]:
        return iter(sorted(n for n in edges[i] if isinstance(n, int) and n in trapped))  # END is never trapped

    order: list[int] = []
    seen: set[int] = set()
    for root in sorted(trapped):  # first pass: finishing order (iterative DFS)
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, inside(root))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, inside(child)))
                    break
            else:
                order.append(node)
                stack.pop()
    reverse: dict[int, set[int]] = {i: set() for i in trapped}
    for i in trapped:
        for n in inside(i):
            reverse[n].add(i)
    component: dict[int, int] = {}
    for root in reversed(order):  # second pass, on the reversed edges
        if root in component:
            continue
        component[root] = root
        pending = [root]
        while pending:
            for prev in reverse[pending.pop()]:
                if prev not in component:
                    component[prev] = root
                    pending.append(prev)
    groups: dict[int, list[int]] = {}
    for i, c in component.items():
        groups.setdefault(c, []).append(i)
    closed = [
        sorted(g)
        for c, g in groups.items()
        if all(isinstance(n, int) and component.get(n) == c for i in g for n in edges[i])
    ]
    return sorted(closed)
