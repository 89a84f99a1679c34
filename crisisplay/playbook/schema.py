"""The JSON Schema (draft-07) of the playbook format, generated from the models.

Editors (yaml-language-server) use it to flag typos as you write; the shipped copy in
`crisisplay/schema/playbook-v1.json` is kept equal to this by a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_ID = "https://crisisplay.dev/schema/playbook-v1.json"
SHIPPED = Path(__file__).resolve().parent.parent / "schema" / "playbook-v1.json"


def playbook_schema() -> dict[str, Any]:
    """The schema as a dict: strict about unknown keys, draft-07 keywords only."""
    from crisisplay.playbook.model import Playbook

    schema = Playbook.model_json_schema(ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    for name in ("Option", "InputOption", "Reference"):
        # A plain string is shorthand for {label: it} ({title: it} for a reference).
        definitions[name] = {"anyOf": [{"type": "string", "minLength": 1}, definitions[name]]}
    # A level, role or target written without a label keeps its plain form: the level's name,
    # the role's description, the target's duration.
    shorthands = {
        "Level": definitions["Level"]["properties"]["id"],
        "Role": {"type": "string"},
        "Target": definitions["Target"]["properties"]["within"],
    }
    for name, plain in shorthands.items():
        definitions[name] = {"anyOf": [{k: v for k, v in plain.items() if k != "title"}, definitions[name]]}
    _strip(schema)
    _strip(definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        **schema,
        "definitions": dict(sorted(definitions.items())),
    }


def _strip(node: Any) -> None:
    """Drop keywords draft-07 does not know (pydantic's `discriminator`)."""
    if isinstance(node, dict):
        node.pop("discriminator", None)
        for value in node.values():
            _strip(value)
    elif isinstance(node, list):
        for value in node:
            _strip(value)


def schema_text() -> str:
    return json.dumps(playbook_schema(), indent=2, ensure_ascii=False) + "\n"
