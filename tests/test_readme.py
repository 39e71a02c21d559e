"""The README is part of the product: its commands and settings tables must stay true."""

import re
from pathlib import Path

from bot.settings import ENVIRONMENT, SettingsError, TeamConfig, load_settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = README.split("# 2. Run the tests\n", 1)[1].split("\n", 1)[0].strip()
    ci_commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert block.endswith("pytest")
    assert ci_commands[-1] == block


def test_every_environment_variable_is_documented() -> None:
    for name in ENVIRONMENT:
        assert f"| `{name}` |" in README, name


def test_every_app_yaml_section_is_documented() -> None:
    for name, field in TeamConfig.model_fields.items():
        key = field.alias or name  # `import` is a Python keyword: the field is import_
        assert f"`{key}" in README, key


def test_env_example_names_every_variable_and_only_those() -> None:
    text = (ROOT / ".env.example").read_text()
    named = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)
    assert set(named) == set(ENVIRONMENT)


def test_env_example_placeholders_are_refused_until_replaced() -> None:
    text = (ROOT / ".env.example").read_text()
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$", text, flags=re.MULTILINE))
    try:
        load_settings(values, config_path=ROOT / "app.yaml")
    except SettingsError as exc:
        refused = {p.key for p in exc.problems if "placeholder" in p.message}
    else:
        raise AssertionError("an unedited .env.example must not load")
    assert refused == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_INTAKE_TOKEN"}


def test_files_a_newcomer_looks_for() -> None:
    license_words = (ROOT / "LICENSE").read_text().split()
    assert license_words[:4] == ["Apache", "License", "Version", "2.0,"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog and "## [Unreleased]" in changelog
