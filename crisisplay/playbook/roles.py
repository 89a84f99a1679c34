"""Roles in people's words: what the responder reads wherever a role comes up.

A playbook names roles by id (`pr`, `legal`) and describes each one (`pr: Social-media or PR
expert who can review public wording`); the configuration names the person. The log keeps
the ids; prompts, progress lines and `show` say "Leo Kim (Social-media or PR expert)".
"""

from __future__ import annotations

import re
from typing import Mapping

# A description's first clause is the role's label: "Legal counsel who knows consumer law
# where the customer lives" reads as "Legal counsel" in a question or a list of people.
_CLAUSE_END = re.compile(r",|;|:|\(| [—–-] | who | that | e\.g\.")
_DETERMINERS = ("your", "the", "a", "an", "our", "their")


def role_label(role: str, roles: Mapping[str, str]) -> str:
    """The short name of a role: its description's first clause, or its id in words."""
    description = " ".join((roles.get(role) or "").split())
    label = _CLAUSE_END.split(description, maxsplit=1)[0].strip().rstrip(".")
    return label or role.replace("-", " ").replace("_", " ")


def role_words(role: str, roles: Mapping[str, str]) -> str:
    """The label as it reads after other words: `legal counsel`; `PR expert` stays as written."""
    first, space, rest = role_label(role, roles).partition(" ")
    if first.lower() in _DETERMINERS or (first[:1].isupper() and first[1:].islower()):
        first = first.lower()
    return first + space + rest


def person(role: str, roles: Mapping[str, str], name: str | None = None) -> str:
    """Who answers for a role: `Leo Kim (social-media or PR expert)`, or the role's label alone."""
    name = " ".join((name or "").split())
    return f"{name} ({role_words(role, roles)})" if name else role_label(role, roles)


def someone(role: str, roles: Mapping[str, str], name: str | None = None) -> str:
    """A person or a role as the object of a sentence: `Leo Kim (legal counsel)`, `the legal counsel`."""
    if name and name.strip():
        return person(role, roles, name)
    words = role_words(role, roles)
    return words if words.split(" ", 1)[0].lower() in _DETERMINERS else f"the {words}"


def reach_question(role: str, roles: Mapping[str, str], name: str | None = None) -> str:
    """The question asked for each role of an escalation: `Did you reach Leo Kim (PR expert)?`."""
    return f"Did you reach {someone(role, roles, name)}?"
