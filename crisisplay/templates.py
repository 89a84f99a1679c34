"""The sandboxed Jinja2 environment: render message templates, evaluate `when` conditions,
and analyse both for the checker (syntax, names, refused attributes, severity levels).

A playbook from a stranger cannot reach Python internals, read files or run code: the
environment is jinja2's immutable sandbox with no loader, so `include`/`import` find nothing.
"""

from __future__ import annotations

import inspect
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, wraps
from types import FrameType
from typing import Any

from jinja2 import DictLoader, Template, meta, nodes, pass_environment
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import (
    UNSAFE_ASYNC_GENERATOR_ATTRIBUTES,
    UNSAFE_COROUTINE_ATTRIBUTES,
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
)
from jinja2.utils import _PassArg
from markupsafe import Markup

from crisisplay.errors import PlaybookError
from crisisplay.i18n import N_, _
from crisisplay.template_limits import (
    FILTER_SIZES,
    MAX_VALUE,
    OBJECT,
    SLOT,
    OutputBuffer,
    binop_size,
    bounded_sum,
    budget,
    call_size,
    charge,
    concat_size,
    text_size,
)

UNSAFE_ATTRIBUTES = frozenset(
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | UNSAFE_COROUTINE_ATTRIBUTES
    | UNSAFE_ASYNC_GENERATOR_ATTRIBUTES
    | {"mro", "format", "format_map", "maketrans", "fromkeys"}
)


# The names whose placeholder the template being rendered has actually written out.
_SHOWN: ContextVar[set[str] | None] = ContextVar("crisisplay_placeholders_shown", default=None)


def placeholder(name: str) -> str:
    """The visible stand-in for a variable that was not set on the path taken."""
    return f"[[{name}]]"


class VisiblePlaceholder(Undefined):
    """Renders an unset variable as `[[name]]` so the responder sees what to fill in."""

    __slots__ = ()

    def __str__(self) -> str:
        name = self._undefined_name or "?"
        shown = _SHOWN.get()
        if shown is not None:
            shown.add(name)
        return placeholder(name)

    def _stay(self, *args: object, **kwargs: object) -> VisiblePlaceholder:
        # An unset value used in an expression (`{{ total + 1 }}`, `{{ person.name }}`) stays
        # the placeholder of the name the template used instead of failing the run; what the
        # sandbox refused (its SecurityError) still fails.
        if self._undefined_exception is not UndefinedError:
            self._fail_with_undefined_error()
        return self

    def __getattr__(self, name: str) -> VisiblePlaceholder:
        if name[:2] == "__":
            raise AttributeError(name)
        return self._stay()

    # jinja's Undefined declares these as always failing (-> NoReturn); staying is the point.
    __getitem__ = __call__ = _stay  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __div__ = __rdiv__ = _stay  # type: ignore[assignment]
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _stay  # type: ignore[assignment]
    __pos__ = __neg__ = __pow__ = __rpow__ = __lt__ = __le__ = __gt__ = __ge__ = _stay  # type: ignore[assignment]


class SeverityLevel(str):
    """A severity level that compares with others (and with level names) by their order."""

    _levels: tuple[str, ...]

    def __new__(cls, value: str, levels: tuple[str, ...]) -> SeverityLevel:
        obj = super().__new__(cls, value)
        obj._levels = levels
        return obj

    @property
    def label(self) -> str:
        """`{{ severity.label }}`: the words the playbook shows for this level (its `label:`), or its name."""
        found = next((level for level in self._levels if level == self), None)
        return getattr(found, "label", None) or str(self)

    def _rank(self, other: object) -> tuple[int, int] | None:
        if not isinstance(other, str) or other not in self._levels or str(self) not in self._levels:
            return None
        return self._levels.index(str(self)), self._levels.index(str(other))

    def __lt__(self, other: object) -> bool:
        r = self._rank(other)
        return r is not None and r[0] < r[1]

    def __le__(self, other: object) -> bool:
        r = self._rank(other)
        return r is not None and r[0] <= r[1]

    def __gt__(self, other: object) -> bool:
        r = self._rank(other)
        return r is not None and r[0] > r[1]

    def __ge__(self, other: object) -> bool:
        r = self._rank(other)
        return r is not None and r[0] >= r[1]

    __hash__ = str.__hash__


# Limits that keep a stranger's template from exhausting memory or time; a real message is
# a few hundred characters and needs none of them. The size of everything a template builds
# is predicted before it is built: see template_limits.py.
MAX_OUTPUT = 100_000  # characters a template may produce
MAX_ARGUMENT = 10_000  # the largest number a filter may take as an argument (width, count)
MAX_EXPONENT = 1_000
TIME_LIMIT_S = 2.0


class _CodeGenerator(CodeGenerator):
    """Compiles `a ~ b` into a call that predicts the joined length before joining, and
    collects what a macro or a block writes in a buffer that refuses to grow past the limit."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.output_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat_operands((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(ImmutableSandboxedEnvironment):
    code_generator_class = _CodeGenerator
    output_buffer = OutputBuffer
    # Intercepting these also stops jinja from folding `{{ 10**10**10 }}` while compiling.
    intercepted_binops = frozenset(("+", "*", "%", "**"))

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return attr not in UNSAFE_ATTRIBUTES and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # `'{:>999999999}'[name](1)`, with `name` set to "format", reaches str.format by a name
        # the checker cannot see; its format language can pad to any width, so it is refused
        # however it is reached.
        if super().wrap_str_format(value) is None:
            return None

        def refused(*args: object, **kwargs: object) -> str:
            raise SecurityError(_("str.format is refused in templates; use the format filter or ~"))

        return refused

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and _is_number(right) and abs(right) > MAX_EXPONENT and left not in (0, 1, -1):
            raise SecurityError(_("a power with exponent {exponent} is too large").format(exponent=right))
        predicted = binop_size(operator, left, right)
        if predicted is not None:
            size, what = predicted
            charge(size * (5 if isinstance(left, Markup) or isinstance(right, Markup) else 1), what)
        return super().call_binop(context, operator, left, right)

    def concat_operands(self, values: tuple[Any, ...]) -> str:
        """`a ~ b ~ …`, as jinja's str_join, once its length is known to be allowed."""
        charge(concat_size(values), N_("a text joined with ~"))
        return "".join(map(str, values))

    def concat(self, pieces: Iterable[str]) -> str:
        """The text of a template, a macro or a block: refused as soon as its pieces add up past the limit."""
        parts: list[str] = []
        total = OBJECT
        for piece in pieces:
            total += SLOT + len(piece)
            if total > MAX_VALUE:
                charge(total, N_("the template's text"))
            parts.append(piece)
        charge(total, N_("the template's text"))
        return "".join(parts)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, slice) and isinstance(obj, (str, bytes, list, tuple)):
            count = len(range(*argument.indices(len(obj))))
            charge(OBJECT + count * (1 if isinstance(obj, (str, bytes)) else SLOT), N_("a slice"))
        return super().getitem(obj, argument)

    def call(self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        # Every call a template makes (`lipsum(10**8)`, `'a'.center(10**10)`) comes through here.
        for value in [*args, *kwargs.values()]:
            if _is_number(value) and abs(value) > MAX_ARGUMENT:
                raise SecurityError(
                    _("a call was given {value}, over the limit of {limit}").format(value=value, limit=MAX_ARGUMENT)
                )
        if self.is_safe_callable(__obj):
            size, args = call_size(__obj, args, kwargs)
            charge(size, N_("calling {name}"), getattr(__obj, "__name__", "?"))
        return super().call(__context, __obj, *args, **kwargs)


def _shown(value: Any) -> Any:
    """What `{{ value }}` writes: yes or no for a boolean (`{{ drill }}`, a confirm's answer), not
    Python's True; a list or a mapping is weighed before it is turned into text."""
    if value is True or value is False:
        return _("yes") if value else _("no")
    if not isinstance(value, str):
        charge(text_size(value), N_("a value shown by the template"))
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# What each kind of piped-in context a filter asks for is, given the template's context.
_FRONT: dict[_PassArg, Callable[[Context], Any]] = {
    _PassArg.context: lambda context: context,
    _PassArg.environment: lambda context: context.environment,
    _PassArg.eval_context: lambda context: context.eval_ctx,
}


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses huge numeric arguments and predicts the size of its result first.

    It takes the template's context, so jinja never runs it while compiling: a filter on
    constants (`'%0999999999d'|format(1)`) used to run, unbounded, whenever a template was
    merely checked.
    """
    size = FILTER_SIZES[name]
    passed = _PassArg.from_obj(function)
    front = None if passed is None else _FRONT.get(passed)
    signature: inspect.Signature | None = None  # read on the first call: ~50 µs for each of ~50 filters

    @wraps(function)
    def guarded(context: Context, *args: Any, **kwargs: Any) -> Any:
        nonlocal signature
        for value in [*args[1:], *kwargs.values()]:
            if _is_number(value) and abs(value) > MAX_ARGUMENT:
                raise SecurityError(
                    _("the filter {name} was given {value}, over the limit of {limit}").format(
                        name=name, value=value, limit=MAX_ARGUMENT
                    )
                )
        if signature is None:
            signature = _without_front(function)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            bound = None  # the filter itself says what is wrong with its arguments
        if bound is not None:
            bound.apply_defaults()
            first, *rest = bound.arguments
            others = {key: bound.arguments[key] for key in rest}
            predicted, bound.arguments[first] = size(context.environment, bound.arguments[first], others)
            charge(predicted, N_("the filter {name}"), name)
            bound.arguments.update(others)
            args, kwargs = bound.args, bound.kwargs
        return function(*(() if front is None else (front(context),)), *args, **kwargs)

    guarded.jinja_pass_arg = _PassArg.context  # type: ignore[attr-defined]  # how jinja marks a filter that takes the context
    return guarded


def _without_front(function: Callable[..., Any]) -> inspect.Signature:
    """A filter's signature without the context or environment jinja passes it first."""
    params = list(inspect.signature(function).parameters.values())
    if params and params[0].name in ("context", "environment", "env", "eval_ctx"):
        params = params[1:]
    return inspect.Signature(params)


@lru_cache(maxsize=1)
def environment() -> _Sandbox:
    """The one sandboxed environment every template and condition runs in."""
    # An empty loader: `include`/`import` find nothing (TemplateNotFound), never a file.
    # Not optimized: the optimizer would evaluate constant parts of a template while compiling.
    env = _Sandbox(
        undefined=VisiblePlaceholder,
        autoescape=False,
        keep_trailing_newline=False,
        loader=DictLoader({}),
        optimized=False,
        finalize=_shown,
    )
    filters = {**env.filters, "sum": pass_environment(bounded_sum)}
    # A filter whose result size is not predicted is left out rather than run unbounded.
    env.filters = {name: _guarded(name, f) for name, f in filters.items() if name in FILTER_SIZES}
    return env


class _TooSlow(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Stop a template that runs too long (nested loops); only the main thread can use SIGALRM."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _TooSlow()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _refuse_unsafe(kind: str, analysis: Analysis) -> None:
    # The checker reports these (CP303); refusing them here too means a template that never
    # went through the checker (an edited snapshot, a direct call) cannot use them either.
    if analysis.unsafe:
        names = ", ".join(sorted(set(analysis.unsafe)))
        message = _("the template uses {names}") if kind == "template" else _("the condition uses {names}")
        raise SecurityError(message.format(names=names))


@lru_cache(maxsize=512)
def _compiled_template(source: str) -> Template:
    _refuse_unsafe("template", analyse_template(source))
    return environment().from_string(source)


@lru_cache(maxsize=512)
def _compiled_condition(source: str) -> TemplateExpression:
    _refuse_unsafe("condition", analyse_condition(source))
    return environment().compile_expression(source, undefined_to_none=True)


def render_template(source: str, variables: dict[str, Any]) -> str:
    """Render a template in the sandbox; unset names show as placeholders."""
    return render_with_placeholders(source, variables)[0]


def render_with_placeholders(source: str, variables: dict[str, Any]) -> tuple[str, set[str]]:
    """The rendered text, and the unset names whose placeholders it shows (however filtered)."""
    shown: set[str] = set()
    token = _SHOWN.set(shown)
    try:
        return _render(source, variables), shown
    finally:
        _SHOWN.reset(token)


def _too_slow(condition: bool = False) -> PlaybookError:
    """What stopping a template (or a condition) that ran over the time limit says."""
    if condition:
        message = _("the sandbox stopped a condition that ran over {seconds} s")
    else:
        message = _("the sandbox stopped a template that ran over {seconds} s")
    return PlaybookError(message.format(seconds=f"{TIME_LIMIT_S:g}"))


def _render(source: str, variables: dict[str, Any]) -> str:
    try:
        with _time_limit(TIME_LIMIT_S), budget():
            text = _compiled_template(source).render(variables)
    except SecurityError as err:
        raise PlaybookError(_("the sandbox refused a template: {reason}").format(reason=err)) from None
    except _TooSlow:
        raise _too_slow() from None
    except MemoryError:
        # Sizes are predicted before anything is built, so this means the machine itself is short.
        raise PlaybookError(_("the machine ran out of memory rendering a template")) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, RecursionError) as err:
        if isinstance(err.__context__, _TooSlow):
            # Jinja's traceback rewriting can itself fail on the frame the alarm stopped (a line
            # number of None): the template was still stopped for running too long.
            raise _too_slow() from None
        # e.g. `{{ product + 1 }}` on text, or the sandbox's "range too big"
        raise PlaybookError(_("a template could not be rendered: {reason}").format(reason=err)) from None
    if len(text) > MAX_OUTPUT:
        raise PlaybookError(
            _("a template produced {count} characters, over the limit of {limit}").format(
                count=f"{len(text):,}", limit=f"{MAX_OUTPUT:,}"
            )
        )
    return text


def evaluate_condition(source: str, variables: dict[str, Any]) -> bool:
    """Evaluate a bare `when` expression in the sandbox; unset names are None.

    A condition that fails on a missing value (None compared with a number) is false: a
    variable not set on the path taken never crashes a run. One that fails on values that are
    there (text compared with a number: an input that needed `type: number`) is the playbook's
    error, never a silent false: a skipped escalation is the worst way to find it.
    """
    try:
        with _time_limit(TIME_LIMIT_S), budget():
            return bool(_compiled_condition(source)(**variables))
    except SecurityError as err:
        raise PlaybookError(_("the sandbox refused a condition: {reason}").format(reason=err)) from None
    except _TooSlow:
        raise _too_slow(condition=True) from None
    except MemoryError:
        raise PlaybookError(_("the machine ran out of memory evaluating a condition")) from None
    except TypeError as err:
        if isinstance(err.__context__, _TooSlow):  # see `_render`
            raise _too_slow(condition=True) from None
        used = analyse_condition(source).names
        if any(variables.get(name) is None for name in used):  # a value not set on this path: false, as documented
            return False
        if any(type(variables.get(name)) is Decimal for name in used):
            # A decimal answer (kept exact) meets a literal like 1.5, which Jinja reads as a float.
            return evaluate_condition(source, {k: float(v) if type(v) is Decimal else v for k, v in variables.items()})
        raise PlaybookError(
            _("the condition `{condition}` could not be evaluated: {reason}").format(condition=source, reason=err)
        ) from None
    except (TemplateError, ValueError, ArithmeticError, RecursionError):
        return False


# ---------------------------------------------------------------------------- analysis


@dataclass
class Analysis:
    """What a template or condition uses, and what is wrong with it."""

    names: set[str] = field(default_factory=set)
    syntax_error: str | None = None
    syntax_line: int = 1
    unsafe: list[str] = field(default_factory=list)
    severity_literals: list[str] = field(default_factory=list)


def _inspect(ast: nodes.Template, result: Analysis) -> Analysis:
    result.names = set(meta.find_undeclared_variables(ast))
    for access in ast.find_all((nodes.Getattr, nodes.Getitem)):
        attr: object = None
        if isinstance(access, nodes.Getattr):
            attr = access.attr
        elif isinstance(access, nodes.Getitem):
            attr = getattr(access.arg, "value", None)
        if isinstance(attr, str) and (attr.startswith("_") or attr in UNSAFE_ATTRIBUTES):
            result.unsafe.append(attr)
    for statement in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        result.unsafe.append(type(statement).__name__.lower())
    # `self` is jinja's reference to the template itself, never one of the incident's values.
    result.unsafe += ["self" for name in ast.find_all(nodes.Name) if name.name == "self"]
    for compare in ast.find_all(nodes.Compare):
        operands = [compare.expr] + [op.expr for op in compare.ops]
        if any(isinstance(o, nodes.Name) and o.name == "severity" for o in operands):
            result.severity_literals += [
                o.value for o in operands if isinstance(o, nodes.Const) and isinstance(o.value, str)
            ]
    return result


MAX_NESTING = 100  # brackets inside brackets: deeper would exhaust the parser's recursion


def _nesting(source: str) -> int:
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(0, depth - 1)
    return deepest


def _parse(source: str, kind: str) -> nodes.Template:
    """The syntax tree of a template or a bare condition; TemplateSyntaxError when it has none."""
    if _nesting(source) > MAX_NESTING:
        # In English, as Jinja's own syntax errors beside it: the analysis that keeps it is cached per source.
        raise TemplateSyntaxError(f"brackets nest more than {MAX_NESTING} deep", 1)
    env = environment()
    try:
        if kind == "template":
            return env.parse(source)
        parser = Parser(env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            parser.fail(f"unexpected '{parser.stream.current.value}' after the expression")
    except ValueError as err:
        # jinja's lexer turns digits into a number; Python refuses more than 4,300 of them.
        raise TemplateSyntaxError(f"a number in it cannot be read ({str(err).split(':')[0]})", 1) from None
    ast = nodes.Template([nodes.Output([expr])])
    ast.set_environment(env)
    return ast


@lru_cache(maxsize=2048)
def parsed(source: str, kind: str = "template") -> nodes.Template | None:
    """The syntax tree, or None when it does not parse (the checker reports why: CP301)."""
    try:
        return _parse(source, kind)
    except (TemplateSyntaxError, RecursionError):
        return None


@lru_cache(maxsize=2048)
def _analyse(source: str, kind: str) -> Analysis:
    try:
        return _inspect(_parse(source, kind), Analysis())
    except TemplateSyntaxError as err:
        return Analysis(syntax_error=err.message or f"invalid {kind}", syntax_line=err.lineno or 1)
    except RecursionError:
        return Analysis(syntax_error=f"the {kind} nests too deeply")


def analyse_template(source: str) -> Analysis:
    """Parse a template without rendering it."""
    return _analyse(source, "template")


def personal_names_in(source: str, personal: Mapping[str, object]) -> set[str]:
    """The names of `personal` (a playbook's personal variables) a template uses: what lint's
    CP408 warns about in a public message, and what makes the engine log a rendered text as
    personal. Read from the cached analysis, never by rendering."""
    if not personal:
        return set()
    return {name for name in analyse_template(source).names if name in personal}


def analyse_condition(source: str) -> Analysis:
    """Parse a bare `when` expression without evaluating it."""
    return _analyse(source, "condition")
