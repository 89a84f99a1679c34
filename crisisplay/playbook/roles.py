"""Roles in people's words: what the responder reads wherever a role comes up.

A playbook names roles by id (`pr`, `legal`) and describes each one (`pr: Social-media or PR
expert who can review public wording`), or gives it a `label`; the configuration names the
person. The log keeps the ids; prompts, progress lines and `show` say
"Leo Kim (social-media or PR expert)".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from crisisplay.i18n import N_, _, folded
from crisisplay.playbook.names import nfc


class _Role(Protocol):
    @property
    def label(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...


class WithRoles(Protocol):
    """What these words need of a playbook: its roles by name (the model, or `show`'s view of its
    normalised form, which never builds the model)."""

    @property
    def roles(self) -> Mapping[str, _Role]: ...


# Without a label, a description's first clause is the role's label: "Legal counsel who knows
# consumer law where the customer lives" reads as "Legal counsel" in a question or a list.
_CLAUSE_END = re.compile(r",|;|:|\(| [—–-] | who | that | e\.g\.| que | p\. ej\.")
_DETERMINERS = ("your", "the", "a", "an", "our", "their")
# How a description that names someone in a sentence opens (`Tu responsable directo`, `La
# persona de dirección de guardia`, `Quien lleva nuestra seguridad`), in the bundled languages.
_OPENINGS = frozenset(
    (*_DETERMINERS, "whoever")
    + ("tu", "el", "la", "los", "las", "un", "una", "nuestro", "nuestra", "nuestros", "nuestras", "su", "sus")
    + ("quien", "quienes")
)

# The roles every incident has (playbook/model.py BUILTIN_ROLES), in words, unless the playbook
# declares them: a reader sees "Incident lead", never the id `lead`.
BUILTIN_LABELS = {"lead": N_("Incident lead"), "comms": N_("Communications lead"), "scribe": N_("Scribe")}


def _written_label(pb: WithRoles, role: str) -> str | None:
    found = pb.roles.get(nfc(role))
    return found.label if found is not None else None


def role_label(pb: WithRoles, role: str) -> str:
    """The short name of a role: its `label`, else its description's first clause, else its id in words."""
    label = _written_label(pb, role)
    if label:
        return label
    found = pb.roles.get(nfc(role))
    description = " ".join(((found.description if found else None) or "").split())
    label = _CLAUSE_END.split(description, maxsplit=1)[0].strip().rstrip(".")
    if not label and nfc(role) in BUILTIN_LABELS:
        return _(BUILTIN_LABELS[nfc(role)])
    return label or role.replace("-", " ").replace("_", " ")


def role_words(pb: WithRoles, role: str) -> str:
    """The role as it reads after other words: `legal counsel`, `your line manager`; a `label`
    and `PR expert` stay as written."""
    label = role_label(pb, role)
    if _written_label(pb, role):
        return label  # the author's own words for it
    first, space, rest = label.partition(" ")
    if first.lower() in _DETERMINERS or (first[:1].isupper() and first[1:].islower()):
        first = first.lower()
    return first + space + rest


def person(pb: WithRoles, role: str, name: str | None = None) -> str:
    """Who answers for a role: `Leo Kim (social-media or PR expert)`, or the role's label alone."""
    name = " ".join((name or "").split())
    return f"{name} ({role_words(pb, role)})" if name else role_label(pb, role)


def _in_a_sentence(pb: WithRoles, role: str) -> str | None:
    """A labelled role as its description names it in a sentence, when it does: `Responsable`
    described as "Tu responsable directo, o quien …" is `tu responsable directo` (not
    `Responsable` mid-sentence); `Dirección` is `la persona de dirección de guardia`. None when
    the description opens otherwise or does not name the label's words."""
    label = _written_label(pb, role)
    found = pb.roles.get(nfc(role))
    if not label or found is None or not found.description:
        return None
    clause = _CLAUSE_END.split(" ".join(found.description.split()), maxsplit=1)[0].strip().rstrip(".")
    first = clause.split(" ", 1)[0]
    if folded(first) not in _OPENINGS or " " not in clause:
        return None
    words = [w for w in re.findall(r"\w+", folded(label)) if len(w) >= 4]
    named = folded(label) in folded(clause) or any(re.search(rf"\b{re.escape(w)}\b", folded(clause)) for w in words)
    if not named:
        return None
    return first.lower() + clause[len(first) :]


def someone(pb: WithRoles, role: str, name: str | None = None) -> str:
    """A person or a role as the object of a sentence: `Leo Kim (legal counsel)`, `the legal counsel`,
    `tu responsable directo` (a label its description names in a sentence)."""
    if name and name.strip():
        return person(pb, role, name)
    phrase = _in_a_sentence(pb, role)
    if phrase:
        return phrase
    words = role_words(pb, role)
    if _written_label(pb, role) or folded(words.split(" ", 1)[0]) in _OPENINGS:  # not "the whoever runs …"
        return words
    return _("the {role}").format(role=words)


def reach_question(pb: WithRoles, role: str, name: str | None = None) -> str:
    """The question asked for each role of an escalation: `Did you reach Leo Kim (PR expert)?`."""
    return _("Did you reach {person}?").format(person=someone(pb, role, name))
