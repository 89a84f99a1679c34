"""Configuration files: merge order, contacts, lint options, and errors that say where."""

from __future__ import annotations

import re

import pytest
from conftest import write

from crisisplay.config import Contact, load_config
from crisisplay.errors import ConfigError


def test_no_config_files_give_empty_defaults(home, cwd):
    config = load_config(home, cwd)
    assert (config.responder, config.organisation, config.contacts, config.lint) == (None, None, {}, {})
    assert config.sources == []


def test_home_config_is_read(home, cwd):
    write(home / "config.toml", 'responder = "Ana"\norganisation = "Nordhaus Living"\n')
    config = load_config(home, cwd)
    assert (config.responder, config.organisation) == ("Ana", "Nordhaus Living")
    assert config.sources == [home / "config.toml"]


def test_local_config_overrides_home_config(home, cwd):
    write(home / "config.toml", 'responder = "Ana"\norganisation = "Nordhaus Living"\n')
    write(cwd / "crisisplay.toml", 'responder = "Bo"\n')
    config = load_config(home, cwd)
    assert config.responder == "Bo"
    assert config.organisation == "Nordhaus Living"
    assert config.sources == [home / "config.toml", cwd / "crisisplay.toml"]


def test_contacts_are_read_by_role(home, cwd):
    write(
        home / "config.toml",
        """
[contacts.manager]
name = "Maria Lopez"
phone = "+34 600 000 000"
email = "maria@example.com"

[contacts.legal]
name = "Lex Counsel"
""",
    )
    config = load_config(home, cwd)
    assert config.contacts == {
        "manager": Contact("Maria Lopez", "+34 600 000 000", "maria@example.com"),
        "legal": Contact(name="Lex Counsel"),
    }


def test_local_contact_replaces_the_home_contact_for_its_role_only(home, cwd):
    write(home / "config.toml", '[contacts.manager]\nname = "Maria"\nphone = "1"\n[contacts.legal]\nname = "Lex"\n')
    write(cwd / "crisisplay.toml", '[contacts.manager]\nname = "Mike"\n')
    config = load_config(home, cwd)
    # A different person does not inherit the other one's phone number.
    assert config.contacts["manager"] == Contact(name="Mike")
    assert config.contacts["legal"] == Contact(name="Lex")


def test_lint_options_from_pyproject(home, cwd):
    write(cwd / "pyproject.toml", '[project]\nname = "x"\n\n[tool.crisisplay.lint]\nignore = ["CP111"]\n')
    config = load_config(home, cwd)
    assert config.lint == {"ignore": ["CP111"]}
    assert config.lint_source == cwd / "pyproject.toml"


def test_pyproject_without_crisisplay_section_is_ignored(home, cwd):
    write(cwd / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(home, cwd).lint == {}


def test_local_lint_table_beats_pyproject(home, cwd):
    write(cwd / "pyproject.toml", '[tool.crisisplay.lint]\nignore = ["CP111"]\n')
    write(cwd / "crisisplay.toml", '[lint]\nselect = ["CP2"]\n')
    config = load_config(home, cwd)
    assert config.lint == {"select": ["CP2"]}
    assert config.lint_source == cwd / "crisisplay.toml"


def test_project_pyproject_lint_beats_the_users_home_lint(home, cwd):
    write(home / "config.toml", '[lint]\nignore = ["CP206"]\n')
    write(cwd / "pyproject.toml", '[tool.crisisplay.lint]\nignore = ["CP111"]\n')
    config = load_config(home, cwd)
    assert config.lint == {"ignore": ["CP111"]}
    assert config.lint_source == cwd / "pyproject.toml"


def test_home_lint_applies_without_project_settings(home, cwd):
    write(home / "config.toml", '[lint]\nignore = ["CP206"]\n')
    config = load_config(home, cwd)
    assert config.lint == {"ignore": ["CP206"]}
    assert config.lint_source == home / "config.toml"


def test_toml_syntax_error_names_path_line_and_column(home, cwd):
    path = write(cwd / "crisisplay.toml", 'organisation = "Nordhaus"\nresponder = "é" x\n')
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}:2:17: ")
    assert raised.value.exit_code == 2


def test_toml_error_at_end_of_file_still_has_line_and_column(home, cwd):
    path = write(cwd / "crisisplay.toml", "x = [1,\n")
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}:2:1: ")


def test_toml_syntax_error_in_pyproject_is_a_config_error(home, cwd):
    path = write(cwd / "pyproject.toml", "[tool.crisisplay.lint\n")
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}:1:")


def test_config_that_is_not_utf8_is_a_config_error(home, cwd):
    (cwd / "crisisplay.toml").write_bytes(b'responder = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(home, cwd)


def test_unknown_top_level_key_suggests_the_nearest(home, cwd):
    path = write(cwd / "crisisplay.toml", 'responder = "Bo"\norganization = "Nordhaus"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    message = str(raised.value)
    assert message.startswith(f"{path}:2:1: unknown key 'organization'")
    assert "did you mean 'organisation'?" in message


def test_unknown_contact_key_suggests_the_nearest(home, cwd):
    path = write(home / "config.toml", '[contacts.manager]\nname = "Maria"\nphon = "1"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}:3:1: unknown key 'phon' in [contacts.manager]")
    assert "did you mean 'phone'?" in str(raised.value)


def test_unknown_lint_option_in_pyproject_suggests_the_nearest(home, cwd):
    path = write(cwd / "pyproject.toml", '[tool.crisisplay.lint]\nselct = ["CP1"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(home, cwd)
    assert str(raised.value).startswith(f"{path}:2:1: unknown lint option 'selct'")
    assert "did you mean 'select'?" in str(raised.value)


def test_responder_that_is_not_text_is_refused(home, cwd):
    write(home / "config.toml", "responder = 42\n")
    with pytest.raises(ConfigError, match="'responder' should be text"):
        load_config(home, cwd)


def test_contact_that_is_not_a_table_is_refused(home, cwd):
    write(home / "config.toml", 'contacts = { manager = "Maria" }\n')
    with pytest.raises(ConfigError, match=r"\[contacts.manager\] should be a table"):
        load_config(home, cwd)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('[contacts.Manager]\nname = "Marta"\n', "did you mean 'manager'?"),
        ('[contacts."big boss"]\nname = "Marta"\n', "did you mean 'big-boss'?"),
        ('[contacts.manager]\nbackup = "manager"\n', "names itself as its backup"),
        ('[contacts.manager]\nbackup = "Big Boss"\n', "'Big Boss' is not a role name"),
    ],
)
def test_a_contact_that_no_playbook_role_could_match_is_a_config_error(tmp_path, table, said):
    from crisisplay.config import load_config
    from crisisplay.errors import ConfigError

    (tmp_path / "config.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(said)):
        load_config(tmp_path, cwd=tmp_path)


def test_a_role_in_any_script_is_a_contact(tmp_path):
    from crisisplay.config import load_config

    (tmp_path / "config.toml").write_text('[contacts."asesoría-jurídica"]\nbackup = "dirección"\n', encoding="utf-8")
    assert load_config(tmp_path, cwd=tmp_path).contacts["asesoría-jurídica"].backup == "dirección"
