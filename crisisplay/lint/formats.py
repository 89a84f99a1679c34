"""Output formats for findings: text, json, github and sarif. They know nothing about rules:
rule metadata, when a format needs it (sarif), is handed in as plain data.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

from crisisplay.display import json_safe, visible
from crisisplay.findings import Finding

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


class Summary(TypedDict):
    files: int
    findings: int
    errors: int
    warnings: int
    suppressed: int
    by_code: dict[str, int]


class RuleRow(TypedDict):
    """One rule as `--list-rules --format json` and sarif show it."""

    id: str
    name: str
    level: str
    summary: str
    help_uri: str


def summary(findings: list[Finding], files: int, suppressed: int = 0) -> Summary:
    """Counts for the json format and the closing line of the text one."""
    errors = sum(1 for f in findings if f.level == "error")
    return {
        "files": files,
        "findings": len(findings),
        "errors": errors,
        "warnings": len(findings) - errors,
        "suppressed": suppressed,
        "by_code": dict(sorted(Counter(f.code for f in findings).items())),
    }


def text(findings: list[Finding], sources: dict[str, str] | None = None) -> str:
    """`path:line:col: CODE [level] message`; with `sources`, also the line and a caret under the column."""
    out = []
    split: dict[str, list[str]] = {}
    for f in findings:
        out.append(str(f))
        if sources is None or f.path not in sources:
            continue
        rows = split.setdefault(f.path, sources[f.path].split("\n"))
        if 1 <= f.line <= len(rows):
            row = rows[f.line - 1].rstrip("\r")
            # Keep tabs so the caret lines up under a tab-indented column too.
            pad = "".join(c if c == "\t" else " " for c in row[: f.column - 1])
            gutter = f"{f.line:>5} | "
            out += [gutter + row, " " * (len(gutter) - 2) + "| " + pad + "^"]
    return visible("".join(line + "\n" for line in out))


def json_report(findings: list[Finding], files: int, suppressed: int = 0) -> str:
    """The stable json format: `{"findings": [...], "summary": {...}}`."""
    body = {"findings": [f.as_dict() for f in findings], "summary": summary(findings, files, suppressed)}
    return json_safe(json.dumps(body, indent=2, ensure_ascii=False)) + "\n"


def escape_data(value: str) -> str:
    """A workflow command's message, escaped as @actions/core does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value, escaped as @actions/core does."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: one `::error` or `::warning` annotation per finding."""
    out = []
    for f in findings:
        command = "error" if f.level == "error" else "warning"
        props = ",".join(
            f"{k}={escape_property(str(v))}"
            for k, v in (("file", f.path), ("line", f.line), ("col", f.column), ("title", f.code))
        )
        out.append(f"::{command} {props}::{escape_data(f.message)}\n")
    return visible("".join(out))  # newlines inside messages are %0A already


def artifact_location(path: str, root: Path) -> dict[str, Any]:
    """A SARIF artifactLocation: relative to %SRCROOT% when under `root`, else an absolute file URI."""
    if path.startswith("<"):  # standard input has no URI
        return {"description": {"text": path}}
    target = Path(path)
    try:
        relative = target.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return {"uri": target.resolve().as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": "%SRCROOT%"}


def sarif(findings: list[Finding], rules: list[RuleRow], root: Path, version: str) -> str:
    """SARIF 2.1.0 with every rule in `tool.driver.rules` (dicts: id, name, summary, level, help_uri)."""
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for f in findings:
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": "error" if f.level == "error" else "warning",
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": artifact_location(f.path, root),
                            "region": {"startLine": f.line, "startColumn": f.column},
                        }
                    }
                ],
            }
        )
    driver = {
        "name": "crisisplay",
        "version": version,
        "informationUri": rules[0]["help_uri"].split("#")[0] if rules else "https://crisisplay.dev/",
        "rules": [
            {
                "id": rule["id"],
                "name": rule["name"],
                "shortDescription": {"text": rule["summary"]},
                "helpUri": rule["help_uri"],
                "defaultConfiguration": {"level": rule["level"]},
            }
            for rule in rules
        ],
    }
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json_safe(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def statistics(findings: list[Finding]) -> str:
    """One line per code, most frequent first: count, code, name, level."""
    counts = Counter((f.code, f.name, f.level) for f in findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return "".join(f"{n:>5}  {code}  {name} [{level}]\n" for (code, name, level), n in rows)
