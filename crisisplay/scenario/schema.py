"""The JSON Schema (draft-07) of the drill scenario format, generated from the models.

Editors (yaml-language-server) use it as they use the playbook schema; the shipped copy in
`crisisplay/schema/drill-v1.json` is kept equal to this by a test. `crisisplay schema --drill`
prints it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SCHEMA_ID = "https://crisisplay.dev/schema/drill-v1.json"
SHIPPED = Path(__file__).resolve().parent.parent / "schema" / "drill-v1.json"


def drill_schema() -> dict[str, Any]:
    """The schema as a dict: strict about unknown keys, draft-07 keywords only."""
    from crisisplay.playbook.schema import _strip
    from crisisplay.scenario.model import Scenario

    schema = Scenario.model_json_schema(ref_template="#/definitions/{model}", by_alias=True)
    definitions = schema.pop("$defs", {})
    inject = definitions["Inject"]
    # `answered_by: step-id` is shorthand for a list of one; an inject has `at` or `after_step`.
    step_list = inject["properties"]["answered_by"]
    inject["properties"]["answered_by"] = {"anyOf": [step_list["items"], step_list], "title": step_list["title"]}
    inject["oneOf"] = [{"required": ["at"]}, {"required": ["after_step"]}]
    _strip(schema)
    _strip(definitions)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        **schema,
        "definitions": dict(sorted(definitions.items())),
    }


def schema_text() -> str:
    return json.dumps(drill_schema(), indent=2, ensure_ascii=False) + "\n"
