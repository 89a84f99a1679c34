"""fsync latency of the same 616-byte write under different surroundings (issue 16).

    python benchmarks/fsync_exp.py [ROUNDS]

Each variant has its own file in benchmarks/out/fsync (disk-backed); every round writes one
line to each and times its fsync, the order reversed every other round, so all variants see
the same load. Printed: the median fsync time of each, its IQR, and its ratio to the raw one.
"""

import fcntl
import os
import statistics
import sys
import time
from pathlib import Path

d = str(Path(__file__).resolve().parent / "out" / "fsync")
os.makedirs(d, exist_ok=True)
data = b"x" * 615 + b"\n"
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 400
A = os.O_WRONLY | os.O_APPEND
B = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK


def busy(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


variants = {
    "raw (O_WRONLY|O_APPEND, back to back)": dict(flags=A),
    "crisisplay flags (O_RDWR|O_APPEND|O_CLOEXEC|O_NONBLOCK)": dict(flags=B),
    "+ flock EX/UN and fstat around the write": dict(flags=B, lock=True),
    "+ head() re-read before it (open, flock SH, fstat, pread, close)": dict(flags=B, lock=True, reread=True),
    "raw, 0.4 ms of CPU work before it": dict(flags=A, work=0.0004),
    "raw, fdatasync instead of fsync": dict(flags=A, datasync=True),
    "raw, 0.4 ms asleep before it": dict(flags=A, nap=0.0004),
}
fds, paths, times = {}, {}, {k: [] for k in variants}
for i, name in enumerate(variants):
    p = f"{d}/v{i}.jsonl"
    paths[name] = p
    with open(p, "wb") as f:
        f.write(data * 3)
    fds[name] = os.open(p, variants[name]["flags"])
for r in range(ROUNDS):
    order = list(variants) if r % 2 == 0 else list(reversed(variants))
    for name in order:
        v = variants[name]
        fd = fds[name]
        p = paths[name]
        if v.get("reread"):
            rd = os.open(p, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
            os.fstat(rd)
            fcntl.flock(rd, fcntl.LOCK_SH)
            s = os.fstat(rd).st_size
            os.pread(rd, 4096, max(0, s - 4096))
            os.close(rd)
        if v.get("work"):
            busy(v["work"])
        if v.get("nap"):
            time.sleep(v["nap"])
        if v.get("lock"):
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.fstat(fd)
        os.write(fd, data)
        t = time.perf_counter()
        (os.fdatasync if v.get("datasync") else os.fsync)(fd)
        times[name].append(time.perf_counter() - t)
        if v.get("lock"):
            fcntl.flock(fd, fcntl.LOCK_UN)
for name in variants:
    os.close(fds[name])
    os.unlink(paths[name])
base = statistics.median(times["raw (O_WRONLY|O_APPEND, back to back)"])
for name, ts in times.items():
    q = statistics.quantiles(ts, n=4)
    print(
        f"{name:<68} median {statistics.median(ts) * 1e3:6.3f} ms  IQR {q[0] * 1e3:.3f}-{q[2] * 1e3:.3f}  x{statistics.median(ts) / base:.2f}"
    )
