"""The foundation commands end to end: --version, list, show, schema lookup and global options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crisisplay import __version__

REPO = Path(__file__).resolve().parents[1]
BUNDLED = {p.stem: p for p in sorted((REPO / "playbooks").glob("*.yaml"))}
IDS = sorted(BUNDLED)


def listed(run_cli, *args) -> dict[str, dict]:
    code, out, err = run_cli("list", "--format", "json", *args)
    assert code == 0, err
    return {row["id"]: row for row in json.loads(out)["playbooks"]}


def assert_clean_failure(err: str) -> None:
    assert "Traceback" not in err


# ------------------------------------------------------------------ --version


def test_version_prints_the_package_version(run_cli):
    code, out, err = run_cli("--version")
    assert code == 0, err
    assert out.strip() == f"crisisplay {__version__}"


def test_console_script_and_module_agree_on_the_version(run_cli, cli_cwd):
    import subprocess
    import sys

    script = Path(sys.executable).parent / "crisisplay"
    assert script.exists(), "installing the project must put the `crisisplay` script beside its Python"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, cwd=cli_cwd, timeout=60)
    assert done.returncode == 0
    assert done.stdout == run_cli("--version")[1]


# ------------------------------------------------------------------ list


def test_list_table_shows_both_bundled_playbooks(run_cli):
    code, out, err = run_cli("list")
    assert code == 0, err
    for playbook_id in IDS:
        assert playbook_id in out
    assert "bundled" in out


def test_list_into_a_pipe_writes_each_playbook_on_one_whole_line(run_cli):
    rows = listed(run_cli)
    code, out, err = run_cli("list", env={"COLUMNS": "40"})  # no terminal: its width plays no part
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["group", "id", "title", "source", "steps", "notes"]
    for playbook_id, row in rows.items():
        (line,) = [line for line in lines if f"  {playbook_id}  " in f" {line} "]
        assert row["title"] in line and line.split()[-2:] == ["bundled", str(row["steps"])]
    assert all(line == line.rstrip() for line in lines)
    assert "" in lines  # a blank line between groups
    starts = {line.index(rows[pid]["title"]) for pid in rows for line in lines if rows[pid]["title"] in line}
    assert len(starts) == 1  # the titles' column lines up


def test_list_with_colour_forced_into_a_pipe_is_drawn_by_rich(run_cli):
    import re

    rows = listed(run_cli)
    code, out, err = run_cli("list", env={"FORCE_COLOR": "1", "COLUMNS": "80"})
    assert code == 0, err
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.splitlines()]  # newer rich colours it
    assert max(len(line) for line in lines) <= 80  # rich's table, at the width it was given
    longest = max((row["title"] for row in rows.values()), key=len)
    assert len(longest) > 40 and not any(longest in line for line in lines)  # folded, as rich folds it


def test_list_in_a_terminal_fits_its_width(cli_home, cli_cwd):
    import os
    import sys

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "crisisplay", "--no-color", "list"],
        cwd=str(cli_cwd),
        encoding="utf-8",
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
        | {"CRISISPLAY_HOME": str(cli_home)},
        dimensions=(60, 72),
        timeout=30,
    )
    child.expect(pexpect.EOF)
    import re

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip("\r") for line in child.before.split("\n")]
    assert any(line.startswith("group") for line in lines)
    assert max(len(line) for line in lines) <= 72  # long titles folded onto a second line, as rich draws tables


def _in_a_terminal(cli_home: Path, cli_cwd: Path, columns: int, *args: str) -> list[str]:
    import os
    import re
    import sys

    import pexpect

    child = pexpect.spawn(
        sys.executable,
        ["-m", "crisisplay", "--no-color", *args],
        cwd=str(cli_cwd),
        encoding="utf-8",
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
        | {"CRISISPLAY_HOME": str(cli_home)},
        dimensions=(200, columns),
        timeout=30,
    )
    child.expect(pexpect.EOF)
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip("\r") for line in child.before.split("\n")]


def test_list_in_a_narrow_terminal_never_splits_an_id(run_cli, cli_home, cli_cwd):
    rows = listed(run_cli)
    lines = _in_a_terminal(cli_home, cli_cwd, 50, "list")
    for playbook in rows:
        assert playbook in lines, playbook  # whole, on a line of its own
    assert any(line.startswith("  title: ") for line in lines)


def _two_incidents(run_cli) -> list[str]:
    ids = []
    for playbook in ("offensive-post", "publicacion-ofensiva"):
        code, out, err = run_cli("start", playbook, "--drill", "--answers", "/dev/null", "--responder", "Ana")
        assert code == 3, err
        ids.append(out.strip())
    return ids


def test_incidents_into_a_pipe_is_one_whole_line_per_incident(run_cli):
    ids = _two_incidents(run_cli)
    code, out, err = run_cli("incidents")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["id", "status", "severity", "took", "met", "by"]
    for incident in ids:
        [line] = [line for line in lines if incident in line]
        assert line.startswith(incident) and "paused (drill)" in line and line.endswith("Ana")


def test_incidents_in_a_narrow_terminal_keeps_each_id_whole_and_every_column(run_cli, cli_home, cli_cwd):
    ids = _two_incidents(run_cli)
    lines = _in_a_terminal(cli_home, cli_cwd, 60, "incidents")
    for incident in ids:
        at = lines.index(incident)  # whole, on a line of its own
        assert lines[at + 1].startswith("  status: paused (drill) · severity: ")
    wide = _in_a_terminal(cli_home, cli_cwd, 120, "incidents")
    assert wide[0].split() == ["id", "status", "severity", "took", "met", "by"]  # room enough: the table


def test_list_json_shows_both_bundled_playbooks_from_any_cwd(run_cli, tmp_path: Path):
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    for cwd in (tmp_path, nested, Path("/")):
        code, out, err = run_cli("list", "--format", "json", cwd=cwd)
        assert code == 0, err
        rows = {row["id"]: row for row in json.loads(out)["playbooks"]}
        for playbook_id in IDS:
            assert rows[playbook_id]["source"] in ("bundled", "local")
        assert rows["pricing-error"]["errors"] == 0


def test_list_json_describes_each_bundled_playbook(run_cli):
    rows = listed(run_cli)
    assert sorted(rows) == IDS
    for playbook_id, row in rows.items():
        assert row["source"] == "bundled"
        assert Path(row["path"]).name == f"{playbook_id}.yaml"
        assert row["shadows"] == []
        assert row["errors"] == 0
        assert 12 <= row["steps"] <= 30
        assert row["title"]


def test_local_copy_that_differs_shadows_the_bundled_playbook(run_cli, cli_cwd):
    local = cli_cwd / "playbooks" / "pricing-error.yaml"
    local.parent.mkdir()
    local.write_text(BUNDLED["pricing-error"].read_text(encoding="utf-8") + "# our own copy\n", encoding="utf-8")
    row = listed(run_cli)["pricing-error"]
    assert row["source"] == "local"
    assert Path(row["path"]) == local
    assert [s["source"] for s in row["shadows"]] == ["bundled"]
    _code, out, _ = run_cli("list")
    assert "shadows" in out


def test_identical_local_copy_does_not_shadow_the_bundled_playbook(run_cli, cli_cwd):
    (cli_cwd / "playbooks").mkdir()
    shutil.copyfile(BUNDLED["pricing-error"], cli_cwd / "playbooks" / "pricing-error.yaml")
    rows = listed(run_cli)
    assert rows["pricing-error"]["shadows"] == []
    code, out, _ = run_cli("list")
    assert code == 0 and "shadows" not in out


def test_identical_local_copy_still_comes_before_a_home_copy(run_cli, cli_cwd, cli_home):
    (cli_cwd / "playbooks").mkdir()
    shutil.copyfile(BUNDLED["pricing-error"], cli_cwd / "playbooks" / "pricing-error.yaml")
    (cli_home / "playbooks").mkdir()
    home_copy = cli_home / "playbooks" / "pricing-error.yaml"
    home_copy.write_text(
        BUNDLED["pricing-error"]
        .read_text(encoding="utf-8")
        .replace("title: Product published at the wrong price", "title: Our home version"),
        encoding="utf-8",
    )
    row = listed(run_cli)["pricing-error"]
    assert row["title"] == "Product published at the wrong price"
    assert [(s["source"], Path(s["path"])) for s in row["shadows"]] == [("home", home_copy)]


def test_playbook_in_home_is_found_by_id(run_cli, cli_home, minimal_playbook):
    (cli_home / "playbooks").mkdir()
    (cli_home / "playbooks" / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    row = listed(run_cli)["minimal"]
    assert row["source"] == "home" and row["errors"] == 0 and row["steps"] == 5
    code, out, err = run_cli("show", "minimal")
    assert code == 0, err
    assert "assess-reach" in out


def test_local_playbook_comes_before_home(run_cli, cli_cwd, cli_home, minimal_playbook):
    for folder, title in ((cli_cwd, "Local one"), (cli_home, "Home one")):
        (folder / "playbooks").mkdir()
        (folder / "playbooks" / "minimal.yaml").write_text(
            minimal_playbook.replace("A minimal playbook", title), encoding="utf-8"
        )
    row = listed(run_cli)["minimal"]
    assert row["title"] == "Local one"
    assert [s["source"] for s in row["shadows"]] == ["home"]


def test_list_reports_a_broken_playbook_without_failing(run_cli, cli_cwd):
    (cli_cwd / "playbooks").mkdir()
    (cli_cwd / "playbooks" / "broken.yaml").write_text("crisisplay: 1\nid: [\n", encoding="utf-8")
    code, out, err = run_cli("list", "--format", "json")
    assert code == 0, err
    row = {r["id"]: r for r in json.loads(out)["playbooks"]}["broken"]
    assert row["errors"] >= 1 and row["title"] is None


# ------------------------------------------------------------------ show


@pytest.mark.parametrize("playbook_id", IDS)
def test_show_text_lists_every_phase_and_step(run_cli, playbook_id):
    from crisisplay.playbook.loader import check_file

    pb = check_file(BUNDLED[playbook_id]).playbook
    code, out, err = run_cli("show", playbook_id)
    assert code == 0, err
    assert out.startswith(f"{playbook_id} — {pb.title}")
    for phase in pb.phases:
        assert f"({phase.id})" in out
    for step in pb.steps:
        assert f" {step.id} [" in out


@pytest.mark.parametrize("playbook_id", IDS)
def test_show_mermaid_is_a_flowchart_with_a_node_per_step(run_cli, playbook_id):
    from crisisplay.playbook.loader import check_file

    pb = check_file(BUNDLED[playbook_id]).playbook
    code, out, err = run_cli("show", playbook_id, "--format", "mermaid")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "flowchart TD"
    for i, step in enumerate(pb.steps):
        assert any(line.strip().startswith(f's{i}["{step.id}: ') for line in lines)
    assert any("--> finish" in line for line in lines)
    assert out.count("subgraph") == len(pb.phases)


@pytest.mark.parametrize("playbook_id", IDS)
def test_show_json_is_the_normalised_playbook(run_cli, playbook_id):
    code, out, err = run_cli("show", playbook_id, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["crisisplay"] == 1 and data["id"] == playbook_id
    assert data["locale"] and data["severity"]["levels"]
    steps = [s for phase in data["phases"] for s in phase["steps"]]
    assert 12 <= len(steps) <= 30
    for step in steps:
        assert step["id"] and step["type"]
        for option in step.get("options", []):
            assert isinstance(option, dict) and option["label"] and option["value"]
    for spec in data["inputs"].values():
        for option in spec.get("options") or []:
            assert option["value"]


def test_show_by_path_works(run_cli, tmp_path, minimal_playbook):
    path = tmp_path / "minimal.yaml"
    path.write_text(minimal_playbook, encoding="utf-8")
    code, out, err = run_cli("show", str(path), "--format", "json")
    assert code == 0, err
    option = json.loads(out)["phases"][0]["steps"][0]["options"][0]
    assert option == {"label": "Contained", "value": "contained"}


def test_show_of_a_broken_playbook_prints_findings_and_exits_2(run_cli, cli_cwd, minimal_playbook):
    path = cli_cwd / "minimal.yaml"
    path.write_text(
        minimal_playbook.replace("to: [manager]", "to: [legal]").replace("id: what-happened", "id: fix-price"),
        encoding="utf-8",
    )
    code, out, err = run_cli("show", "minimal.yaml")
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "minimal.yaml:36:14: CP203 [error] role 'legal' is not declared in `roles:`; declared roles: 'manager'",
        "minimal.yaml:47:13: CP202 [error] step id 'fix-price' is already used at line 31; step ids are unique across all phases",
        "crisisplay: error: minimal.yaml: the playbook has 2 error(s)",
    ]


def test_show_of_a_yaml_syntax_error_exits_2_with_its_position(run_cli, cli_cwd):
    (cli_cwd / "bad.yaml").write_text("crisisplay: 1\nid: [oops\n", encoding="utf-8")
    code, _out, err = run_cli("show", "bad.yaml")
    assert code == 2
    assert "bad.yaml:3:1: CP001" in err
    assert_clean_failure(err)


def test_show_of_a_file_that_is_not_utf8_exits_2(run_cli, cli_cwd):
    (cli_cwd / "bad.yaml").write_bytes(b"crisisplay: 1\nid: caf\xe9\n")
    code, _out, err = run_cli("show", "bad.yaml")
    assert code == 2
    assert "bad.yaml:2:8: CP001" in err
    assert_clean_failure(err)


def test_show_of_an_unknown_playbook_is_one_line_and_exit_2(run_cli):
    code, out, err = run_cli("show", "pricing-eror")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    # show takes a playbook or a drill scenario: the message names both
    assert "no playbook or drill scenario 'pricing-eror'" in err and "did you mean 'pricing-error'?" in err


def test_show_of_a_missing_file_is_one_line_and_exit_2(run_cli):
    code, _out, err = run_cli("show", "./nowhere.yaml")
    assert code == 2
    assert err.strip() == "crisisplay: error: ./nowhere.yaml: no such playbook file"


# ------------------------------------------------------------------ global options and usage


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_option_is_accepted_before_and_after_the_command(run_cli, tmp_path, minimal_playbook, where):
    other = tmp_path / "other-home"
    (other / "playbooks").mkdir(parents=True)
    (other / "playbooks" / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    args = (
        ["--home", str(other), "list", "--format", "json"]
        if where == "before"
        else ["list", "--format", "json", "--home", str(other)]
    )
    code, out, err = run_cli(*args)
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)["playbooks"]}
    assert rows["minimal"]["source"] == "home"
    assert Path(rows["minimal"]["path"]) == other / "playbooks" / "minimal.yaml"


def test_home_option_with_equals_sign(run_cli, tmp_path, minimal_playbook):
    other = tmp_path / "other-home"
    (other / "playbooks").mkdir(parents=True)
    (other / "playbooks" / "minimal.yaml").write_text(minimal_playbook, encoding="utf-8")
    code, _out, err = run_cli("show", "minimal", f"--home={other}")
    assert code == 0, err


@pytest.mark.parametrize(
    "args",
    [
        ["--no-color", "list"],
        ["list", "--no-color"],
        ["--no-color", "show", "pricing-error"],
        ["show", "pricing-error", "--no-color"],
    ],
)
def test_no_color_is_accepted_before_and_after_the_command(run_cli, args):
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert "\x1b[" not in out


def test_unknown_option_is_bad_usage(run_cli):
    code, _out, err = run_cli("list", "--bogus")
    assert code == 2
    assert "--bogus" in err
    assert_clean_failure(err)


def test_unknown_format_is_bad_usage(run_cli):
    code, _out, err = run_cli("show", "pricing-error", "--format", "pdf")
    assert code == 2
    assert_clean_failure(err)


def test_unknown_command_is_bad_usage(run_cli):
    code, _out, err = run_cli("lsit")
    assert code == 2
    assert_clean_failure(err)


def test_show_leaves_no_trailing_blank_after_a_step_without_a_prompt(run_cli, cli_cwd):
    book = cli_cwd / "bare.yaml"
    book.write_text(
        "crisisplay: 1\nid: bare\ntitle: Bare\nroles:\n  manager: Boss\nphases:\n  - id: p\n    title: P\n    steps:\n"
        "      - id: call\n        type: escalate\n        to: [manager]\n        template: Help\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("show", str(book))
    assert code == 0, err
    assert "call [escalate → Boss]\n" in out and all(line == line.rstrip() for line in out.splitlines())
