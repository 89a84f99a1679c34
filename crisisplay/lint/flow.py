"""The step graph as the lint rules see it: which edges answer a step and which skip it.

The shared checker's `successors` merges both kinds; dataflow rules need them apart, because
a step's `save_as` is set and its milestone reached only when it is answered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from crisisplay.playbook.model import END, ChoiceStep, Playbook

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
