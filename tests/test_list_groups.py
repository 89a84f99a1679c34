"""`crisisplay list` groups its table by each playbook's first tag (untagged last); `--format json`
keeps its shape."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import write


def playbook(pid: str, tags: str) -> str:
    return f"""\
crisisplay: 1
id: {pid}
title: Playbook {pid}
{tags}phases:
  - id: work
    title: Work
    steps:
      - id: first
        type: info
        prompt: Go.
"""


def local_playbooks(cwd: Path) -> None:
    folder = cwd / "playbooks"
    folder.mkdir()
    write(folder / "zz-untagged.yaml", playbook("zz-untagged", ""))
    write(folder / "aa-security.yaml", playbook("aa-security", "tags: [security, gdpr]\n"))
    write(folder / "bb-customer.yaml", playbook("bb-customer", "tags: [customer]\n"))
    write(folder / "cc-security.yaml", playbook("cc-security", "tags: [security]\n"))


def table_rows(out: str, ids: tuple[str, ...]) -> list[tuple[str, str]]:
    """(group cell, id) for each line of the table naming one of `ids`, in order."""
    rows = []
    for line in out.splitlines():
        cells = line.split()
        found = next((cell for cell in cells if cell in ids), None)
        if found is not None:
            rows.append((cells[0] if cells[0] != found else "", found))
    return rows


def test_the_table_groups_by_first_tag_untagged_last(run_cli, cli_cwd):
    local_playbooks(cli_cwd)
    code, out, err = run_cli("list")
    assert code == 0, err
    assert out.splitlines()[0].split()[:2] == ["group", "id"]
    ids = ("aa-security", "bb-customer", "cc-security", "zz-untagged")
    rows = [row for row in table_rows(out, ids)]
    assert [row[1] for row in rows] == ["aa-security", "cc-security", "bb-customer", "zz-untagged"]
    assert [row[0] for row in rows] == ["security", "", "customer", "(untagged)"]


def test_the_json_shape_is_unchanged(run_cli, cli_cwd):
    local_playbooks(cli_cwd)
    code, out, _ = run_cli("list", "--format", "json")
    assert code == 0
    rows = json.loads(out)["playbooks"]
    mine = [row for row in rows if row["source"] == "local"]
    assert [row["id"] for row in mine] == ["aa-security", "bb-customer", "cc-security", "zz-untagged"]
    assert all(set(row) == {"id", "title", "source", "path", "steps", "shadows", "errors"} for row in mine)
