"""Turn a playbook file into a checked `Playbook`, or into findings that point at its lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crisisplay.errors import PlaybookError
from crisisplay.findings import Finding, did_you_mean, one_of, plain_message, sort_findings
from crisisplay.i18n import N_, _, format_number
from crisisplay.playbook import model as m
from crisisplay.playbook.names import nfc_document
from crisisplay.reading import InputTooLarge, read_input
from crisisplay.yamlsource import BOOL_WORDS, Document, Path_
from crisisplay.yamlsource import load as load_yaml

_TYPE_WORDS = {
    "string_type": N_("text"),
    "list_type": N_("a list"),
    "dict_type": N_("a mapping"),
    "model_type": N_("a mapping"),
    "model_attributes_type": N_("a mapping"),
    "int_type": N_("a whole number"),
    "bool_type": N_("true or false"),
    "literal_error": N_("one of the allowed values"),
}


@dataclass
class Checked:
    """The outcome of loading and checking one playbook source."""

    doc: Document
    playbook: m.Playbook | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        return self.playbook is not None and not self.errors


_UNSUPPORTED = N_("unsupported format version {value}; this crisisplay reads `crisisplay: 1`")


def check_text(text: str | bytes, path: str = "<stdin>", *, stem: str | None = None) -> Checked:
    """Load, validate and cross-check a playbook's text; never raises for bad input."""
    from crisisplay.playbook.checks import check_references

    doc = nfc_document(load_yaml(text, path))  # names compare in NFC: see playbook/names.py
    result = Checked(doc, findings=list(doc.findings))
    if doc.data is None and doc.findings:
        result.findings = sort_findings(result.findings)
        return result
    if not isinstance(doc.data, dict):
        result.findings.append(
            doc.finding((), "CP006", _("a playbook is a YAML mapping (keys like `crisisplay: 1`, `id:`, `phases:`)"))
        )
        result.findings = sort_findings(result.findings)
        return result
    try:
        result.playbook = m.Playbook.model_validate(doc.data)
    except ValidationError as err:
        result.findings.extend(_structure_findings(doc, err))
    else:
        written = doc.scalars.get(("crisisplay",))
        if written is not None and written.text != "1":  # `yes`, `1.0`, `0x1` and `+1` equal 1 to YAML, not to us
            result.findings.append(doc.finding(("crisisplay",), "CP104", _(_UNSUPPORTED).format(value=written.text)))
        result.findings.extend(check_references(result.playbook, doc))
        if stem is not None and stem != result.playbook.id:
            result.findings.append(
                doc.finding(
                    ("id",),
                    "CP111",
                    _(
                        "the id '{id}' differs from the file name '{stem}'; "
                        "lookup by id finds '<id>.yaml', so rename one of them"
                    ).format(id=result.playbook.id, stem=stem),
                )
            )
    result.findings = sort_findings(_dedupe(result.findings))
    return result


def check_file(path: Path) -> Checked:
    """`check_text` on a file, read up to the size limit (OSError is the caller's to report)."""
    try:
        raw = read_input(path)
    except InputTooLarge as err:
        return oversized(str(path), err.limit)
    return check_text(raw, str(path), stem=path.stem)


def oversized(path: str, limit: int) -> Checked:
    """The outcome for a source past the size limit: one finding, and nothing more was read."""
    doc = Document(path)
    doc.findings.append(
        Finding(
            path,
            1,
            1,
            "CP004",
            _("the file is larger than {limit} bytes, the most crisisplay reads; a playbook is far smaller").format(
                limit=format_number(limit)
            ),
        )
    )
    return Checked(doc, findings=list(doc.findings))


def load_playbook(path: Path) -> tuple[m.Playbook, Checked]:
    """A usable playbook from `path`, or PlaybookError carrying every error found."""
    checked = check_file(path)
    if not checked.ok:
        errors = checked.errors
        raise PlaybookError(
            f"{path}: " + _("the playbook has {count} error(s)").format(count=len(errors)), checked.findings
        )
    assert checked.playbook is not None  # no errors: it validated
    return checked.playbook, checked


def from_snapshot(snapshot: dict[str, Any]) -> m.Playbook:
    """The playbook recorded in an incident log; ValueError if its steps do not hold together.

    It was checked when the incident started, but a log can be edited and re-chained by hand:
    a `next` to a missing step must be a clear error, not a crash halfway through a resume.
    """
    from crisisplay.playbook.checks import check_snapshot

    pb = m.Playbook.model_validate(snapshot, context={"snapshot": True})  # by the rules of when it was checked
    problems = check_snapshot(pb)
    if problems:
        raise ValueError(_("its playbook snapshot does not hold together: {problem}").format(problem=problems[0]))
    return pb


Loc = tuple[str | int, ...]  # where pydantic found a problem: keys, indices and union tags


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[int, int, str, str]] = set()
    out: list[Finding] = []
    for f in findings:
        key = (f.line, f.column, f.code, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _resolve(data: Any, loc: Loc) -> tuple[Path_, bool]:
    """Map a pydantic error location onto a path in the document (skipping union tags)."""
    path: list[str | int] = []
    key, cur = False, data
    for element in loc:
        if element == "[key]":
            key = True
            continue
        # Two branches, not one `or`: mypy then knows which kind of index goes with which container.
        if isinstance(cur, dict) and isinstance(element, str) and element in cur:  # noqa: SIM114
            path.append(element)
            cur = cur[element]
        elif isinstance(cur, list) and isinstance(element, int) and 0 <= element < len(cur):
            path.append(element)
            cur = cur[element]
    return tuple(path), key


def _model_for(loc: Loc) -> type[BaseModel] | None:
    """The model whose keys apply at the mapping that holds `loc`'s last element."""
    parts = [p for p in loc[:-1] if p != "[key]"]
    if not parts:
        return m.Playbook
    head = parts[0]
    if head == "severity":
        return m.Level if "levels" in parts else m.Severity
    if head in ("roles", "targets"):
        return m.Role if head == "roles" else m.Target
    if head == "inputs":
        return m.InputOption if "options" in parts else m.Input
    if head == "phases":
        if "steps" not in parts:
            return m.Phase
        if "options" in parts:
            return m.Option
        if "approval" in parts:
            return m.Approval
        tag = parts[4] if len(parts) > 4 else None
        return m.STEP_MODELS.get(tag) if isinstance(tag, str) else None
    return None


def _where(loc: Loc) -> str:
    model = _model_for(loc)
    if model is None:
        return ""
    if model in m.STEP_MODELS.values():
        return " " + _("of a {type} step").format(type=loc[4])
    names: dict[type[BaseModel], str] = {
        m.Playbook: N_("at the top level"),
        m.Severity: N_("in `severity`"),
        m.Input: N_("of an input"),
        m.InputOption: N_("of an option"),
        m.Option: N_("of an option"),
        m.Phase: N_("of a phase"),
        m.Level: N_("of a severity level"),
        m.Role: N_("of a role"),
        m.Target: N_("of a target"),
        m.Approval: N_("of a message's approval"),
    }
    return " " + _(names[model])


def _structure_findings(doc: Document, err: ValidationError) -> list[Finding]:
    findings: list[Finding] = []
    errors = err.errors()
    # A value that may be true/false or one of some words (`personal: victim`) fails both union
    # members: the word list says what was meant, the type error ("should be true or false") misleads.
    worded = {_resolve(doc.data, e["loc"])[0] for e in errors if e["type"] == "literal_error"}
    for e in errors:
        loc, kind = e["loc"], e["type"]
        path, on_key = _resolve(doc.data, loc)
        last = loc[-1] if loc else None
        if path in worded and kind.endswith("_type") and isinstance(e["input"], str):
            continue
        if kind.startswith("CP"):
            findings.append(doc.finding(path, kind, e["msg"], key=on_key))
        elif kind == "extra_forbidden":
            model = _model_for(loc)
            allowed = sorted(model.model_fields) if model else []
            hint = did_you_mean(str(last), allowed) or (
                _("; expected {choices}").format(choices=one_of(allowed)) if allowed else ""
            )
            message = _("unknown key '{key}'").format(key=last) + _where(loc) + hint
            findings.append(doc.finding(path, "CP101", message, key=True))
        elif kind == "missing" and last == "crisisplay":
            findings.append(doc.finding(path, "CP104", _("missing `crisisplay: 1` (the format version) at the top")))
        elif kind == "literal_error" and last == "crisisplay":
            written = doc.scalars.get(path)
            value = written.text if written else repr(e["input"])
            findings.append(doc.finding(path, "CP104", _(_UNSUPPORTED).format(value=value)))
        elif kind == "missing":
            findings.append(
                doc.finding(path, "CP102", _("missing required key '{key}'").format(key=last) + _where(loc))
            )
        elif kind == "union_tag_invalid":
            tag = e["ctx"]["tag"]
            findings.append(
                doc.finding(
                    path + ("type",),
                    "CP110",
                    _("unknown step type '{type}'; expected {types}").format(type=tag, types=one_of(m.STEP_TYPES))
                    + did_you_mean(tag, m.STEP_TYPES),
                )
            )
        elif kind == "union_tag_not_found":
            findings.append(
                doc.finding(
                    path,
                    "CP102",
                    _("missing required key 'type' of a step; expected {types}").format(types=one_of(m.STEP_TYPES)),
                )
            )
        elif kind == "literal_error" and isinstance(e["input"], (list, dict)):
            name = f"'{path[-1]}'" if path and isinstance(path[-1], str) else _("this item")
            findings.append(
                doc.finding(
                    path,
                    "CP103",
                    _("{name} should be {kind}, not {got}").format(
                        name=name, kind=one_of(_literal_choices(e)), got=_kind_of(e["input"])
                    ),
                )
            )
        elif kind in ("greater_than_equal", "greater_than"):
            name = f"'{path[-1]}'" if path and isinstance(path[-1], str) else _("this item")
            least = e["ctx"].get("ge", e["ctx"].get("gt"))
            findings.append(
                doc.finding(
                    path,
                    "CP109",
                    (
                        _("{name} must be at least {least}, not {value}")
                        if kind == "greater_than_equal"
                        else _("{name} must be more than {least}, not {value}")
                    ).format(name=name, least=least, value=e["input"]),
                )
            )
        elif kind == "literal_error":
            findings.append(
                doc.finding(
                    path,
                    "CP109",
                    _("'{value}' is not allowed here; expected {choices}").format(
                        value=e["input"], choices=one_of(_literal_choices(e))
                    )
                    + did_you_mean(e["input"], _literal_choices(e)),
                )
            )
        elif kind in ("too_short", "string_too_short"):
            findings.append(doc.finding(path, "CP109", _too_short(last, e)))
        else:  # named by the document's key, not pydantic's union member ('str', 'int')
            findings.append(_type_finding(doc, path, path[-1] if path else last, kind, e))
    return findings


def _literal_choices(e: ErrorDetails) -> list[str]:
    return [c.strip(" '") for c in str(e["ctx"]["expected"]).replace(" or ", ",").split(",")]


def _too_short(last: str | int | None, e: ErrorDetails) -> str:
    if e["type"] == "string_too_short":
        return _("'{key}' is empty; write the text").format(key=last)
    least = e["ctx"]["min_length"]
    return _("'{key}' is empty; it needs at least {count} item(s)").format(key=last, count=least)


def _type_finding(doc: Document, path: Path_, last: str | int | None, kind: str, e: ErrorDetails) -> Finding:
    expected = _(_TYPE_WORDS[kind]) if kind in _TYPE_WORDS else plain_message(e["msg"]).lower()
    written = doc.scalars.get(path)
    if written is not None and kind in ("string_type", "model_type", "model_attributes_type"):
        if written.kind == "bool" and written.text.lower() in BOOL_WORDS:
            return doc.finding(
                path,
                "CP008",
                _("YAML reads {text} as {value}; quote it to keep the text: '{text}'").format(
                    text=written.text, value=str(e["input"]).lower()
                ),
            )
        if written.kind == "null":
            return doc.finding(
                path, "CP103", _("'{key}' has no value; expected {kind}").format(key=last, kind=expected)
            )
        word = {"int": _("a number"), "float": _("a number"), "timestamp": _("a date")}.get(written.kind, written.kind)
        return doc.finding(
            path,
            "CP005",
            _("YAML reads {text} as {value}; quote it to keep the text: '{text}'").format(
                text=written.text, value=word
            ),
        )
    got = _kind_of(e["input"])
    name = f"'{last}'" if isinstance(last, str) else _("this item")
    return doc.finding(path, "CP103", _("{name} should be {kind}, not {got}").format(name=name, kind=expected, got=got))


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    if value is None:
        return _("an empty value")
    return type(value).__name__
