"""A drill scenario as `crisisplay show` prints it: what the facilitator will read out, and when."""

from __future__ import annotations

from crisisplay.i18n import _
from crisisplay.playbook.model import Playbook
from crisisplay.scenario.model import Inject, Scenario


def as_text(scenario: Scenario, playbook: Playbook | None = None) -> str:
    """The scenario's heading, then each inject: when it is due, its text, its effects and its response."""
    out = [f"{scenario.id} — {scenario.title}"]
    if scenario.summary:
        out.append("  " + " ".join(scenario.summary.split()))
    rehearses = playbook.title if playbook is not None else None
    out.append(
        "  "
        + (
            _("drill of playbook {playbook} ({title})").format(playbook=scenario.playbook, title=rehearses)
            if rehearses
            else _("drill of playbook {playbook}").format(playbook=scenario.playbook)
        )
    )
    if scenario.duration:
        out.append("  " + _("planned length: {duration}").format(duration=scenario.duration))
    if scenario.locale:
        out.append("  " + _("locale: {locale}").format(locale=scenario.locale))
    out.append("")
    out.append(_("Injects"))
    for inject in scenario.injects:
        out += _inject(inject, playbook)
    return "\n".join(out) + "\n"


def _inject(inject: Inject, playbook: Playbook | None) -> list[str]:
    when = (
        _("at {time}").format(time=inject.at)
        if inject.at is not None
        else _("after {step} is answered").format(step=inject.after_step)
    )
    lines = [f"  {inject.id}  {when}"]
    lines += ["      " + line for line in inject.text.strip().split("\n")]
    effects = inject.effects
    said = []
    if effects.severity:
        level = playbook.severity.label(effects.severity) if playbook is not None else effects.severity
        said.append(_("severity at least {level}").format(level=level))
    for name, value in effects.set.items():
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        said.append(_("{name} set to {value}").format(name=name, value=shown))
    for role, duration in effects.unreachable.items():
        said.append(_("{role} unreachable for {duration}").format(role=role, duration=duration))
    if said:
        lines.append("      " + _("effects: {effects}").format(effects="; ".join(said)))
    response = []
    if inject.answered_by:
        response.append(_("answered by {steps}").format(steps=", ".join(inject.answered_by)))
    if inject.within:
        response.append(_("within {duration}").format(duration=inject.within))
    if response:
        lines.append("      " + _("response: {response}").format(response=", ".join(response)))
    return lines
