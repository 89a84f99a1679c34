"""Template and condition rules beyond the checker: names unset on some path, names never used."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from crisisplay.findings import Finding, one_of
from crisisplay.i18n import _
from crisisplay.lint.flow import (
    ANY,
    UNSET,
    Values,
    answered_successors,
    describe,
    narrow,
    reachable,
    shortest_path,
    shown_values,
    skip_successor,
)
from crisisplay.playbook.checks import expressions, level_hint, step_paths, the_expression
from crisisplay.playbook.model import Playbook, field_of, saved_as
from crisisplay.playbook.where import locate
from crisisplay.yamlsource import Document, Path_

if TYPE_CHECKING:
    from crisisplay.templates import Analysis

Use = tuple[int, Path_, str, str, set[str]]  # step index, path, kind, source, names


@lru_cache(maxsize=4096)
def analysis(kind: str, source: str) -> Analysis:
    """The checker's analysis of one template or condition; identical sources across files parse once."""
    from crisisplay.templates import analyse_condition, analyse_template

    return analyse_condition(source) if kind == "condition" else analyse_template(source)


def check(pb: Playbook, doc: Document) -> list[Finding]:
    """CP305 maybe-unset, CP306 unused-variable, CP307 text-compared-with-number, and CP205 for
    `severity in [...]` lists."""
    uses = _uses(pb)
    findings = _maybe_unset(pb, doc, uses)
    findings += _unused(pb, doc, uses)
    findings += _severity_lists(pb, doc)
    findings += _text_against_numbers(pb, doc)
    return findings


def _uses(pb: Playbook) -> list[Use]:
    """(step index, path, kind, source, names) of every expression that parses."""
    index_of = {path: i for i, (path, _) in enumerate(step_paths(pb))}
    out: list[Use] = []
    for path, kind, source in expressions(pb):
        result = analysis(kind, source)
        if result.syntax_error is None and not (kind == "condition" and "{{" in source):
            out.append((index_of[path[:4]], path, kind, source, result.names))
    return out


def must_be_set(pb: Playbook, live: set[int]) -> dict[int, frozenset[str]]:
    """For each reachable step, the `save_as` names every run arriving there has set."""
    saved = {i: name for i, s in enumerate(pb.steps) if (name := saved_as(s))}
    universe = frozenset(saved.values())
    known: dict[int, frozenset[str]] = {i: (frozenset() if i == 0 else universe) for i in live}
    work = sorted(live)
    while work:
        i = work.pop()
        answered = known[i] | ({saved[i]} if i in saved else set())
        edges = [(j, answered) for j in answered_successors(pb, i)]
        skip = skip_successor(pb, i)
        if skip is not None:
            edges.append((skip, known[i]))
        for j, carried in edges:
            if not isinstance(j, int) or j not in known:  # END, or a step no run reaches
                continue
            narrowed = known[j] & carried
            if narrowed != known[j]:
                known[j] = narrowed
                work.append(j)
    return known


def _maybe_unset(pb: Playbook, doc: Document, uses: list[Use]) -> list[Finding]:
    live = reachable(pb)
    setters: dict[str, list[int]] = {}
    for i, step in enumerate(pb.steps):
        name = saved_as(step)
        if name and name not in pb.inputs:
            setters.setdefault(name, []).append(i)
    known = must_be_set(pb, live)
    findings: list[Finding] = []
    for i, path, kind, source, names in uses:
        if i not in live:
            continue  # CP206 unreachable-step already says so
        for name in sorted(n for n in names if n in setters and n not in known[i]):
            if kind == "template" and not shows_unset(pb.steps[i].when, source, name):
                continue  # every use is inside an `if` that rules out an unset value
            run = shortest_path(pb, i, _not_setting(pb, name))
            where = (
                _("the run {run}").format(run=describe(pb, run, pb.steps[i].id)) if run is not None else _("some run")
            )
            seen_as = (
                _("none") if kind == "condition" else _("a {placeholder} placeholder").format(placeholder=f"[[{name}]]")
            )
            by = one_of(pb.steps[k].id for k in setters[name])
            line, col = locate(doc, path, source, name, bare=kind == "condition")
            findings.append(
                Finding(
                    doc.path,
                    line,
                    col,
                    "CP305",
                    _(
                        "'{name}' may be unset here: {where} does not answer {by}, which sets it, so {what} would "
                        "see it as {seen_as}; expected every run reaching step '{step}' to set it first"
                    ).format(
                        name=name, where=where, by=by, what=the_expression(kind), seen_as=seen_as, step=pb.steps[i].id
                    ),
                )
            )
    return findings


def start_values(when: str | None, name: str, values: Values) -> Values:
    """What `name` can hold when a step whose condition is `when` runs: `values`, narrowed by it."""
    if when is None:
        return values
    from crisisplay.templates import parsed

    ast = parsed(when, "condition")
    if ast is None:
        return values
    from jinja2 import nodes

    test = next(iter(ast.find_all(nodes.Output)), None)
    expr = test.nodes[0] if test is not None and len(test.nodes) == 1 else None
    return values if expr is None else narrow(expr, name, values, True, condition=True)


@lru_cache(maxsize=4096)
def shows_unset(when: str | None, source: str, name: str) -> bool:
    """Whether a template shows `name` somewhere it may be unset (not ruled out by an `if` or `when`)."""
    from crisisplay.templates import parsed

    ast = parsed(source, "template")
    if ast is None:
        return True
    start = start_values(when, name, frozenset({ANY, UNSET}))
    return any(UNSET in held for held in shown_values(ast, name, start))


def _not_setting(pb: Playbook, name: str) -> Callable[[int], bool]:
    """Whether step `k` leaves `name` unset when answered."""
    return lambda k: saved_as(pb.steps[k]) != name


def _unused(pb: Playbook, doc: Document, uses: list[Use]) -> list[Finding]:
    used: set[str] = set().union(*(names for *_, names in uses)) if uses else set()
    used |= {by for step in pb.steps if (by := field_of(step, "variant_by"))}  # picks the text shown
    # A template that does not parse (CP301) names nothing the analysis can see: a name written
    # in it counts as used, so that fixing the syntax is the only finding there.
    broken = [source for _path, kind, source in expressions(pb) if analysis(kind, source).syntax_error is not None]
    if broken:
        used |= {
            name
            for name in [*pb.inputs, *filter(None, map(saved_as, pb.steps))]
            if any(re.search(rf"\b{re.escape(name)}\b", text) for text in broken)
        }
    findings: list[Finding] = []
    for name in pb.inputs:
        if name not in used:
            findings.append(
                doc.finding(
                    ("inputs", name),
                    "CP306",
                    _(
                        "input '{name}' is asked for but no template or condition uses it; use it as {use} or remove it"
                    ).format(name=name, use=f"{{{{ {name} }}}}"),
                    key=True,
                )
            )
    for path, step in step_paths(pb):
        saved = saved_as(step)
        if saved and saved not in used and saved not in pb.inputs:
            findings.append(
                doc.finding(
                    path + ("save_as",),
                    "CP306",
                    _(
                        "save_as '{name}' is set but no template or condition uses it; "
                        "use it as {use} or remove `save_as`"
                    ).format(name=saved, use=f"{{{{ {saved} }}}}"),
                )
            )
    return findings


def _severity_lists(pb: Playbook, doc: Document) -> list[Finding]:
    """`severity in ['hgh', 'high']`: the checker reads plain comparisons; lists are read here."""
    levels = pb.severity.levels
    findings: list[Finding] = []
    for path, kind, source in expressions(pb):
        if "severity" not in source or not any(c in source for c in "[("):
            continue
        for literal in _listed_levels(kind, source):
            if literal not in levels:
                findings.append(
                    doc.finding(
                        path,
                        "CP205",
                        _(
                            "{what} tests severity against '{literal}', which is not a declared level; "
                            "expected {levels}"
                        ).format(what=the_expression(kind), literal=literal, levels=one_of(levels))
                        + level_hint(literal, levels),
                    )
                )
    return findings


@lru_cache(maxsize=1024)
def _listed_levels(kind: str, source: str) -> tuple[str, ...]:
    from jinja2 import nodes

    from crisisplay.templates import parsed

    ast = parsed(source, kind)
    if ast is None:
        return ()
    found: list[str] = []
    for node in ast.find_all(nodes.Compare):
        if not (isinstance(node.expr, nodes.Name) and node.expr.name == "severity"):
            continue
        for op in node.ops:
            if op.op in ("in", "notin") and isinstance(op.expr, (nodes.List, nodes.Tuple)):
                found += [
                    item.value
                    for item in op.expr.items
                    if isinstance(item, nodes.Const) and isinstance(item.value, str)
                ]
    return tuple(found)


def _text_against_numbers(pb: Playbook, doc: Document) -> list[Finding]:
    """`orders > 10` where `orders` is text (an input without `type: number`): the comparison fails
    at run time (the run pauses on a playbook error) or, with `==`, is never true."""
    texts = {name for name, spec in (pb.inputs or {}).items() if spec.type in ("text", "choice")}
    texts |= {name for _path, step in step_paths(pb) if step.type in ("text", "choice") and (name := saved_as(step))}
    findings: list[Finding] = []
    for path, kind, source in expressions(pb):
        if not any(c.isdigit() for c in source):
            continue
        for name, number in _compared_with_numbers(kind, source):
            if name in texts:
                findings.append(
                    doc.finding(
                        path,
                        "CP307",
                        _(
                            "{what} compares '{name}', which holds text, with the number {number}: give '{name}' "
                            "`type: number` (an input, or a `number` step) so that it holds a number"
                        ).format(what=the_expression(kind), name=name, number=number),
                    )
                )
    return findings


@lru_cache(maxsize=1024)
def _compared_with_numbers(kind: str, source: str) -> tuple[tuple[str, str], ...]:
    """(name, number) for each comparison of a bare name with a number literal in the expression."""
    from jinja2 import nodes

    from crisisplay.templates import parsed

    ast = parsed(source, kind)
    if ast is None:
        return ()
    found: list[tuple[str, str]] = []
    for node in ast.find_all(nodes.Compare):
        left = node.expr
        for op in node.ops:
            for a, b in ((left, op.expr), (op.expr, left)):
                sign = ""
                if isinstance(b, (nodes.Neg, nodes.Pos)):  # -1 is a unary minus on the constant 1
                    sign, b = ("-" if isinstance(b, nodes.Neg) else "+"), b.node
                if (
                    isinstance(a, nodes.Name)
                    and isinstance(b, nodes.Const)
                    and type(b.value) in (int, float)
                    and op.op in ("eq", "ne", "lt", "lteq", "gt", "gteq")
                ):
                    found.append((a.name, f"{sign}{b.value}"))
            left = op.expr
    return tuple(found)
