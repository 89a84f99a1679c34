"""Content rules about what a message says and where (warnings): CP407 a decision still open,
CP408 personal data in public, CP409 a platform's norms. CP405 (length) is in rules_content.

Everything is checked statically: templates are read, never run.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from crisisplay.findings import Finding, one_of
from crisisplay.i18n import N_, _
from crisisplay.lint.channels import DIRECT_MESSAGES, PLATFORM_TABLE, Piece, pieces
from crisisplay.lint.flow import ANY, answered_successors, shown_values, skip_successor
from crisisplay.lint.rules_templates import analysis, start_values
from crisisplay.playbook.checks import step_paths, variable_values
from crisisplay.playbook.model import END, ChoiceStep, MessageStep, Playbook, audience_of
from crisisplay.playbook.where import locate
from crisisplay.templates import personal_names_in
from crisisplay.yamlsource import Document, Path_

if TYPE_CHECKING:
    from jinja2 import nodes

GOOGLE = "google-reviews"
_REVIEW = r"(?:reviews?|reseñas?|opini[oó]n(?:es)?|valoraci[oó]n(?:es)?)"
_CHANGE = (
    r"(?:remov\w*|delet\w*|chang\w*|edit\w*|updat\w*|revis\w*|withdraw\w*|take\s+(?:it\s+)?down|"
    r"borr\w*|elimin\w*|cambi\w*|modific\w*|retir\w*|quit\w*|actualiz\w*)"
)
# Removing or changing the review, in either order, within one sentence.
_REMOVAL = re.compile(rf"\b{_CHANGE}\b[^.!?\n]{{0,40}}\b{_REVIEW}\b|\b{_REVIEW}\b[^.!?\n]{{0,40}}\b{_CHANGE}", re.I)
_COMPENSATION = re.compile(
    r"\b(?:refund\w*|discount\w*|vouchers?|gifts?|free|coupons?|credit|compensat\w*|"
    r"reembols\w*|descuentos?|vales?|regal\w*|gratis|cup[oó]n(?:es)?|compens\w*)\b",
    re.I,
)
_ONE_REPLY_NORM = {
    GOOGLE: N_("a review has one owner reply; another replaces it"),
    "facebook-private-reply": N_("one private reply per comment, within 7 days of it"),
}


def check(pb: Playbook, doc: Document) -> list[Finding]:
    """CP407 decision-still-open, CP408 personal-in-public, CP409 platform-norm."""
    messages = [(i, path, step) for i, (path, step) in enumerate(step_paths(pb)) if isinstance(step, MessageStep)]
    if not messages:
        return []
    findings = _decisions_open(pb, doc, messages)
    findings += _personal_in_public(pb, doc, messages)
    findings += _norms(pb, doc, messages)
    return findings


def _texts(step: MessageStep, path: Path_) -> Iterator[tuple[Piece, Path_, str]]:
    """Each piece's template and channel, with the path of each in the document."""
    if step.template is None:  # the step's channel still goes with every variant that keeps it
        yield (
            Piece(path + ("channel",), None, step.channel, step.channel, step.platform),
            path + ("channel",),
            step.channel,
        )
    for piece in pieces(step, path):
        yield piece, piece.path, piece.template
        where = path + (("channel",) if piece.key is None else ("variants", piece.key, "channel"))
        variant = (step.variants or {}).get(piece.key or "") if piece.key is not None else None
        if piece.key is None or (variant is not None and variant.channel is not None):
            yield piece, where, piece.channel


def _parsed(source: str) -> nodes.Template | None:
    from crisisplay.templates import parsed

    return parsed(source, "template")


# ----------------------------------------------------------------------------- CP407


def _reached_from(pb: Playbook, starts: set[int | str]) -> set[int]:
    """Steps some run reaches from `starts` (included)."""
    seen = {s for s in starts if isinstance(s, int)}
    queue = deque(seen)
    while queue:
        i = queue.popleft()
        outs = set(answered_successors(pb, i))
        skip = skip_successor(pb, i)
        if skip is not None:
            outs.add(skip)
        for nxt in outs:
            if isinstance(nxt, int) and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _target(pb: Playbook, index: int, name: str | None) -> int | str | None:
    if name is None:
        return index + 1 if index + 1 < len(pb.steps) else END
    return END if name == END else pb.step_index.get(name)


def _decisions_open(pb: Playbook, doc: Document, messages: list[tuple[int, Path_, MessageStep]]) -> list[Finding]:
    # name → (the interim values, the choice steps that offer one, the steps reached after one is chosen)
    open_: dict[str, tuple[set[str], list[str], set[int]]] = {}
    for i, step in enumerate(pb.steps):
        if not (isinstance(step, ChoiceStep) and step.save_as):
            continue
        interim = [o for o in step.options if o.interim]
        if not interim:
            continue
        values, choices, reached = open_.setdefault(step.save_as, (set(), [], set()))
        values.update(o.value or o.label for o in interim)
        choices.append(step.id)
        starts = {t for o in interim if (t := _target(pb, i, o.next or step.next)) is not None}
        reached |= _reached_from(pb, starts)
    findings: list[Finding] = []
    for index, path, step in messages:
        for name, (interim_values, choices, reached) in open_.items():
            if index not in reached:
                continue
            universe = frozenset(variable_values(pb, name) or [ANY, *interim_values])
            for _piece, where, source in _texts(step, path):
                ast = _parsed(source)
                if ast is None or name not in analysis("template", source).names:
                    continue
                start = start_values(step.when, name, universe)
                shown = [held & interim_values for held in shown_values(ast, name, start)]
                still = sorted(set().union(*shown)) if shown else []
                if not still:
                    continue
                line, col = locate(doc, where, source, name)
                findings.append(
                    Finding(
                        doc.path,
                        line,
                        col,
                        "CP407",
                        _(
                            "step '{id}' shows '{name}', which can still be {values} here (an `interim: true` option "
                            "of {steps}: the decision is not taken yet); show it only inside an `{{% if %}}` that "
                            "rules that value out, and say meanwhile that you are checking and when you will "
                            "come back"
                        ).format(
                            id=step.id,
                            name=name,
                            values=one_of(still),
                            steps=one_of(f"'{c}'" for c in choices) if len(choices) > 1 else f"'{choices[0]}'",
                        ),
                    )
                )
    return findings


# ----------------------------------------------------------------------------- CP408


def _personal_in_public(pb: Playbook, doc: Document, messages: list[tuple[int, Path_, MessageStep]]) -> list[Finding]:
    personal = {
        name: spec.personal
        for name, spec in pb.inputs.items()
        if spec.personal not in (None, False, "handle")  # a public handle may be addressed in public
    }
    if not personal:
        return []
    findings: list[Finding] = []
    for _index, path, step in messages:
        for piece, where, source in _texts(step, path):
            public = step.audience or piece.audience or (audience_of(step) if piece.key is None else None)
            if public != "public":
                continue
            for name in sorted(personal_names_in(source, personal)):
                kind = personal[name]
                line, col = locate(doc, where, source, name)
                findings.append(
                    Finding(
                        doc.path,
                        line,
                        col,
                        "CP408",
                        _(
                            "{where} is public but shows '{name}', personal data ({kind}); never name the "
                            "people hurt in public: speak to them in a private message, and leave the name out here"
                        ).format(
                            where=_where(step, piece.key),
                            name=name,
                            kind=kind if isinstance(kind, str) else _("personal"),
                        ),
                    )
                )
    return findings


# ----------------------------------------------------------------------------- CP409


def _where(step: MessageStep, key: str | None) -> str:
    """The step a finding is about, and the variant when it is one of its variants."""
    if key is None:
        return _("step '{id}'").format(id=step.id)
    return _("step '{id}' (variant '{key}')").format(id=step.id, key=key)


def _in_loop(pb: Playbook, index: int) -> bool:
    """Whether a run can visit step `index` more than once."""
    outs = set(answered_successors(pb, index))
    skip = skip_successor(pb, index)
    if skip is not None:
        outs.add(skip)
    return index in _reached_from(pb, outs)


def _static_text(ast: nodes.Template) -> str:
    from jinja2 import nodes

    words = [n.data for n in ast.find_all(nodes.TemplateData)]
    words += [n.value for n in ast.find_all(nodes.Const) if isinstance(n.value, str)]
    return "\n".join(words)


def _forces_google(pb: Playbook, when: str | None) -> bool:
    """Whether a step's `when` holds only when some variable is `google-reviews`."""
    if when is None:
        return False
    names = analysis("condition", when).names
    return any(start_values(when, name, frozenset({ANY})) == {GOOGLE} for name in names)


def _norms(pb: Playbook, doc: Document, messages: list[tuple[int, Path_, MessageStep]]) -> list[Finding]:
    findings: list[Finding] = []
    loops: dict[int, bool] = {}
    for index, path, step in messages:
        for piece in pieces(step, path):
            platform = PLATFORM_TABLE.get(piece.platform or "")
            where = _where(step, piece.key)
            if platform is not None and platform.one_reply:
                if index not in loops:
                    loops[index] = _in_loop(pb, index)
                if loops[index]:
                    findings.append(
                        doc.finding(
                            piece.path,
                            "CP409",
                            _(
                                "{where} replies on {platform} ({norm}), but it is in a loop and can be sent "
                                "more than once; move it out of the loop, or send later updates elsewhere"
                            ).format(where=where, platform=_(platform.name), norm=_(_ONE_REPLY_NORM[platform.id])),
                        )
                    )
            on_google = piece.key == GOOGLE or (piece.key is None and _forces_google(pb, step.when))
            if on_google and piece.platform in DIRECT_MESSAGES:
                findings.append(
                    doc.finding(
                        piece.path,
                        "CP409",
                        _(
                            "{where} sends {platform} on a Google-reviews path, but a Google reviewer cannot be "
                            "messaged there; answer in the one public owner reply (and write by e-mail to a "
                            "customer you know)"
                        ).format(where=where, platform=_(PLATFORM_TABLE[piece.platform].name)),
                    )
                )
            if piece.platform == GOOGLE:
                ast = _parsed(piece.template)
                text = _static_text(ast) if ast is not None else piece.template
                removal, offer = _REMOVAL.search(text), _COMPENSATION.search(text)
                if removal and offer:
                    findings.append(
                        doc.finding(
                            piece.path,
                            "CP409",
                            _(
                                "{where} answers a Google review and pairs '{change}' with '{offer}': never "
                                "trade compensation for removing or changing a review (Google bans incentives to "
                                "post, revise or remove reviews); keep the remedy apart and say nothing about the review"
                            ).format(where=where, change=" ".join(removal.group(0).split()), offer=offer.group(0)),
                        )
                    )
    return findings
