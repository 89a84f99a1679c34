"""Read an answers file: every answer as the text written, checked against the playbook's ids.

Unknown step ids and inputs are refused (exit 2, "did you mean") before anything is
written; whether an answer fits its step is decided when the step is reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crisisplay.display import one_line
from crisisplay.errors import AnswersError
from crisisplay.findings import did_you_mean
from crisisplay.i18n import _, joined, ngettext
from crisisplay.playbook.model import MAX_DURATION, DurationTooLong, Playbook, format_duration, parse_duration
from crisisplay.reading import InputTooLarge, read_input
from crisisplay.yamlsource import Document
from crisisplay.yamlsource import load as load_yaml

TOP_KEYS = ("inputs", "steps")
# Any answer may be wrapped, `{answer: …, notify: sent}`: what delivery did, simulated (issue 9);
# a message step's, `{answer: send, approved_by: [manager]}`: who approved it, in a drill (issue 10).
# An option that decides an outcome (monitor only), `{answer: monitor, reason: …}`: why (issue 12).
# In a drill, `{answer: …, at: 12m}` (scenario time since detection) or `{answer: …, after: 3m}`
# (after the previous answer) says when it was given (issue 13); inputs may be timed the same way.
# Outside drills a time is checked, then ignored: the same file rehearses and runs for real.
TIME_KEYS = ("at", "after")
WRAPPER_KEYS = ("answer", "notify", "approved_by", "reason", *TIME_KEYS)
INPUT_WRAPPER_KEYS = ("answer", *TIME_KEYS)
NOTIFY_OUTCOMES = ("sent", "failed", "skipped")


@dataclass(frozen=True)
class Timing:
    """When a wrapped answer was given: `at` a scenario time, or `after` the previous answer (ms);
    `where` is the `path:line:col` of its key, for an error found while the drill runs."""

    at_ms: int | None
    after_ms: int | None
    where: str
    written: str


def unwrap(raw: object) -> tuple[object, str | None]:
    """An answer and the delivery outcome its wrapper simulates (None: no wrapper, or no `notify`)."""
    if isinstance(raw, dict) and "answer" in raw and set(raw) <= set(WRAPPER_KEYS):
        notify = raw.get("notify")
        return raw["answer"], notify if isinstance(notify, str) else None
    return raw, None


def approved_by(raw: object) -> list[str] | None:
    """The roles a wrapper says approved the message (`approved_by: manager` or a list); None: none said."""
    if isinstance(raw, dict) and "answer" in raw and set(raw) <= set(WRAPPER_KEYS) and "approved_by" in raw:
        roles = raw["approved_by"]
        return [str(r) for r in roles] if isinstance(roles, list) else [str(roles)]
    return None


def reason_of(raw: object) -> str | None:
    """The reason a wrapper gives for its answer (`{answer: monitor, reason: …}`); None: none given."""
    if isinstance(raw, dict) and "answer" in raw and set(raw) <= set(WRAPPER_KEYS) and "reason" in raw:
        return str(raw["reason"] or "")
    return None


class YamlNumber(str):
    """A number written as a YAML number (`12`, `3.5`, unquoted): read as YAML reads it, with a
    decimal point, whatever the playbook's language; a quoted `"1.234"` is read in that language."""


@dataclass
class AnswersFile:
    """Answers by input name and step id, each as written (text, lists and mappings of text)."""

    path: str
    inputs: dict[str, object] = field(default_factory=dict)
    steps: dict[str, object] = field(default_factory=dict)
    # The times of wrapped answers: by ("inputs", name, 0), ("steps", id, 0), or ("steps", id, visit)
    # for the visits of a `visits:` list (1-based).
    times: dict[tuple[str, str, int], Timing] = field(default_factory=dict)
    # Where each answer is written (`path:line:col`), keyed as `times` is: for an answer that does
    # not fit, found once the run reaches it.
    places: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def input_value(self, name: str) -> object:
        """An input's answer as written, without its `{answer:, at:}` wrapper."""
        raw = self.inputs[name]
        if isinstance(raw, dict) and "answer" in raw and set(raw) <= set(INPUT_WRAPPER_KEYS):
            return raw["answer"]
        return raw

    def step_timing(self, step_id: str, visit: int) -> Timing | None:
        """The time the answer for the `visit`-th visit of a step was given at, if the file says.
        A single answer serving every visit keeps its `after:` for each; its `at:` (one moment)
        is the first visit's only, and later visits take one minute each."""
        own = self.times.get(("steps", step_id, visit))
        if own is not None:
            return own
        single = self.times.get(("steps", step_id, 0))
        if single is not None and single.at_ms is not None and visit > 1:
            return None
        return single

    def where(self, section: str, key: str, visit: int = 0) -> str | None:
        """`path:line:col` of the answer to an input (`section` "inputs") or to a step's `visit`-th
        visit (`section` "steps"; one answer for every visit is the step's own)."""
        return self.places.get((section, key, visit)) or self.places.get((section, key, 0))

    def for_visit(self, step_id: str, visit: int) -> object:
        """The answer for the `visit`-th visit of a step (1-based), or None when there is none."""
        if step_id not in self.steps:
            return None
        answer = self.steps[step_id]
        if isinstance(answer, dict) and set(answer) == {"visits"}:
            visits = answer["visits"]
            if not isinstance(visits, list):
                return visits if visit == 1 else None
            return visits[visit - 1] if 0 < visit <= len(visits) else None
        return answer


def as_written(doc: Document, value: object = None, path: tuple[str | int, ...] = ()) -> Any:
    """The document's values with every scalar as the text typed (`yes` stays "yes")."""
    value = doc.data if path == () and value is None else value
    if isinstance(value, dict):
        return {k: as_written(doc, v, path + (k,)) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(doc, v, path + (i,)) for i, v in enumerate(value)]
    written = doc.scalars.get(path)
    if written is not None:
        return YamlNumber(written.text) if written.kind in ("int", "float") and written.plain else written.text
    return value


def read_answers(path: Path, playbook: Playbook, delivering: bool = False) -> AnswersFile:
    """Load and check an answers file against `playbook`; AnswersError (exit 2) if it cannot be used."""
    try:
        raw = read_input(path)
    except OSError as err:
        raise AnswersError(
            _("{path}: cannot read the answers file: {reason}").format(path=path, reason=err.strerror or err)
        ) from None
    except InputTooLarge as err:
        raise AnswersError(
            _("{path}: the answers file is larger than {limit} bytes, the most crisisplay reads").format(
                path=path, limit=f"{err.limit:,}"
            )
        ) from None
    return parse_answers(raw, str(path), playbook, delivering)


def parse_answers(raw: bytes | str, name: str, playbook: Playbook, delivering: bool = False) -> AnswersFile:
    doc = load_yaml(raw, name)
    # A file with no document (empty, or comments only) is no answers: the run pauses at once.
    # More than one document is refused whatever the first holds: an empty first one would
    # otherwise hide the answers after it.
    if doc.findings and not (doc.documents == 0 and [f.code for f in doc.findings] == ["CP006"]):
        raise AnswersError(str(doc.findings[0]))
    data = as_written(doc) if doc.data is not None else {}
    if not isinstance(data, dict):  # an empty string (`""`) included: it is written, so not an empty file
        raise AnswersError(_("{path}:1:1: an answers file is a mapping with `inputs:` and `steps:`").format(path=name))
    for key in data:
        if key not in TOP_KEYS:
            line, col = doc.position((key,), key=True)
            raise AnswersError(
                _("{path}:{line}:{column}: unknown key '{key}'{suggestion}; expected inputs or steps").format(
                    path=name, line=line, column=col, key=one_line(key), suggestion=did_you_mean(key, TOP_KEYS)
                )
            )
    answers = AnswersFile(name)
    unknown: list[str] = []
    for section, known, what in (("inputs", playbook.inputs, "input"), ("steps", playbook.step_index, "step")):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            line, col = doc.position((section,))
            message = (
                _("{path}:{line}:{column}: `inputs:` should be a mapping of input ids to answers")
                if section == "inputs"
                else _("{path}:{line}:{column}: `steps:` should be a mapping of step ids to answers")
            )
            raise AnswersError(message.format(path=name, line=line, column=col))
        for key, value in entries.items():
            if key not in known:
                line, col = doc.position((section, key), key=True)
                message = (
                    _("{path}:{line}:{column}: unknown input '{key}' for playbook {playbook}{suggestion}")
                    if what == "input"
                    else _("{path}:{line}:{column}: unknown step '{key}' for playbook {playbook}{suggestion}")
                )
                unknown.append(
                    message.format(
                        path=name,
                        line=line,
                        column=col,
                        key=one_line(key),
                        playbook=playbook.id,
                        suggestion=did_you_mean(key, known),
                    )
                )
            getattr(answers, section)[key] = value
            _remember_places(doc, name, answers, (section, key), value)
            unknown.extend(_timing_problems(doc, name, answers, (section, key), value))
            if section == "inputs":
                unknown.extend(_input_wrapper_problems(doc, name, (section, key), value))
            if section == "steps":
                approval = getattr(playbook.step(key), "approval", None) if key in known else None
                approvers = getattr(approval, "by", None)
                unknown.extend(_wrapper_problems(doc, name, (section, key), value, delivering, approvers))
    if unknown:
        # Every unknown id at once: a file with three typos should take one fix, not three runs.
        raise AnswersError("\n".join(unknown))
    return answers


def _remember_places(doc: Document, name: str, answers: AnswersFile, path: tuple[str, str], value: object) -> None:
    """Where the answer (each visit's, for a `visits:` list) is written: its `answer:` inside a wrapper."""
    visits = value["visits"] if isinstance(value, dict) and set(value) == {"visits"} else None
    given = enumerate(visits, 1) if isinstance(visits, list) else [(0, value)]
    for visit, answer in given:
        at = (*path, "visits", visit - 1) if visit else path
        if isinstance(answer, dict) and "answer" in answer:
            at = (*at, "answer")
        line, col = doc.position(at)
        answers.places[(path[0], path[1], visit)] = f"{name}:{line}:{col}"


def _wrapper_problems(
    doc: Document,
    name: str,
    path: tuple[str | int, ...],
    value: object,
    delivering: bool,
    approvers: list[str] | None = None,
) -> list[str]:
    """What is wrong with the `{answer:, notify:}` wrappers of one step's answer (and its visits)."""
    if isinstance(value, dict) and set(value) == {"visits"} and isinstance(value["visits"], list):
        return [
            problem
            for i, visit in enumerate(value["visits"])
            for problem in _wrapper_problems(doc, name, (*path, "visits", i), visit, delivering, approvers)
        ]
    # A checklist's own `{done: …, reason: …}` is an answer, not a wrapper.
    wrapper = ("answer", "notify", "approved_by") if isinstance(value, dict) and "done" in value else WRAPPER_KEYS
    if not (isinstance(value, dict) and any(key in value for key in wrapper)):
        return []
    problems = []
    for key in value:
        if key not in WRAPPER_KEYS:
            line, col = doc.position((*path, key), key=True)
            problems.append(
                f"{name}:{line}:{col}: "
                + _(
                    "unknown key '{key}' beside answer:{suggestion}; a wrapped answer has answer, notify, approved_by, reason, at and after"
                ).format(key=one_line(key), suggestion=did_you_mean(str(key), WRAPPER_KEYS))
            )
    if "answer" not in value:
        line, col = doc.position(path)
        given = next(key for key in value if key in WRAPPER_KEYS)
        problems.append(f"{name}:{line}:{col}: " + _("{key}: needs the answer beside it, as answer:").format(key=given))
    if "approved_by" in value:
        roles = value["approved_by"]
        if not (
            isinstance(roles, str) or (isinstance(roles, list) and roles and all(isinstance(r, str) for r in roles))
        ):
            line, col = doc.position((*path, "approved_by"))
            problems.append(
                f"{name}:{line}:{col}: " + _("approved_by: expected a role or a list of roles, like [manager]")
            )
        else:
            named = [roles] if isinstance(roles, str) else roles
            strangers = [role for role in named if approvers is None or role not in approvers]
            if strangers:
                line, col = doc.position((*path, "approved_by"))
                problems.append(
                    f"{name}:{line}:{col}: "
                    # Two counts: who cannot approve (one or more) and who can (one verb or the plural).
                    + ngettext(
                        "approved_by: {roles} cannot approve this step",
                        "approved_by: {roles} cannot approve this step",
                        len(strangers),
                    ).format(roles=joined(strangers))
                    + "; "
                    + ngettext("its approval is by {by}", "its approval is by {by}", len(approvers or [])).format(
                        by=joined(approvers or []) or "—"
                    )
                )
    problems += _reason_problems(doc, name, path, value)
    if "notify" in value:
        line, col = doc.position((*path, "notify"))
        if delivering:
            problems.append(
                f"{name}:{line}:{col}: "
                + _("notify: simulates delivery, and --notify delivers for real: remove one of them")
            )
        elif value["notify"] not in NOTIFY_OUTCOMES:
            problems.append(
                f"{name}:{line}:{col}: "
                + _("notify: '{value}' is not one of sent, failed, skipped").format(value=value["notify"])
            )
    return problems


def _reason_problems(doc: Document, name: str, path: tuple[str | int, ...], value: dict[Any, Any]) -> list[str]:
    """A wrapper's `reason:` is the text of why (a monitor-only outcome was chosen)."""
    written = value.get("reason")
    # Answers are read as the text written, so YAML's empty value arrives as its word: no reason either.
    empty = not isinstance(written, str) or not written.strip() or written.strip() in ("~", "null", "Null", "NULL")
    if "reason" in value and empty:
        line, col = doc.position((*path, "reason"))
        return [
            f"{name}:{line}:{col}: " + _('reason: expected the reason as text, like reason: "a reply would spread it"')
        ]
    return []


def _input_wrapper_problems(doc: Document, name: str, path: tuple[str | int, ...], value: object) -> list[str]:
    """An input's wrapper holds its answer and a time: `{answer: Blue Kettle, at: 1m}`. Any other
    list or mapping is refused here, before anything is written: every input takes one value."""
    if isinstance(value, list) or (isinstance(value, dict) and not any(key in value for key in INPUT_WRAPPER_KEYS)):
        line, col = doc.position(path)
        return [
            f"{name}:{line}:{col}: "
            + _("input '{input}' takes one value (text, a number or an option), not a list or a mapping").format(
                input=path[-1]
            )
        ]
    if not isinstance(value, dict):
        return []
    problems = []
    for key in value:
        if key not in INPUT_WRAPPER_KEYS:
            line, col = doc.position((*path, key), key=True)
            problems.append(
                f"{name}:{line}:{col}: "
                + _("unknown key '{key}' beside answer:{suggestion}; a wrapped input has answer, at and after").format(
                    key=one_line(key), suggestion=did_you_mean(str(key), INPUT_WRAPPER_KEYS)
                )
            )
    if "answer" not in value:
        line, col = doc.position(path)
        given = next(key for key in value if key in INPUT_WRAPPER_KEYS)
        problems.append(f"{name}:{line}:{col}: " + _("{key}: needs the answer beside it, as answer:").format(key=given))
    return problems


def _timing_problems(doc: Document, name: str, answers: AnswersFile, path: tuple[str, str], value: object) -> list[str]:
    """Check the `at:`/`after:` times of one answer (and of each of its visits) and remember them."""
    if isinstance(value, dict) and set(value) == {"visits"} and isinstance(value["visits"], list):
        problems: list[str] = []
        previous: int | None = None
        for i, visit in enumerate(value["visits"]):
            found, timing = _timing(doc, name, (*path, "visits", i), visit)
            problems += found
            if timing is not None:
                answers.times[(path[0], path[1], i + 1)] = timing
                if timing.at_ms is not None and previous is not None and timing.at_ms < previous:
                    problems.append(
                        f"{timing.where}: "
                        + _("at: {time} is earlier than the visit before it ({before})").format(
                            time=timing.written, before=format_duration(previous)
                        )
                    )
                previous = timing.at_ms if timing.at_ms is not None else previous
        return problems
    found, timing = _timing(doc, name, path, value)
    if timing is not None:
        answers.times[(path[0], path[1], 0)] = timing
    return found


def _timing(doc: Document, name: str, path: tuple[str | int, ...], value: object) -> tuple[list[str], Timing | None]:
    """The time a wrapped answer gives (None: none), and what is wrong with it."""
    if not (isinstance(value, dict) and "answer" in value and any(key in value for key in TIME_KEYS)):
        return [], None
    if "at" in value and "after" in value:
        line, col = doc.position((*path, "after"), key=True)
        problem = _("give either at: (scenario time since detection) or after: (after the previous answer), not both")
        return [f"{name}:{line}:{col}: {problem}"], None
    key = "at" if "at" in value else "after"
    written = str(value[key]).strip()
    line, col = doc.position((*path, key))
    where = f"{name}:{line}:{col}"
    if written.startswith("-"):
        return [
            f"{where}: " + _("{key}: {time} is negative; a time is a duration like 12m").format(key=key, time=written)
        ], None
    try:
        ms = parse_duration(written)
    except DurationTooLong:
        return [
            f"{where}: "
            + _("{key}: '{time}' is longer than {longest}, the longest time crisisplay takes").format(
                key=key, time=written, longest=MAX_DURATION
            )
        ], None
    except ValueError:
        return [
            f"{where}: "
            + _("{key}: '{time}' is not a time; give a duration like 90s, 12m or 1h30m").format(key=key, time=written)
        ], None
    return [], Timing(ms if key == "at" else None, ms if key == "after" else None, where, written)
