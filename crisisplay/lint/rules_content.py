"""Content rules (warnings): what a crisis playbook should hold, whatever its structure.

The lessons behind them are in SPEC.md: escalate, say something, learn afterwards, and keep
a public reply short enough for the channel it goes to.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from crisisplay.findings import Finding
from crisisplay.i18n import _
from crisisplay.lint import rules_channels
from crisisplay.lint.channels import BYTES, PLATFORM_TABLE, Piece, pieces
from crisisplay.playbook.checks import step_paths
from crisisplay.playbook.model import ChoiceStep, MessageStep, Playbook, field_of, saved_as
from crisisplay.yamlsource import Document

if TYPE_CHECKING:
    from jinja2 import nodes

X_LIMIT = 280
TEXT_LENGTH = 15  # a realistic free-text answer: a handle, a product name, "within 24 hours"
_POST_MORTEM = re.compile(r"post-?mortem|retrospective|retro\b|lessons|debrief|after-action", re.I)
_ON_X = re.compile(r"(?i:\btwitter\b|\btweets?\b)|\bX\b")


def check(pb: Playbook, doc: Document) -> list[Finding]:
    """CP401–CP409: escalation, message, post-mortem, empty prompts, platform lengths, targets; and
    (rules_channels) decisions still open, personal data in public, platform norms."""
    findings: list[Finding] = []
    types = {step.type for step in pb.steps}
    top = ("phases",)
    if "escalate" not in types:
        findings.append(
            doc.finding(
                top,
                "CP401",
                _(
                    "no step escalates: add an `escalate` step so the responder does "
                    "not handle the crisis alone (a manager, PR or legal)"
                ),
                key=True,
            )
        )
    if "message" not in types:
        findings.append(
            doc.finding(
                top,
                "CP402",
                _("no step sends a message: add a `message` step with the holding statement or the apology"),
                key=True,
            )
        )
    if not any(_POST_MORTEM.search(f"{ph.id} {ph.title}") for ph in pb.phases) and not any(
        field_of(s, "section") for s in pb.steps
    ):
        findings.append(
            doc.finding(
                top,
                "CP403",
                _(
                    "no post-mortem phase: add a last phase with id 'post-mortem' and "
                    "text steps with `section:` so the export holds what was learnt"
                ),
                key=True,
            )
        )
    findings += _empty_prompts(pb, doc)
    findings += _too_long(pb, doc)
    findings += rules_channels.check(pb, doc)
    milestones = {step.milestone for step in pb.steps if step.milestone}
    for name in pb.targets:
        if name not in milestones:
            findings.append(
                doc.finding(
                    ("targets", name),
                    "CP406",
                    _(
                        "target '{name}' is never reached: no step has "
                        "`milestone: {name}`; add it to the step that meets it, or remove the target"
                    ).format(name=name),
                    key=True,
                )
            )
    return findings


def _empty_prompts(pb: Playbook, doc: Document) -> list[Finding]:
    findings = []
    for path, step in step_paths(pb):
        if step.prompt is not None and not step.prompt.strip():
            findings.append(
                doc.finding(
                    path + ("prompt",),
                    "CP404",
                    _(
                        "step '{id}' has an empty prompt; write the question or instruction the responder should see"
                    ).format(id=step.id),
                )
            )
    for name, item in pb.inputs.items():
        if not item.prompt.strip():
            findings.append(
                doc.finding(
                    ("inputs", name, "prompt"),
                    "CP404",
                    _("input '{name}' has an empty prompt; write the question the responder should answer").format(
                        name=name
                    ),
                )
            )
    return findings


def placeholder_lengths(pb: Playbook) -> dict[str, int]:
    """How long each name's value realistically is, for estimating a message's length."""
    lengths = {
        "severity": max(map(len, pb.severity.levels)),
        "playbook": len(pb.id),
        "drill": 5,
        "elapsed_minutes": 3,
        "incident_id": 21 + len(pb.id),
    }
    for name, item in pb.inputs.items():
        lengths[name] = (
            max(len(o.value or o.label) for o in item.options)
            if item.options
            else (3 if item.type == "number" else TEXT_LENGTH)
        )
    for step in pb.steps:
        saved = saved_as(step)
        if not saved or saved in lengths:
            continue
        if isinstance(step, ChoiceStep):  # an option's value is its label unless written
            lengths[saved] = max(len(o.value or o.label) for o in step.options)
        else:
            lengths[saved] = {"confirm": 5, "number": 3}.get(step.type, TEXT_LENGTH)  # "False", "120"
    return lengths


def choice_values(pb: Playbook) -> dict[str, list[str]]:
    """The values a choice input or a choice step's `save_as` can take."""
    values = {name: [o.value or o.label for o in item.options] for name, item in pb.inputs.items() if item.options}
    for step in pb.steps:
        if isinstance(step, ChoiceStep) and step.save_as and step.save_as not in values:
            values[step.save_as] = [o.value or o.label for o in step.options]
    return values


def realistic_lengths(pb: Playbook) -> dict[str, int]:
    """`placeholder_lengths`, with each input's `max_length` where it declares one: the longest realistic values."""
    lengths = placeholder_lengths(pb)
    for name, item in pb.inputs.items():
        if item.max_length is not None:
            lengths[name] = item.max_length
    return lengths


def platform_for(piece: Piece, values: dict[str, list[str]]) -> str | None:
    """The piece's platform; a channel that names Twitter/X (in words, or by a value it shows) counts as X."""
    if piece.platform is not None:
        return piece.platform
    channel = _parse(piece.channel)
    return "x" if channel is not None and _mentions_x(channel, values) else None


def _too_long(pb: Playbook, doc: Document) -> list[Finding]:
    findings = []
    lengths = realistic_lengths(pb)
    values = choice_values(pb)
    for path, step in step_paths(pb):
        if not isinstance(step, MessageStep):
            continue
        for piece in pieces(step, path):
            platform = PLATFORM_TABLE.get(platform_for(piece, values) or "")
            body = _parse(piece.template)
            if platform is None or platform.limit is None or body is None:
                continue
            known = dict(lengths)
            if piece.key is not None and step.variant_by:
                known[step.variant_by] = len(piece.key)  # this variant is shown for this value only
            size = estimate(body, known, bytes_=platform.unit == BYTES)
            if size <= platform.limit:
                continue
            where = (
                _("step '{id}'").format(id=step.id)
                if piece.key is None
                else _("step '{id}' (variant '{key}')").format(id=step.id, key=piece.key)
            )
            findings.append(
                doc.finding(
                    piece.path,
                    "CP405",
                    _(
                        "{where} posts on {platform} but its message can run to about {size} {unit}; "
                        "expected at most {limit} (shorten it, or link to a longer statement)"
                    ).format(
                        where=where,
                        platform=_(platform.name),
                        size=size,
                        unit=_("bytes") if platform.unit == BYTES else _("characters"),
                        limit=f"{platform.limit:,}" if platform.limit >= 10_000 else platform.limit,
                    ),
                )
            )
    return findings


@lru_cache(maxsize=1024)
def _parse(source: str) -> nodes.Template | None:
    from crisisplay.templates import parsed

    return parsed(source, "template")  # None when it does not parse: CP301, from the checker


def _mentions_x(ast: nodes.Template, values: dict[str, list[str]]) -> bool:
    from jinja2 import nodes

    pieces = [n.data for n in ast.find_all(nodes.TemplateData)]
    pieces += [str(n.value) for n in ast.find_all(nodes.Const)]
    for name in ast.find_all(nodes.Name):
        pieces += values.get(name.name, [])
    return any(_ON_X.search(piece) for piece in pieces)


def estimate(node: nodes.Node, lengths: dict[str, int], bytes_: bool = False) -> int:
    """The longest a template can render to, without running it (in UTF-8 bytes with `bytes_`).

    Static text counts as written; each `{{ name }}` as that name's realistic length; an
    `if` as its longest branch and a `for` body once. Nothing is executed, so a hostile
    template cannot make the linter slow.
    """
    from jinja2 import nodes

    if isinstance(node, nodes.TemplateData):
        return len(node.data.encode("utf-8")) if bytes_ else len(node.data)
    if isinstance(node, nodes.Output):
        return sum(
            estimate(n, lengths, bytes_) if isinstance(n, nodes.TemplateData) else _expr(n, lengths) for n in node.nodes
        )
    if isinstance(node, nodes.If):
        branches = [node.body, *[b.body for b in node.elif_], node.else_]
        return max(sum(estimate(n, lengths, bytes_) for n in branch) for branch in branches)
    body = getattr(node, "body", None)
    if isinstance(body, list):
        return sum(estimate(n, lengths, bytes_) for n in body)
    return 0


def _expr(node: nodes.Node, lengths: dict[str, int]) -> int:
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return lengths.get(node.name, TEXT_LENGTH)
    if isinstance(node, nodes.Const):
        return len(str(node.value))
    if isinstance(node, nodes.CondExpr):
        return max(_expr(node.expr1, lengths), _expr(node.expr2, lengths) if node.expr2 is not None else 0)
    if isinstance(node, nodes.Concat):
        return sum(_expr(n, lengths) for n in node.nodes)
    return TEXT_LENGTH
