"""`show` and `start` reuse lint results by content, and never serve a stale one."""

from __future__ import annotations

from pathlib import Path


def _cache_files(home: Path) -> list[Path]:
    folder = home / "cache" / "lint"
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_an_unchanged_playbook_is_served_from_the_cache_with_the_same_output(
    run_cli, cli_cwd, cli_home, minimal_playbook
):
    (cli_cwd / "minimal.yaml").write_text(minimal_playbook)
    first = run_cli("show", "minimal.yaml", "--format", "json")
    files = _cache_files(cli_home)
    second = run_cli("show", "minimal.yaml", "--format", "json")
    assert first[0] == 0 and first == second
    assert len(files) == 1 and _cache_files(cli_home) == files
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"


def test_an_edited_playbook_is_checked_again(run_cli, cli_cwd, minimal_playbook):
    book = cli_cwd / "minimal.yaml"
    book.write_text(minimal_playbook)
    assert run_cli("show", "minimal.yaml")[0] == 0
    book.write_text(minimal_playbook.replace("next: notify-manager", "next: notify-manger"))
    code, _, err = run_cli("show", "minimal.yaml")
    assert code == 2
    assert "CP201" in err and "did you mean 'notify-manager'" in err


def test_a_changed_lint_policy_is_applied_not_the_cached_result(run_cli, cli_cwd, minimal_playbook):
    unused = minimal_playbook.replace(
        "prompt: Is the price fixed?", "prompt: Is the price fixed?\n        save_as: fixed"
    )
    (cli_cwd / "minimal.yaml").write_text(unused)
    _, _, before = run_cli("show", "minimal.yaml")
    assert "CP306" in before  # save_as 'fixed' is never used: a warning
    (cli_cwd / "crisisplay.toml").write_text('[lint]\nignore = ["CP306"]\n')
    code, _, after = run_cli("show", "minimal.yaml")
    assert code == 0 and "CP306" not in after


def test_a_corrupt_cache_file_is_ignored(run_cli, cli_cwd, cli_home, minimal_playbook):
    (cli_cwd / "minimal.yaml").write_text(minimal_playbook)
    expected = run_cli("show", "minimal.yaml", "--format", "json")
    for file in _cache_files(cli_home):
        file.write_text("{not json")
    assert run_cli("show", "minimal.yaml", "--format", "json") == expected


def test_list_reads_only_each_entry_s_outline_and_show_the_playbook_after_it(run_cli, cli_home):
    expected_list, expected_show = run_cli("list", "-f", "json"), run_cli("show", "pricing-error", "-f", "json")
    assert expected_list[0] == 0 and expected_show[0] == 0
    files = _cache_files(cli_home)
    for file in files:
        outline = file.read_text("utf-8").split("\n")[0]
        file.write_text(outline + "\n{not json\n", "utf-8")
    assert run_cli("list", "-f", "json") == expected_list  # the outlines alone
    assert _cache_files(cli_home) == files and all("{not json" in f.read_text("utf-8") for f in files)
    assert run_cli("show", "pricing-error", "-f", "json") == expected_show  # linted again, not the broken entry
    for file in _cache_files(cli_home):
        file.write_text("{not json", "utf-8")
    assert run_cli("list", "-f", "json") == expected_list  # linted again
