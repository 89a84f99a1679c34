"""Read one YAML document safely into plain values, remembering where every node was written.

libyaml composes the node graph (`CSafeLoader`: no custom tags, no object construction);
we build the values ourselves so that duplicate keys, refused tags, alias bombs and
scalars that YAML would silently turn into numbers, booleans or dates become findings
with a 1-based line and column instead of surprises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import yaml

from crisisplay.findings import Finding
from crisisplay.i18n import N_, _, format_number

if not getattr(yaml, "__with_libyaml__", False):  # pragma: no cover - checked by a test
    raise ImportError("crisisplay needs PyYAML built with libyaml (yaml.CSafeLoader)")


# A plain scalar's tag, by its text: see `Loader.resolve`.
_PLAIN_TAGS: dict[str, str] = {}
_MAX_PLAIN_TEXT = 40  # keys and short values only: a template never repeats
_MAX_PLAIN_TAGS = 4096  # bounded: forgotten and relearned when full
_resolve: Callable[..., str] = yaml.CSafeLoader.resolve


class Loader(yaml.CSafeLoader):
    """libyaml's safe loader, with the tag of a plain scalar remembered by its text.

    libyaml calls back into PyYAML's Python resolver for every node (about a tenth of lint's
    time: `id`, `type`, `prompt` matched again and again against the implicit-tag patterns).
    Without path resolvers (the safe loader has none), a plain scalar's tag depends on its
    text alone, so a short text is resolved once per process."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= _MAX_PLAIN_TEXT:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                if len(_PLAIN_TAGS) >= _MAX_PLAIN_TAGS:
                    _PLAIN_TAGS.clear()
                tag = _PLAIN_TAGS[value] = _resolve(self, kind, value, implicit)
            return tag
        return _resolve(self, kind, value, implicit)

    if not yaml.CSafeLoader.yaml_path_resolvers:  # as PyYAML ships it: no per-node path to track

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


Path_ = tuple[str | int, ...]  # a path into the document: keys (str) and indices (int)

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {"str", "int", "float", "bool", "null", "timestamp"}
_HASHTAG = re.compile(r"\s+(#[^\s#]\S*)")  # a comment that reads like a hashtag, not `# a note`
BOOL_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false"}
# A real playbook has a few thousand nodes; this bounds what aliases may expand to.
MAX_NODES = 50_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class Scalar:
    """How a non-text scalar was written: its YAML type and the text as typed."""

    kind: str  # int, float, bool, null, timestamp
    text: str
    plain: bool  # unquoted


@dataclass
class Document:
    """A YAML document as plain values, with the position of every value and key."""

    path: str
    data: Any = None
    findings: list[Finding] = field(default_factory=list)
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[Path_, Scalar] = field(default_factory=dict)
    text: str = ""
    documents: int = 0  # how many YAML documents the text holds (0 also when it could not be read)

    def position(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """The nearest known position for `path` (its key's position when `key`)."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def finding(self, path: Path_, code: str, message: str, key: bool = False, level: str = "") -> Finding:
        line, col = self.position(path, key=key)
        return Finding(self.path, line, col, code, message, level)

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self.stack: set[int] = set()
        self.safe = yaml.SafeLoader("")  # only for its scalar constructors
        self.lines: list[str] | None = None

    def report(self, node: yaml.Node, code: str, message: str) -> None:
        m = node.start_mark
        self.doc.findings.append(Finding(self.doc.path, m.line + 1, m.column + 1, code, message))

    def build(self, node: yaml.Node, path: Path_, depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(
                node,
                _("the document expands to more than {limit} values (an alias bomb?)").format(
                    limit=format_number(MAX_NODES)
                ),
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, _("the document nests more than {limit} levels deep").format(limit=MAX_DEPTH))
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.stack:
            raise _TooBig(node, _("an alias refers to the collection that contains it (an endless structure)"))
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self.check_collection_tag(node, "seq")
                return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
            self.check_collection_tag(node, "map")
            # YAML composes three kinds of node: what is neither scalar nor sequence is a mapping.
            return self.mapping(cast(yaml.MappingNode, node), path, depth)
        finally:
            self.stack.discard(id(node))

    def check_collection_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != _TAG + expected:
            self.report(node, "CP003", _("the tag '{tag}' is refused; remove it").format(tag=_as_written(node.tag)))

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag = node.tag
        kind = tag[len(_TAG) :] if tag.startswith(_TAG) else None
        if tag == "!" or kind == "str":
            if not node.style:
                self.check_hashtag(node)
            return node.value
        if kind not in _SCALAR_TAGS:
            self.report(
                node,
                "CP003",
                _("the tag '{tag}' is refused; remove it (playbooks hold plain text, lists and mappings)").format(
                    tag=_as_written(tag)
                ),
            )
            return node.value
        # libyaml marks a plain scalar with style '' (the pure-Python composer with None).
        self.doc.scalars[path] = Scalar(kind, node.value, not node.style)
        try:
            return getattr(self.safe, f"construct_yaml_{kind}")(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            # e.g. an explicit `!!int abc` or a date like 2024-13-45: keep the text
            return node.value

    def check_hashtag(self, node: yaml.ScalarNode) -> None:
        """`text #brandfail more`: YAML ends an unquoted value at ` #`, silently. Say so."""
        end = node.end_mark
        if self.lines is None:
            self.lines = self.doc.text.split("\n")
        if end.line >= len(self.lines):
            return
        rest = self.lines[end.line][end.column :]
        found = _HASHTAG.match(rest)
        if found:
            column = end.column + found.start(1) + 1
            self.doc.findings.append(
                Finding(
                    self.doc.path,
                    end.line + 1,
                    column,
                    "CP010",
                    _(
                        "'{hashtag}' starts a YAML comment, so the text before it ends at '{end}'; "
                        "quote the whole value to keep the hashtag"
                    ).format(hashtag=found.group(1), end=node.value[-20:]),
                )
            )

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key is None:
                continue
            if key in first_seen:
                self.report(
                    key_node,
                    "CP002",
                    _("duplicate key '{key}' (first at line {line}); YAML would silently keep only one").format(
                        key=key, line=first_seen[key]
                    ),
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            child = path + (key,)
            self.doc.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.report(node, "CP009", _("a mapping key must be plain text, not a list or mapping"))
            return None
        if node.tag == _TAG + "merge":
            self.report(node, "CP007", _("merge keys (<<) are not supported; write the keys out"))
            return None
        text: str = node.value  # a scalar node's value is its text
        if node.tag in (_TAG + "str", "!"):
            return text
        kind = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else node.tag
        if kind == "bool" and node.value.lower() in BOOL_WORDS:
            self.report(
                node, "CP008", _("YAML reads the key {key} as a boolean; quote it: '{key}'").format(key=node.value)
            )
        elif kind in _SCALAR_TAGS:
            word = _(_KIND_WORDS[kind]) if kind in _KIND_WORDS else kind
            self.report(
                node,
                "CP009",
                _("YAML reads the key {key} as {kind}; quote it: '{key}'").format(key=node.value, kind=word),
            )
        else:
            self.report(node, "CP003", _("the tag '{tag}' is refused; remove it").format(tag=_as_written(node.tag)))
        return text


_KIND_WORDS = {
    "int": N_("a number"),
    "float": N_("a number"),
    "bool": N_("a boolean"),
    "null": N_("null (no value)"),
    "timestamp": N_("a date"),
}


def _as_written(tag: str) -> str:
    """A tag as the user typed it: `!!python/object` rather than its expanded form."""
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        items: list[yaml.Node] = node.value
        return items
    if isinstance(node, yaml.MappingNode):
        return [value for _, value in node.value]
    return []


def _alias_bomb(root: yaml.Node) -> yaml.Node | None:
    """The innermost collection that aliases expand past MAX_NODES values, or None.

    Sizes are counted once per node (aliases share nodes), so this is quick even for a
    billion laughs; it lets the finding point at the anchor that explodes.
    """
    sizes: dict[int, int] = {}
    started: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            started.discard(key)
            total = 1 + sum(sizes.get(id(child), 1) for child in _children(node))
            sizes[key] = min(total, MAX_NODES + 1)
        elif key in sizes or key in started:
            continue  # already counted, or an alias into itself (the builder reports that)
        elif isinstance(node, yaml.ScalarNode) or depth > MAX_DEPTH:
            sizes[key] = 1
        else:
            started.add(key)
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(_children(node)))
    if sizes.get(id(root), 1) <= MAX_NODES:
        return None
    node, seen = root, {id(root)}
    while True:
        bigger = next((c for c in _children(node) if sizes.get(id(c), 1) > MAX_NODES and id(c) not in seen), None)
        if bigger is None:
            return node
        node = bigger
        seen.add(id(node))


# `%YAML 1.2#…`: YAML wants a space before a comment, and libyaml takes this one anyway.
_GLUED_DIRECTIVE_COMMENT = re.compile(r"^%YAML[ \t]+[0-9]+\.[0-9]+#", re.MULTILINE)


# libyaml's own words for a syntax error, as it writes them (English): the ones it writes are
# translated; any other is shown as libyaml wrote it.
_PARSER_WORDS = frozenset(
    (
        N_("did not find expected key"),
        N_("found character that cannot start any token"),
        N_("mapping values are not allowed in this context"),
        N_("could not find expected ':'"),
        N_("did not find expected ',' or '}'"),
        N_("did not find expected ',' or ']'"),
        N_("did not find expected node content"),
        N_("did not find expected <document start>"),
        N_("found a tab character where an indentation space is expected"),
        N_("found a tab character that violates indentation"),
        N_("found unknown directive name"),
        N_("block sequence entries are not allowed in this context"),
        N_("did not find expected comment or line break"),
        N_("found unexpected document indicator"),
        N_("did not find expected whitespace or line break"),
        N_("found unknown escape character"),
        N_("did not find expected '-' indicator"),
        N_("did not find expected alphabetic or numeric character"),
        N_("found unexpected ':'"),
        N_("found unexpected end of stream"),
        N_("could not find expected directive name"),
        N_("found an indentation indicator equal to 0"),
        N_("found incompatible YAML document"),
        N_("found undefined tag handle"),
        N_("found duplicate %YAML directive"),
        N_("found undefined alias"),
        N_("second occurrence"),
        N_("while parsing a block mapping"),
        N_("while parsing a block collection"),
        N_("while parsing a block node"),
        N_("while parsing a flow mapping"),
        N_("while parsing a flow sequence"),
        N_("while parsing a flow node"),
        N_("while parsing a node"),
        N_("while parsing a quoted scalar"),
        N_("while scanning for the next token"),
        N_("while scanning a simple key"),
        N_("while scanning a block scalar"),
        N_("while scanning a plain scalar"),
        N_("while scanning a quoted scalar"),
        N_("while scanning a directive"),
        N_("while scanning a tag"),
        N_("while scanning an anchor"),
        N_("while scanning an alias"),
        N_("while composing a node"),
        N_("found duplicate anchor; first occurrence"),
    )
)


def _parser_words(text: str) -> str:
    """libyaml's description of a syntax error, in the interface's language when it is one we know."""
    return _(text) if text in _PARSER_WORDS else text


def _glued_directive_comment(text: str) -> tuple[int, int] | None:
    """The line and column of the `#` of a `%YAML` directive's comment written with no space before it."""
    glued = [_line_col(text, m.end() - 1) for m in _GLUED_DIRECTIVE_COMMENT.finditer(text)]
    if not glued:
        return None
    # Only a real directive counts: a line of a quoted scalar may read the same.
    directives = {
        t.start_mark.line + 1
        for t in yaml.scan(text, Loader=Loader)
        if isinstance(t, yaml.DirectiveToken) and t.start_mark.column == 0
    }
    return next((where for where in glued if where[0] in directives), None)


_LONE_CR = re.compile("\r(?!\n)")


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def decode(raw: bytes, path: str) -> tuple[str | None, Finding | None]:
    """UTF-8 text (a BOM is accepted), or a finding saying why it is not."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # the BOM; stripped here so that error offsets index `raw`
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        before = raw[: err.start].decode("utf-8", "replace")
        line, col = _line_col(before, len(before))  # columns count characters, not bytes
        why = _("the file is not UTF-8 text (byte 0x{byte})").format(byte=f"{raw[err.start]:02x}")
        return None, Finding(path, line, col, "CP001", why)


def load(text: str | bytes, path: str = "<stdin>") -> Document:
    """Compose `text` as one YAML document; problems land in `Document.findings`."""
    doc = Document(path)
    if isinstance(text, bytes):
        decoded, problem = decode(text, path)
        if decoded is None:  # then `problem` says why
            if problem:
                doc.findings.append(problem)
            return doc
        text = decoded
    if "\r" in text and _LONE_CR.search(text):
        # Old-Mac line endings (CR alone): YAML reads each as a line break, and so do editors;
        # as "\n" every position crisisplay computes agrees with them (CRLF is left as it is).
        text = _LONE_CR.sub("\n", text)
    doc.text = text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # a lone surrogate, e.g. from text read with surrogateescape
        line, col = _line_col(text, err.start)
        doc.findings.append(
            Finding(path, line, col, "CP001", _("the text holds a character that is not valid Unicode"))
        )
        return doc
    try:
        nodes = list(yaml.compose_all(text, Loader=Loader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = _parser_words(err.problem) if err.problem else _("invalid YAML")
        context = f" {_parser_words(err.context)}" if err.context else ""
        start = err.context_mark
        if start is not None and mark is not None and (start.line, start.column) != (mark.line, mark.column):
            context += " " + _("that starts at line {line} column {column}").format(
                line=start.line + 1, column=start.column + 1
            )
        lines = text.split("\n")
        if mark is not None and mark.line < len(lines) and lines[mark.line][mark.column : mark.column + 1] == "\t":
            context += "; " + _("YAML does not allow tabs for indentation: use spaces")
        doc.findings.append(
            Finding(path, line, col, "CP001", _("YAML syntax: {problem}").format(problem=what + context))
        )
        return doc
    except yaml.YAMLError as err:  # a ReaderError: a character YAML does not allow
        # libyaml reads the UTF-8 encoding: its position counts bytes, our columns count characters.
        offset = getattr(err, "position", 0) or 0
        index = len(text.encode("utf-8")[:offset].decode("utf-8", "ignore"))
        line, col = _line_col(text, index)
        reason = getattr(err, "reason", None) or _("unreadable text")
        doc.findings.append(Finding(path, line, col, "CP001", _("YAML syntax: {problem}").format(problem=reason)))
        return doc
    doc.documents = len(nodes)
    glued = _glued_directive_comment(text)
    if glued is not None:
        glued_comment = _("a comment needs a space before its #")
        doc.findings.append(Finding(path, *glued, "CP001", _("YAML syntax: {problem}").format(problem=glued_comment)))
        return doc
    if not nodes:
        doc.findings.append(Finding(path, 1, 1, "CP006", _("the file holds no YAML document; expected a mapping")))
        return doc
    if len(nodes) > 1:
        m = nodes[1].start_mark
        doc.findings.append(
            Finding(
                path, m.line + 1, m.column + 1, "CP006", _("the file holds more than one YAML document; expected one")
            )
        )
    # Built first: a build that stays within MAX_NODES and MAX_DEPTH proves there is no alias
    # bomb (it expands every alias), so the separate count over the graph runs only when the
    # build stops, and the findings are then exactly those of counting first.
    reported = len(doc.findings)
    builder = _Builder(doc)
    try:
        doc.data = builder.build(nodes[0], ())
    except _TooBig as err:
        doc.data = None
        bomb = _alias_bomb(nodes[0])
        if bomb is not None:
            del doc.findings[reported:]
            doc.positions.clear()
            doc.key_positions.clear()
            doc.scalars.clear()
            m = bomb.start_mark
            kind = _("this list") if isinstance(bomb, yaml.SequenceNode) else _("this mapping")
            why = _("through its aliases (an alias bomb?)") if "*" in text else _("(the file is too large)")
            doc.findings.append(
                Finding(
                    path,
                    m.line + 1,
                    m.column + 1,
                    "CP004",
                    _(
                        "{what} expands to more than {limit} values {why}; a real playbook or answers file is far smaller"
                    ).format(what=kind, limit=format_number(MAX_NODES), why=why),
                )
            )
            return doc
        m = err.node.start_mark
        doc.findings.append(Finding(path, m.line + 1, m.column + 1, "CP004", str(err)))
    return doc
