"""Lint files: collect the paths, read them, run the checker and every rule family, then apply
the configuration and the noqa comments. One process, any number of files.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from crisisplay.errors import UsageError
from crisisplay.findings import Finding, sort_findings
from crisisplay.home import SUFFIXES
from crisisplay.i18n import _
from crisisplay.lint import rules_content, rules_graph, rules_templates, rules_translation, suppress
from crisisplay.lint.policy import Policy
from crisisplay.playbook.loader import Checked, check_text, oversized
from crisisplay.reading import InputTooLarge, read_input

if TYPE_CHECKING:
    from crisisplay.scenario.loader import CheckedScenario

STDIN = "-"
STDIN_NAME = "<stdin>"
DEFAULT_FOLDER = "playbooks"
SCENARIO_FOLDER = "drills"  # linted too when PATH is left out and it exists
SCENARIO_KEY = "crisisplay-drill"  # scenario/model.py's FORMAT_KEY, without importing the model for every lint
# One module per rule family; each takes a structurally valid playbook and its document.
FAMILIES = (rules_graph.check, rules_templates.check, rules_content.check)


@dataclass
class LintResult:
    """One file's outcome: what the checker built, and the findings left to report."""

    path: str
    checked: Checked
    findings: list[Finding]
    suppressed: int = 0
    scenario: CheckedScenario | None = None  # set when the file is a drill scenario (`crisisplay-drill:`)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def text(self) -> str:
        return self.checked.doc.text


@dataclass
class Report:
    """What linting many files found, kept small: each file is folded in and let go.

    Only the findings (small records, in file order) and counts stay; a file's text, document
    and model are dropped once it is reported, so memory stays flat whatever the file count.
    With `sources`, each file's findings are also put into words at once with the lines they
    point at (the terminal's text format), while its text is still at hand.
    """

    findings: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    files: int = 0
    suppressed: int = 0
    sources: bool = False
    shown: list[str] = field(default_factory=list)  # with `sources`: each file's findings, with their lines

    def add(self, result: LintResult) -> None:
        self.files += 1
        self.suppressed += result.suppressed
        self.findings += result.findings
        if self.sources and result.findings:
            from crisisplay.lint import formats

            self.shown.append(formats.text(result.findings, {result.path: result.text}))

    def exit_code(self, strict: bool) -> int:
        if self.unreadable:
            return 2
        if any(f.level == "error" for f in self.findings) or (strict and self.findings):
            return 1
        return 0


def lint_text(
    raw: bytes | str,
    path: str = STDIN_NAME,
    *,
    stem: str | None = None,
    policy: Policy = Policy(),
    translation: bool = False,
    checked: Checked | None = None,
) -> LintResult:
    """Lint one source: the single function `lint`, `show` and `start` share.

    `translation` (what `crisisplay lint` asks for) also compares a `translation_of:` playbook
    with its original (CP601); `show` and `start` run one file and leave that rule out.
    """
    if checked is None:
        checked = check_text(raw, path, stem=stem)
    scenario = None
    if isinstance(checked.doc.data, dict) and SCENARIO_KEY in checked.doc.data:
        # A drill scenario (a playbook never has that key): its own checks, and against its playbook.
        from crisisplay.home import home_dir
        from crisisplay.scenario.loader import check_scenario, check_scenario_doc

        scenario = check_scenario(check_scenario_doc(checked.doc, stem=stem), home_dir())
        checked = Checked(checked.doc, findings=scenario.findings)
    directives = suppress.read(checked.doc.text)
    if directives.disabled:
        # Even a disabled file keeps the checker's errors: `start` could not run it anyway.
        kept = [f for f in checked.findings if f.code in policy.locked and f.level == "error"]
        return LintResult(path, checked, kept, suppressed=len(checked.findings) - len(kept), scenario=scenario)
    findings = list(checked.findings)
    if checked.playbook is not None:
        for family in FAMILIES:
            findings += family(checked.playbook, checked.doc)
        if translation:
            findings += rules_translation.check(checked.playbook, checked.doc)
    enabled = policy.enabled_for(path)
    if not translation:  # not checked here: a `noqa CP601` is not unused
        enabled = enabled - {rules_translation.CODE}
    findings = [f for f in findings if f.code in enabled]
    kept, suppressed = suppress.apply(findings, directives, enabled, policy.locked, path)
    if kept and checked.doc.text:
        lines = checked.doc.text.split("\n")
        kept = [_inside(f, lines) for f in kept]
    return LintResult(path, checked, sort_findings(_unique(kept)), suppressed, scenario)


def lint_file(path: Path, policy: Policy = Policy()) -> LintResult:
    """`lint_text` on a file; OSError is the caller's to report.

    A file the translation rule has just checked as an original (unchanged since) is not read
    and checked again; and each file's checker result is kept a little while for the
    translations that may follow it (`rules_translation.remember`, a few files at most).
    """
    stat = path.stat()  # before reading: a file changed since is not recalled
    known = rules_translation.recall(path, stat)
    if known is not None:
        return lint_text(b"", str(path), stem=path.stem, policy=policy, translation=True, checked=known)
    result = lint_source(path, str(path), stem=path.stem, policy=policy, translation=True)
    rules_translation.remember(path, stat, result.checked)
    return result


def lint_source(
    source: Path | BinaryIO, path: str, *, stem: str | None = None, policy: Policy = Policy(), translation: bool = False
) -> LintResult:
    """`lint_text` on a file or a stream read up to the size limit; past it, the size finding (CP004)."""
    try:
        raw = read_input(source, path)
    except InputTooLarge as err:
        return oversized_result(path, err.limit)
    return lint_text(raw, path, stem=stem, policy=policy, translation=translation)


def oversized_result(path: str, limit: int) -> LintResult:
    """What linting a source past the size limit finds: CP004, which cannot be suppressed."""
    checked = oversized(path, limit)
    return LintResult(path, checked, checked.findings)


def _inside(finding: Finding, lines: list[str]) -> Finding:
    """The finding moved inside the text when it points past it.

    libyaml reports an error at the end of a file with no final newline on the line after
    the last one; the caret and editors want a position that exists.
    """
    line = min(finding.line, len(lines))
    column = min(finding.column if line == finding.line else 10**9, len(lines[line - 1]) + 1)
    if (line, column) == (finding.line, finding.column):
        return finding
    return replace(finding, line=line, column=column)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def collect(args: list[str]) -> tuple[list[str | Path], list[str]]:
    """The files to lint, in order (folders expanded), and the paths that do not exist."""
    if not args:
        if not Path(DEFAULT_FOLDER).is_dir() and Path(SCENARIO_FOLDER).is_dir():
            args = [SCENARIO_FOLDER]  # a folder of drill scenarios only
        elif not Path(DEFAULT_FOLDER).is_dir():
            raise UsageError(
                _(
                    "no PATH given and ./{folder} is not a folder; name the playbooks to lint, or - for standard input"
                ).format(folder=DEFAULT_FOLDER)
            )
        else:
            args = [DEFAULT_FOLDER] + ([SCENARIO_FOLDER] if Path(SCENARIO_FOLDER).is_dir() else [])
    files: list[str | Path] = []
    missing: list[str] = []
    for arg in args:
        if arg == STDIN:
            files.append(STDIN)
            continue
        path = Path(arg)
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as err:  # a name too long for the file system, say
            missing.append(_("{path}: cannot read: {reason}").format(path=arg, reason=err.strerror or err))
            continue
        if is_dir:
            found, problems = _walk(path)
            if not found and not problems:
                # A CI step pointed at the wrong folder must not pass by checking nothing.
                problems = [_("{path}: no .yaml or .yml files in this folder").format(path=arg)]
            files += found
            missing += problems
        elif exists:
            files.append(path)
        else:
            missing.append(_("{path}: no such file or folder").format(path=arg))
    return list(dict.fromkeys(files)), missing


def _walk(folder: Path) -> tuple[list[Path], list[str]]:
    """Every *.yaml/*.yml under `folder`, sorted, skipping hidden folders like .git."""
    found, problems = [], []

    def complain(err: OSError) -> None:
        problems.append(_("{path}: cannot read: {reason}").format(path=err.filename, reason=err.strerror))

    for root, dirs, names in os.walk(folder, onerror=complain):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith(SUFFIXES):
                continue
            path = Path(root) / name
            if path.is_file() or not path.exists():  # a dangling link is reported when it is read
                found.append(path)
            else:  # a named pipe would wait forever for a writer; a device is no playbook
                problems.append(_("{path}: not a regular file, not read").format(path=path))
    return found, problems


def lint_paths(
    args: list[str], policy: Policy = Policy(), stdin: BinaryIO | None = None, *, sources: bool = False
) -> Report:
    """Lint every file the arguments name, one at a time; unreadable paths are listed, not raised."""
    files, missing = collect(args)
    report = Report(unreadable=missing, sources=sources)
    for item in files:
        if isinstance(item, str):  # only STDIN is kept as text
            stream = stdin if stdin is not None else sys.stdin.buffer
            report.add(lint_source(stream, STDIN_NAME, policy=policy, translation=True))
            continue
        try:
            report.add(lint_file(item, policy))
        except OSError as err:
            report.unreadable.append(_("{path}: cannot read: {reason}").format(path=item, reason=err.strerror or err))
    return report
