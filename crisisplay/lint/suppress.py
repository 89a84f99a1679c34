"""In-file suppressions: `# crisisplay: noqa [CODE...]` and `# crisisplay: disable-file`.

A noqa at the end of a line covers that line; alone on a line it covers the next line that
holds YAML. A `#` counts as a comment when it starts the line or follows a space, as in
YAML; inside a block scalar (`|`) such a line is text, and is read as a directive anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crisisplay.findings import RULES, Finding, did_you_mean
from crisisplay.i18n import _

_DIRECTIVE = re.compile(r"(?:^|(?<=\s))#\s*crisisplay\s*:\s*(noqa|disable-file)\b:?(.*)$", re.I)
_CODE = re.compile(r"CP\d+", re.I)


@dataclass
class Noqa:
    """One noqa comment: where it is, which line it covers, and which codes (None: every code)."""

    line: int
    column: int
    covers: int
    codes: tuple[str, ...] | None
    used: set[str] = field(default_factory=set)


@dataclass
class Directives:
    disabled: bool = False
    noqas: list[Noqa] = field(default_factory=list)
    misplaced: list[tuple[int, int]] = field(default_factory=list)  # disable-file below the top


def _codes(rest: str) -> tuple[str, ...] | None:
    """The codes listed after `noqa` (comma or space separated); the first other word starts a reason."""
    codes = []
    for token in re.split(r"[\s,]+", rest.strip()):
        if not _CODE.fullmatch(token):
            break
        codes.append(token.upper())
    return tuple(codes) or None


def read(text: str) -> Directives:
    """Every directive in `text`."""
    found = Directives()
    if "noqa" not in text and "disable-file" not in text:  # the common case: no per-line scan
        return found
    lines = text.split("\n")
    at_top = True
    pending: list[Noqa] = []
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        match = _DIRECTIVE.search(line)
        alone = stripped.startswith("#")
        if match and match[1].lower() == "disable-file":
            if at_top:
                found.disabled = True
            else:
                found.misplaced.append((number, match.start() + 1))
        elif match:
            noqa = Noqa(number, match.start() + 1, number, _codes(match[2]))
            found.noqas.append(noqa)
            if alone:
                pending.append(noqa)
        if stripped and not alone:
            at_top = False
            for noqa in pending:
                noqa.covers = number
            pending = []
    for noqa in pending:  # a noqa alone at the end of the file covers nothing
        noqa.covers = 0
    return found


def apply(
    findings: list[Finding], directives: Directives, enabled: frozenset[str], locked: frozenset[str], path: str
) -> tuple[list[Finding], int]:
    """The findings left after noqa comments, plus CP501 for each noqa that suppressed nothing."""
    by_line: dict[int, list[Noqa]] = {}
    for noqa in directives.noqas:
        by_line.setdefault(noqa.covers, []).append(noqa)
    kept, suppressed = [], 0
    for finding in findings:
        covering = [n for n in by_line.get(finding.line, ()) if n.codes is None or finding.code in n.codes]
        if covering and finding.code not in locked:
            for noqa in covering:
                noqa.used.add(finding.code)
            suppressed += 1
        else:
            kept.append(finding)
    if "CP501" in enabled:
        kept += _unused(directives, enabled, locked, path)
    return kept, suppressed


def _unused(directives: Directives, enabled: frozenset[str], locked: frozenset[str], path: str) -> list[Finding]:
    out = []
    for noqa in directives.noqas:
        where = _("line {line}").format(line=noqa.covers) if noqa.covers else _("no line (nothing follows it)")
        if noqa.codes is None:
            if not noqa.used:
                out.append(
                    Finding(
                        path,
                        noqa.line,
                        noqa.column,
                        "CP501",
                        _("this noqa suppresses nothing: no finding on {where}; remove it").format(where=where),
                    )
                )
            continue
        for code in noqa.codes:
            if code not in RULES:
                reason = _("'{code}' names no rule{suggestion}").format(code=code, suggestion=did_you_mean(code, RULES))
            elif code in locked:
                reason = _(
                    "{code} cannot be suppressed: a file with this error cannot be run (`start` or `drill` refuses it)"
                ).format(code=code)
            elif code not in enabled or code in noqa.used:
                continue  # switched off by the configuration, or doing its job
            else:
                reason = _("{code} is not reported on {where}").format(code=code, where=where)
            message = _("unused noqa: {reason}; remove it").format(reason=reason)
            out.append(Finding(path, noqa.line, noqa.column, "CP501", message))
    for line, column in directives.misplaced:
        out.append(
            Finding(
                path,
                line,
                column,
                "CP501",
                _(
                    "disable-file only works in the comments at the top of the file, before the first key; move it there"
                ),
            )
        )
    return out
