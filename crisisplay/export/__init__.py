"""Exports: views of an incident log, computed from the log alone (its playbook snapshot included).

`md` and `html` are the post-mortem report; `json` and `csv` are the data. Each format reads
the metrics from one streaming pass (`metrics.measure`); `json` and `csv` then stream the
events a second time instead of holding them. A file is written atomically and owner-only.
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TextIO

from crisisplay.journal import fsync_dir
from crisisplay.errors import CrisisplayError, ExportFailed, JournalError  # noqa: F401 (ExportFailed: part of this API)
from crisisplay.metrics import Metrics, measure_log

FORMATS = ("md", "json", "csv", "html")
_FILE_MODE = 0o600  # incident data is private: customers' names, private messages


@dataclass(frozen=True)
class Exported:
    """What was exported: how many events, up to which head hash, and a torn last line if one was left out."""

    count: int
    head: str | None
    torn: str | None = None


def export_incident(journal, fmt: str, output: Path | None, stdout: BinaryIO) -> Exported:
    """Export one incident in `fmt` to the file `output` (atomically), or to `stdout` when it is None."""
    if fmt not in FORMATS:
        raise ExportFailed(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    torn = journal.has_torn_tail()
    metrics = measure_log(journal, running=journal.is_running(), timeline=fmt in ("md", "html"))

    def write(out: TextIO) -> None:
        render(fmt, metrics, journal, out)

    if output is None:
        write_stream(stdout, write)
    else:
        write_atomically(Path(output), write)
    note = None
    if torn:
        note = (f"{journal.path}: the last line is torn (a crash mid-write); exported the {metrics.count} complete "
                "events before it (`crisisplay verify` reports it, `crisisplay resume` sets it aside)")
    return Exported(metrics.count, metrics.head, note)


def render(fmt: str, metrics: Metrics, journal, out: TextIO) -> None:
    """Write `metrics` (and, for the data formats, the events again) in one format."""
    if fmt == "md":
        from crisisplay.export.markdown import render as render_md

        render_md(metrics, out)
    elif fmt == "html":
        from crisisplay.export.html import render as render_html

        render_html(metrics, out)
    elif fmt == "json":
        from crisisplay.export.tabular import logged_lines, render_json

        render_json(metrics, logged_lines(journal.path, metrics.count, metrics.head), out)
    else:
        from crisisplay.export.tabular import render_csv

        events = islice(journal.events(tolerate_torn=True), metrics.count)
        render_csv(metrics, same_events(events, metrics, journal.path), out)


def same_events(events: Iterable[dict], metrics: Metrics, path: Path) -> Iterable[dict]:
    """The events again, checked to end at the head `measure` saw (an edit in between is refused)."""
    last = None
    for last in events:
        yield last
    if last is None or last.get("hash") != metrics.head:
        raise JournalError(f"{path}: the log changed while it was being exported; export it again")


def write_stream(stream: BinaryIO, write: Callable[[TextIO], None]) -> None:
    """Write UTF-8 text to a binary stream (standard output), whatever the terminal's encoding."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        write(text)
        text.flush()
    finally:
        text.detach()  # the caller still owns the stream


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write through a 0600 temp file in the same folder, fsync it, then rename it over `path`."""
    if path.is_dir():
        raise ExportFailed(f"{path}: is a folder; give the file to write, like -o report.md")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ExportFailed(f"{folder}: no such folder")
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
        raise ExportFailed(f"{path}: cannot write the export: {err.strerror or err}") from None
    finally:
        try:
            os.unlink(tmp)
        except OSError:  # renamed already (the usual case), or never created
            pass


