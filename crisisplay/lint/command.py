"""`crisisplay lint` end to end: options in, report out, exit code back to the CLI."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from crisisplay import __version__
from crisisplay.display import visible
from crisisplay.errors import UsageError
from crisisplay.findings import RULES, Finding
from crisisplay.i18n import _
from crisisplay.lint import formats
from crisisplay.lint.policy import policy_for
from crisisplay.lint.runner import Report, lint_paths

if TYPE_CHECKING:
    from crisisplay.config import Config

DOCS = "https://crisisplay.dev/docs/lint-rules.md"


def help_uri(code: str) -> str:
    """Where a rule is documented: its heading's anchor in docs/lint-rules.md."""
    return f"{DOCS}#{code.lower()}-{RULES[code].name}"


def rule_table() -> list[formats.RuleRow]:
    """Every rule as plain data, in code order: what `--list-rules` and sarif show.

    Codes, names and levels are the format's words; the summary is for people, in their language."""
    return [
        {"id": r.code, "name": r.name, "level": r.level, "summary": _(r.summary), "help_uri": help_uri(r.code)}
        for r in sorted(RULES.values(), key=lambda r: r.code)
    ]


def list_rules(fmt: str | None) -> str:
    rules = rule_table()
    if fmt == "json":
        return json.dumps({"rules": rules}, indent=2, ensure_ascii=False) + "\n"
    width = max(len(r["name"]) for r in rules)
    return "".join(f"{r['id']}  {r['name']:<{width}}  {r['level']:<7}  {r['summary']}\n" for r in rules)


def chosen_format(fmt: str | None, env: dict[str, str]) -> str:
    """--format, else github inside GitHub Actions, else text."""
    if fmt:
        return fmt
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


def run(
    paths: list[str],
    fmt: str | None,
    strict: bool,
    statistics: bool,
    output: Path | None,
    config: Config,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Lint, write the report, and return the exit code (0 clean, 1 findings, 2 could not run)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    policy = policy_for(config)
    fmt = chosen_format(fmt, dict(os.environ))
    tty = fmt == "text" and output is None and stdout.isatty()  # the text format shows each finding's line
    report = lint_paths(paths, policy, sources=tty)
    findings = report.findings
    suppressed = report.suppressed
    if fmt == "json":
        body = formats.json_report(findings, report.files, suppressed)
    elif fmt == "github":
        body = formats.github(findings)
    elif fmt == "sarif":
        body = formats.sarif(findings, rule_table(), Path.cwd(), __version__)
    else:
        body = "".join(report.shown) if tty else formats.text(findings)
    if statistics and findings:
        table = formats.statistics(findings)
        if fmt == "text":
            body += table
        else:
            stderr.write(table)  # keep the machine-readable output parseable
    _write(body, output, stdout)
    for problem in report.unreadable:
        stderr.write(f"crisisplay: error: {visible(problem)}\n")  # the path as the user typed it
    if fmt == "text" and (report.files or not report.unreadable):
        stderr.write(_closing_line(report, findings, suppressed))
    return report.exit_code(strict)


def _write(body: str, output: Path | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(body)
        stdout.flush()
        return
    try:
        output.write_text(body, encoding="utf-8")
    except OSError as err:
        raise UsageError(
            _("{path}: cannot write the report: {reason}").format(path=output, reason=err.strerror)
        ) from None


def _closing_line(report: Report, findings: list[Finding], suppressed: int) -> str:
    from crisisplay.i18n import _, ngettext

    # Each count with its own plural: a language other than English says "1 archivo revisado", "3 errores".
    files = report.files
    noun = _("file") if files == 1 else _("files")
    hidden = (
        ngettext(", {count} suppressed", ", {count} suppressed", suppressed).format(count=suppressed)
        if suppressed
        else ""
    )
    if not findings:
        return (
            ngettext("ok: {files} file linted, no problems", "ok: {files} files linted, no problems", files).format(
                files=files
            )
            + hidden
            + "\n"
        )
    s = formats.summary(findings, files)
    problems = ngettext(
        "{findings} problem(s) in {files} {noun}", "{findings} problem(s) in {files} {noun}", s["findings"]
    ).format(findings=s["findings"], files=files, noun=noun)
    errors = ngettext("{errors} error(s)", "{errors} error(s)", s["errors"]).format(errors=s["errors"])
    warnings = ngettext("{warnings} warning(s)", "{warnings} warning(s)", s["warnings"]).format(warnings=s["warnings"])
    return (
        _("{problems}: {errors}, {warnings}").format(problems=problems, errors=errors, warnings=warnings)
        + hidden
        + "\n"
    )
