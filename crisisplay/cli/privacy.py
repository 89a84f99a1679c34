"""Commands about incidents' personal data: `purge` (erase it, on request or on schedule) and `keys`
(export an incident's key, or import one). See docs/privacy.md."""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from crisisplay.cli.app import _command
from crisisplay.cli.common import (
    TextOrJson,
    _action,
    _complete_incident,
    _config,
    _home,
    _incident_argument,
    _say,
    _store,
)
from crisisplay.errors import CrisisplayError, UsageError
from crisisplay.i18n import N_, _

if TYPE_CHECKING:
    from crisisplay.run.purge import Purge
    from crisisplay.store.base import IncidentLog
    from crisisplay.store.sealing import KeyRing


@_command(
    help=N_(
        "Erase incidents' personal data for good (their keys are deleted; the logs still verify): "
        "named incidents, or the closed ones past --older-than or the configured `retention` (--due)."
    )
)
def purge(
    incidents: list[str] | None = typer.Argument(
        None,
        metavar="INCIDENT",
        help=N_("Incident ids, unique prefixes of them, or `last`."),
        autocompletion=_complete_incident,
        show_default=False,
    ),
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        metavar="DURATION",
        help=N_("Every incident closed at least this long ago, like 180d."),
    ),
    due: bool = typer.Option(
        False, "--due", help=N_("Every incident closed longer ago than `retention` in config.toml.")
    ),
    reason: str = typer.Option(
        ...,
        "--reason",
        metavar="TEXT",
        help=N_(
            "Why the data is erased (a retention period, a request's ticket number). It stays in the log in clear "
            "forever: it must not name anyone."
        ),
    ),
    responder: str | None = typer.Option(
        None,
        "--responder",
        metavar="NAME",
        help=N_("Who purges (default: `responder` in config.toml, else your account)."),
    ),
    yes: bool = typer.Option(False, "--yes", help=N_("Do not ask for confirmation (for scripts).")),
    format: TextOrJson = typer.Option(
        TextOrJson.text,
        "-f",
        "--format",
        metavar="FORMAT",
        help=N_("text (one line per incident on standard error) or json (an object on standard output)."),
    ),
) -> None:
    from crisisplay.display import visible
    from crisisplay.incidents import resolve
    from crisisplay.run.lifecycle import responder_name
    from crisisplay.run.purge import ALREADY, purge_incident

    if not reason.strip():
        raise UsageError(_("--reason is empty; say why the personal data is erased (without naming anyone)"))
    chosen = sum([bool(incidents), older_than is not None, due])
    if chosen != 1:
        raise UsageError(_("purge needs one of: INCIDENT..., --older-than DURATION or --due"))
    store = _store()
    logs: list[IncidentLog] = []
    if incidents:
        seen: set[str] = set()
        for ref in incidents:
            log = resolve(ref, _home(), store)
            if log.incident_id not in seen:
                seen.add(log.incident_id)
                logs.append(log)
    else:
        logs = _scheduled(older_than, store)
        if not logs:
            _say(_("No incident to purge."))
            if format is TextOrJson.json:
                print(json.dumps({"incidents": []}, indent=2))
            return
    if not yes:
        _confirm([log.incident_id for log in logs])
    actor = responder_name(responder, _config())
    results: list[dict[str, Any]] = []
    worst = 0
    for log in logs:
        try:
            done = purge_incident(log, reason, actor)
        except CrisisplayError as err:
            if len(logs) == 1:
                raise
            worst = max(worst, err.exit_code)
            results.append({"incident": log.incident_id, "outcome": "refused", "head": None, "message": str(err)})
            _say(_("{incident}: not purged: {reason}").format(incident=log.incident_id, reason=visible(str(err))))
            continue
        finally:
            log.close()
        results.append(
            {"incident": done.incident_id, "outcome": done.outcome, "head": done.head, "key_deleted": done.key_deleted}
        )
        if format is TextOrJson.text or done.outcome == ALREADY:
            _say(_purged_line(done))
    if format is TextOrJson.json:
        print(json.dumps({"incidents": results}, indent=2, ensure_ascii=False))
    if worst:
        raise typer.Exit(worst)


def _purged_line(done: Purge) -> str:
    from crisisplay.run.purge import ALREADY

    if done.outcome == ALREADY:
        return _("{incident}: already purged; nothing to do").format(incident=done.incident_id)
    if done.key_deleted:
        return _("{incident}: purged; its key is deleted. Head hash: {hash}").format(
            incident=done.incident_id, hash=done.head
        )
    return _("{incident}: purged (no key was kept: it was missing already). Head hash: {hash}").format(
        incident=done.incident_id, hash=done.head
    )


def _scheduled(older_than: str | None, store: Any) -> list[IncidentLog]:
    """The incidents `--older-than` or `--due` takes; those written before encryption are named and left."""
    from crisisplay.config import span_ms
    from crisisplay.incidents import listing
    from crisisplay.run.purge import due
    from crisisplay.times import now

    if older_than is not None:
        span = span_ms(older_than)
        if span is None:
            raise UsageError(
                _("--older-than {text}: not a duration; write it like 180d, 12h or 90d12h").format(text=older_than)
            )
        words = older_than.strip()
    else:
        config = _config()
        if config.retention_ms is None or config.retention is None:
            raise UsageError(_('--due needs `retention` in config.toml, like retention = "180d" (or use --older-than)'))
        span, words = config.retention_ms, config.retention
    found = due(listing(_home(), store), span, now())
    for incident_id in found.keyless:
        _say(
            _(
                "{incident}: closed more than {span} ago, but has no key (written before encryption): cannot be purged"
            ).format(incident=incident_id, span=words)
        )
    return [store.open(incident_id) for incident_id in found.ids]


def _confirm(ids: list[str]) -> None:
    """Ask before erasing for good; no terminal to ask on is exit 2, naming --yes."""
    if not sys.stdin.isatty():
        raise UsageError(_("purge erases for good, so it asks first, and there is no terminal to ask on: pass --yes"))
    for incident_id in ids:
        _say("  " + incident_id)
    _say(
        _(
            "The personal data of {count} incident(s) above will be erased for good; the logs and what was decided stay."
        ).format(count=len(ids))
    )
    print(_("Type yes to purge: "), end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:  # Ctrl-C at the question: interrupted, nothing done
        from crisisplay.errors import Interrupted

        raise Interrupted(_("not purged: nothing was changed")) from None
    if _folded(answer) not in {"yes", _folded(_("yes"))}:  # declined: the command did not run (exit 2)
        from crisisplay.errors import CrisisplayError

        raise CrisisplayError(_("not purged: nothing was changed"))


def _folded(word: str) -> str:
    """A typed word without case or accents: `Sí`, `si` and `sí` are one answer."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", word.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


KEYS_ACTIONS = ("export", "import")


@_command(
    help=N_(
        "Move an incident's key: `keys export INCIDENT [-o FILE]` writes it (for a colleague's machine, or a "
        "backup); `keys import INCIDENT [FILE|-]` puts it back. Keys cannot be rotated."
    )
)
def keys(
    action: str = typer.Argument(..., metavar="export|import", help=N_("`export` or `import`.")),
    incident: str = _incident_argument(),
    file: str | None = typer.Argument(
        None, metavar="FILE|-", help=N_("import: the key file, or - (the default) for standard input.")
    ),
    output: str | None = typer.Option(
        None,
        "-o",
        "--output",
        metavar="FILE",
        help=N_("export: write the key to this file (0600), not standard output."),
    ),
    replace: bool = typer.Option(
        False, "--replace", help=N_("import: replace a different key kept for the incident (a corrupt one).")
    ),
) -> None:
    from crisisplay.incidents import resolve

    _action(action, KEYS_ACTIONS, "`keys export INCIDENT` or `keys import INCIDENT [FILE|-]`")
    store = _store()
    if store.keys is None:
        raise UsageError(_("this store keeps no keys"))
    log = resolve(incident, _home(), store)
    if action == "export":
        if file is not None or replace:
            raise UsageError(_("keys export takes INCIDENT and -o FILE only"))
        _export_key(log, store.keys, output)
    else:
        if output is not None:
            raise UsageError(_("keys import reads FILE or standard input; -o is for keys export"))
        _import_key(log, store.keys, file, replace)


def _export_key(log: IncidentLog, keyring: KeyRing, output: str | None) -> None:
    from crisisplay.store.sealing import MISSING, PLAIN, READY, key_text

    seal = log.seal
    _refuse_purged(log)
    status = seal.status  # KeyProblem (exit 2) when the key file may not be read
    if status == PLAIN:
        raise UsageError(
            _("incident {incident} has no key: it was written before encryption").format(incident=log.incident_id)
        )
    if status != READY:
        raise UsageError(
            seal.warning()
            or (
                _("incident {incident}: no key is kept").format(incident=log.incident_id)
                if status == MISSING
                else status
            )
        )
    key = keyring.get(log.incident_id)
    assert key is not None  # READY: kept, and this incident's
    text = key_text(log.incident_id, key)
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_private(Path(output), text)
    _say(
        _(
            "The key of {incident} is in {path}: anyone with it and the log reads its personal data; keep it as safe."
        ).format(incident=log.incident_id, path=output)
    )


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a new file at `path`, owner-only (0600) and whole or not at all (a temporary
    file linked into place; where the file system has no links, a USB stick's FAT, the new file
    is written in place). A file already there is never written over (it may be another
    incident's key): refused, unless it holds this very text."""
    import secrets

    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_new(tmp, text)
        try:
            os.link(tmp, path)  # unlike a rename, refuses a name already taken
        except OSError as err:
            if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            _write_new(path, text)  # no links here: O_EXCL refuses a name taken just the same
    except FileExistsError:
        if not _holds_already(path, text):
            raise UsageError(
                _(
                    "{path}: exists already; a key is never written over anything (it may be another "
                    "incident's key): name a new file, or move that one away first"
                ).format(path=path)
            ) from None
    except OSError as err:
        raise UsageError(
            _("{path}: cannot write the key: {reason}").format(path=path, reason=err.strerror or err)
        ) from None
    finally:
        with suppress(OSError):
            os.unlink(tmp)


def _write_new(path: Path, text: str) -> None:
    """A new file (FileExistsError when the name is taken) holding `text`, 0600, fsync'd; removed
    again if it could not be written whole."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)


def _holds_already(path: Path, text: str) -> bool:
    """Whether `path` is a regular file holding exactly `text` (the key exported there before)."""
    try:
        info = path.lstat()
        return stat.S_ISREG(info.st_mode) and info.st_size == len(text) and path.read_text("ascii") == text
    except (OSError, UnicodeDecodeError):
        return False


def _refuse_purged(log: IncidentLog) -> None:
    from crisisplay.incidents import IncidentErased, purge_logged

    if purge_logged(log):
        raise IncidentErased(
            _("incident {incident} was purged: its key is gone for good and is never put back").format(
                incident=log.incident_id
            )
        )


def _import_key(log: IncidentLog, keyring: KeyRing, file: str | None, replace: bool) -> None:
    from crisisplay.store.sealing import KeyProblem, fingerprint, read_key_text

    raw = _read_key_input(file)
    read = read_key_text(raw)
    if read is None:
        raise UsageError(
            _("{source}: not a crisisplay key (one line written by `crisisplay keys export`)").format(
                source=_source_name(file)
            )
        )
    named, key = read
    if named != log.incident_id:
        raise UsageError(
            _("{source}: this is the key of incident {other}, not of {incident}").format(
                source=_source_name(file), other=named, incident=log.incident_id
            )
        )
    _refuse_purged(log)
    seal = log.seal
    if not seal.keyed:
        raise UsageError(
            _("incident {incident} has no key to put back: it was written before encryption").format(
                incident=log.incident_id
            )
        )
    if fingerprint(key) != seal.fingerprint:
        raise UsageError(
            _(
                "{source}: this key does not open incident {incident} (its fingerprint is not the log's); "
                "a key that does not match the log is never imported"
            ).format(source=_source_name(file), incident=log.incident_id)
        )
    try:
        kept = keyring.get(log.incident_id)
    except KeyProblem:
        if not replace:
            raise
        kept = b""  # unusable as it is: --replace puts the right one in its place
    if kept == key:
        _say(_("{incident}: this key is kept already; nothing changed").format(incident=log.incident_id))
        return
    if kept is not None and not replace:
        raise UsageError(
            _("{incident}: a different key is kept at {where}; `--replace` replaces it (a corrupt one)").format(
                incident=log.incident_id, where=keyring.where(log.incident_id)
            )
        )
    keyring.put(log.incident_id, key, replace=kept is not None)
    _say(
        _("{incident}: key imported into {where}").format(
            incident=log.incident_id, where=keyring.where(log.incident_id)
        )
    )


def _source_name(file: str | None) -> str:
    return _("standard input") if file in (None, "-") else str(file)


def _read_key_input(file: str | None) -> str:
    from crisisplay.reading import InputTooLarge, read_input

    try:
        raw = read_input(sys.stdin.buffer if file in (None, "-") else Path(str(file)), "standard input")
    except OSError as err:
        raise UsageError(
            _("{path}: cannot read the key: {reason}").format(path=file, reason=err.strerror or err)
        ) from None
    except InputTooLarge:
        raise UsageError(
            _("{source}: not a crisisplay key (one line written by `crisisplay keys export`)").format(
                source=_source_name(file)
            )
        ) from None
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise UsageError(
            _("{source}: not a crisisplay key (one line written by `crisisplay keys export`)").format(
                source=_source_name(file)
            )
        ) from None
