"""How large a template's values may grow: every result's size predicted before it is built.

A template can ask for gigabytes in a dozen characters (`'%0999999999d'|format(1)`,
`(['a'*10000]*10000)|join`, a string doubled in a loop). A time limit stops such a template
only after the memory is gone, so every operation that can make something larger than its
inputs — the binary operators, `~`, filters, method and function calls, slices, and showing a
value — predicts the size of its result from the sizes of its inputs and refuses before
building it. Each render also keeps a budget, the sum of everything it builds, so that many
values, each allowed, cannot add up to too much either (a recursive macro, a loop).

Sizes are *weights*: about one per character of text, plus 16 for each object and 8 for
each item of a list or mapping. A weight bounds both the text a value shows as and, within
a few bytes per unit, the memory it holds; predictions only ever err on the large side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2.environment import Environment
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined
from jinja2.utils import Namespace
from markupsafe import Markup

from crisisplay.i18n import N_, _

MAX_VALUE = 4_000_000  # the weight of any one value a template builds (about that many characters)
MAX_WORK = 12_000_000  # the weight of everything one render or condition builds, added up
MAX_INT_BITS = 100_000  # a whole number a template computes (about 30,000 digits)
MAX_DEPTH = 32  # lists inside lists: deeper is refused rather than weighed
OBJECT = 16
SLOT = 8
REPR = 10  # showing a list or mapping quotes and escapes its texts: at most ten characters for one
SPLIT = 25  # splitting text into pieces: each character may become an object and a slot


class TooLarge(SecurityError):
    """A template asked for a value larger than the sandbox allows."""


_SPENT: ContextVar[list[int] | None] = ContextVar("crisisplay_template_work", default=None)


@contextmanager
def budget() -> Iterator[None]:
    """Count what one render or condition builds against MAX_WORK."""
    token = _SPENT.set([0])
    try:
        yield
    finally:
        _SPENT.reset(token)


def charge(size: int, what: str, name: str = "") -> None:
    """Refuse `what` before it is built when its predicted size, or the render's total, is too large.

    `what` is a message marked with N_() (`{name}` in it is filled with `name`), translated
    only when the refusal is raised: this runs on every operation a template makes."""
    if size > MAX_VALUE:
        raise TooLarge(
            _("{what} would be about {size} characters, over the limit of {limit}").format(
                what=_(what).format(name=name), size=f"{size:,}", limit=f"{MAX_VALUE:,}"
            )
        )
    spent = _SPENT.get()
    if spent is not None:
        spent[0] += size
        if spent[0] > MAX_WORK:
            raise TooLarge(_("the template builds more than {limit} characters in all").format(limit=f"{MAX_WORK:,}"))


def check_bits(bits: int, what: str) -> None:
    """Refuse a whole number that would have more than MAX_INT_BITS bits."""
    if bits > MAX_INT_BITS:
        raise TooLarge(
            _("{what} would have about {digits} digits, over the limit of {limit}").format(
                what=_(what), digits=f"{int(bits * math.log10(2)):,}", limit=f"{int(MAX_INT_BITS * math.log10(2)):,}"
            )
        )


_END = object()
_SEQUENCES = (list, tuple, set, frozenset, KeysView, ValuesView, ItemsView)


def _pairs(mapping: Mapping[Any, Any]) -> Iterator[Any]:
    for key, value in mapping.items():
        yield key
        yield value


def weight(value: Any, cap: int = MAX_VALUE) -> int:
    """About how large `value` is, counting shared items once per use; stops counting past `cap`.

    Iterative, so a long list costs no recursion, and it gives up as soon as the count passes
    `cap`, so weighing never takes longer than building something of that size would.
    """
    total = 0
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
            continue
        total += OBJECT
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item)
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            pass
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, range):
            try:
                count = len(item)
            except OverflowError:
                return cap + 1
            total += count * (SLOT + OBJECT + max(abs(item.start), abs(item.stop)).bit_length() // 3 + 1)
        elif isinstance(item, (dict, _SEQUENCES, Namespace)):
            if isinstance(item, Namespace):
                item = object.__getattribute__(item, "_Namespace__attrs")
            if len(stack) > MAX_DEPTH:
                raise TooLarge(_("a value nests more than {limit} levels deep").format(limit=MAX_DEPTH))
            total += SLOT * len(item)
            stack.append(_pairs(item) if isinstance(item, dict) else iter(item))
        elif isinstance(item, Undefined):
            total += len(item._undefined_name or "?") + 4  # its placeholder, `[[name]]`
        else:
            total += 48  # a function, macro, loop or lazy iterator: shown as a short description
        if total > cap:
            return total
    return total


def text_size(value: Any) -> int:
    """About how many characters `str(value)` has."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, Undefined):
        return len(value._undefined_name or "?") + 4
    return REPR * weight(value)


def materialize(value: Any, what: str) -> list[Any]:
    """The items of an iterable as a list, refused as soon as they add up past MAX_VALUE."""
    if isinstance(value, list):
        return value
    if isinstance(value, (str, bytes, bytearray)):
        charge(OBJECT + len(value) * (SLOT + OBJECT + 1), what)  # one new object per character
        return list(value)
    items: list[Any] = []
    total = OBJECT
    for item in value:
        total += SLOT + weight(item, MAX_VALUE - total)
        if total > MAX_VALUE:
            charge(total, what)
        items.append(item)
    charge(total, what)
    return items


class OutputBuffer(list[Any]):
    """What a macro, a block or `{% set %}…{% endset %}` writes, refused once it passes MAX_VALUE.

    A loop writing one character a turn would otherwise grow the list of pieces without
    bound before anything joins them.
    """

    __slots__ = ("size",)

    def __init__(self) -> None:
        super().__init__()
        self.size = OBJECT

    def append(self, piece: Any) -> None:
        self.size += SLOT + (len(piece) if isinstance(piece, str) else text_size(piece))
        if self.size > MAX_VALUE:
            charge(self.size, N_("the template's text"))
        super().append(piece)

    def extend(self, pieces: Iterable[Any]) -> None:
        for piece in pieces:
            self.append(piece)


# ------------------------------------------------------------------- printf-style formatting


def _digits(value: Any) -> int:
    """Characters a number shows as in any %-conversion, before width and precision."""
    if isinstance(value, int):
        return value.bit_length() // 3 + 3
    return 330  # a float: `%f` of 1e308 has 309 digits before the point


def _count(fmt: str, i: int, next_arg: Callable[[], Any]) -> tuple[int, int]:
    """A width or a precision written at `i` (digits, or `*` for the next argument), and where it ends."""
    if i < len(fmt) and fmt[i] == "*":
        star = next_arg()
        return (abs(star) if isinstance(star, int) else 0), i + 1
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    return (int(fmt[start:i]) if i > start else 0), i


def printf_size(fmt: str | bytes | bytearray, rhs: Any) -> int:
    """The length of `fmt % rhs` at most, following CPython's parser of %-specifications.

    Widths and precisions can be as large as the text allows (`%0999999999d`), and `*` takes
    them from the arguments; a key (`%(name)s`) may hold nested brackets. When the text is
    not a valid format, CPython raises before building anything, so what is predicted then
    does not matter.
    """
    if isinstance(fmt, (bytes, bytearray)):
        fmt = bytes(fmt).decode("latin-1")
    positional = list(rhs) if isinstance(rhs, tuple) else [rhs]
    total, i, n = len(fmt), 0, len(fmt)

    def next_arg() -> Any:
        return positional.pop(0) if positional else None

    while True:
        i = fmt.find("%", i)
        if i < 0 or i + 1 >= n:
            return total
        i += 1
        value: Any = None
        has_key = False
        if fmt[i] == "(":
            depth, start = 1, i + 1
            while depth and i + 1 < n:
                i += 1
                depth += {"(": 1, ")": -1}.get(fmt[i], 0)
            if depth:
                return total
            has_key = True
            try:
                value = rhs[fmt[start:i]]
            except Exception:
                value = None
            i += 1
        while i < n and fmt[i] in "-+ #0":
            i += 1
        width, i = _count(fmt, i, next_arg)
        precision = None
        if i < n and fmt[i] == ".":
            precision, i = _count(fmt, i + 1, next_arg)
        if i < n and fmt[i] in "hlL":
            i += 1
        if i >= n:
            return total
        kind = fmt[i]
        i += 1
        if kind == "%":
            body = 1
        else:
            if not has_key:
                value = next_arg()
            if kind == "s":
                body = text_size(value)
            elif kind in "ra":
                body = REPR * max(text_size(value), weight(value))
            elif kind == "c":
                body = 1
            elif kind in "diuoxX":
                body = max(_digits(value), precision or 0) + 2
            else:  # e E f F g G, and anything CPython will refuse
                body = _digits(value) + (6 if precision is None else precision) + 8
            if precision is not None and kind in "sra":
                body = min(body, precision)
        total += max(width, body)


# ------------------------------------------------------------------- operators


def binop_size(operator: str, left: Any, right: Any) -> tuple[int, str] | None:
    """The predicted size of `left <operator> right` and what to call it, when it can be large."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes)) and isinstance(count, int):
                return OBJECT + max(count, 0) * len(seq), N_("a repetition")
            if isinstance(seq, (list, tuple)) and isinstance(count, int):
                return OBJECT + max(count, 0) * (weight(seq) - OBJECT), N_("a repetition")
        if isinstance(left, int) and isinstance(right, int):
            check_bits(left.bit_length() + right.bit_length(), N_("a product"))
        return None
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and left not in (0, 1, -1):
            check_bits(max(left.bit_length() - 1, 1) * right, N_("a power"))
        return None
    if operator == "+":
        if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, (str, bytes, list, tuple)):
            return weight(left) + weight(right), N_("a concatenation")
        return None
    if operator == "%" and isinstance(left, (str, bytes)):
        return printf_size(left, right), N_("a printf-style format")
    return None


def concat_size(values: Iterable[Any]) -> int:
    """The length of `a ~ b ~ …`: each operand shown as text."""
    return OBJECT + sum(text_size(v) for v in values)


# ------------------------------------------------------------------- filters

# A filter's size: from the environment, the value and its other arguments by name, the
# size to charge and the value to pass on.
FilterSize = Callable[[Environment, Any, dict[str, Any]], tuple[int, Any]]
#
# Each filter's result, predicted from its arguments: `size(env, value, args)` gives the
# size to charge and the value to pass on (a lazy iterable is made a list first, counted as
# it is read, so what it yields is weighed before anything is built from it). `args` holds
# the other arguments by name, with their defaults.


def _small(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    return 64, value  # a number, a yes/no, an item of the value, or a lazy view of it


def _text_times(factor: int) -> FilterSize:
    def size(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
        return 64 + factor * text_size(value) + sum(text_size(a) for a in args.values() if isinstance(a, str)), value

    return size


def _whole(factor: int) -> FilterSize:
    """A new collection built from the value's items (sorted, grouped, reversed)."""

    def size(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
        if not isinstance(value, (str, bytes, list, tuple, dict, range)):
            value = materialize(value, N_("a filter's input"))
        return 64 + factor * weight(value), value

    return size


def _list(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    if isinstance(value, (str, bytes)):
        return 64, materialize(value, N_("a list of characters"))
    return 64 + weight(value), value if isinstance(value, (list, tuple, dict, range)) else materialize(
        value, N_("a list")
    )


def _join(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    attribute = args.get("attribute")
    if attribute is not None:
        from jinja2.filters import make_attrgetter

        value = map(make_attrgetter(env, attribute), value)
        args["attribute"] = None
    items = value if isinstance(value, (list, tuple)) else materialize(value, N_("the items to join"))
    texts = sum(text_size(item) for item in items)
    return OBJECT + texts + text_size(args.get("d", "")) * max(len(items) - 1, 0), items


def _format(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    if not isinstance(value, str):
        charge(text_size(value), N_("the filter format"))
        value = str(value)  # as the filter would: its text is the format
    rhs = args.get("kwargs") or tuple(args.get("args", ()))
    return printf_size(value, rhs) * (5 if isinstance(value, Markup) else 1), value


def _center(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    width = args.get("width", 80)
    return 64 + text_size(value) + (width if isinstance(width, int) else 0), value


def _indent(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    width = args.get("width", 4)
    prefix = text_size(width) if isinstance(width, str) else max(width, 0) if isinstance(width, int) else 0
    text = text_size(value)
    lines = (value.count("\n") if isinstance(value, str) else text) + 2
    return 64 + text + prefix * lines, value


def _wordwrap(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    text = text_size(value)
    wrap = args.get("wrapstring")
    between = text_size(wrap) if wrap is not None else len(env.newline_sequence)
    # textwrap holds every word as an object while it works
    return 64 + text + (text + 1) * between + SPLIT * text, value


def _replace(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    old, new, count = args.get("old", ""), args.get("new", ""), args.get("count")
    text = text_size(value)
    found = value.count(old) if isinstance(value, str) and isinstance(old, str) and old else text + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return 64 + text + found * text_size(new), value


def _truncate(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    return 64 + text_size(value) + text_size(args.get("end", "")), value


def _tojson(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    indent = args.get("indent") or 0
    nodes = weight(value) // OBJECT + 1
    # \uXXXX for each character at worst, and each line indented by every level it is in
    return 64 + 12 * weight(value) + nodes * max(indent, 0) * MAX_DEPTH, value


def _pprint(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    return 64 + REPR * weight(value) + (weight(value) // OBJECT + 1) * MAX_DEPTH, value


def _urlize(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    text = text_size(value)
    extra = sum(text_size(args.get(k) or "") for k in ("target", "rel"))
    # every word may become a link: written twice, with its attributes, and escaped
    return 64 + 12 * text + (text // 2 + 1) * (64 + 5 * extra) + SPLIT * text, value


def _batch(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    fill = args.get("fill_with")
    count = args.get("linecount") or args.get("slices") or 0
    count = count if isinstance(count, int) else 0
    if not isinstance(value, (list, tuple, str, dict, range)):
        value = materialize(value, N_("the items to group"))
    return 64 + 2 * weight(value) + max(count, 0) * (SLOT + weight(fill)), value


def _sum(env: Environment, value: Any, args: dict[str, Any]) -> tuple[int, Any]:
    return 64, value  # bounded_sum counts as it adds


def bounded_sum(
    environment: Environment, iterable: Iterable[Any], attribute: str | int | None = None, start: Any = 0
) -> Any:
    """jinja's `sum`, refusing a total of lists or texts that grows past the limits as it adds."""
    if isinstance(start, (str, bytes)):
        raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
    if attribute is not None:
        from jinja2.filters import make_attrgetter

        iterable = map(make_attrgetter(environment, attribute), iterable)
    total, size = start, weight(start)
    for item in iterable:
        if not (isinstance(item, (int, float)) and isinstance(total, (int, float))):
            size += weight(item, MAX_VALUE - size)
            charge(size, N_("a sum"))
        total = total + item
    return total


FILTER_SIZES: dict[str, FilterSize] = {
    **dict.fromkeys(
        (
            "abs",
            "attr",
            "count",
            "d",
            "default",
            "filesizeformat",
            "first",
            "float",
            "int",
            "items",
            "last",
            "length",
            "map",
            "max",
            "min",
            "random",
            "reject",
            "rejectattr",
            "round",
            "select",
            "selectattr",
        ),
        _small,
    ),
    **dict.fromkeys(("safe", "string", "trim"), _text_times(1)),
    **dict.fromkeys(("capitalize", "lower", "upper"), _text_times(3)),  # ß → SS, ﬃ → FFI
    **dict.fromkeys(("e", "escape", "forceescape"), _text_times(5)),  # " → &#34;
    **dict.fromkeys(("title", "striptags", "wordcount"), _text_times(3 + SPLIT)),
    "xmlattr": _text_times(6),
    "urlencode": _text_times(12),  # %XX for each of up to four bytes
    "reverse": _whole(1),
    **dict.fromkeys(("dictsort", "groupby", "sort", "unique"), _whole(2)),
    "list": _list,
    "join": _join,
    "format": _format,
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "replace": _replace,
    "truncate": _truncate,
    "tojson": _tojson,
    "pprint": _pprint,
    "urlize": _urlize,
    "batch": _batch,
    "slice": _batch,
    "sum": _sum,
}


# ------------------------------------------------------------------- calls


def _str_method_size(
    name: str, owner: str | bytes | bytearray, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[int, tuple[Any, ...]]:
    """The size of `owner.name(*args)` for a text or bytes `owner`, and the arguments to pass."""
    # Its methods take arguments of owner's own type, which mypy cannot tie to a union.
    same: Any = owner
    length = len(owner)
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill"):
        return 64 + max(length, first if isinstance(first, int) else 0), args
    if name == "expandtabs":
        tabsize = kwargs.get("tabsize", first if isinstance(first, int) else 8)
        tab = "\t" if isinstance(owner, str) else b"\t"
        return 64 + length + same.count(tab) * max(tabsize if isinstance(tabsize, int) else 8, 0), args
    if name == "replace":
        old = args[0] if args else kwargs.get("old")
        new = args[1] if len(args) > 1 else kwargs.get("new", "")
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        found = same.count(old) if isinstance(old, type(owner)) and old else length + 1
        if isinstance(count, int) and count >= 0:
            found = min(found, count)
        return 64 + length + found * text_size(new), args
    if name == "join":
        items = materialize(first, N_("the items to join")) if args else []
        return OBJECT + sum(text_size(i) for i in items) + length * max(len(items) - 1, 0), (items, *args[1:])
    if name == "translate":
        table = first
        values = (
            table.values()
            if isinstance(table, dict)
            else table
            if isinstance(table, (list, tuple, str, bytes))
            else None
        )
        if values is None:
            return MAX_VALUE + 1, args
        return 64 + length * max([1, *(text_size(v) for v in values if isinstance(v, (str, bytes)))]), args
    if name in ("encode", "hex"):
        return 64 + REPR * length * (1 + sum(text_size(a) for a in args if isinstance(a, (str, bytes)))), args
    if name in ("split", "rsplit", "splitlines", "partition", "rpartition"):
        return 64 + SPLIT * length, args
    if name in ("count", "find", "rfind", "index", "rindex", "startswith", "endswith") or name.startswith("is"):
        return 64, args
    if name in ("strip", "lstrip", "rstrip", "removeprefix", "removesuffix", "decode"):
        return 64 + REPR * length if name == "decode" else 64 + length, args
    return 64 + 3 * length + sum(weight(a) for a in args), args  # upper, title, casefold: ß → SS


def call_size(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, tuple[Any, ...]]:
    """The size of what calling `function` from a template builds, and the arguments to pass on."""
    from jinja2.utils import Cycler, Joiner, generate_lorem_ipsum

    owner = getattr(function, "__self__", None)
    if isinstance(owner, (str, bytes, bytearray)):
        size, args = _str_method_size(getattr(function, "__name__", ""), owner, args, kwargs)
        return size * (5 if isinstance(owner, Markup) else 1), args  # Markup escapes what it takes in
    if function is generate_lorem_ipsum:
        values = dict(zip(("n", "html", "min", "max"), args, strict=False), **kwargs)
        n, longest = values.get("n", 5), values.get("max", 100)
        if not (isinstance(n, int) and isinstance(longest, int)):
            return 64, args
        return 64 + max(n, 0) * (max(longest, 1) * (SPLIT + 16) + 16), args
    if function in (dict, Cycler, Joiner, Namespace):
        return 64 + weight((args, kwargs)), args
    if isinstance(owner, (list, tuple, dict)) and getattr(function, "__name__", "") == "copy":
        return 64 + weight(owner), args
    return 64, args  # a macro or a loop (their output is counted as it is joined), or a small result
