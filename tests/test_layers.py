"""Dependencies point one way (`bot`, `cli` → `ingest` → `newsbot`): the core returns data
and leaves terminal text, Discord and drawing to the adapters."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "newsbot": {"bot", "cli", "ingest", "discord", "matplotlib"},
    "ingest": {"bot", "cli", "discord"},
    "bot": {"cli"},
    "cli": {"discord"},  # `newsbot bot` starts the bot, but the console never draws cards
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_layer_imports_only_the_layers_below(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    wrong = {str(f.relative_to(ROOT)): sorted(imported_packages(f) & FORBIDDEN[package])
             for f in files}
    assert {f: names for f, names in wrong.items() if names} == {}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_cog_imports_another_cog() -> None:
    cogs = sorted((ROOT / "bot" / "cogs").glob("*.py"))
    assert len(cogs) > 3
    wrong = {f.name: sorted(m for m in imported_modules(f) if m.startswith("bot.cogs"))
             for f in cogs if f.name != "__init__.py"}
    assert {name: mods for name, mods in wrong.items() if mods} == {}


def test_only_the_store_speaks_sql() -> None:
    outside = [f for package in ("newsbot", "ingest", "bot", "cli", "bench")
               for f in sorted((ROOT / package).rglob("*.py"))
               if "store" not in f.relative_to(ROOT).parts[:2]]
    assert len(outside) > 20
    speaking = [str(f.relative_to(ROOT)) for f in outside
                if "execute(" in f.read_text(encoding="utf-8")
                or "sqlite3.connect" in f.read_text(encoding="utf-8")]
    assert speaking == []
