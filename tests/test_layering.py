"""The tree's arrows point down: handlers -> bot -> storage/messages, never back up.

A short AST scan of every module's imports (including ones inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): imports_of(path) for path in (ROOT / package).rglob("*.py")
    }


def offending(package: str, forbidden: tuple[str, ...], *, allowed: tuple[str, ...] = ()) -> dict:
    found = {}
    for name, imported in modules(package).items():
        if name.startswith(allowed):
            continue
        bad = sorted(i for i in imported if i.startswith(forbidden))
        if bad:
            found[name] = bad
    return found


def test_storage_imports_nothing_from_above() -> None:
    assert offending("storage", ("bot", "handlers", "messages")) == {}


def test_messages_import_no_runtime_handlers_app_or_sandbox() -> None:
    forbidden = ("bot.runtime", "bot.app", "bot.cli", "bot.sandbox", "handlers")
    assert offending("messages", forbidden) == {}


def test_only_the_app_factory_and_the_cli_import_handlers() -> None:
    found = offending("bot", ("handlers",), allowed=("bot/app.py", "bot/cli/"))
    assert found == {}


def test_only_the_demo_command_reaches_into_the_sandbox() -> None:
    """`handoff run` never mounts the fakes or the demo."""
    found = offending("bot", ("bot.sandbox",), allowed=("bot/sandbox/", "bot/cli/demo.py"))
    found |= offending("handlers", ("bot.sandbox",))
    found |= offending("messages", ("bot.sandbox",))
    assert found == {}


def test_the_scan_sees_imports() -> None:
    """The scan itself: it finds the factory's import of a handler module."""
    assert any(i.startswith("handlers.") for i in imports_of(ROOT / "bot" / "app.py"))
