"""Find a drill scenario by id or path, and load it into a checked `Scenario` or findings.

Scenario ids are looked up like playbook ids: `./drills/`, then `<home>/drills/`, then the
scenarios bundled in the package (`crisisplay/drills/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from crisisplay.errors import PlaybookNotFound
from crisisplay.findings import Finding, did_you_mean, one_of, sort_findings
from crisisplay.i18n import _
from crisisplay.playbook.names import nfc_document
from crisisplay.scenario.model import FORMAT_KEY, Effects, Inject, Scenario
from crisisplay.yamlsource import Document
from crisisplay.yamlsource import load as load_yaml

if TYPE_CHECKING:
    from crisisplay.home import PlaybookFile
    from crisisplay.playbook.model import Playbook


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
    from crisisplay.home import catalogue

    if any(entry.id == ref for entry in catalogue(home, cwd)):  # a playbook's id, given to `drill`
        own = [e.id for e in known if e.id.startswith(f"{ref}-")]
        raise PlaybookNotFound(
            _(
                "'{ref}' is a playbook, not a drill scenario: `{command}` rehearses it without injects{scenarios}"
            ).format(
                ref=ref,
                command=f"crisisplay start {ref} --drill",
                scenarios=_("; its scenarios: {ids}").format(ids=", ".join(own)) if own else "",
            )
        )
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
    """The outcome of loading and checking one scenario source (and, from `check_scenario_file`,
    its playbook: the file found and the model, when it could be used)."""

    doc: Document
    scenario: Scenario | None = None
    findings: list[Finding] = field(default_factory=list)
    playbook: Playbook | None = None
    playbook_path: Path | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.errors


def check_scenario_text(text: str | bytes, path: str = "<stdin>", *, stem: str | None = None) -> CheckedScenario:
    """Load and validate a scenario's text on its own (structure, CP705, CP712; CP713 when `stem`,
    the file's name, is given); never raises for bad input. The playbook is not looked at."""
    return check_scenario_doc(nfc_document(load_yaml(text, path)), stem=stem)


def check_scenario_doc(doc: Document, *, stem: str | None = None) -> CheckedScenario:
    """`check_scenario_text` on a document already loaded (as `lint` has, to tell what it holds)."""
    from crisisplay.playbook.loader import _structure_findings
    from crisisplay.scenario.checks import own_findings

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
        result.findings.extend(_in_scenario_words(doc, err, _structure_findings(doc, err)))
    else:
        result.findings.extend(own_findings(result.scenario, doc))
        if stem is not None and stem != result.scenario.id:
            result.findings.append(
                doc.finding(
                    ("id",),
                    "CP713",
                    _(
                        "the id '{id}' differs from the file name '{stem}'; "
                        "lookup by id finds '<id>.yaml', so rename one of them"
                    ).format(id=result.scenario.id, stem=stem),
                )
            )
    result.findings = sort_findings(dict.fromkeys(result.findings))
    return result


def _model_fields(model: type[Any]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _scenario_model_for(loc: tuple[str | int, ...]) -> tuple[type[Any], str]:
    """The scenario model whose keys apply where `loc` ends, and how a message says where that is."""
    parts = [p for p in loc[:-1] if p != "[key]"]
    if "effects" in parts:
        return Effects, " " + _("of an inject's effects")
    if "injects" in parts:
        return Inject, " " + _("of an inject")
    return Scenario, " " + _("at the top level of the scenario")


def _in_scenario_words(doc: Document, err: ValidationError, findings: list[Finding]) -> list[Finding]:
    """The playbook checker's structure findings, reworded where the scenario format differs: the
    keys it allows (CP101), its version key (CP104) and its times (CP108)."""
    from crisisplay.playbook.loader import _resolve

    reworded: dict[tuple[int, int, str], tuple[str, str]] = {}
    for e in err.errors():
        loc, kind = e["loc"], e["type"]
        path, _key = _resolve(doc.data, loc)
        last = loc[-1] if loc else None
        if kind == "extra_forbidden":
            model, where = _scenario_model_for(loc)
            allowed = _model_fields(model)
            hint = did_you_mean(str(last), allowed) or _("; expected {choices}").format(choices=one_of(allowed))
            line, col = doc.position(path, key=True)
            reworded[(line, col, "CP101")] = ("CP101", _("unknown key '{key}'").format(key=last) + where + hint)
        elif kind == "CP108" and "longest" not in (e.get("ctx") or {}):
            value = e["input"]
            if path and path[-1] in ("at", "within"):
                message = _(
                    "'{value}' is not a scenario time; write how long after detection as a number and a unit: "
                    "90s, 10m, 1h (never negative)"
                )
            else:
                message = _("'{value}' is not a duration; write a number and a unit: 90s, 30m, 1h, 2d")
            line, col = doc.position(path)
            reworded[(line, col, "CP108")] = ("CP108", message.format(value=value))
        elif kind == "literal_error" and last == FORMAT_KEY:
            line, col = doc.position(path)
            reworded[(line, col, "CP109")] = (
                "CP104",
                _("unsupported scenario format version {value}; this crisisplay reads `crisisplay-drill: 1`").format(
                    value=e["input"]
                ),
            )
    out = []
    for f in findings:
        new = reworded.get((f.line, f.column, f.code))
        out.append(replace(f, code=new[0], message=new[1], level="") if new else f)
    return out


def check_against_playbook(checked: CheckedScenario, playbook: Any) -> list[Finding]:
    """What the scenario says that its playbook contradicts (unknown steps, roles, levels, names,
    a value an input cannot take, a step that ends the run, its locale and id), each at its line
    and column."""
    from crisisplay.scenario.checks import against_playbook

    if checked.scenario is None:
        return []
    return against_playbook(checked.scenario, playbook, checked.doc)


def find_scenario_playbook(ref: str, scenario_path: str, home: Path, cwd: Path | None = None) -> PlaybookFile:
    """The playbook a scenario's `playbook:` names: a path is relative to the scenario file's folder
    (to `cwd` for standard input), an id is looked up like any playbook id (`./playbooks`,
    `<home>/playbooks`, the bundled ones). PlaybookNotFound when there is none."""
    from crisisplay.home import PlaybookFile, find_playbook, looks_like_path

    if looks_like_path(ref):
        here = (cwd or Path.cwd()) if scenario_path == "<stdin>" else Path(scenario_path).parent
        candidate = Path(ref).expanduser()
        candidate = candidate if candidate.is_absolute() else here / candidate
        if not candidate.is_file():
            raise PlaybookNotFound(
                _("{ref}: no such playbook file (relative to the scenario's folder)").format(ref=ref)
            )
        return PlaybookFile(candidate.stem, candidate, "path")
    return find_playbook(ref, home, cwd)


def check_scenario_file(path: Path, home: Path, cwd: Path | None = None) -> CheckedScenario:
    """Everything lint checks in a scenario file: its structure, its playbook found and usable
    (CP704), and what it says of that playbook. OSError (the file itself) is the caller's."""
    from crisisplay.reading import InputTooLarge, read_input

    try:
        raw = read_input(path)
    except InputTooLarge as err:
        from crisisplay.playbook.loader import oversized

        too_big = oversized(str(path), err.limit)
        return CheckedScenario(too_big.doc, findings=too_big.findings)
    return check_scenario(check_scenario_text(raw, str(path), stem=path.stem), home, cwd)


def check_scenario(checked: CheckedScenario, home: Path, cwd: Path | None = None) -> CheckedScenario:
    """`checked` (from `check_scenario_text`/`_doc`) with its playbook found and checked against:
    sets `playbook` and `playbook_path` and adds the findings (CP704, CP703…CP716)."""
    from crisisplay.errors import CrisisplayError

    if checked.scenario is None:
        return checked
    ref = checked.scenario.playbook
    where = ("playbook",)
    try:
        entry = find_scenario_playbook(ref, checked.doc.path, home, cwd)
    except CrisisplayError as err:
        checked.findings.append(checked.doc.finding(where, "CP704", str(err)))
        checked.findings = sort_findings(checked.findings)
        return checked
    except (OSError, ValueError) as err:  # a name the file system refuses (too long, a NUL)
        reason = getattr(err, "strerror", None) or str(err)
        checked.findings.append(
            checked.doc.finding(
                where, "CP704", _("{ref}: cannot look up this playbook: {reason}").format(ref=ref, reason=reason)
            )
        )
        checked.findings = sort_findings(checked.findings)
        return checked
    checked.playbook_path = entry.path
    try:
        book = _usable_playbook(entry.path)
    except OSError as err:
        checked.findings.append(
            checked.doc.finding(
                where,
                "CP704",
                _("the playbook {path} cannot be read: {reason}").format(path=entry.path, reason=err.strerror or err),
            )
        )
    else:
        if isinstance(book, int):
            checked.findings.append(
                checked.doc.finding(
                    where,
                    "CP704",
                    _("the playbook {path} has {count} error(s); fix them first: {command}").format(
                        path=entry.path, count=book, command=f"crisisplay lint {entry.path}"
                    ),
                )
            )
        else:
            checked.playbook = book
            checked.findings += check_against_playbook(checked, book)
    checked.findings = sort_findings(dict.fromkeys(checked.findings))
    return checked


_PLAYBOOKS: dict[tuple[str, int, int], Playbook | int] = {}


def _usable_playbook(path: Path) -> Playbook | int:
    """The checked model of the playbook at `path`, or its error count when it has errors.

    Kept for the process by the file's name, size and time: linting a folder of scenarios reads
    each playbook once."""
    from crisisplay.playbook.loader import check_file

    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _PLAYBOOKS:
        checked = check_file(path)
        _PLAYBOOKS[key] = (
            checked.playbook if checked.ok and checked.playbook is not None else max(1, len(checked.errors))
        )
        while len(_PLAYBOOKS) > 16:
            _PLAYBOOKS.pop(next(iter(_PLAYBOOKS)))
    return _PLAYBOOKS[key]
