"""The `Finding` every checker and lint rule reports, and the registry of rule codes.

Codes are stable: scripts, suppressions (`# crisisplay: noqa CP201`) and SARIF rule ids rely
on them. A code is never reused for a different rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from crisisplay.display import one_line
from crisisplay.i18n import N_, _

ERROR = "error"
WARNING = "warning"


# A NamedTuple, not a dataclass: every command imports this module, and a dataclass costs
# ~0.3 ms to create (issue 16). Rules are only read, by attribute.
class Rule(NamedTuple):
    code: str
    name: str
    level: str
    summary: str  # in English, marked for the catalogue: `_(rule.summary)` where it is shown


RULES: dict[str, Rule] = {}


def _rule(code: str, name: str, level: str, summary: str) -> None:
    RULES[code] = Rule(code, name, level, summary)


# YAML: the file as a YAML document.
_rule("CP001", "yaml-syntax", ERROR, N_("The file is not valid YAML."))
_rule("CP002", "duplicate-key", ERROR, N_("A mapping has the same key twice; YAML would keep only the last."))
_rule("CP003", "unsafe-tag", ERROR, N_("A YAML tag (`!!python/...`, `!custom`) is refused, never constructed."))
_rule(
    "CP004",
    "alias-bomb",
    ERROR,
    N_("Anchors and aliases that expand too far or into themselves, or a file over 1 MiB."),
)
_rule("CP005", "quote-it", ERROR, N_("YAML turns this unquoted text into a number, date or null."))
_rule("CP006", "not-one-document", ERROR, N_("A playbook is exactly one YAML document holding a mapping."))
_rule("CP007", "merge-key", ERROR, N_("YAML merge keys (`<<`) are not supported; write the keys out."))
_rule("CP008", "yes-no-trap", ERROR, N_("YAML turns an unquoted yes/no/on/off/true/false into a boolean."))
_rule("CP009", "non-text-key", ERROR, N_("A mapping key YAML reads as something other than text."))
_rule(
    "CP010",
    "hashtag-comment",
    WARNING,
    N_("` #tag` in an unquoted value starts a YAML comment: the text stops before it."),
)
# Structure: the keys and types of the format.
_rule("CP101", "unknown-key", ERROR, N_("A key the format does not define (often a typo)."))
_rule("CP102", "missing-key", ERROR, N_("A required key is missing."))
_rule("CP103", "wrong-type", ERROR, N_("A value of the wrong type (text, list, mapping, number)."))
_rule("CP104", "unsupported-version", ERROR, N_("`crisisplay:` is missing or not a version this tool reads."))
_rule("CP105", "reserved-id", ERROR, N_("`end` is reserved for `next: end`."))
_rule("CP106", "bad-id", ERROR, N_("Ids are lowercase letters, digits and dashes, starting with a letter or digit."))
_rule("CP107", "bad-variable-name", ERROR, N_("Variable names are identifiers: [a-z_][a-z0-9_]*."))
_rule("CP108", "bad-duration", ERROR, N_("Durations are a number and a unit: 90s, 30m, 1h, 2d."))
_rule("CP109", "bad-value", ERROR, N_("A value outside what the key allows."))
_rule("CP110", "unknown-step-type", ERROR, N_("A step `type` that does not exist."))
_rule(
    "CP111", "id-file-mismatch", WARNING, N_("The playbook id differs from its file name, so lookup by id misses it.")
)
_rule("CP112", "id-too-long", ERROR, N_("A playbook id too long for the incident ids and file names built from it."))
# References and graph.
_rule("CP201", "dangling-next", ERROR, N_("A `next` names a step that does not exist."))
_rule("CP202", "duplicate-id", ERROR, N_("Two steps, phases or options share an id."))
_rule("CP203", "unknown-role", ERROR, N_("An escalation names a role that `roles:` does not declare."))
_rule("CP204", "unknown-milestone", ERROR, N_("A milestone with no response-time target in `targets:`."))
_rule("CP205", "unknown-severity", ERROR, N_("A severity level that `severity.levels` does not declare."))
_rule("CP206", "unreachable-step", ERROR, N_("No path from the first step reaches this step."))
_rule("CP207", "no-way-out", ERROR, N_("From here no path reaches the end of the playbook (a loop with no exit)."))
# Graph, beyond the checker (crisisplay lint).
_rule("CP208", "too-few-options", ERROR, N_("A choice with fewer than two options is not a choice."))
_rule("CP209", "duplicate-option", ERROR, N_("Two options of one choice share a value or a label."))
_rule("CP210", "skippable-phase", WARNING, N_("Some run jumps over this phase without entering any of its steps."))
_rule(
    "CP211",
    "unknown-approver",
    ERROR,
    N_("An `approval.by` names a role that is neither built in (lead, comms, scribe) nor declared in `roles:`."),
)
_rule("CP212", "unknown-variant-by", ERROR, N_("A message's `variant_by` names no input or `save_as` variable."))
# Clocks (issue 12): deadlines and the update cadence (crisisplay/playbook/clock_checks.py).
_rule("CP213", "unknown-clock-step", ERROR, N_("A deadline's `start` or `met_by` names no step."))
_rule(
    "CP214",
    "deadline-duration",
    ERROR,
    N_("A deadline with no duration to run, or an option's `within:` that starts no deadline."),
)
_rule(
    "CP215", "bad-cadence", ERROR, N_("A cadence level that is not a severity level, or an update that is no message.")
)
_rule(
    "CP216",
    "personal-default",
    ERROR,
    N_("A `personal:` input with a `default:`: one person's data would fill every incident."),
)
_rule(
    "CP217",
    "missing-variant",
    ERROR,
    N_("A value of a message's `variant_by` choice with no variant, and no `template:` to fall back on."),
)
_rule("CP218", "unknown-variant", WARNING, N_("A message variant whose key is not a value its `variant_by` can take."))
_rule(
    "CP219",
    "open-variant-by",
    WARNING,
    N_("A message picks its variant by free text and has no `template:` for the values no variant has."),
)
# Templates and conditions.
_rule("CP301", "template-syntax", ERROR, N_("A template or condition that Jinja2 cannot parse."))
_rule(
    "CP302", "unknown-name", ERROR, N_("A template or condition uses a name no input, `save_as` or built-in defines.")
)
_rule("CP303", "unsafe-attribute", ERROR, N_("Attribute access the sandbox refuses (`__class__`, `mro`, ...)."))
_rule("CP304", "condition-braces", ERROR, N_("A `when` is a bare expression; `{{ }}` does not belong in it."))
_rule(
    "CP305",
    "maybe-unset",
    WARNING,
    N_("A name is used where some path to it never set it (it would show as a placeholder)."),
)
_rule("CP306", "unused-variable", WARNING, N_("An input or `save_as` name that no template or condition uses."))
_rule(
    "CP307",
    "text-compared-with-number",
    ERROR,
    N_("A text value (a text or choice input or answer) is compared with a number: it needs `type: number`."),
)
# Content: what a crisis playbook should hold (warnings).
_rule("CP401", "no-escalation", WARNING, N_("No `escalate` step: nobody is told; do not handle a crisis alone."))
_rule("CP402", "no-message", WARNING, N_("No `message` step: the playbook never says anything to anyone."))
_rule("CP403", "no-post-mortem", WARNING, N_("No post-mortem phase: nothing is learnt from the incident."))
_rule("CP404", "empty-prompt", WARNING, N_("A prompt with no words in it: the responder sees a blank question."))
_rule(
    "CP405",
    "too-long-for-x",
    WARNING,
    N_("A message that can run over its platform's length limit (Twitter/X 280 characters, Threads 500, …)."),
)
_rule("CP406", "unreached-target", WARNING, N_("A response-time target that no step's milestone reaches."))
_rule(
    "CP407",
    "decision-still-open",
    WARNING,
    N_("A message shows an answer that can still be an `interim: true` option (a decision not taken yet)."),
)
_rule(
    "CP408",
    "personal-in-public",
    WARNING,
    N_("A public message shows a `personal:` input (other than a handle): never name the people hurt."),
)
_rule(
    "CP409",
    "platform-norm",
    WARNING,
    N_(
        "A message breaks a platform's norm: one reply per review or comment, no DM to a Google reviewer, no "
        "compensation for removing a review."
    ),
)
# Suppressions.
_rule("CP501", "unused-noqa", WARNING, N_("A `# crisisplay: noqa` comment that suppresses nothing."))
# Translations (crisisplay lint): a translation keeps its original's ids and behaviour.
_rule(
    "CP601",
    "translation-drift",
    WARNING,
    N_(
        "A translation differs from its original in an id, a type, a `next`, "
        "a `when`, a target or a deadline; or its original cannot be found."
    ),
)

# Drill scenarios (`crisisplay-drill: 1`): the format, and what a scenario says of its playbook.
_rule("CP701", "not-a-scenario", ERROR, N_("A drill scenario is a mapping that starts with `crisisplay-drill: 1`."))
_rule(
    "CP702",
    "inject-trigger",
    ERROR,
    N_("An inject is due either `at:` a scenario time or `after_step:` a step, and not both."),
)
_rule("CP703", "unknown-scenario-step", ERROR, N_("An inject names a step its playbook does not have."))
_rule(
    "CP704",
    "unknown-playbook",
    ERROR,
    N_("A scenario's `playbook:` names no playbook that can be found, read and used."),
)
_rule("CP705", "inject-after-end", ERROR, N_("An inject is due `at:` a time later than the scenario's `duration:`."))
_rule(
    "CP706",
    "inject-at-close",
    WARNING,
    N_("An inject comes `after_step:` a step whose answer ends the run: nothing is left to respond with."),
)
_rule("CP707", "bad-effect-severity", ERROR, N_("An effect raises the severity to a level its playbook has not."))
_rule("CP708", "unknown-effect-name", ERROR, N_("An effect sets a name that is neither an input nor a `save_as`."))
_rule(
    "CP709",
    "bad-effect-value",
    ERROR,
    N_("An effect sets a value its input or step cannot take (an option, a number, a length)."),
)
_rule(
    "CP710",
    "personal-effect",
    WARNING,
    N_("An effect sets a `personal:` input: a scenario is shared text, never a real person's data."),
)
_rule("CP711", "unknown-effect-role", ERROR, N_("An effect makes unreachable a role its playbook has not."))
_rule("CP712", "duplicate-inject-id", ERROR, N_("Two injects share an id."))
_rule(
    "CP713",
    "scenario-file-name",
    WARNING,
    N_("The scenario id differs from its file name, so lookup by id misses it."),
)
_rule("CP714", "scenario-locale", WARNING, N_("The scenario's `locale` differs from its playbook's."))
_rule("CP715", "scenario-id-prefix", WARNING, N_("The scenario id does not start with its playbook's id."))
_rule(
    "CP716",
    "answered-too-early",
    WARNING,
    N_("An inject's `answered_by` names a step no run reaches after its `after_step`."),
)


@dataclass(frozen=True)
class Finding:
    """One problem at one place: `path:line:col: CODE [level] message` (1-based)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    level: str = ""

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", RULES[self.code].level)

    @property
    def name(self) -> str:
        return RULES[self.code].name

    def __str__(self) -> str:
        # The text format: one line per finding, however the path or the user text quoted in
        # the message is written (`as_dict`, for json and sarif, keeps both exact).
        path, message = one_line(self.path), one_line(self.message)
        return f"{path}:{self.line}:{self.column}: {self.code} [{self.level}] {message}"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "message": self.message,
        }


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the nearest choice, or an empty string."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return _("; did you mean '{choice}'?").format(choice=close[0]) if close else ""


def one_of(choices: Iterable[str]) -> str:
    """A readable list of allowed values: `'a', 'b' or 'c'`."""
    quoted = [f"'{c}'" for c in choices]
    if len(quoted) <= 1:
        return "".join(quoted)
    return _("{items} or {last}").format(items=", ".join(quoted[:-1]), last=quoted[-1])


_PYDANTIC_WORDING = re.compile(r"\b(?:Value error|Assertion failed), ")


def plain_message(text: str) -> str:
    """A message without pydantic's wording (`Value error, …`), which tells a reader nothing."""
    return _PYDANTIC_WORDING.sub("", text)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path, f.line, f.column, f.code))
