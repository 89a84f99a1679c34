"""Shared pieces of the benchmarks: timing, memory, the result table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Result:
    name: str
    value: float  # seconds, or bytes for memory figures
    baseline_name: str
    baseline: float
    goal: float  # the highest acceptable ratio
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")


def _fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 1e6:.1f} MB"
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.1f} s"


def print_results(results: list[Result]) -> None:
    width = max(len(r.name) for r in results) if results else 10
    print(f"{'figure':<{width}}  {'value':>10}  {'baseline':>10}  {'ratio':>6}  goal    baseline is")
    for r in results:
        mark = "ok" if r.ratio <= r.goal else "OVER"
        print(
            f"{r.name:<{width}}  {_fmt(r.value, r.unit):>10}  {_fmt(r.baseline, r.unit):>10}  "
            f"{r.ratio:>5.2f}x  ≤{r.goal:<4}{mark:>4}  {r.baseline_name}"
        )


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
    full_env = {**os.environ, **(env or {})}

    def once():
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env, cwd=cwd, check=True)

    once()  # warm the page cache and any .pyc files
    return median_time(once, repeat)


def peak_rss_of(code: str, env: dict | None = None) -> int:
    """Peak resident memory (bytes) of a fresh Python running `code`, minus an idle interpreter's."""

    def peak(snippet: str) -> int:
        # VmHWM belongs to the new process image; ru_maxrss would carry over the (big) parent's.
        probe = snippet + "\nprint([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
        out = subprocess.run(
            [PYTHON, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
            cwd=REPO,
        )
        return int(out.stdout.strip().splitlines()[-1]) * 1024

    return max(0, peak(code) - peak("import json, hashlib"))


def crisisplay_argv(*args: str) -> list[str]:
    """The installed `crisisplay` script beside this Python (what users run)."""
    script = Path(PYTHON).parent / "crisisplay"
    return [str(script), *args] if script.exists() else [PYTHON, "-m", "crisisplay", *args]
