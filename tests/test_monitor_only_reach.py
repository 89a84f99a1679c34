"""What a new user found in the library's format: "monitor only" never ends with a post, a
private update does not restart the cadence, the snapshot keeps the deadlines' order, and the
checker's words for values that are not what they should be."""

from __future__ import annotations

import pytest
from clock_helpers import CLOCKS, Run

from crisisplay import clocks, engine
from crisisplay import events as ev
from crisisplay.errors import AnswerError
from crisisplay.playbook.loader import check_text

# A message between the decision and the end for each way its audience may (not) be told.
REACH = CLOCKS.replace(
    """      - id: promise
        type: choice""",
    """      - id: tweet-by-words
        type: message
        channel: Our X account
        template: Said on X.
      - id: by-variant
        type: message
        channel: Reply
        variant_by: where
        variants:
          x:
            template: On X.
          email:
            template: By e-mail.
          forum:
            template: On a forum.
      - id: private-by-platform
        type: message
        channel: E-mail
        platform: email
        template: A private e-mail.
      - id: promise
        type: choice""",
).replace(
    "references:\n",
    "inputs:\n  where:\n    prompt: Where?\n    type: text\nreferences:\n",
)


def started(text: str, where: str) -> Run:
    """A run of `text` with its one input answered."""
    run = Run(text)
    run.log(engine.set_input(run.state, "where", where, run.now, "ana"))
    run.advance()
    return run


def skipped_by_outcome(run: Run) -> list[str]:
    return [e["step"] for e in run.events if e["type"] == ev.STEP_SKIPPED and e["data"]["by"] == "outcome"]


@pytest.mark.parametrize(
    ("where", "silenced"),
    [
        ("x", ["tweet-by-words", "by-variant"]),  # the chosen variant is public
        ("email", ["tweet-by-words"]),  # the chosen variant is private: it goes out
        ("forum", ["tweet-by-words", "by-variant"]),  # a variant on no known platform: cannot tell, skipped
    ],
)
def test_after_monitor_only_only_a_message_known_to_be_private_goes_out(where, silenced):
    run = started(REACH, where)
    run.send()  # holding
    run.answer(engine.Reasoned("monitor", "Low reach"))
    while run.asked() != "promise":
        run.send()
    assert skipped_by_outcome(run) == silenced
    sent = [e["step"] for e in run.events if e["type"] == ev.MESSAGE_SENT]
    assert "private-by-platform" in sent and "tweet-by-words" not in sent


def test_an_update_sent_by_its_private_variant_does_not_restart_the_cadence():
    text = REACH.replace("updates: [holding, public-update]", "updates: [holding, by-variant]")
    for where, counted in (("email", ["holding"]), ("x", ["holding", "by-variant"])):
        run = started(text, where)
        run.send()  # holding
        run.answer("respond")
        run.send()  # tweet-by-words
        run.send()  # by-variant
        assert [step for _ts, step in run.state.clocks.updates] == counted


def test_the_deadlines_keep_the_playbook_order_after_the_log_sorted_them():
    text = CLOCKS.replace(
        "deadlines:\n  authority:",
        "deadlines:\n  zulu:\n    label: Last letter first\n    within: 1h\n    met_by: [lessons]\n  authority:",
    )
    run = Run(text)
    replayed = ev.replay(run.events)  # the snapshot read back from the logged (sorted) text
    statuses = clocks.deadline_statuses(replayed.playbook, replayed.clocks, run.now)
    assert [s.name for s in statuses] == ["zulu", "authority", "next-update"]


def test_a_value_without_a_variant_says_so_when_sent_unedited():
    text = REACH.replace("          forum:\n            template: On a forum.\n", "")
    run = started(text, "mastodon")
    run.send()
    run.answer("respond")
    run.send()  # tweet-by-words
    assert run.asked() == "by-variant"
    with pytest.raises(AnswerError, match=r"no variant for where 'mastodon' and no `template:`"):
        run.send()


def findings(text: str) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in check_text(text, "p.yaml").findings if f.level == "error"]


BASE = """\
crisisplay: 1
id: q
title: Q
inputs:
  a:
    prompt: A
{extra}
phases:
  - id: p
    title: P
    steps:
      - id: s
        type: choice
        prompt: y
        options:
          - label: a
{option}
"""


def test_a_max_length_below_one_is_a_bad_value_in_plain_words():
    found = findings(BASE.format(extra="    max_length: 0", option=""))
    assert found == [("CP109", "'max_length' must be at least 1, not 0")]


def test_an_unknown_kind_of_personal_data_is_one_finding_naming_the_kinds():
    found = findings(BASE.format(extra="    personal: victim", option=""))
    assert len(found) == 1 and found[0][0] == "CP109"
    assert "'victim' is not allowed here" in found[0][1] and "'person'" in found[0][1]


def test_an_outcome_written_as_a_list_is_a_wrong_type():
    found = findings(BASE.format(extra="", option="            outcome: [monitor-only]"))
    assert found == [("CP103", "'outcome' should be 'monitor-only', not a list")]


def test_show_lists_the_option_durations_under_the_deadline_that_takes_them():
    from crisisplay.playbook.render import clocks_text

    text = CLOCKS.replace(
        "deadlines:\n  authority:",
        "deadlines:\n  first:\n    label: Promised\n    start: promise\n    met_by: [public-update]\n  authority:",
    ).replace(
        "  next-update:\n    label: Next update we promised\n    start: promise\n    met_by: [public-update]\n", ""
    )
    lines = clocks_text(check_text(text, "p.yaml").playbook).splitlines()
    promised = lines.index("  Promised (first): from the answer to promise, within the chosen option's time")
    authority = next(i for i, line in enumerate(lines) if line.startswith("  Notify the authority (authority)"))
    gives = [i for i, line in enumerate(lines) if " gives " in line]
    assert gives and all(promised < i < authority for i in gives), lines
    assert "    promise: Within 2 hours gives 2h" in lines
