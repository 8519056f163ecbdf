"""The package's layers point one way: no module imports from a layer above its own.

Every module of ``skytells`` has a layer in ``LAYERS``; a new module without
one fails here, so the table stays the truth. Every ``import`` counts, lazy
ones inside functions and those under ``TYPE_CHECKING`` too: each is a
dependency on the module it names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "skytells"

#: Lowest first. A module's layer is that of its package (or, at the root, its own name); a module may import
#: from its own layer and the ones below it, never from one above.
LAYERS: dict[str, tuple[str, ...]] = {
    # What every layer shares: the version, exit codes and error types.
    "shared": ("cli_version", "exitcodes", "errors"),
    # Rules with no I/O of their own: masking, sanitising, value checks, redaction, safe files, the URL rule.
    "safety": ("safety",),
    # The person's side: the terminal, the standard streams, the browser.
    "terminal": ("terminal",),
    # Where the CLI talks to and keeps its files (environment, config.json), the known scopes.
    "config": ("config",),
    # One HTTP client, the standard OAuth protocols, the Skytells console and inference API.
    "net": ("net",),
    # The credential model, the stores, tokens bound to their server, the one service.
    "credentials": ("credentials",),
    # Entry-point discovery and loading, the summary cache.
    "extensions": ("extensions",),
    # The login-method interface and the built-in methods.
    "login": ("login",),
    # The cliff adaptation: app, command base and manager, help, groups, completion, display, errors, context.
    "cli": ("cli",),
    # The commands.
    "commands": ("commands",),
    # Where a run begins.
    "entry": ("main", "__main__"),
    # Version 1 import paths kept for plugins: aliases of the modules above, imported by nothing in the package.
    "compat": ("auth", "stores", "command_base", "context", "credential_service", "masking", "plugins", "redaction",
               "sanitize", "session", "settings", "ui"),
    # Helpers for plugin authors' tests: they drive everything.
    "testing": ("testing",),
}
RANK = {unit: rank for rank, units in enumerate(LAYERS.values()) for unit in units}
LAYER_OF = {unit: layer for layer, units in LAYERS.items() for unit in units}


def package_modules() -> dict[str, Path]:
    """Every module of the package, by its name without the ``skytells.`` prefix."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = package_modules()


def nodes(tree: ast.AST, *, typing_only: bool) -> Iterator[ast.AST]:
    """Every node of ``tree``; without ``typing_only``, not those under ``if TYPE_CHECKING:``."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if typing_only or not (isinstance(child, ast.If) and isinstance(child.test, ast.Name)
                                   and child.test.id == "TYPE_CHECKING"):
                todo.append(child)


def imported_modules(path: Path, *, typing_only: bool = True) -> Iterator[tuple[int, str]]:
    """(line, module inside the package) for every import in ``path``, wherever it stands.

    ``typing_only=False`` leaves out the imports made for type checkers alone (they are never run).
    """
    for node in nodes(ast.parse(path.read_text(encoding="utf-8"), str(path)), typing_only=typing_only):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import; the table reads absolute ones"
            base = node.module or ""
            # ``from skytells import settings`` imports the module skytells.config.settings.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}".removeprefix("skytells.") in MODULES
                     else base for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("skytells."):
                yield node.lineno, name.removeprefix("skytells.")


def unit_of(module: str) -> str:
    """The entry of LAYERS a module belongs to: its top package, or its own name at the root."""
    return module.split(".", 1)[0]


def owner(name: str) -> str:
    """The module an imported name belongs to (``net.protocol.oauth.X`` -> ``net.protocol.oauth``)."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def test_every_module_has_exactly_one_layer() -> None:
    listed = [unit for units in LAYERS.values() for unit in units]
    assert len(listed) == len(set(listed)), "a package is in two layers"
    units = {unit_of(module) for module in MODULES}
    assert sorted(units - set(listed)) == [], "packages or root modules without a layer: add them to LAYERS"
    assert sorted(set(listed) - units) == [], "LAYERS names packages or modules that do not exist"


def test_the_package_stays_a_namespace_portion() -> None:
    assert not (PACKAGE / "__init__.py").exists()  # the official SDK owns skytells/__init__.py


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_nothing_from_a_higher_layer(module: str) -> None:
    rank = RANK[unit_of(module)]
    upward = []
    for line, name in imported_modules(MODULES[module]):
        target = owner(name)
        assert target in MODULES, f"skytells/{module}:{line} imports skytells.{name}, which is not a module"
        if RANK[unit_of(target)] > rank:
            upward.append(f"line {line}: skytells.{name} ({LAYER_OF[unit_of(target)]})")
    assert upward == [], f"skytells.{module} ({LAYER_OF[unit_of(module)]}) imports from a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(module for module in MODULES if unit_of(module) in LAYERS["compat"]))
def test_nothing_in_the_package_imports_a_version_1_path(module: str) -> None:
    importers = [f"{other}:{line}" for other, path in MODULES.items() if unit_of(other) not in LAYERS["compat"]
                 for line, name in imported_modules(path) if owner(name) == module]
    assert importers == [], f"skytells.{module} is kept for plugins only; import the module it names instead"


def import_graph() -> dict[str, set[str]]:
    """Every module's imports inside the package that run, lazy ones included."""
    return {module: {owner(name) for _line, name in imported_modules(path, typing_only=False)} - {module}
            for module, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: each strongly connected group of two or more modules (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_a_cycle_is_caught() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(("source", "expected"), [
    ("from skytells.config import settings\n", ["config.settings"]),
    ("from skytells.net.http import HttpClient\n", ["net.http"]),
    ("import skytells.net.protocol.oauth\n", ["net.protocol.oauth"]),
    ("def f():\n    from skytells.net.console_api import ConsoleClient\n", ["net.console_api"]),
    ("if TYPE_CHECKING:\n    from skytells.session import open_store\n", ["session"]),
    ("import json\nfrom cliff.app import App\n", []),
])
def test_the_import_reader_sees_every_form(tmp_path: Path, source: str, expected: list[str]) -> None:
    path = tmp_path / "module.py"
    path.write_text(source)
    assert [owner(name) for _line, name in imported_modules(path)] == expected


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from skytells.cli.app import SkytellsApp\n")
    (name,) = [owner(name) for _line, name in imported_modules(path)]
    assert RANK[unit_of(name)] > RANK[unit_of("net.http")]
