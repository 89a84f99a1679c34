"""Exports: views of an incident log, computed from the log alone (its playbook snapshot included).

`md` and `html` are the post-mortem report; `json` and `csv` are the data. Each format reads
the metrics from one streaming pass that also verifies the chain, line by line, as `verify`
does (`store.chain.ChainCheck`, on either store): a log `verify` would reject is refused, or with `force` exported
under a "log not verified" banner. Nothing that grows with the log is held in memory:

- `md` and `html` spool one timeline line per event during that pass (`metrics.Timeline`: a
  few MiB in memory, then an unnamed owner-only file) and read it back for the key events and
  the event log, writing their rows as they come;
- `csv` writes each row but its last cells during that pass (`tabular.CsvRows`, spooled the
  same way), then copies them out with the verdict beside the log's lines read again;
- `json` copies the log's lines read again.

A second read of the log is proved to be the same bytes as the first (`ChainCheck.lines_again`:
"the log changed while it was being exported" otherwise). A regular file is written
atomically and owner-only; a FIFO, a device or standard output named by path is written as a
stream.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

from crisisplay.errors import CrisisplayError, ExportFailed, JournalError, LogNotVerified  # noqa: F401 (ExportFailed: part of this API)
from crisisplay.export.opened import Reading
from crisisplay.export.redact import Pseudonyms
from crisisplay.i18n import _
from crisisplay.journal import fsync_dir
from crisisplay.metrics import Metrics, measure_log
from crisisplay.store.base import IncidentLog, Store
from crisisplay.store.chain import TORN, ChainCheck, LineSource, VerifyResult

if TYPE_CHECKING:
    from crisisplay.events import State
    from crisisplay.export.tabular import CsvRows
    from crisisplay.scorecard import Observations

FORMATS = ("md", "json", "csv", "html")
_FILE_MODE = 0o600  # incident data is private: customers' names, private messages
_SEPARATORS = tuple({"/", os.sep, os.altsep or "/"})


@dataclass(frozen=True)
class Exported:
    """What was exported: how many events, up to which head hash, and what verifying the log found."""

    count: int
    head: str | None
    verification: VerifyResult  # `ok` is False only for an export made with `force`
    warning: str | None = None  # one line when personal values could not be opened (key missing or wrong)


def export_incident(
    journal: IncidentLog,
    fmt: str,
    output: str | os.PathLike[str] | None,
    stdout: BinaryIO,
    *,
    force: bool = False,
    weights: Mapping[str, float] | None = None,
    history: tuple[Path, Store] | None = None,
    redact: bool = False,
) -> Exported:
    """Export one incident in `fmt` to `output` (a path), or to `stdout` when it is None.

    The log is verified in the pass that reads it; a problem `verify` would report is a
    LogNotVerified (exit 1) naming the first bad line, unless `force`. A drill's md, html and
    json also hold its scorecard (scored with `weights`, `[drill.weights]`) and, given the
    `history` (home and store) to look in, the comparison with its scenario's previous run.

    Every view is computed from the events opened with the incident's key (`opened.Reading`):
    personal values as text, None once erased (shown "[erased]"); with `redact`, each one
    replaced by its pseudonym (`redact.Pseudonyms`), named in a first pass over the log.
    """
    if fmt not in FORMATS:
        raise ExportFailed(
            _("unknown export format {format}; choose from {formats}").format(
                format=repr(fmt), formats=", ".join(FORMATS)
            )
        )
    target = output_path(output) if output is not None else None  # a bad -o fails before any reading
    seal = journal.seal
    seal.scan_for_purge = False  # the pass reads every line before anything is written: it sees a purge
    check = ChainCheck(_lines_of(journal), lenient=force, fingerprint=fmt in ("json", "csv"))
    reading = Reading(
        journal.seal, clear=fmt == "json", pseudonyms=_pseudonyms(journal) if redact else None, check=check
    )
    seen = rows = None
    if fmt == "csv":  # its rows are written in this pass, all but the verdict, which needs the whole pass
        from crisisplay.export.tabular import CsvRows

        rows = CsvRows(reading)
    else:  # a csv has one row per event and nothing else: no scorecard (docs/drills.md)
        from crisisplay.scorecard import Observations

        seen = Observations()
    try:
        metrics = measure_log(
            journal,
            running=journal.is_running(),
            timeline=fmt in ("md", "html"),
            check=check,
            on_start=_playbook_language,
            observe=seen,
            each=rows,
            read=reading,
        )
    except JournalError as err:
        reading.close()
        if rows is not None:
            rows.close()
        # A check that stopped at line 1 leaves nothing to measure: say what verify would say.
        _refuse_unless_verified(journal, check.result, force)
        if check.result is not None and not check.result.ok:
            from crisisplay.export.words import verdict_words

            raise JournalError(f"{err}; {verdict_words(check.result)}") from None
        raise
    if seal.opened_before_purge:
        # A purge whose key was still kept (killed before it deleted it): reading the event deleted
        # the key, so everything opened before it is thrown away and the export made again, erased.
        for spool in (metrics.timeline, rows, reading):
            if spool is not None:
                spool.close()
        seal.opened_before_purge = False
        return export_incident(
            journal, fmt, output, stdout, force=force, weights=weights, history=history, redact=redact
        )
    try:
        _refuse_unless_verified(journal, check.result, force)
        assert check.result is not None  # the pass read to its end
        if seen is not None and seen.drill:
            _score(metrics, seen, journal, weights, history)

        def write(out: TextIO) -> None:
            try:
                render(fmt, metrics, check, out, rows, reading)
            except OverflowError as err:  # a time no calendar can show in local time (a log written by hand: year 9999)
                raise JournalError(
                    _("{path}: not a crisisplay incident log ({reason})").format(path=journal.where(), reason=err)
                ) from None

        if target is None:
            write_stream(stdout, write)
        else:
            write_output(target, write)
    finally:
        if metrics.timeline is not None:  # the spooled moments: nothing of them outlives the export
            metrics.timeline.close()
        if rows is not None:
            rows.close()
        reading.close()
    return Exported(metrics.count, metrics.head, check.result, journal.seal.warning())


def _pseudonyms(journal: IncidentLog) -> Pseudonyms:
    """Every named personal value of the incident given its pseudonym, in order of first appearance:
    a first pass, so a free text that mentions a value before it is logged on its own is redacted too."""
    from crisisplay import i18n

    pseudonyms = Pseudonyms()
    for event in journal.events(tolerate_torn=True):
        data = event.get("data")
        if event.get("seq") == 0 and type(data) is dict and type(data.get("snapshot")) is dict:
            # Named in the report's language, which the incident's playbook may choose (as the pass does).
            locale = data["snapshot"].get("locale")
            i18n.use_playbook_locale(locale if isinstance(locale, str) else None)
        pseudonyms.learn(data)
    return pseudonyms


def _score(
    metrics: Metrics,
    seen: Observations,
    journal: IncidentLog,
    weights: Mapping[str, float] | None,
    history: tuple[Path, Store] | None,
) -> None:
    """A drill's scorecard, and its comparison with the previous run of its scenario (None for the first)."""
    from crisisplay.drill_history import comparison, drill_run, opened_at, past_drills, previous_run
    from crisisplay.scorecard import scorecard, weights_of

    metrics.scorecard = scorecard(metrics, seen, weights)
    if history is None:
        return
    this = drill_run(metrics, metrics.scorecard, opened_at(journal))
    before = previous_run(past_drills(*history), this)
    if before is not None:
        metrics.comparison = comparison(this, before, weights_of(weights))


def _lines_of(journal: IncidentLog) -> LineSource:
    """Both stores' logs are also line sources for `ChainCheck` (the store interface leaves that to the chain)."""
    return cast("LineSource", journal)


def _playbook_language(state: State) -> None:
    """The report's language may come from the playbook the incident ran (its snapshot's `locale`).

    `--lang`, the config's `language` and then this decide (i18n); a playbook written without
    `locale:` has none in its snapshot and leaves the choice to the environment.
    """
    from crisisplay import i18n

    i18n.use_playbook_locale(state.playbook.locale)


def _refuse_unless_verified(journal: IncidentLog, result: VerifyResult | None, force: bool) -> None:
    if result is None or result.ok or force:
        return
    hint = (
        _("`crisisplay resume {incident}` sets a torn line aside")
        if result.kind == TORN
        else _("`crisisplay verify {incident}` says more")
    ).format(incident=journal.incident_id)
    raise LogNotVerified(
        _(
            '{problem}; not exported, since the log does not verify ({hint}; --force exports it anyway, marked "log not verified")'
        ).format(problem=result.shown_message, hint=hint)
    )


def render(
    fmt: str,
    metrics: Metrics,
    check: ChainCheck,
    out: TextIO,
    rows: CsvRows | None = None,
    reading: Reading | None = None,
) -> None:
    """Write `metrics` (and, for the data formats, the events again, from `check`) in one format.

    A csv needs the `rows` its verifying pass spooled (`tabular.CsvRows`); a json, the `reading`
    that opened the events (its `clear` values, and the redaction).
    """
    if fmt == "md":
        from crisisplay.export.markdown import render as render_md

        render_md(metrics, out)
    elif fmt == "html":
        from crisisplay.export.html import render as render_html

        render_html(metrics, out)
    elif fmt == "json":
        from crisisplay.export.tabular import render_json

        render_json(metrics, check.lines_again(), out, check.source.label, reading)
    else:
        from crisisplay.export.tabular import render_csv

        assert rows is not None  # export_incident spools them in the verifying pass
        render_csv(metrics, rows, check.lines_again(), out, check.source.label)


def write_stream(stream: BinaryIO, write: Callable[[TextIO], None]) -> None:
    """Write UTF-8 text to a binary stream (standard output), whatever the terminal's encoding."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        write(text)
        text.flush()
    finally:
        text.detach()  # the caller still owns the stream


def output_path(output: str | os.PathLike[str]) -> Path:
    """The `-o` path, checked before anything is read: a file to write, in a folder that exists."""
    given = os.fspath(output)
    if not given:
        raise ExportFailed(_("-o needs a file to write, like -o report.md (or - for standard output)"))
    path = Path(given)
    if path.is_dir():
        raise ExportFailed(_("{path}: is a folder; give the file to write, like -o report.md").format(path=given))
    if given.endswith(_SEPARATORS):
        # Path() drops a trailing slash: `-o out/missing/` would quietly become a file named `missing`.
        raise ExportFailed(
            _(
                "{path}: names a folder (it ends with a slash) and there is no such folder; "
                "give the file to write, like -o report.md"
            ).format(path=given)
        )
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ExportFailed(
            _("{path}: no such folder {folder}; create it first, or write elsewhere").format(path=given, folder=folder)
        )
    return path


def write_output(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write to `path`: a regular file (or a new one) atomically, anything else as a stream.

    A symlink is followed, never replaced: a link to a file has that file replaced atomically;
    a FIFO, a character device, or a path in /proc such as /dev/stdout (which names an open
    descriptor, not a file) is written to as it is, like a shell redirection would.
    """
    if _names_a_descriptor(path):
        write_special(path, write)
        return
    try:
        info = path.stat()  # follows symlinks: what the path leads to decides
    except FileNotFoundError:
        info = None  # a new file (or a dangling link: its target is created)
    except OSError as err:
        raise ExportFailed(
            _("{path}: cannot write the export: {reason}").format(path=path, reason=err.strerror or err)
        ) from None
    if info is None or stat.S_ISREG(info.st_mode):
        write_atomically(Path(os.path.realpath(path)) if path.is_symlink() else path, write)
    elif stat.S_ISBLK(info.st_mode):
        raise ExportFailed(_("{path}: is a block device (a disk); not writing a report over it").format(path=path))
    else:
        write_special(path, write)


def _names_a_descriptor(path: Path) -> bool:
    """True for a path that leads through /proc (/dev/stdout, /dev/fd/3, /proc/self/fd/1).

    Those name an open descriptor rather than a file: even when it is a regular file (standard
    output redirected to one), replacing the file behind it would take the output away from
    whoever holds the descriptor, so it is written as a stream.
    """
    current = os.path.abspath(path)
    for _hop in range(40):  # the kernel's own limit on a chain of links
        if os.path.realpath(os.path.dirname(current)).startswith("/proc/"):
            return True
        if not os.path.islink(current):
            return False
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    return False


def write_special(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write to something that is not a regular file (a FIFO, a device, a descriptor) as a stream.

    Appending, never truncating or replacing: for a FIFO or a device that changes nothing, and
    /dev/stdout redirected to a file (`>` or `>>`) keeps what the shell put there.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NOCTTY)
        with open(fd, "w", encoding="utf-8", newline="", buffering=1024 * 1024) as out:
            write(out)
    except OSError as err:
        raise ExportFailed(
            _("{path}: cannot write the export: {reason}").format(path=path, reason=err.strerror or err)
        ) from None


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write through a 0600 temp file in the same folder, fsync it, then rename it over `path`."""
    if path.is_dir():
        raise ExportFailed(_("{path}: is a folder; give the file to write, like -o report.md").format(path=path))
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ExportFailed(_("{path}: no such folder").format(path=folder))
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
        with open(fd, "w", encoding="utf-8", newline="", buffering=1024 * 1024) as out:
            os.fchmod(fd, _FILE_MODE)  # whatever the umask
            write(out)
            out.flush()
            os.fsync(fd)
        os.replace(tmp, path)
        fsync_dir(folder)
    except OSError as err:
        raise ExportFailed(
            _("{path}: cannot write the export: {reason}").format(path=path, reason=err.strerror or err)
        ) from None
    finally:
        with contextlib.suppress(OSError):  # renamed already (the usual case), or never created
            os.unlink(tmp)
