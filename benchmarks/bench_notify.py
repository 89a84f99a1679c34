"""Delivery never holds up the next prompt: answer → next prompt with a delivery in flight.

A scripted run of escalate steps, each sending to a JSON webhook on 127.0.0.1 that takes 2 s
to answer, against the same run with delivery off. The figure is the median time from one
step's question to the next (reading the answer, sending, logging durably, moving on), in
one process, on a disk-backed folder. Goal: at most 5 ms more than without delivery
(issue 9); the goal column shows that as a ratio of this run's baseline.
"""

from __future__ import annotations

import http.server
import itertools
import os
import shutil
import statistics
import threading
import time
from typing import Any

from common import REPO, Result

STEPS = 60
DELAY_S = 2.0


def playbook_text(steps: int) -> str:
    lines = ["crisisplay: 1", "id: bench-notify", "title: Tell the manager, again and again"]
    lines += ["roles:", "  manager: Your line manager", "phases:", "  - id: escalation", "    title: Escalation"]
    lines.append("    steps:")
    for n in range(steps):
        lines += [
            f"      - id: tell-{n}",
            "        type: escalate",
            f"        prompt: Tell your manager (round {n}).",
            "        to: [manager]",
            f'        template: "Round {n}: the price is wrong on the shop and a customer is complaining."',
        ]
    return "\n".join(lines) + "\n"


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(DELAY_S)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _median_gap(deliver: bool, out: Any, port: int) -> float:
    from crisisplay.config import Config
    from crisisplay.notify.targets import make_target
    from crisisplay.playbook.loader import load_playbook
    from crisisplay.run.answers import read_answers
    from crisisplay.run.delivery import Reach
    from crisisplay.run.lifecycle import StartRequest, start_incident
    from crisisplay.run.scripted import ScriptedFrontend

    home = out / ("home-on" if deliver else "home-off")
    book, answers_file = out / "bench-notify.yaml", out / "answers.yaml"
    pb, _ = load_playbook(book)
    answers = read_answers(answers_file, pb)
    target = make_target(f"json://127.0.0.1:{port}/hook", "bench")
    reach = Reach(roles={"manager": (target,)}, live=deliver)
    asked: list[float] = []

    class Timed(ScriptedFrontend):
        def ask_step(self, session: Any, action: Any) -> Any:
            asked.append(time.perf_counter())  # the question appears
            return super().ask_step(session, action)

    with open(os.devnull, "w") as sink:
        outcome = start_incident(
            StartRequest(pb, book, drill=False, responder="bench", reach=reach),
            Config(),
            home,
            lambda overrides: Timed(answers, overrides, out=sink),
            lambda _id: None,
        )
    assert outcome.finished, outcome
    return statistics.median(b - a for a, b in itertools.pairwise(asked))


def run() -> list[Result]:
    out = REPO / "benchmarks" / "out" / "notify"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "bench-notify.yaml").write_text(playbook_text(STEPS))
    (out / "answers.yaml").write_text("steps:\n" + "".join(f"  tell-{n}: notified\n" for n in range(STEPS)))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = int(server.server_address[1])
        without = _median_gap(False, out, port)
        with_delivery = _median_gap(True, out, port)
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(out, ignore_errors=True)
    goal = round((without + 0.005) / without, 2)
    return [
        Result(
            "notify: answer → next prompt, delivery to a server taking 2 s (goal +5 ms)",
            with_delivery,
            "the same step, no delivery",
            without,
            goal,
        )
    ]
