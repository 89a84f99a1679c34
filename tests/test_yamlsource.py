"""The positioned YAML reader: safe loading, positions in characters, and hostile input."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

import crisisplay.yamlsource as yamlsource
from crisisplay.yamlsource import MAX_DEPTH, load


def codes(doc) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in doc.findings]


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    text = "a0: &a0 [" + ", ".join(['"lol"'] * width) + "]\n"
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        text += f"a{level}: &a{level} [{refs}]\n"
    return text


def test_loader_is_libyaml_c_safe_loader():
    assert yaml.__with_libyaml__
    assert issubclass(yamlsource.Loader, yaml.CSafeLoader)
    assert yamlsource.Loader.construct_object is yaml.CSafeLoader.construct_object


def tags(node: yaml.Node) -> list[tuple[str, object]]:
    """Every node's tag and value, depth first (scalars with their text)."""
    if isinstance(node, yaml.ScalarNode):
        return [(node.tag, node.value)]
    children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
    return [(node.tag, None), *(t for child in children for t in tags(child))]


def test_remembered_plain_tags_are_the_ones_libyaml_resolves():
    # Twice over, so the second half is answered from what the first remembered; the same
    # texts quoted must stay text.
    words = "yes no on off y n true false True NO ~ null Null '' 0 -1 0x1f 0o17 1_000 1e3 .5 .inf -.Inf .nan"
    words += " 2024-01-01 2024-01-01T10:00:00Z 12:30 id type prompt crítica <<"
    plain = "\n".join(f"- {w}" for w in words.split())
    quoted = "\n".join(f"- '{w}'" for w in words.split())
    text = f"a:\n{plain}\nb:\n{quoted}\nc:\n{plain}\n{{x: 1, 'y': [on, 2]}}: z\n"
    ours = tags(yaml.compose(text, Loader=yamlsource.Loader))
    assert ours == tags(yaml.compose(text, Loader=yaml.CSafeLoader))
    assert ("tag:yaml.org,2002:bool", "on") in ours and ("tag:yaml.org,2002:str", "on") in ours


def test_plain_document_becomes_plain_values_without_findings():
    doc = load("a: text\nb: [1, two]\nc:\n  d: null\n", "x.yaml")
    assert doc.findings == []
    assert doc.data == {"a": "text", "b": [1, "two"], "c": {"d": None}}
    assert doc.ok


def test_positions_are_one_based_line_and_column():
    doc = load("a: text\nb:\n  - first\n  - second\n")
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("a",)] == (1, 4)
    assert doc.key_positions[("a",)] == (1, 1)
    assert doc.positions[("b", 0)] == (3, 5)
    assert doc.positions[("b", 1)] == (4, 5)


def test_columns_count_characters_not_bytes_after_non_ascii():
    doc = load("t: 😀😀\nx: [😀, é, 12]\n")
    # "x: [😀, é, 12]": é is the 8th character, 12 the 11th (its 15th byte).
    assert doc.positions[("x", 1)] == (2, 8)
    assert doc.positions[("x", 2)] == (2, 11)


def test_syntax_error_column_counts_characters_after_non_ascii():
    doc = load("title: ééé: x\n", "x.yaml")
    assert codes(doc) == [(1, 11, "CP001")]
    assert "mapping values are not allowed" in doc.findings[0].message


def test_position_of_a_missing_path_falls_back_to_its_nearest_parent():
    doc = load("a:\n  b: 1\n")
    assert doc.position(("a", "nope", 3)) == (2, 3)


def test_duplicate_key_is_reported_at_the_second_key_and_first_kept():
    doc = load("a: 1\nb: 2\na: 3\n", "x.yaml")
    assert codes(doc) == [(3, 1, "CP002")]
    assert "duplicate key 'a' (first at line 1)" in doc.findings[0].message
    assert doc.data == {"a": 1, "b": 2}


def test_python_object_tag_is_refused_and_named_as_written():
    doc = load('title: !!python/object/apply:os.system ["echo hi"]\n', "x.yaml")
    assert codes(doc) == [(1, 8, "CP003")]
    assert "'!!python/object/apply:os.system' is refused" in doc.findings[0].message


def test_python_tag_is_never_executed(tmp_path: Path):
    marker = tmp_path / "pwned"
    for text in (
        f'a: !!python/object/apply:os.system ["touch {marker}"]\n',
        f'!!python/object/apply:subprocess.check_call [["touch", "{marker}"]]\n',
        f'a: !!python/object/new:subprocess.Popen [["touch", "{marker}"]]\n',
    ):
        doc = load(text, "x.yaml")
        assert [f.code for f in doc.findings] == ["CP003"]
    time.sleep(0.2)  # a spawned process would have had time to create the file
    assert not marker.exists()


def test_local_tag_is_refused():
    doc = load("a: !custom x\n")
    assert codes(doc) == [(1, 4, "CP003")]
    assert "'!custom'" in doc.findings[0].message


def test_billion_laughs_is_refused_quickly():
    started = time.perf_counter()
    doc = load(billion_laughs(), "bomb.yaml")
    elapsed = time.perf_counter() - started
    # a4 is the first anchor past 50,000 values (9**5 = 59,049).
    assert codes(doc) == [(5, 5, "CP004")]
    assert "alias bomb" in doc.findings[0].message
    assert doc.data is None
    assert elapsed < 1.0, f"the alias bomb took {elapsed:.2f}s to refuse"


def test_deeper_alias_bomb_is_refused_as_quickly():
    started = time.perf_counter()
    doc = load(billion_laughs(levels=40, width=20), "bomb.yaml")
    assert time.perf_counter() - started < 1.0
    assert [f.code for f in doc.findings] == ["CP004"]


def test_huge_flat_list_is_refused_too():
    doc = load("a: [" + ", ".join(["x"] * 60_000) + "]\n")
    assert codes(doc) == [(1, 4, "CP004")]


def test_recursive_alias_is_refused():
    doc = load("a: &a [*a]\n", "x.yaml")
    assert codes(doc) == [(1, 4, "CP004")]
    assert "endless" in doc.findings[0].message
    assert doc.data is None


def test_recursive_alias_through_a_mapping_is_refused():
    doc = load("a: &a {b: *a}\n")
    assert [f.code for f in doc.findings] == ["CP004"]


def test_an_alias_used_a_few_times_is_accepted():
    doc = load("base: &b [x, y]\none: *b\ntwo: *b\n")
    assert doc.findings == []
    assert doc.data["two"] == ["x", "y"]


def test_deep_flow_nesting_is_refused():
    depth = MAX_DEPTH + 10
    doc = load("[" * depth + "]" * depth + "\n", "x.yaml")
    assert [f.code for f in doc.findings] == ["CP004"]
    assert f"more than {MAX_DEPTH} levels" in doc.findings[0].message


def test_deep_block_nesting_is_refused():
    depth = MAX_DEPTH + 5
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "leaf\n"
    doc = load(text)
    assert [f.code for f in doc.findings] == ["CP004"]


def test_nesting_within_the_limit_is_accepted():
    depth = MAX_DEPTH - 2
    doc = load("[" * depth + "]" * depth + "\n")
    assert doc.findings == []


def test_second_document_is_reported_where_it_starts():
    doc = load("a: 1\n---\nb: 2\n", "x.yaml")
    assert codes(doc) == [(3, 1, "CP006")]
    assert "more than one YAML document" in doc.findings[0].message
    assert doc.data == {"a": 1}


def test_a_comment_glued_to_a_yaml_directive_is_a_syntax_error_libyaml_would_let_pass():
    """yaml-test-suite MUS6-00: a conforming parser rejects `%YAML 1.1#…`; libyaml reads a comment."""
    doc = load("%YAML 1.1#...\n---\n", "x.yaml")
    assert codes(doc) == [(1, 10, "CP001")]
    assert "YAML syntax" in doc.findings[0].message and "space before its #" in doc.findings[0].message


def test_a_yaml_directive_with_a_spaced_comment_or_a_scalar_line_that_reads_like_one_is_fine():
    assert load("%YAML 1.2 # the version\n---\na: 1\n").findings == []
    doc = load('a: "x\n%YAML 1.1#y"\n')
    assert doc.findings == [] and doc.data == {"a": "x %YAML 1.1#y"}


def test_empty_file_holds_no_document():
    for text in ("", "# only a comment\n", b""):
        doc = load(text, "x.yaml")
        assert codes(doc) == [(1, 1, "CP006")]
        assert "no YAML document" in doc.findings[0].message


def test_bytes_that_are_not_utf8_are_reported_at_the_bad_byte():
    doc = load(b"a: ok\nb: caf\xe9\n", "x.yaml")
    assert codes(doc) == [(2, 7, "CP001")]
    assert "not UTF-8" in doc.findings[0].message and "0xe9" in doc.findings[0].message


def test_not_utf8_column_counts_the_characters_before_the_bad_byte():
    doc = load("t: éé\nb: éé".encode() + b"\xff\n", "x.yaml")
    assert codes(doc) == [(2, 6, "CP001")]
    assert "0xff" in doc.findings[0].message


def test_utf8_byte_order_mark_is_accepted_and_not_counted():
    doc = load(b"\xef\xbb\xbfa: ok\nb: 1\n")
    assert doc.findings == []
    assert doc.data == {"a": "ok", "b": 1}
    assert doc.positions[("a",)] == (1, 4)


def test_not_utf8_after_a_byte_order_mark_names_the_bad_byte():
    doc = load(b"\xef\xbb\xbfcaf\xe9\n", "x.yaml")
    assert codes(doc) == [(1, 4, "CP001")]
    assert "0xe9" in doc.findings[0].message


def test_control_character_is_reported_at_its_character_column():
    doc = load("a: ok\nb: x\x07y\n", "x.yaml")
    assert codes(doc) == [(2, 5, "CP001")]
    assert "control characters" in doc.findings[0].message


def test_control_character_column_counts_characters_after_non_ascii():
    doc = load("t: éé\nbé: é\x07\n", "x.yaml")
    assert codes(doc) == [(2, 6, "CP001")]


def test_nul_byte_is_a_finding_not_a_crash():
    doc = load(b"a: x\x00y\n", "x.yaml")
    assert codes(doc) == [(1, 5, "CP001")]


def test_lone_surrogate_in_text_is_a_finding_not_a_crash():
    doc = load("a: ok\nb: x\udce9\n", "x.yaml")
    assert codes(doc) == [(2, 5, "CP001")]


def test_merge_key_is_refused():
    doc = load("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", "x.yaml")
    assert codes(doc) == [(3, 3, "CP007")]
    assert "merge keys" in doc.findings[0].message
    assert doc.data["c"] == {"y": 2}


def test_boolean_key_must_be_quoted():
    doc = load("yes: 1\n")
    assert codes(doc) == [(1, 1, "CP008")]
    assert "'yes'" in doc.findings[0].message


def test_number_key_must_be_quoted():
    doc = load("a: 1\n404: x\n")
    assert codes(doc) == [(2, 1, "CP009")]
    assert "as a number; quote it: '404'" in doc.findings[0].message


def test_collection_key_is_refused():
    doc = load("? [a]\n: b\n")
    assert codes(doc) == [(1, 3, "CP009")]


def test_non_text_scalars_remember_how_they_were_written():
    doc = load("a: 404\nb: '404'\nc: 1:00\nd: 2024-05-01\ne: yes\n")
    assert doc.scalars[("a",)] == yamlsource.Scalar("int", "404", plain=True)
    assert ("b",) not in doc.scalars
    assert doc.scalars[("c",)].kind == "int" and doc.scalars[("c",)].text == "1:00"
    assert doc.scalars[("d",)].kind == "timestamp"
    assert doc.scalars[("e",)] == yamlsource.Scalar("bool", "yes", plain=True)
    assert doc.scalars[("a",)].plain


def test_explicit_tag_on_a_quoted_scalar_is_not_plain():
    doc = load("a: !!int '12'\n")
    assert doc.scalars[("a",)] == yamlsource.Scalar("int", "12", plain=False)


def test_unconvertible_scalars_keep_their_text():
    doc = load("a: !!int abc\nb: 2024-13-45\nc: " + "9" * 5000 + "\n")
    assert doc.findings == []
    assert doc.data["a"] == "abc"
    assert doc.data["b"] == "2024-13-45"
    assert doc.data["c"] == "9" * 5000
