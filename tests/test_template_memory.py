"""A stranger's template cannot take the machine's memory: in `lint`, `show` and `start`, every
hostile template is refused with one clear line while the process stays within 100 MB of what
the same command uses on an ordinary playbook.

Each case runs the real CLI in a subprocess and reads its peak address space (VmPeak) at exit.
The subprocess's address space is also capped (RLIMIT_AS), so a regression cannot take the
machine down; the cap sits above the 100 MB asserted because jinja swallows a MemoryError
raised while it compiles, which would hide the very allocation this test is about.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_ANSWERS as ANSWERS
from conftest import MINIMAL_PLAYBOOK, cli_environment

from crisisplay.errors import PlaybookError
from crisisplay.templates import analyse_template, evaluate_condition, render_template

HEADROOM = 100 * 2**20  # what a hostile template may add to the command's ordinary peak
CAP = 600 * 2**20  # the address space the subprocess may add at all

# Runs the CLI and, at exit, writes the process's peak address space (kB) to the file named first.
DRIVER = """\
import atexit, sys
report = sys.argv.pop(1)
def peak():
    with open('/proc/self/status') as status:
        line = next(l for l in status if l.startswith('VmPeak'))
    with open(report, 'w') as out:
        out.write(line.split()[1])
atexit.register(peak)
sys.argv[0] = 'crisisplay'
from crisisplay.cli import main
main()
"""

HOSTILE = {
    # F2: jinja folded this filter on constants while the template was merely checked.
    "format width": "{{ '%0999999999d'|format(1) }}",
    "format width of 300 MB": "{{ '%0300000000d'|format(1) }}",
    "join of repeated text": "{% set s = (['a' * 10000] * 10000)|join %}{{ s }}",
    "doubling with a namespace": "{% set ns = namespace(s='ab') %}{% for i in range(40) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "doubling with +": "{% set ns = namespace(s=[product]) %}{% for i in range(40) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
    "keyed format width": "{{ '%(a)999999999s' % {'a': product} }}",
    "star width": "{{ '%*d' % (999999999, 1) }}",
    "block written in a loop": "{% set x %}{% for i in range(10000) %}{% for j in range(10000) %}a"
    "{% endfor %}{% endfor %}{% endset %}{{ x }}",
    "recursive macro": "{% macro f(n, s) %}{{ f(n - 1, s ~ ('a' * 9000)) if n else s|length }}{% endmacro %}"
    "{{ f(900, '') }}",
    "list shown as text": "{{ [['a' * 9000] * 9000] * 9 }}",
    "lorem ipsum": "{{ lipsum(10000, max=10000) }}",
    "indent of many lines": "{{ ('a\\n' * 9000)|indent(9000) }}",
    "replace of the empty string": "{{ ('a' * 9000)|replace('', 'b' * 9000) }}",
    "expandtabs": "{{ ('\\t' * 9000).expandtabs(9000) }}",
    "square a number in a loop": "{% set ns = namespace(x=7) %}{% for i in range(40) %}"
    "{% set ns.x = ns.x * ns.x %}{% endfor %}{{ ns.x > 0 }}",
}


def with_template(template: str) -> str:
    """The minimal playbook whose holding statement is `template`."""
    old = "        template: We are looking into {{ product }}.\n"
    assert old in MINIMAL_PLAYBOOK
    body = "".join(f"          {line}\n" for line in template.split("\n"))
    return MINIMAL_PLAYBOOK.replace(old, "        template: |-\n" + body)


def _run(args: list[str], folder: Path, limit: int | None = None, report: Path | None = None):
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-c", DRIVER, str(report or folder / "peak.kb"), *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=folder,
        env=cli_environment(folder / "home"),
        timeout=120,
        preexec_fn=cap if limit is not None else None,
    )


COMMANDS = {
    "lint": lambda path, answers: ["lint", str(path)],
    "show": lambda path, answers: ["show", str(path)],
    "start": lambda path, answers: ["start", str(path), "--answers", str(answers)],
}


@pytest.fixture(scope="module")
def baselines(tmp_path_factory) -> dict[str, int]:
    """Each command's peak address space, in bytes, on the same playbook with an ordinary template."""
    folder = tmp_path_factory.mktemp("baseline")
    (folder / "home").mkdir()
    path = folder / "minimal.yaml"
    path.write_text(with_template("We are looking into {{ product }}."), encoding="utf-8")
    (folder / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    peaks = {}
    for name, command in COMMANDS.items():
        report = folder / f"{name}.kb"
        done = _run(command(path, folder / "answers.yaml"), folder, report=report)
        assert done.returncode == 0, done.stderr
        peaks[name] = int(report.read_text()) * 1024
    return peaks


@pytest.mark.timeout(300)
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_refused_within_100_mb_of_the_baseline(tmp_path, baselines, command, template):
    (tmp_path / "home").mkdir()
    path = tmp_path / "minimal.yaml"
    path.write_text(with_template(template), encoding="utf-8")
    (tmp_path / "answers.yaml").write_text(ANSWERS, encoding="utf-8")

    report = tmp_path / "peak.kb"
    done = _run(COMMANDS[command](path, tmp_path / "answers.yaml"), tmp_path, baselines[command] + CAP, report)

    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr[-2000:]
    assert "out of memory" not in done.stderr
    added = int(report.read_text()) * 1024 - baselines[command]
    assert added <= HEADROOM, f"{command} used {added / 2**20:.0f} MB over its ordinary peak"
    if command in ("lint", "show"):
        # Checking a template never runs it: it is valid until a run meets what it builds.
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("crisisplay: error:")]
    assert len(errors) == 1, done.stderr
    assert "the sandbox refused a template" in errors[0], errors[0]
    assert "over the limit" in errors[0] or "more than" in errors[0], errors[0]


# ---------------------------------------------------------------- in process: each refusal


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_sandbox_predicts_each_hostile_result_and_refuses_it(source):
    assert analyse_template(source).syntax_error is None
    with pytest.raises(PlaybookError, match=r"the sandbox refused a template: .*(over the limit|more than)"):
        render_template(source, {"product": "Blue Kettle"})


MORE_HOSTILE = {
    "list doubled as a condition": "(['a' * 10000] * 10000)|join|length > 0",
    "format width in a condition": "('%0999999999d'|format(1))|length > 0",
}


@pytest.mark.parametrize("source", MORE_HOSTILE.values(), ids=MORE_HOSTILE.keys())
def test_a_condition_that_builds_too_much_is_refused(source):
    with pytest.raises(PlaybookError, match="the sandbox refused a condition"):
        evaluate_condition(source, {})


def test_str_format_reached_by_a_computed_name_is_refused():
    # The checker cannot see the name `format` here; the sandbox still refuses the method.
    with pytest.raises(PlaybookError, match=r"str\.format is refused"):
        render_template("{{ '{:>999999999}'[name](1) }}", {"name": "format"})


def test_a_format_key_with_brackets_is_parsed_as_python_does():
    with pytest.raises(PlaybookError, match="over the limit"):
        render_template("{{ '%(a(b))999999999s' % {'a(b)': 1} }}", {})


def test_a_filter_given_shared_copies_of_one_text_weighs_each_copy():
    # Three references to one text cost nothing to hold, but joining them builds all three.
    big = "x" * 1_500_000
    with pytest.raises(PlaybookError, match="over the limit"):
        render_template("{{ [big, big, big]|join }}", {"big": big})


def test_ordinary_filters_methods_and_operators_still_work():
    source = (
        "{{ names|join(', ') }}|{{ '%-6s|%05.1f' % ('ab', 3.14159) }}|{{ '%(n)s' % {'n': 'x'} }}|"
        "{{ 'ab'|center(6) }}|{{ 'a b'|replace(' ', '-') }}|{{ text|wordwrap(5) }}|"
        "{{ 'x'|indent(2, true) }}|{{ [3, 1, 2]|sort|list }}|{{ [1, 2, 3]|sum }}|{{ [[1], [2]]|sum(start=[]) }}|"
        "{{ 'Ab'.upper() ~ 'c'.rjust(3, '.') }}|{{ ('%s' | format('f')) }}|{{ range(3)|batch(2, 0)|list }}|"
        "{{ 'abc'[::-1] }}|{{ {'b': 1, 'a': 2}|dictsort }}|{{ 'x' * 3 }}|{{ [1] * 2 + [3] }}|{{ 2 ** 10 }}"
    )
    text = render_template(source, {"names": ["Ann", "Bo"], "text": "one two three"})
    assert text == (
        "Ann, Bo|ab    |003.1|x|  ab  |a-b|one\ntwo\nthree|  x|[1, 2, 3]|6|[1, 2]|"
        "AB..c|f|[[0, 1], [2, 0]]|cba|[('a', 2), ('b', 1)]|xxx|[1, 1, 3]|1024"
    )


def test_every_jinja_filter_has_a_predicted_size_or_is_left_out():
    from jinja2 import Environment

    from crisisplay.template_limits import FILTER_SIZES
    from crisisplay.templates import environment

    missing = sorted(set(Environment().filters) - set(FILTER_SIZES))
    assert missing == [], f"jinja has filters the sandbox does not size: {missing}"
    assert set(environment().filters) == set(Environment().filters)
