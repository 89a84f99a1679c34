"""Drill logs made through the real engine and session: a scripted drill whose answers file gives
each answer its scenario time (`{answer: …, at: 12m}`), run by the answers-file front end.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from crisisplay.config import Config
from crisisplay.playbook.loader import load_playbook
from crisisplay.run.answers import read_answers
from crisisplay.run.lifecycle import StartRequest, start_incident
from crisisplay.run.scripted import ScriptedFrontend
from crisisplay.scenario.model import Scenario

DATA = Path(__file__).resolve().parent / "data" / "drills"
PLAYBOOK = DATA / "rehearsal.yaml"
SCENARIO = DATA / "rehearsal-drill.yaml"


def timed(answers_text: str, times: dict[str, int]) -> str:
    """The answers file with each step of `times` answered `at:` its scenario minute."""
    data = yaml.safe_load(answers_text)
    steps = data["steps"]
    for step, ms in times.items():
        at = f"{ms // 60_000}m"
        answer = steps[step]
        if isinstance(answer, dict) and "answer" in answer:
            answer["at"] = at
        else:
            steps[step] = {"answer": answer, "at": at}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class FixedClock:
    """A wall clock that moves one second per reading: the wall times are not what a drill is scored on."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def run_timed_drill(
    home: Path,
    answers_text: str,
    times: dict[str, int],
    *,
    started: datetime = datetime(2026, 3, 7, 21, 0, tzinfo=UTC),
    scenario: Path = SCENARIO,
    playbook: Path = PLAYBOOK,
) -> str:
    """Run the scenario's drill to its end with these answers and times; the incident id."""
    pb, _checked = load_playbook(playbook)
    raw = scenario.read_bytes()
    model = Scenario.model_validate(yaml.safe_load(raw))
    snapshot = {
        "clock": "scripted",
        "speed": 1,
        "snapshot": model.normalised(),
        "source": {
            "id": model.id,
            "title": model.title,
            "source": str(scenario),
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
    }
    answers_path = home / f"answers-{started:%H%M%S}.yaml"
    answers_path.write_text(timed(answers_text, times), encoding="utf-8")
    answers = read_answers(answers_path, pb)
    request = StartRequest(pb, playbook, True, "Ana", scenario=snapshot)
    ids: list[str] = []
    sink = open(home / "progress.txt", "a", encoding="utf-8")  # noqa: SIM115 (closed below)
    try:
        outcome = start_incident(
            request,
            Config(),
            home,
            lambda overrides: ScriptedFrontend(answers, overrides, sink),
            ids.append,
            clock=FixedClock(started),
        )
    finally:
        sink.close()
    assert outcome.finished, outcome.reason
    return ids[0]


ANSWERS = """\
steps:
  assess: viral
  fix: [Correct the price]
  notify-manager: notified
  call-customer: yes
  legal-check: {skip: "Counsel not available tonight"}
  holding-statement: {answer: send, approved_by: [manager]}
  what-happened: "The import left the price field empty."
"""

# Scenario minutes of each answer: the journalist (4m, within 2m) is answered by the escalation at
# 7m, 1 minute late; the escalation target (5m) is missed by 2 minutes.
TIMES = {
    "assess": 2 * 60_000,
    "fix": 3 * 60_000,
    "notify-manager": 7 * 60_000,
    "call-customer": 9 * 60_000,
    "legal-check": 11 * 60_000,
    "holding-statement": 13 * 60_000,
    "what-happened": 30 * 60_000,
}
