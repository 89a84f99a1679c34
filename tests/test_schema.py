"""The editor schema: generated from the models, shipped, draft-07, and agreeing with the checker."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from crisisplay.playbook.schema import playbook_schema

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "crisisplay" / "schema" / "playbook-v1.json"
BUNDLED = sorted((REPO / "playbooks").glob("*.yaml"))
MODELINE = "# yaml-language-server: $schema=../crisisplay/schema/playbook-v1.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))


def test_schema_command_prints_the_shipped_schema(run_cli):
    code, out, err = run_cli("schema")
    assert code == 0, err
    assert out == SHIPPED.read_text(encoding="utf-8")
    assert json.loads(out) == playbook_schema()


def test_shipped_schema_is_a_valid_draft_07_schema():
    schema = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in json.dumps(schema)
    assert '"discriminator"' not in json.dumps(schema)


def test_the_bundled_playbooks_are_checked():
    assert len(BUNDLED) == 20 and {"pricing-error", "error-precio", "data-breach"} <= {p.stem for p in BUNDLED}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_playbook_validates_against_the_schema(path: Path, validator):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(data)] == []


def test_minimal_playbook_validates_against_the_schema(minimal_playbook, validator):
    assert [e.message for e in validator.iter_errors(yaml.safe_load(minimal_playbook))] == []


def test_misspelt_step_key_is_rejected(validator):
    data = yaml.safe_load(BUNDLED[0].read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    step = bad["phases"][0]["steps"][0]
    step["promt"] = step.pop("prompt", "x") if "prompt" in step else "x"
    assert not validator.is_valid(bad)


@pytest.mark.parametrize(
    "old, new",
    [
        ("id: fix-price", "id: end"),
        ("id: fix-price", "id: Fix_Price"),
        ("save_as: reach", "save_as: severity"),
        ("resolved: 2d", "resolved: two days"),
        ("type: confirm", "type: confirmm"),
        ("crisisplay: 1", "crisisplay: 2"),
        ("title: A minimal playbook\n", "title: A minimal playbook\ntitel: x\n"),
        ("label: Contained", "label: ''"),
        ("id: minimal", "id: " + "a" * 215),
    ],
)
def test_schema_rejects_what_the_checker_rejects(minimal_playbook, validator, old, new):
    assert not validator.is_valid(yaml.safe_load(minimal_playbook.replace(old, new)))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_playbook_starts_with_the_schema_modeline(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE
    relative = first.split("$schema=", 1)[1]
    assert (path.parent / relative).resolve() == SHIPPED.resolve()
    assert SHIPPED.is_file()
