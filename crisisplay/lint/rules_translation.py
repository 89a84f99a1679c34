"""Translation rule: a playbook with `translation_of:` behaves exactly like its original.

A translation rewords prompts, help, titles, templates and labels. Everything a run, an
answers file or a report relies on stays the original's: the ids (phases, steps, inputs,
option values, severity levels, roles, milestones), step types, `next`, `when`, `save_as`,
sections, escalation targets and the targets' durations. CP601 reports each difference, and
an original that cannot be found, so a translation never drifts from what it translates.

It runs in `crisisplay lint` only: it reads a second file, the original, which `show` and
`start` (and their lint cache, keyed by one file's bytes) do not.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from crisisplay.findings import Finding, one_of
from crisisplay.i18n import N_, _
from crisisplay.playbook.checks import step_paths
from crisisplay.playbook.model import AnyStep, ChecklistStep, ChoiceStep, InputOption, Playbook
from crisisplay.yamlsource import Document, Path_

if TYPE_CHECKING:
    from crisisplay.playbook.loader import Checked

CODE = "CP601"
STDIN_NAME = "<stdin>"
# The step keys that decide what a run does; everything else a step holds is words.
STEP_KEYS = ("type", "next", "when", "milestone", "save_as", "section", "to", "min", "max")
# A name the original declares that the translation lacks, or the reverse, by kind of name.
MISSING = {
    "target": N_("target '{name}' of the original '{original}' is missing; keep it (translate it with `label:`)"),
    "role": N_("role '{name}' of the original '{original}' is missing; keep it (translate it with `label:`)"),
    "input": N_("input '{name}' of the original '{original}' is missing; keep it (translate it with `label:`)"),
}
ADDED = {
    "target": N_("target '{name}' is not in the original '{original}'; expected {expected}"),
    "role": N_("role '{name}' is not in the original '{original}'; expected {expected}"),
    "input": N_("input '{name}' is not in the original '{original}'; expected {expected}"),
}


def check(pb: Playbook, doc: Document) -> list[Finding]:
    """CP601 translation-drift: every difference in ids and behaviour from the original."""
    if pb.translation_of is None:
        return []
    where = ("translation_of",)
    path = find_original(pb.translation_of, doc.path)
    if path is None:
        return [
            doc.finding(
                where,
                CODE,
                _(
                    "the original '{original}' cannot be found; expected a playbook id (looked up beside "
                    "this file, then in ./playbooks, <home>/playbooks and the bundled playbooks) or a path "
                    "to a playbook file"
                ).format(original=pb.translation_of),
            )
        ]
    if doc.path != STDIN_NAME and path.resolve() == Path(doc.path).resolve():
        return [
            doc.finding(where, CODE, _("a playbook cannot be a translation of itself; name the original it translates"))
        ]
    try:
        original = _checked(path)
    except OSError as err:
        reason = err.strerror or str(err)
        return [
            doc.finding(where, CODE, _("the original {path} cannot be read: {reason}").format(path=path, reason=reason))
        ]
    if original.playbook is None:
        return [
            doc.finding(
                where,
                CODE,
                _("the original {path} is not a usable playbook ({count} error(s)); lint it first").format(
                    path=path, count=len(original.errors)
                ),
            )
        ]
    return _Compare(original.playbook, pb, doc).findings


# The checker's results for the files linted last, by device, inode, modification time and
# size (the file, however it is named): a translation and its original are usually linted close together, and each is then
# read and checked once, not twice. Bounded, so a lint of thousands of files stays flat.
_Key = tuple[int, int, int, int]
_RECENT: OrderedDict[_Key, Checked] = OrderedDict()
RECENT = 16


def _key(stat: os.stat_result) -> _Key:
    return (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def remember(path: Path, stat: os.stat_result, checked: Checked) -> None:
    """Keep the checker's result for `path` as it was when `stat` was taken (before reading it)."""
    key = _key(stat)
    _RECENT[key] = checked
    _RECENT.move_to_end(key)
    while len(_RECENT) > RECENT:
        _RECENT.popitem(last=False)


def recall(path: Path, stat: os.stat_result) -> Checked | None:
    """The checker's result for `path` if it was checked as it still is, named as `path` is."""
    checked = _RECENT.get(_key(stat))
    if checked is None or checked.playbook is None or checked.doc.path != str(path):
        return None
    return checked


def _checked(path: Path) -> Checked:
    """The checker's result for an original; several translations of one original read it once."""
    from crisisplay.playbook.loader import check_file

    stat = path.stat()  # before reading: a file changed since is a different key
    key = _key(stat)
    known = _RECENT.get(key)
    if known is not None:
        _RECENT.move_to_end(key)
        return known
    checked = check_file(path)
    remember(path, stat, checked)
    return checked


def find_original(ref: str, translation: str) -> Path | None:
    """The file `translation_of: ref` names: a path (relative to the translation's folder), or an
    id looked up beside the translation, then like any playbook id. None when there is none."""
    from crisisplay.errors import CrisisplayError
    from crisisplay.home import SUFFIXES, find_playbook, home_dir, looks_like_path

    here = Path.cwd() if translation == STDIN_NAME else Path(translation).parent
    if looks_like_path(ref):
        candidate = here / Path(ref).expanduser()
        return candidate if candidate.is_file() else None
    for suffix in SUFFIXES:  # a translation usually sits beside its original
        sibling = here / f"{ref}{suffix}"
        if sibling.is_file():
            return sibling
    try:
        return find_playbook(ref, home_dir()).path
    except CrisisplayError:
        return None


def _shown(value: object) -> str:
    if value is None:
        return _("not set")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]"
    return f"'{value}'" if isinstance(value, str) else str(value)


def _a(kind: str) -> str:
    """`an info`, `a text`: a type keyword with its article (in Spanish: `de tipo info`)."""
    return (_("an {type}") if kind[0] in "aeiou" else _("a {type}")).format(type=kind)


def _code(source: str | None) -> str:
    return _("not set") if source is None else f"`{' '.join(source.split())}`"


def _same_condition(a: str | None, b: str | None) -> bool:
    """Two `when` conditions are the same when they parse to the same expression (quotes and spaces aside)."""
    if a is None or b is None:
        return a == b
    from crisisplay.templates import parsed

    left, right = parsed(a, "condition"), parsed(b, "condition")
    if left is None or right is None:
        return " ".join(a.split()) == " ".join(b.split())
    return left == right


class _Compare:
    """The findings of one translation against its original, each at the translation's node."""

    def __init__(self, original: Playbook, translation: Playbook, doc: Document):
        self.original, self.translation, self.doc = original, translation, doc
        self.name = original.id  # each message says "the original '<id>'" in its own words
        self.findings: list[Finding] = []
        self.severity()
        self.named("target", "targets", original.targets, translation.targets)
        self.durations()
        self.named("role", "roles", original.roles, translation.roles)
        self.inputs()
        self.phases()
        self.steps()

    def drift(self, path: Path_, message: str, key: bool = False) -> None:
        self.findings.append(self.doc.finding(path, CODE, message, key=key))

    def severity(self) -> None:
        before, after = list(self.original.severity.levels), list(self.translation.severity.levels)
        if before != after:
            self.drift(
                ("severity", "levels"),
                _(
                    "severity levels {levels} differ from the original '{original}': expected {expected}, "
                    "in that order (keep the ids, translate them with `label:`)"
                ).format(levels=_shown(after), original=self.name, expected=_shown(before)),
                key=True,
            )
        elif self.original.severity.start != self.translation.severity.start:
            self.drift(
                ("severity", "initial"),
                _("severity starts at '{level}' here but at '{expected}' in the original '{original}'").format(
                    level=self.translation.severity.start, expected=self.original.severity.start, original=self.name
                ),
            )

    def named(self, what: str, key: str, before: Mapping[str, object], after: Mapping[str, object]) -> None:
        """Names declared in a mapping (targets, roles, inputs): none missing, none added.

        `what` is `target`, `role` or `input`: the messages below are written out for each."""
        missing, added = MISSING[what], ADDED[what]
        for name in before:
            if name not in after:
                self.drift((key,), _(missing).format(name=name, original=self.name), key=True)
        for name in after:
            if name not in before:
                expected = one_of(before) or _("none")
                self.drift((key, name), _(added).format(name=name, original=self.name, expected=expected), key=True)

    def durations(self) -> None:
        for name, target in self.translation.targets.items():
            before = self.original.targets.get(name)
            if before is not None and self.original.target_ms(name) != self.translation.target_ms(name):
                self.drift(
                    ("targets", name, "within"),
                    _("target '{name}' is {within} here but {expected} in the original '{original}'").format(
                        name=name, within=target.within, expected=before.within, original=self.name
                    ),
                )

    def inputs(self) -> None:
        before, after = self.original.inputs, self.translation.inputs
        self.named("input", "inputs", before, after)
        common = [name for name in after if name in before]
        if common != [name for name in before if name in after]:
            self.drift(
                ("inputs",),
                _("inputs are asked in another order than in the original '{original}': expected {expected}").format(
                    original=self.name, expected=_shown([n for n in before if n in after])
                ),
                key=True,
            )
        for name in common:
            old, new = before[name], after[name]
            path = ("inputs", name)
            if old.type != new.type:
                self.drift(
                    path + ("type",),
                    _("input '{name}' is {kind} input here but {expected} input in the original '{original}'").format(
                        name=name, kind=_a(new.type), expected=_a(old.type), original=self.name
                    ),
                )
                continue
            self.options(path, _("input '{name}'").format(name=name), old.options, new.options, steps=False)
            if old.type != "text" and old.default != new.default:
                self.drift(
                    path + ("default",),
                    _("input '{name}': `default` is {value} here but {expected} in the original '{original}'").format(
                        name=name, value=_shown(new.default), expected=_shown(old.default), original=self.name
                    ),
                )

    def options(
        self,
        path: Path_,
        owner: str,
        before: Sequence[InputOption] | None,
        after: Sequence[InputOption] | None,
        steps: bool,
    ) -> None:
        old = [o.value for o in before or ()]
        new = [o.value for o in after or ()]
        if old != new:
            self.drift(
                path + ("options",),
                _(
                    "{owner}: option values {values} differ from the original '{original}': expected {expected}, "
                    "in that order (keep each `value:`, translate its `label:`)"
                ).format(owner=owner, values=_shown(new), original=self.name, expected=_shown(old)),
                key=True,
            )
            return
        if not steps:
            return
        for i, (o, n) in enumerate(zip(before or (), after or (), strict=False)):
            for key in ("severity", "raise_severity", "next"):
                if getattr(o, key) != getattr(n, key):
                    self.drift(
                        path + ("options", i, key),
                        _(
                            "{owner}: option '{option}' has `{key}` {value} here but {expected} "
                            "in the original '{original}'"
                        ).format(
                            owner=owner,
                            option=n.value,
                            key=key,
                            value=_shown(getattr(n, key)),
                            expected=_shown(getattr(o, key)),
                            original=self.name,
                        ),
                    )

    def phases(self) -> None:
        before = [p.id for p in self.original.phases]
        after = [p.id for p in self.translation.phases]
        for name in before:
            if name not in after:
                message = _("phase '{phase}' of the original '{original}' is missing")
                self.drift(("phases",), message.format(phase=name, original=self.name), key=True)
        for i, name in enumerate(after):
            if name not in before:
                message = _("phase '{phase}' is not in the original '{original}'; expected {expected}")
                self.drift(("phases", i, "id"), message.format(phase=name, original=self.name, expected=one_of(before)))
        if [n for n in after if n in before] != [n for n in before if n in after]:
            self.drift(
                ("phases",),
                _("phases come in another order than in the original '{original}': expected {expected}").format(
                    original=self.name, expected=_shown(before)
                ),
                key=True,
            )

    def steps(self) -> None:
        original, translation = self.original, self.translation
        paths = {step.id: path for path, step in step_paths(translation)}
        for step in original.steps:
            if step.id not in translation.step_index:
                phase = original.phase_of[step.id].id
                p = next((i for i, ph in enumerate(translation.phases) if ph.id == phase), None)
                where = ("phases", p, "steps") if p is not None else ("phases",)
                message = _("step '{step}' of the original '{original}' (phase '{phase}') is missing")
                self.drift(where, message.format(step=step.id, original=self.name, phase=phase), key=True)
        order = [s.id for s in original.steps if s.id in translation.step_index]
        previous: dict[str, str | None] = {sid: (order[i - 1] if i else None) for i, sid in enumerate(order)}
        mine = [s.id for s in translation.steps if s.id in original.step_index]
        before_me = {sid: (mine[i - 1] if i else None) for i, sid in enumerate(mine)}
        for step in translation.steps:
            path = paths[step.id]
            if step.id not in original.step_index:
                message = _("step '{step}' is not in the original '{original}'; a translation has the same steps")
                self.drift(path + ("id",), message.format(step=step.id, original=self.name))
                continue
            before = original.step(step.id)
            old_phase, new_phase = original.phase_of[step.id].id, translation.phase_of[step.id].id
            if old_phase != new_phase:
                self.drift(
                    path + ("id",),
                    _(
                        "step '{step}' is in phase '{phase}' here but in '{expected}' in the original '{original}'"
                    ).format(step=step.id, phase=new_phase, expected=old_phase, original=self.name),
                )
            elif before_me[step.id] != previous[step.id]:
                after = previous[step.id]
                self.drift(
                    path + ("id",),
                    (
                        _("step '{step}' is out of the original '{original}''s order: there it comes after '{after}'")
                        if after
                        else _("step '{step}' is out of the original '{original}''s order: there it comes first")
                    ).format(step=step.id, original=self.name, after=after),
                )
            self.step(path, before, step)

    def step(self, path: Path_, before: AnyStep, after: AnyStep) -> None:
        if before.type != after.type:
            self.drift(
                path + ("type",),
                _("step '{step}' is {kind} step here but {expected} step in the original '{original}'").format(
                    step=after.id, kind=_a(after.type), expected=_a(before.type), original=self.name
                ),
            )
            return
        for key in STEP_KEYS[1:]:
            old, new = getattr(before, key, None), getattr(after, key, None)
            if key == "when":
                if not _same_condition(old, new):
                    message = _("step '{step}': `when` is {value} here but {expected} in the original '{original}'")
                    self.drift(
                        path + (key,),
                        message.format(step=after.id, value=_code(new), expected=_code(old), original=self.name),
                    )
            elif old != new:
                message = _("step '{step}': `{key}` is {value} here but {expected} in the original '{original}'")
                self.drift(
                    path + (key,),
                    message.format(step=after.id, key=key, value=_shown(new), expected=_shown(old), original=self.name),
                )
        # Both are of one type by now: the checks narrow each for mypy.
        if isinstance(before, ChoiceStep) and isinstance(after, ChoiceStep):
            self.options(path, _("step '{step}'").format(step=after.id), before.options, after.options, steps=True)
        if (
            isinstance(before, ChecklistStep)
            and isinstance(after, ChecklistStep)
            and len(before.items) != len(after.items)
        ):
            self.drift(
                path + ("items",),
                _(
                    "step '{step}' lists {count} item(s) here but {expected} in the original '{original}'; "
                    "translate each item, add or drop none"
                ).format(step=after.id, count=len(after.items), expected=len(before.items), original=self.name),
                key=True,
            )
