"""Shared pieces of the benchmarks: paired timing, peak memory, the result table.

Every figure that compares crisisplay with a baseline runs the two in PAIRS: crisisplay and
its baseline one after the other (the order alternating from pair to pair), at least
`PAIRS` pairs after one warm-up pair. Each pair gives one ratio, measured while the machine
was as busy for both; the figure is the median of those ratios and its spread the lowest
and highest of them. Each run is a fresh process, so its peak resident memory (of that
process alone: see `spawn` and `python_run`) is printed beside its time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HERE = Path(__file__).resolve().parent
PAIRS = int(os.environ.get("CRISISPLAY_BENCH_PAIRS", "7"))
MIB = 1024 * 1024

# Set by run.py: `--large` adds the 1M-event figures to the suites that scale with size.
LARGE = False


@dataclass
class Result:
    name: str
    value: float  # seconds, or bytes for memory figures (the median of crisisplay's runs)
    baseline_name: str
    baseline: float  # the median of the baseline's runs
    goal: float  # the highest acceptable ratio (or, with `limit`, unused)
    unit: str = "s"
    ratios: list[float] = field(default_factory=list)  # one per pair, when paired
    peak: int | None = None  # crisisplay's peak RSS (bytes), the highest of its runs
    baseline_peak: int | None = None
    limit: float | None = None  # an absolute goal (bytes, for memory figures) instead of a ratio
    cpu_ratios: list[float] = field(default_factory=list)  # per pair: user+system CPU of the two children

    @property
    def ratio(self) -> float:
        if self.ratios:
            return statistics.median(self.ratios)
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def spread(self) -> str:
        if len(self.ratios) < 2:
            return ""
        q = statistics.quantiles(self.ratios, n=4)
        return f"{min(self.ratios):.2f}–{max(self.ratios):.2f} (IQR {q[0]:.2f}–{q[2]:.2f})"

    @property
    def cpu(self) -> str:
        return f"{statistics.median(self.cpu_ratios):.2f}x" if self.cpu_ratios else ""

    @property
    def ok(self) -> bool:
        if self.limit is not None:
            return self.value <= self.limit
        return self.ratio <= self.goal


def _fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / MIB:.1f} MiB"
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.1f} s"


def _peak(value: int | None) -> str:
    return "" if value is None else f"{value / MIB:.0f}"


def print_results(results: list[Result]) -> None:
    width = max(len(r.name) for r in results) if results else 10
    print(
        f"{'figure':<{width}}  {'value':>10}  {'baseline':>10}  {'ratio':>6}  {'spread of pair ratios':<28}  "
        f"{'goal':<11}{'':>4}  {'cpu':>6}  {'peak MiB':>12}  baseline is"
    )
    for r in results:
        mark = "ok" if r.ok else "OVER"
        goal = f"≤{_fmt(r.limit, r.unit)}" if r.limit is not None else f"≤{r.goal:g}x"
        ratio = f"{r.ratio:>5.2f}x" if r.limit is None or r.baseline else "     -"
        peaks = f"{_peak(r.peak)}/{_peak(r.baseline_peak)}" if r.peak is not None else ""
        print(
            f"{r.name:<{width}}  {_fmt(r.value, r.unit):>10}  {_fmt(r.baseline, r.unit):>10}  "
            f"{ratio}  {r.spread:<28}  {goal:<11}{mark:>4}  {r.cpu:>6}  {peaks:>12}  {r.baseline_name}"
        )
    print(
        "\nratio: median of the per-pair ratios of wall time; cpu: the same of user+system CPU time of the two "
        "children (whole process); peak MiB: crisisplay/baseline, max RSS of each child process"
    )


# --- running one child -----------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # seconds, as the parent saw it (the measured span only, for in-process work)
    cpu: float  # user + system seconds of the child (the whole child)
    peak: int  # bytes: the child's max RSS


def compile_package() -> None:
    """Write crisisplay's .pyc files (as `pip install` does), so that no figure pays for compiling
    the sources: with PYTHONDONTWRITEBYTECODE set and no .pyc, every start-up compiled ~100 modules."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(REPO / "crisisplay")], stdout=subprocess.DEVNULL, check=False)


# The ru_maxrss that wait4 reports for a child includes the high-water mark of the memory it
# was forked from (Linux records the old image's peak at exec), so a child of this (large)
# process would report at least this process's size. Commands are therefore started by a
# small launcher, a fresh `python -I -S` of about 9 MiB, which times the command and reads its
# ru_maxrss; the launcher's own size is then the floor of every figure, far below any command's.
_LAUNCHER = """
import json, os, sys, time
argv = json.loads(sys.argv[1])
start = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0), (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)]))
"""


def spawn(argv: Sequence[str], env: dict | None = None, cwd: Path | None = None, check: bool = True) -> Run:
    """Run a command to its end (output discarded): its wall time, CPU time and peak memory
    (ru_maxrss of the command alone, through the launcher above)."""
    full_env = {**os.environ, **(env or {})}
    command = list(argv)
    if "/" not in command[0]:
        import shutil

        command[0] = shutil.which(command[0]) or command[0]
    done = subprocess.run(
        [PYTHON, "-I", "-S", "-c", _LAUNCHER, json.dumps(command)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        check=True,
    )
    wall, cpu, peak, code = json.loads(done.stdout)
    if check and code:
        raise subprocess.CalledProcessError(code, command)
    return Run(wall, cpu, peak)


_CHILD = """
import json, os, sys, time
sys.path.insert(0, {here!r})
{setup}
def _work():
{work}
_start = time.perf_counter()
_work()
_wall = time.perf_counter() - _start
# VmHWM: this process image's own peak (ru_maxrss would carry over the parent's, see above).
_peak = [int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
os.write({fd}, json.dumps({{"wall": _wall, "peak": _peak}}).encode())
"""


def python_run(setup: str, work: str, env: dict | None = None) -> Run:
    """Run `work` in a fresh Python after `setup`; its wall time is that of `work` alone, the peak
    memory that of the whole child (interpreter, imports and work: its VmHWM)."""
    read, write = os.pipe()
    body = "\n".join("    " + line for line in work.strip().splitlines()) or "    pass"
    code = _CHILD.format(here=str(HERE), setup=setup, work=body, fd=write)
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.DEVNULL, pass_fds=(write,), env=full_env, cwd=REPO)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        reported = pipe.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode or not reported:
        raise RuntimeError(f"benchmark child failed (exit {proc.returncode}):\n{setup}\n{work}")
    report = json.loads(reported)
    return Run(report["wall"], usage.ru_utime + usage.ru_stime, report["peak"])


# --- pairs -----------------------------------------------------------------------------------


@dataclass
class Paired:
    ours: list[Run]
    theirs: list[Run]

    @property
    def ratios(self) -> list[float]:
        return [a.wall / b.wall for a, b in zip(self.ours, self.theirs, strict=True)]

    @property
    def value(self) -> float:
        return statistics.median(r.wall for r in self.ours)

    @property
    def baseline(self) -> float:
        return statistics.median(r.wall for r in self.theirs)

    @property
    def peak(self) -> int:
        return max(r.peak for r in self.ours)

    @property
    def baseline_peak(self) -> int:
        return max(r.peak for r in self.theirs)

    def result(self, name: str, baseline_name: str, goal: float) -> Result:
        return Result(
            name,
            self.value,
            baseline_name,
            self.baseline,
            goal,
            ratios=self.ratios,
            cpu_ratios=[a.cpu / b.cpu for a, b in zip(self.ours, self.theirs, strict=True) if b.cpu],
            peak=self.peak,
            baseline_peak=self.baseline_peak,
        )


def paired(ours: Callable[[], Run], theirs: Callable[[], Run], pairs: int = PAIRS) -> Paired:
    """Run crisisplay and its baseline in turns: one warm-up pair, then `pairs` pairs, the order
    alternating (ours first in even pairs, theirs first in odd ones)."""
    ours(), theirs()  # warm the page cache and the .pyc files
    out = Paired([], [])
    for index in range(pairs):
        if index % 2:
            b = theirs()
            a = ours()
        else:
            a = ours()
            b = theirs()
        out.ours.append(a)
        out.theirs.append(b)
    return out


def paired_commands(
    ours: Sequence[str],
    theirs: Sequence[str],
    env: dict | None = None,
    cwd: Path | None = None,
    pairs: int = PAIRS,
    before_ours: Callable[[], None] | None = None,
) -> Paired:
    """Two commands in pairs; `before_ours` runs (untimed) before each of crisisplay's runs."""

    def run_ours() -> Run:
        if before_ours is not None:
            before_ours()
        return spawn(ours, env, cwd)

    return paired(run_ours, lambda: spawn(theirs, env, cwd), pairs)


# --- old helpers, kept for the suites that measure on their own --------------------------


def median_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of `fn()` over `repeat` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command_time(argv: list[str], repeat: int = 15, env: dict | None = None, cwd: Path | None = None) -> float:
    """Median wall time of a whole command (start-up included), output discarded."""
    spawn(argv, env, cwd)  # warm the page cache and any .pyc files
    return statistics.median(spawn(argv, env, cwd).wall for _ in range(repeat))


def crisisplay_argv(*args: str) -> list[str]:
    """The installed `crisisplay` script beside this Python (what users run)."""
    script = Path(PYTHON).parent / "crisisplay"
    return [str(script), *args] if script.exists() else [PYTHON, "-m", "crisisplay", *args]
