"""`crisisplay new`: a playbook that lints clean, from a teaching skeleton or a copy of another."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisisplay.errors import PlaybookError, UsageError
from crisisplay.i18n import _
from crisisplay.playbook.model import END, ID_RE, playbook_id_too_long
from crisisplay.playbook.schema import SHIPPED
from crisisplay.reading import read_input

MODELINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=\S*")

SKELETON = """\
# yaml-language-server: $schema={schema}
# A crisisplay playbook: a calm, step-by-step path through one kind of crisis.
# Every value below is an example: replace it with your own words, then check the file with
#   crisisplay lint {file}
# and rehearse it with `crisisplay start {id} --drill`.
crisisplay: 1                      # the format version
id: {id}                           # lowercase letters, digits and dashes; the file is named after it
title: {title}
summary: One or two sentences the responder reads first; what this playbook is for.
locale: en
tags: []
severity:
  levels: [low, medium, high, critical]   # ordered, lowest first
  initial: low
targets:                           # response-time goals, counted from when the crisis was detected
  escalated: 30m                   # durations: 90s, 30m, 1h, 2d
  acknowledged: 1h
  resolved: 2d
roles:                             # who can be escalated to; the people come from [contacts.<role>]
  manager: Your line manager
inputs:                            # asked first, like a form; templates use them as {{{{ name }}}}
  channel:
    prompt: Where is the conversation happening?
    type: choice
    options: [X, Facebook, Instagram, another site]
  topic:
    prompt: In a few neutral words, what is it about?
    type: text
phases:                            # run in order; step ids are unique across all phases
  - id: detection
    title: Size it up
    steps:
      - id: assess-reach
        type: choice               # confirm, choice, checklist, text, number, message, escalate, info
        prompt: How far has it spread?
        options:
          - label: A few replies, mostly from people who know the customer
            value: contained
          - label: Shared widely, or the press is asking
            value: viral
            severity: high         # an option may raise (or lower) the severity
        save_as: reach             # keeps the answer for the templates below: {{{{ reach }}}}
  - id: escalation
    title: Do not handle it alone
    steps:
      - id: tell-manager
        type: escalate
        to: [manager]
        prompt: Call your manager now, then send this so they have it in writing.
        template: "{{{{ topic }}}} on {{{{ channel }}}}: reach {{{{ reach }}}}, severity {{{{ severity }}}}."
        milestone: escalated       # reaching it stops the `escalated` clock
  - id: respond
    title: Acknowledge in public
    steps:
      - id: holding-statement
        type: message
        prompt: Post this where the conversation is. Do not argue in public.
        channel: "{{{{ channel }}}} (public reply)"
        template: We know about the problem with {{{{ topic }}}} and we are looking into it now. We will update here soon.
        milestone: acknowledged
      - id: pr-review
        type: confirm
        when: severity >= 'high'   # a bare expression; the step is skipped when it is false
        prompt: Has a PR expert reviewed what you will say next?
        # `next: <step-id>` jumps to another step; `next: end` ends the run.
  - id: post-mortem
    title: Post-mortem
    steps:
      - id: what-happened
        type: text
        prompt: What happened, and how did it end?
        multiline: true
        section: summary           # where the answer goes in the exported post-mortem
        milestone: resolved
"""


def check_id(playbook_id: str) -> str:
    """The id, or UsageError saying what an id looks like."""
    if playbook_id == END or not ID_RE.fullmatch(playbook_id):
        raise UsageError(
            _(
                "'{id}' is not a playbook id; use lowercase letters, digits and dashes, like 'data-leak' "
                "('end' is reserved)"
            ).format(id=playbook_id)
        )
    too_long = playbook_id_too_long(playbook_id)
    if too_long:
        raise UsageError(_("'{id}…' is not a playbook id: {reason}").format(id=playbook_id[:40], reason=too_long))
    return playbook_id


def _inside(folder: Path, tree: Path) -> bool:
    return folder == tree or tree in folder.parents


def find_schema(folder: Path, shipped_schema: Path = SHIPPED) -> Path | None:
    """The schema file a playbook written into `folder` should point at, if one is reachable.

    Inside the source tree that ships the schema (the bundled playbooks), the shipped file.
    Elsewhere, the nearest `playbook-v1.json` in `folder` or a folder above it within the same
    git repository (only `folder` itself outside a repository): a path every clone shares,
    unlike the installed copy's, which is only on this machine.
    """
    folder = folder.resolve()
    shipped = shipped_schema.resolve()
    if _inside(folder, shipped.parent.parent.parent):  # the folder that holds the `crisisplay` package
        return shipped
    repository = next((f for f in (folder, *folder.parents) if (f / ".git").exists()), None)
    for candidate in (folder, *folder.parents):
        if repository is None or not _inside(candidate, repository):
            break
        if (candidate / shipped.name).is_file():
            return candidate / shipped.name
    own = folder / shipped.name
    return own if own.is_file() else None


def schema_ref(folder: Path, shipped_schema: Path = SHIPPED) -> str:
    """The modeline's schema path, relative to `folder`: never an absolute path, which would
    break as soon as the playbook is shared. Without a reachable schema file it names the copy
    `new_playbook` writes beside the playbook."""
    found = find_schema(folder, shipped_schema)
    if found is None:
        return shipped_schema.name
    return Path(os.path.relpath(found, folder.resolve())).as_posix()


def yaml_text(text: str) -> str:
    """`text` as a YAML scalar that reads back as that very text: plain where YAML reads it so,
    else single-quoted (`404`, `0x1f` or `2024-01-01` plain would be a number or a date)."""
    import yaml

    try:
        plain = yaml.safe_load(text) == text
    except yaml.YAMLError:
        plain = False
    return text if plain else "'" + text.replace("'", "''") + "'"


def skeleton(playbook_id: str, folder: Path) -> str:
    """The commented skeleton for `playbook_id`, written into `folder`."""
    title = playbook_id.replace("-", " ").capitalize()
    return SKELETON.format(
        schema=schema_ref(folder),
        id=yaml_text(playbook_id),
        title=yaml_text(title),
        file=(folder / f"{playbook_id}.yaml").as_posix(),
    )


def copy_of(text: str, source: str, playbook_id: str, folder: Path) -> str:
    """`text` under a new id, its modeline pointing at the schema from `folder`."""
    from crisisplay.lint.runner import lint_text

    result = lint_text(text, source)
    if result.checked.playbook is None or result.errors:
        raise PlaybookError(
            _("{path}: cannot copy a playbook with errors; fix them first").format(path=source), result.findings
        )
    line, col = result.checked.doc.position(("id",))
    lines = text.split("\n")
    old = re.escape(result.checked.playbook.id)
    match = re.compile(rf"(['\"]?){old}\1").match(lines[line - 1], col - 1)
    if match is None:  # an id written in an unusual style (a flow mapping, escapes)
        raise UsageError(
            _("{path}:{line}:{column}: cannot rewrite the id written here; copy the file by hand").format(
                path=source, line=line, column=col
            )
        )
    row = lines[line - 1]
    lines[line - 1] = row[: match.start()] + yaml_text(playbook_id) + row[match.end() :]
    modeline = f"# yaml-language-server: $schema={schema_ref(folder)}"
    if lines and MODELINE.match(lines[0].strip()):
        lines[0] = modeline
    else:
        lines.insert(0, modeline)
    return "\n".join(lines)


@dataclass
class Created:
    """What `new_playbook` wrote: the playbook, and the schema copy when none was reachable."""

    path: Path
    schema: Path | None = None


def new_playbook(playbook_id: str, folder: Path, source_ref: str | None = None, home: Path | None = None) -> Created:
    """Write `<folder>/<id>.yaml`, from the skeleton or from the playbook `source_ref` names,
    and `<folder>/playbook-v1.json` (the shipped schema) when its modeline has no schema to
    point at.

    UsageError (exit 2) when the id is not one or the file exists; PlaybookNotFound when the
    source is not found; PlaybookError when the source has errors.
    """
    check_id(playbook_id)
    source = None
    if source_ref is not None:
        from crisisplay.home import find_playbook, home_dir

        source = find_playbook(source_ref, home or home_dir()).path
    for suffix in (".yaml", ".yml"):
        if (folder / f"{playbook_id}{suffix}").exists():
            raise UsageError(
                _("{path} already exists; choose another id or remove it").format(path=folder / (playbook_id + suffix))
            )
    if source is None:
        text = skeleton(playbook_id, folder)
    else:
        try:
            raw = read_input(source).decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(
                _("{path}: cannot read: {reason}").format(path=source, reason=getattr(err, "strerror", None) or err)
            ) from None
        text = copy_of(raw, str(source), playbook_id, folder)
    return _write_new(folder / f"{playbook_id}.yaml", text, SHIPPED if find_schema(folder) is None else None)


def _write_new(target: Path, text: str, shipped_schema: Path | None) -> Created:
    """Write a new file (never over an existing one) and, when `shipped_schema` is given, a copy of
    that schema beside it first, so the file's modeline never points at a file that is not there."""
    folder = target.parent
    schema = folder / shipped_schema.name if shipped_schema is not None else None
    if folder.exists() and not folder.is_dir():  # else mkdir's "exists" would read as the new file's
        raise UsageError(_("{path} is not a folder; -o names the folder the new file goes in").format(path=folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if schema is not None and shipped_schema is not None:
            try:
                with open(schema, "xb") as handle:
                    handle.write(shipped_schema.read_bytes())
            except FileExistsError:  # written meanwhile by another `new`: the same file
                schema = None
        with open(target, "x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
            handle.write(text)
    except FileExistsError:
        raise UsageError(_("{path} already exists; choose another id or remove it").format(path=target)) from None
    except OSError as err:
        raise UsageError(
            _("{path}: cannot write: {reason}").format(path=err.filename or target, reason=err.strerror)
        ) from None
    return Created(target, schema)


SCENARIO_SKELETON = """\
# yaml-language-server: $schema={schema}
# A crisisplay drill scenario: what a facilitator reads out while the team works a playbook.
# Every value below is an example: replace it with your own words, then check the file with
#   crisisplay lint {file}
# read it with `crisisplay show {id}` and run it with `crisisplay drill {id}`.
crisisplay-drill: 1                # the format version; this key tells a scenario from a playbook
id: {id}{id_pad}# starts with its playbook's id; the file is named after it
playbook: {playbook}{playbook_pad}# the playbook rehearsed: an id, or a path relative to this file
title: {title}
summary: One or two sentences for the facilitator, the situation when the drill starts.
{locale}duration: 30m                      # the planned length: no inject may be due after it
injects:                           # each is due `at:` a scenario time or `after_step:`, never both
  - id: press-call                 # optional: i1, i2, ... by position when left out
    at: 10m                        # scenario time since detection: 90s, 10m, 1h
    text: A journalist from a national paper calls and asks for comment.
    within: 15m                    # how soon the team should respond (the scorecard counts it)
{second}"""

AFTER_STEP_INJECT = """\
  - id: it-spreads
    after_step: {step}{step_pad}# due once this step is answered, before the next step starts
    text: The post has 5,000 shares and a well-known account has picked it up.
    effects:                       # optional: what the inject changes when it fires
      severity: {level}{level_pad}# raise the severity to at least this level
{unreachable}      # set: {{name: value}}         # set an input or a save_as answer of the playbook
    # answered_by: [step-id]       # whose answer counts as the response (default: the next step answered)
"""

TIMED_INJECT = """\
  - id: it-spreads
    at: 20m
    text: The post has 5,000 shares and a well-known account has picked it up.
    effects:                       # optional: what the inject changes when it fires
      severity: {level}{level_pad}# raise the severity to at least this level
"""


def _pad(value: str, width: int) -> str:
    """Spaces that line a comment up at `width` after `value` (one at least)."""
    return " " * max(1, width - len(value))


def scenario_skeleton(scenario_id: str, folder: Path, playbook_ref: str, pb: Any) -> str:
    """The commented skeleton of a scenario `scenario_id` of playbook `pb` (written `playbook_ref`),
    built from the playbook's own steps, levels and roles so that it lints clean."""
    import json

    from crisisplay.scenario.checks import after_answering

    levels = list(pb.severity.levels)
    level = str(levels[-2] if len(levels) > 2 else levels[-1])
    step = next((s.id for i, s in enumerate(pb.steps) if after_answering(pb, i)), None)
    if step is None:
        second = TIMED_INJECT.format(level=level, level_pad=_pad(level, 19))
    else:
        from crisisplay.scenario.checks import escalation_roles

        roles = escalation_roles(pb)
        unreachable = (
            f"      unreachable: {{{roles[0]}: 20m}}{_pad(roles[0], 9)}# a role that cannot be reached for a while\n"
            if roles
            else "      # unreachable: {role: 20m}   # a role that cannot be reached for a while\n"
        )
        second = AFTER_STEP_INJECT.format(
            step=step,
            step_pad=_pad(step, 19),
            level=level,
            level_pad=_pad(level, 19),
            unreachable=unreachable,
        )
    written = yaml_text(playbook_ref) if ID_RE.fullmatch(playbook_ref) else json.dumps(playbook_ref, ensure_ascii=False)
    locale = f"locale: {pb.locale}{_pad(pb.locale, 27)}# the playbook's language\n" if pb.locale else ""
    from crisisplay.scenario.schema import SHIPPED as DRILL_SCHEMA

    return SCENARIO_SKELETON.format(
        schema=schema_ref(folder, DRILL_SCHEMA),
        file=(folder / f"{scenario_id}.yaml").as_posix(),
        id=yaml_text(scenario_id),
        id_pad=_pad(yaml_text(scenario_id), 31),
        playbook=written,
        playbook_pad=_pad(written, 25),
        title=json.dumps(scenario_id.replace("-", " ").capitalize(), ensure_ascii=False),
        locale=locale,
        second=second,
    )


def new_scenario(scenario_id: str, folder: Path, playbook_ref: str | None, home: Path) -> Created:
    """Write `<folder>/<id>.yaml`, a scenario skeleton for the playbook `playbook_ref` names (by
    default the playbook whose id the scenario id starts with, the longest one).

    UsageError (exit 2) when the id is not one, does not start with the playbook's id, names no
    playbook or the file exists; PlaybookNotFound / PlaybookError for a missing or broken playbook.
    """
    from crisisplay.home import catalogue, find_playbook, looks_like_path
    from crisisplay.playbook.loader import load_playbook

    check_id(scenario_id)
    if playbook_ref is None:
        prefixes = [e.id for e in catalogue(home) if scenario_id == e.id or scenario_id.startswith(e.id + "-")]
        if not prefixes:
            raise UsageError(
                _(
                    "which playbook does '{id}' rehearse? Name it with --from PLAYBOOK, or start the id "
                    "with a playbook's id, like 'pricing-error-{id}'"
                ).format(id=scenario_id)
            )
        playbook_ref = max(prefixes, key=len)
    entry = find_playbook(playbook_ref, home)
    pb, _checked = load_playbook(entry.path)
    if scenario_id != pb.id and not scenario_id.startswith(pb.id + "-"):
        raise UsageError(
            _("a scenario id starts with its playbook's id, so its drills sort beside it; try '{id}'").format(
                id=f"{pb.id}-{scenario_id}"
            )
        )
    if looks_like_path(playbook_ref):
        written = Path(os.path.relpath(entry.path.resolve(), folder.resolve())).as_posix()
    else:
        written = playbook_ref
    for suffix in (".yaml", ".yml"):
        if (folder / f"{scenario_id}{suffix}").exists():
            raise UsageError(
                _("{path} already exists; choose another id or remove it").format(path=folder / (scenario_id + suffix))
            )
    from crisisplay.scenario.schema import SHIPPED as DRILL_SCHEMA

    text = scenario_skeleton(scenario_id, folder, written, pb)
    shipped = DRILL_SCHEMA if find_schema(folder, DRILL_SCHEMA) is None else None
    return _write_new(folder / f"{scenario_id}.yaml", text, shipped)
