"""Helpers the lint tests share: lint a text, and pick out the findings of one code."""

from __future__ import annotations

from crisisplay.lint.policy import Policy
from crisisplay.lint.runner import lint_text


def lint(text: str, path: str = "minimal.yaml", policy: Policy = Policy()):
    """The findings `crisisplay lint` reports for `text` as the file `path`."""
    return lint_text(text, path, stem=path.rsplit("/", 1)[-1].rsplit(".", 1)[0], policy=policy).findings


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def only(findings, code: str) -> list:
    return [f for f in findings if f.code == code]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)
