"""Find a drill scenario by id or path, and load it into a checked `Scenario` or findings.

Scenario ids are looked up like playbook ids: `./drills/`, then `<home>/drills/`, then the
scenarios bundled in the package (`crisisplay/drills/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crisisplay.errors import PlaybookNotFound
from crisisplay.findings import Finding, did_you_mean, sort_findings
from crisisplay.i18n import _
from crisisplay.playbook.names import nfc_document
from crisisplay.scenario.model import FORMAT_KEY, Scenario
from crisisplay.yamlsource import Document
from crisisplay.yamlsource import load as load_yaml


def bundled_scenarios_dir() -> Path:
    """The drill scenarios shipped with crisisplay (`crisisplay/drills/`)."""
    return Path(__file__).resolve().parent.parent / "drills"


def scenario_search_path(home: Path, cwd: Path | None = None) -> list[tuple[str, Path]]:
    """The folders searched for scenario ids, first match wins."""
    cwd = cwd or Path.cwd()
    return [("local", cwd / "drills"), ("home", home / "drills"), ("bundled", bundled_scenarios_dir())]


@dataclass
class ScenarioFile:
    """One scenario id as the lookup sees it: the file used and where it comes from."""

    id: str
    path: Path
    origin: str  # local, home, bundled or path


def scenario_catalogue(home: Path, cwd: Path | None = None) -> list[ScenarioFile]:
    """Every scenario id reachable by lookup (the first file in search order for each id)."""
    from crisisplay.home import _files_in

    found: dict[str, ScenarioFile] = {}
    for origin, folder in scenario_search_path(home, cwd):
        for stem, path in _files_in(folder).items():
            found.setdefault(stem, ScenarioFile(stem, path, origin))
    return [found[key] for key in sorted(found)]


def find_scenario(ref: str, home: Path, cwd: Path | None = None) -> ScenarioFile:
    """The file for a scenario path or id; PlaybookNotFound (exit 2) when there is none."""
    from crisisplay.home import looks_like_path

    candidate = Path(ref).expanduser()
    if looks_like_path(ref) or candidate.is_file():
        if not candidate.is_file():
            raise PlaybookNotFound(_("{ref}: no such scenario file").format(ref=ref))
        return ScenarioFile(candidate.stem, candidate, "path")
    known = scenario_catalogue(home, cwd)
    for entry in known:
        if entry.id == ref:
            return entry
    folders = ", ".join(str(f) for _origin, f in scenario_search_path(home, cwd)[:2])
    raise PlaybookNotFound(
        _("no drill scenario '{ref}'{suggestion} (looked in {folders} and the bundled scenarios)").format(
            ref=ref, suggestion=did_you_mean(ref, [e.id for e in known]), folders=folders
        )
    )


def is_scenario(data: Any) -> bool:
    """Whether parsed YAML is a drill scenario (it has the `crisisplay-drill:` key), not a playbook."""
    return isinstance(data, dict) and FORMAT_KEY in data


@dataclass
class CheckedScenario:
    """The outcome of loading and checking one scenario source."""

    doc: Document
    scenario: Scenario | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.errors


def check_scenario_text(text: str | bytes, path: str = "<stdin>") -> CheckedScenario:
    """Load and validate a scenario's text (its structure); never raises for bad input."""
    from crisisplay.playbook.loader import _structure_findings

    doc = nfc_document(load_yaml(text, path))
    result = CheckedScenario(doc, findings=list(doc.findings))
    if doc.data is None and doc.findings:
        return result
    if not is_scenario(doc.data):
        result.findings.append(
            doc.finding((), "CP701", _("a drill scenario is a YAML mapping that starts with `crisisplay-drill: 1`"))
        )
        return result
    try:
        result.scenario = Scenario.model_validate(doc.data)
    except ValidationError as err:
        result.findings.extend(_structure_findings(doc, err))
    result.findings = sort_findings(result.findings)
    return result


def check_against_playbook(checked: CheckedScenario, playbook: Any) -> list[Finding]:
    """What the scenario says that its playbook contradicts (unknown steps, roles, levels, names,
    a value an input cannot take, an inject due after `duration`), each at its line and column."""
    from crisisplay.scenario.checks import against_playbook

    if checked.scenario is None:
        return []
    return against_playbook(checked.scenario, playbook, checked.doc)
