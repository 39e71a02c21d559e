"""The README is part of the product: its commands and settings tables must stay true."""

from pathlib import Path

from bot.settings import ENVIRONMENT, TeamConfig

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
