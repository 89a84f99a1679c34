"""A stranger's template cannot exhaust memory or time: each refusal is a PlaybookError, fast."""

from __future__ import annotations

import time

import pytest

from crisisplay.errors import PlaybookError
from crisisplay.templates import evaluate_condition, render_template

HOSTILE = {
    "string repeated a billion times": "{{ 'a' * 10**9 }}",
    "list repeated": "{{ (range(1000) | list) * 1000000 }}",
    "huge power": "{{ 2 ** 100000000 }}",
    "filter width": "{{ 'a' | center(1000000000) }}",
    "filter width as keyword": "{{ 'a' | indent(width=1000000000) }}",
    "format width": "{{ '%999999999d' % 1 }}",
    "nested loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "output too long": "{% for i in range(20000) %}0123456789{% endfor %}",
}


@pytest.mark.timeout(10)
@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_resource_exhaustion_in_a_template_is_refused_quickly(source):
    started = time.monotonic()
    with pytest.raises(PlaybookError):
        render_template(source, {})
    assert time.monotonic() - started < 5


@pytest.mark.timeout(10)
def test_a_condition_that_runs_too_long_is_a_playbook_error_not_a_hang():
    # Whichever limit trips first — the clock, or the budget of everything a condition
    # builds — the condition is refused instead of hanging. 150 terms, because Python's
    # parser refuses the code Jinja generates for much longer chains. No wall-clock
    # assertion (it flakes on a loaded machine): the test's timeout is the bound.
    source = " and ".join(["(range(10000) | map('string') | map('length') | sum > 0)"] * 150)
    with pytest.raises(PlaybookError, match=r"ran over|builds more than"):
        evaluate_condition(source, {})


def test_ordinary_templates_are_untouched_by_the_limits():
    text = render_template(
        "{{ 2 ** 10 }} {{ '%5d' % 3 }} {{ 'ab' | center(10) }} {{ n | round }} {{ s | truncate(9) }}",
        {"n": 2_000_000, "s": "abcdefghijklmnop"},
    )
    assert text == "1024     3     ab     2000000 abcdef..."


@pytest.mark.timeout(20)
def test_a_template_stopped_inside_a_test_says_it_ran_too_long_not_a_python_error():
    # The alarm can stop the frame where Jinja cannot find a line number; rewriting its traceback
    # then fails with a TypeError ('<=' between int and None), which must not be the message.
    source = "{% for i in range(9999) %}{% for j in range(9999) %}{% if j %}{% endif %}{% endfor %}{% endfor %}ok"
    for _ in range(2):
        with pytest.raises(PlaybookError, match=r"ran over|builds more than") as raised:
            render_template(source, {})
        assert "not supported" not in str(raised.value)
