"""The checks of a scenario against the playbook it rehearses (rules CP7xx)."""

from __future__ import annotations

from crisisplay.findings import Finding
from crisisplay.playbook.model import Playbook
from crisisplay.scenario.model import Scenario
from crisisplay.yamlsource import Document


def against_playbook(scenario: Scenario, playbook: Playbook, doc: Document) -> list[Finding]:
    """Findings for what `scenario` names that `playbook` does not have."""
    findings: list[Finding] = []
    for number, inject in enumerate(scenario.injects):
        for field, step in [("after_step", inject.after_step), *(("answered_by", s) for s in inject.answered_by)]:
            if step is not None and step not in playbook.step_index:
                path = ("injects", number, field) if field == "after_step" else ("injects", number, "answered_by")
                findings.append(doc.finding(path, "CP703", f"no step '{step}' in playbook {playbook.id}"))
    return findings
