"""The step graph as the lint rules see it: which edges answer a step and which skip it.

The shared checker's `successors` merges both kinds; dataflow rules need them apart, because
a step's `save_as` is set and its milestone reached only when it is answered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from crisisplay.playbook.model import END, ChoiceStep, Playbook

if TYPE_CHECKING:
    from jinja2 import nodes

Node = int | str  # a step index, or END


def answered_successors(pb: Playbook, index: int) -> set[Node]:
    """Where a run may go after answering step `index`."""
    steps = pb.steps
    step = steps[index]
    following: Node = index + 1 if index + 1 < len(steps) else END

    def target(name: str | None) -> Node | None:
        if name is None:
            return following
        # A dangling `next` is the checker's CP201: follow no edge, so that no rule here
        # reports a consequence of it as a second problem.
        return END if name == END else pb.step_index.get(name)

    options = step.options if isinstance(step, ChoiceStep) else None
    names = [o.next or step.next for o in options] if options else [step.next]
    return {t for t in map(target, names) if t is not None}


def skip_successor(pb: Playbook, index: int) -> Node | None:
    """Where a run goes when step `index`'s `when` is false, or None when it has no `when`."""
    if pb.steps[index].when is None:
        return None
    return index + 1 if index + 1 < len(pb.steps) else END


def reachable(pb: Playbook) -> set[int]:
    """Step indices a run can visit, from the first step."""
    if not pb.steps:
        return set()
    seen: set[int] = {0}
    queue = deque([0])
    while queue:
        i = queue.popleft()
        outs = answered_successors(pb, i)
        skip = skip_successor(pb, i)
        if skip is not None:
            outs = outs | {skip}
        for nxt in outs:
            if isinstance(nxt, int) and nxt not in seen:  # not END
                seen.add(nxt)
                queue.append(nxt)
    return seen


def shortest_path(
    pb: Playbook,
    goal: Node,
    answerable: Callable[[int], bool],
    enterable: Callable[[int], bool] = lambda i: True,
) -> list[int] | None:
    """The shortest run from the first step to `goal`, answering only steps where `answerable(i)`
    and visiting only steps where `enterable(i)`.

    A step that may not be answered can still be passed by its `when` being false. The path
    lists the steps visited (goal excluded), or None when no such run exists.
    """
    if not pb.steps or not enterable(0):
        return None
    parent: dict[Node, int | None] = {0: None}
    queue: deque[Node] = deque([0])
    while queue:
        i = queue.popleft()
        if i == goal:
            path: list[int] = []
            node = parent[i]
            while node is not None:
                path.append(node)
                node = parent[node]
            return path[::-1]
        if not isinstance(i, int):  # END
            continue
        outs = set(answered_successors(pb, i)) if answerable(i) else set()
        skip = skip_successor(pb, i)
        if skip is not None:
            outs.add(skip)
        for nxt in sorted(outs, key=str):
            if nxt not in parent and (not isinstance(nxt, int) or enterable(nxt)):  # END, or a step
                parent[nxt] = i
                queue.append(nxt)
    return None


def describe(pb: Playbook, path: list[int], last: str) -> str:
    """A run as `a → b → … → last`, shortened in the middle when long."""
    ids = [pb.steps[i].id for i in path]
    if len(ids) > 6:
        ids = ids[:2] + ["…"] + ids[-3:]
    return " → ".join(ids + [last])


# ----------------------------------------------------------------------------- inside a template
#
# What a variable can hold where a template shows it: the values of a choice (its option
# values), ANY (some value not listed: free text) and UNSET (not set on the path taken). Each
# `{% if %}` / `{% elif %}` / `{% else %}` and `a if test else b` narrows the set for what it
# guards, from comparisons of the variable (`==`, `!=`, `in`, `not in`), its truth and `is
# defined`, combined by `and`, `or` and `not`. Nothing is run.

ANY = "\x00any"
UNSET = "\x00unset"
Values = frozenset[str]


def narrow(test: nodes.Node, name: str, values: Values, truth: bool, condition: bool = False) -> Values:
    """The values `name` can hold where `test` is `truth`, from `values` before it.

    `condition`: the test is a step's `when`, where an unset name is None (so `is defined` holds).
    """
    from jinja2 import nodes

    if isinstance(test, nodes.Not):
        return narrow(test.node, name, values, not truth, condition)
    if isinstance(test, (nodes.And, nodes.Or)):
        both = isinstance(test, nodes.And) == truth  # `a and b` true, or `a or b` false: both hold
        first = narrow(test.left, name, values, truth, condition)
        if both:
            return narrow(test.right, name, first, truth, condition)
        other = narrow(test.left, name, values, not truth, condition)
        return first | narrow(test.right, name, other, truth, condition)
    if isinstance(test, nodes.Name) and test.name == name:
        return values - {UNSET} if truth else values
    if isinstance(test, nodes.Test) and _is(test.node, name) and test.name in ("defined", "undefined"):
        if condition:
            return values
        return values - {UNSET} if truth == (test.name == "defined") else values & {UNSET}
    if isinstance(test, nodes.Compare) and len(test.ops) == 1:
        op = test.ops[0]
        left, right = test.expr, op.expr
        if _is(right, name) and op.op in ("eq", "ne"):
            left, right = right, left
        if not _is(left, name):
            return values
        listed = _literals(right, op.op)
        if listed is None:
            return values
        positive = op.op in ("eq", "in")
        if positive == truth:
            return frozenset(v for v in listed if v in values or ANY in values)
        return values - listed
    return values


def _is(node: nodes.Node, name: str) -> bool:
    from jinja2 import nodes

    return isinstance(node, nodes.Name) and node.name == name


def _literals(node: nodes.Node, op: str) -> Values | None:
    """The texts a comparison names: `'a'` for == and !=, `['a', 'b']` for in and not in."""
    from jinja2 import nodes

    if op in ("eq", "ne"):  # a number or yes/no is kept as its text: no choice value equals it
        return frozenset({str(node.value)}) if isinstance(node, nodes.Const) else None
    if op in ("in", "notin") and isinstance(node, (nodes.List, nodes.Tuple)):
        items = [str(i.value) for i in node.items if isinstance(i, nodes.Const)]
        return frozenset(items) if len(items) == len(node.items) else None
    return None


def shown_values(ast: nodes.Node, name: str, values: Values) -> list[Values]:
    """For each place a template shows `name` (not in an `if` test), the values it can hold there."""
    from jinja2 import nodes

    found: list[Values] = []

    def walk(node: nodes.Node, current: Values) -> None:
        if isinstance(node, nodes.If):
            rest = current
            for test, body in [(node.test, node.body), *[(e.test, e.body) for e in node.elif_]]:
                for child in body:
                    walk(child, narrow(test, name, rest, True))
                rest = narrow(test, name, rest, False)
            for child in node.else_:
                walk(child, rest)
            return
        if isinstance(node, nodes.CondExpr):
            walk(node.expr1, narrow(node.test, name, current, True))
            if node.expr2 is not None:
                walk(node.expr2, narrow(node.test, name, current, False))
            return
        if isinstance(node, nodes.Name) and node.name == name and node.ctx == "load":
            found.append(current)
            return
        for child in node.iter_child_nodes():
            walk(child, current)

    walk(ast, values)
    return found
